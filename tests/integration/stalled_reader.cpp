// A chronos client that stops reading: it fills chronosd with timeouts, asks
// for the whole list many times without waiting, and once the first answer is
// in (so every request is on the wire) stops itself with SIGSTOP. The other
// answers pile up on chronosd's side of the connection.
//
// usage: chronos-stalled-reader PORT TIMEOUTS LISTS

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/client/client.hpp"

using namespace chronos;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: chronos-stalled-reader PORT TIMEOUTS LISTS\n";
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  const auto timeouts = std::stoul(argv[2]);
  const int lists = std::stoi(argv[3]);
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto srv = connect(sys, "127.0.0.1", port, 20s);
  if (!srv) {
    std::cerr << "cannot connect: " << sys.render(srv.error()) << "\n";
    return 1;
  }
  caf::scoped_actor self{sys};
  const schedule_request one{"stalled", when_spec::in(3'600'000), std::string(100, 'p'), 0};
  bool scheduled = false;
  self->request(*srv, 60s, schedule_atom::value, std::vector<schedule_request>(timeouts, one))
    .receive([&](const token_list&) { scheduled = true; },
             [&](const caf::error& e) { std::cerr << sys.render(e) << "\n"; });
  if (!scheduled)
    return 1;
  auto first = self->request(*srv, 60s, list_atom::value);
  for (int i = 1; i < lists; ++i)
    self->send(*srv, list_atom::value);
  bool answered = false;
  first.receive([&](const timeout_list&) { answered = true; },
                [&](const caf::error& e) { std::cerr << sys.render(e) << "\n"; });
  if (!answered)
    return 1;
  std::cout << "stopping" << std::endl;
  std::raise(SIGSTOP);
  return 0;
}
