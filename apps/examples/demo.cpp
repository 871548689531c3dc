// The smallest real use of libchronos: chronos runs in-process, two named
// actors register, a few timeouts are scheduled (one recurring, one cancelled)
// and each delivery is printed as it arrives.

#include <iostream>

#include <caf/all.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/net/host.hpp"
#include "chronos/server/server.hpp"

using namespace chronos;
using namespace std::chrono_literals;

namespace {

// A client: prints what it receives; stops after `expected` timeouts.
caf::behavior printer(caf::event_based_actor* self, std::string label, int expected) {
  auto left = std::make_shared<int>(expected);
  return {[=](const chronos_timeout& t) {
    std::cout << format_time(floor_ms(std::chrono::system_clock::now())) << "  " << label
              << " got " << t.token << " '" << t.payload << "'" << std::endl;
    if (--*left == 0)
      self->quit();
  }};
}

std::string must(caf::expected<std::string> x) {
  if (!x)
    throw std::runtime_error(describe(x.error()));
  return *x;
}

} // namespace

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  configure_host(cfg);
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "chronos-demo: " << cfg.render(err) << "\n";
    return 2;
  }
  caf::actor_system sys{cfg};
  auto srv = spawn_server(sys, server_config{});
  if (!srv) {
    std::cerr << "chronos-demo: " << srv.error().detail << "\n";
    return 1;
  }
  caf::scoped_actor self{sys};
  auto alice = sys.spawn(printer, "alice", 2);
  auto bob = sys.spawn(printer, "bob", 3);
  auto call = [&](auto... xs) {
    caf::expected<std::string> out{caf::sec::bad_function_call};
    self->request(*srv, 5s, xs...).receive([&](std::string tok) { out = tok; },
                                           [&](caf::error& e) { out = e; });
    return out;
  };
  auto ok = [&](auto... xs) {
    self->request(*srv, 5s, xs...).receive([](caf::ok_atom) {}, [](caf::error& e) {
      throw std::runtime_error(describe(e));
    });
  };
  try {
    ok(register_atom::value, std::string{"alice"}, alice);
    ok(register_atom::value, std::string{"bob"}, bob);
    must(call(schedule_atom::value, schedule_request{"alice", when_spec::in(300), "tea is ready", 0}));
    must(call(schedule_atom::value, schedule_request{"alice", when_spec::in(900), "meeting", 0}));
    must(call(schedule_atom::value, schedule_request{"bob", when_spec::in(200), "tick", 250}));
    auto never = must(call(schedule_atom::value, schedule_request{"bob", when_spec::in(100), "never", 0}));
    ok(cancel_atom::value, never);
    std::cout << "scheduled 4 timeouts, cancelled " << never << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "chronos-demo: " << e.what() << "\n";
    return 1;
  }
  self->wait_for(alice, bob);
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
  return 0;
}
