// Runs chronos in-process from an installed package: a timeout scheduled in
// 50 ms arrives at a named actor. Exit status 0 only if it did.

#include <iostream>

#include <caf/all.hpp>

#include "chronos/server/server.hpp"

int main() {
  caf::actor_system_config cfg;
  chronos::register_types(cfg);
  caf::actor_system sys{cfg};
  auto srv = chronos::spawn_server(sys, chronos::server_config{});
  if (!srv)
    return 1;
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(*srv, std::chrono::seconds(5), chronos::register_atom::value,
                std::string{"consumer"}, caf::actor{self})
    .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
  std::string token;
  self->request(*srv, std::chrono::seconds(5), chronos::schedule_atom::value,
                chronos::schedule_request{"consumer", chronos::when_spec::in(50), "hi", 0})
    .receive([&](std::string& t) { token = t; }, [](caf::error&) {});
  bool delivered = false;
  self->receive([&](const chronos::chronos_timeout& t) { delivered = t.token == token; },
                caf::after(std::chrono::seconds(10)) >> [] {});
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
  std::cout << (ok && delivered ? "delivered " + token : std::string{"not delivered"}) << "\n";
  return ok && delivered ? 0 : 1;
}
