// A CAF program on any host using chronosd through libchronos's client: it
// registers a name for one of its actors, optionally schedules a timeout for
// itself, and prints every chronos_timeout it receives. Restart chronosd while
// it runs: the client reconnects and registers again by itself, and whatever
// came due meanwhile arrives, oldest first.
//
//   chronos-client-example [--host H] [--port N] --name NAME [--in DURATION]
//                          [--payload TEXT] [--count N]

#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/client/client.hpp"
#include "../cli.hpp"

using namespace chronos;

namespace {

struct options {
  client_config client;
  std::string name;
  std::optional<millis> in;
  std::string payload = "hello from the example";
  std::uint64_t count = 0;
};

options parse(int argc, char** argv) {
  options opts;
  cli::args args{argc, argv};
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--host") {
      opts.client.host = args.value(arg);
    } else if (arg == "--port") {
      opts.client.port = cli::parse_port(args.value(arg));
    } else if (arg == "--name") {
      opts.name = args.value(arg);
    } else if (arg == "--in") {
      opts.in = cli::parse_duration_option(arg, args.value(arg), cli::zero_duration::allowed);
    } else if (arg == "--payload") {
      opts.payload = args.value(arg);
    } else if (arg == "--count") {
      auto n = cli::parse_uint(args.value(arg), UINT64_MAX);
      if (!n)
        throw cli::usage_error{"--count needs a non-negative integer"};
      opts.count = *n;
    } else {
      throw cli::usage_error{"unknown argument '" + arg + "'"};
    }
  }
  if (opts.name.empty())
    throw cli::usage_error{"--name NAME is required"};
  return opts;
}

// The actor that chronos delivers to: prints, and quits after `count` (0: never).
caf::behavior receiver(caf::event_based_actor* self, std::uint64_t count) {
  auto left = std::make_shared<std::uint64_t>(count);
  return {[=](const chronos_timeout& t) {
    std::cout << "received " << t.token << " " << t.payload << std::endl;
    if (*left > 0 && --*left == 0)
      self->quit();
  }};
}

} // namespace

int main(int argc, char** argv) {
  const auto opts = cli::parse_or_exit("chronos-client-example", parse, argc, argv);
  caf::actor_system_config cfg;
  register_types(cfg); // the same type names as chronosd
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};

  auto me = sys.spawn(receiver, opts.count);
  auto chronos = spawn_client(sys, opts.client);
  caf::scoped_actor self{sys};
  // Taken into account at once if connected, else as soon as the client connects.
  self->request(chronos, std::chrono::seconds(5), register_atom::value, opts.name, me)
    .receive([](caf::ok_atom) {},
             [&](caf::error& e) { std::cerr << "cannot register: " << describe(e) << "\n"; });
  if (opts.in) {
    schedule_request req{opts.name, when_spec::in(opts.in->count()), opts.payload, 0};
    // The client may still be connecting: retry for a few seconds.
    for (int attempt = 0; attempt < 50; ++attempt) {
      bool done = false;
      self->request(chronos, std::chrono::seconds(5), schedule_atom::value, req)
        .receive([&](const std::string& tok) { std::cout << "scheduled " << tok << std::endl; done = true; },
                 [&](caf::error& e) {
                   if (code_of(e) != errc::unavailable) {
                     std::cerr << "cannot schedule: " << describe(e) << "\n";
                     done = true;
                   }
                 });
      if (done)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  self->wait_for(me);
  caf::anon_send_exit(chronos, caf::exit_reason::user_shutdown);
  return 0;
}
