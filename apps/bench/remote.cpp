// Remote: pipelined schedules from client actors in another actor system,
// over 127.0.0.1, as chronosctl-like clients on other hosts would send them.

#include "chronos/client.hpp"
#include "chronos/server.hpp"
#include "workloads.hpp"

namespace chronos::bench {

void run_remote(const options& opts, report& out) {
  const std::size_t total = opts.n ? opts.n : 200'000;
  for (std::size_t clients : {1, 8}) {
    caf::actor_system_config server_cfg;
    caf::actor_system server_sys{configure(server_cfg)};
    auto srv = spawn_server(server_sys, server_config{});
    auto port = server_sys.middleman().publish(*srv, 0, "127.0.0.1", true);
    if (!srv || !port)
      return;
    caf::actor_system_config client_cfg;
    caf::actor_system client_sys{configure(client_cfg, side::client)};
    auto handle = connect(client_sys, "127.0.0.1", *port, std::chrono::seconds(5));
    if (!handle)
      return;
    const std::size_t each = total / clients;
    auto r = run_clients(client_sys, clients, each, in_flight,
                         [&](caf::event_based_actor* self, std::size_t i, auto done) {
                           self->request(*handle, std::chrono::seconds(30), schedule_atom::value,
                                         schedule_request{"client-" + std::to_string(i % 100),
                                                          when_spec::in(3'600'000), "", 0})
                             .then([done](std::string&) { done(true); },
                                   [done](caf::error&) { done(false); });
                         });
    out.add({"remote", "chronos", "schedules_per_s", static_cast<double>(each * clients) / r.seconds,
             "1/s", std::to_string(clients) + " clients, " + std::to_string(in_flight) + " in flight each"});
    caf::anon_send_exit(*srv, caf::exit_reason::kill);
  }
}

} // namespace chronos::bench
