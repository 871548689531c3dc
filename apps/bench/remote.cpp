// Remote: pipelined schedules from client actors in another actor system,
// over 127.0.0.1, as chronosctl-like clients on other hosts would send them;
// and the ceiling of CAF's own remote request/response, driven the same way.

#include <thread>

#include "chronos/client/client.hpp"
#include "chronos/server/server.hpp"
#include "harness.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

// A server system publishing what `spawn_target` spawns on 127.0.0.1 and a
// client system whose `clients` actors send it `total` requests between them
// (`issue` sends one to the handle `reach` gives): requests answered per second.
template <class SpawnTarget, class Reach, class Issue>
std::optional<double> remote_rate(std::size_t clients, std::size_t total,
                                  SpawnTarget spawn_target, Reach reach, Issue issue) {
  caf::actor_system_config server_cfg;
  caf::actor_system server_sys{configure(server_cfg)};
  auto target = spawn_target(server_sys);
  if (!target)
    return std::nullopt;
  auto port = server_sys.middleman().publish(target, 0, "127.0.0.1", true);
  if (!port)
    return std::nullopt;
  caf::actor_system_config client_cfg;
  caf::actor_system client_sys{configure(client_cfg, side::client)};
  auto handle = reach(client_sys, *port);
  if (!handle)
    return std::nullopt;
  const std::size_t each = total / clients;
  auto r = run_clients(client_sys, clients, each, in_flight,
                       [&](caf::event_based_actor* self, std::size_t i, auto done) {
                         issue(self, *handle, i, std::move(done));
                       });
  // A local stand-in (the reconnecting client) would keep its system alive.
  // A remote handle is left alone: chronos refuses exit messages from peers.
  if (handle->node() == client_sys.node())
    caf::anon_send_exit(*handle, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(target, caf::exit_reason::kill);
  return static_cast<double>(each * clients) / r.seconds;
}

// Schedule `i`, an hour out, for one of a hundred names.
template <class Handle>
void schedule_one(caf::event_based_actor* self, const Handle& to, std::size_t i,
                  std::function<void(bool)> done) {
  self->request(to, std::chrono::seconds(30), schedule_atom::value,
                schedule_request{"client-" + std::to_string(i % 100), when_spec::in(3'600'000),
                                 "", 0})
    .then([done](std::string&) { done(true); }, [done](caf::error&) { done(false); });
}

// A chronos actor with the default configuration (an invalid handle if it
// cannot start, which remote_rate refuses).
chronos_api spawn_chronos(caf::actor_system& sys) {
  auto srv = spawn_server(sys, server_config{});
  return srv ? *srv : chronos_api{};
}

std::optional<double> chronos_rate(std::size_t clients, std::size_t total) {
  return remote_rate(
    clients, total,
    spawn_chronos,
    [](caf::actor_system& sys, std::uint16_t port) {
      return connect(sys, "127.0.0.1", port, std::chrono::seconds(5));
    },
    schedule_one<chronos_api>);
}

// The same schedules through the reconnecting client (one for all client
// actors), which coalesces the single requests that reach it together.
std::optional<double> via_client_rate(std::size_t clients, std::size_t total) {
  return remote_rate(
    clients, total,
    spawn_chronos,
    [](caf::actor_system& sys, std::uint16_t port) -> std::optional<caf::actor> {
      client_config cfg;
      cfg.port = port;
      cfg.request_timeout = std::chrono::seconds(30);
      auto client = spawn_client(sys, cfg);
      caf::scoped_actor self{sys};
      for (int attempt = 0; attempt < 100; ++attempt) {
        bool up = false;
        self->request(client, std::chrono::seconds(5), status_atom::value)
          .receive([&](bool b) { up = b; }, [](caf::error&) {});
        if (up)
          return client;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return std::nullopt;
    },
    schedule_one<caf::actor>);
}

std::optional<double> echo_rate(std::size_t clients, std::size_t total) {
  return remote_rate(
    clients, total,
    [](caf::actor_system& sys) {
      return sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
        return {[](std::uint64_t x) { return x; }};
      }, 0);
    },
    [](caf::actor_system& sys, std::uint16_t port) {
      return sys.middleman().remote_actor("127.0.0.1", port);
    },
    [](caf::event_based_actor* self, const caf::actor& echo, std::size_t i, auto done) {
      self->request(echo, std::chrono::seconds(30), std::uint64_t{i})
        .then([done](std::uint64_t) { done(true); }, [done](caf::error&) { done(false); });
    });
}

} // namespace

void run_remote(const options& opts, report& out) {
  const std::size_t total = opts.n ? opts.n : 200'000;
  for (std::size_t clients : {1, 8}) {
    const auto note = std::to_string(clients) + " clients, " + std::to_string(in_flight)
                      + " in flight each";
    const auto chronos = chronos_rate(clients, total);
    const auto echo = echo_rate(clients, total);
    const auto via_client = via_client_rate(clients, total);
    // One metric for both, so that the ratio shows how near chronos comes.
    if (chronos)
      out.add({"remote", "chronos", "requests_per_s", *chronos, "1/s", note});
    if (echo)
      out.add({"remote", "caf_echo", "requests_per_s", *echo, "1/s", note});
    if (via_client)
      out.add({"remote", "chronos", "requests_per_s", *via_client, "1/s",
               note + ", through spawn_client (coalescing)"});
  }
}

} // namespace chronos::bench
