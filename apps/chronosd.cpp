// chronosd: the chronos actor as a network server. Publishes it through CAF's
// I/O middleman (127.0.0.1 unless told otherwise), restores the state file on
// start, saves it on SIGTERM or SIGINT, and exits 0 once it is saved.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <pthread.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/duration.hpp"
#include "chronos/log.hpp"
#include "chronos/server.hpp"
#include "cli.hpp"
#ifdef CHRONOS_WITH_METRICS
#include "chronosd_metrics.hpp"
#endif

using namespace chronos;

namespace {

constexpr const char* usage = R"(usage: chronosd [OPTIONS]

Runs the chronos timeout server.

options:
  --bind ADDR          address to listen on (default 127.0.0.1)
  --port N             TCP port, 0 for any free one (default 4242)
  --state PATH         state file (default state/chronos.json)
  --durability MODE    when an acknowledged change is on disk:
                         always    fsync of the journal before the reply (default)
                         interval  journal fsynced every --sync-interval
                         shutdown  no journal; state file written on orderly shutdown
  --sync-interval DURATION   fsync period in interval mode (default 100ms)
  --compact-bytes N    compact the journal into a snapshot past N bytes (default 64 MiB)
  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (off by
                       default; port 0 for any free one)
  --log-level LEVEL    error, warning, info (default) or debug
  --help               this text

chronosd prints "listening on ADDR:PORT" once it accepts requests, and exits 0
after SIGTERM or SIGINT once the state file is saved.
)";

struct options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 4242;
  std::string state = "state/chronos.json";
  durability mode = durability::always;
  millis sync_interval{100};
  std::uint64_t compact_bytes = std::uint64_t{64} << 20;
  std::string metrics; // empty: no metrics endpoint
};

options parse(int argc, char** argv) {
  options opts;
  cli::args args{argc, argv};
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--bind") {
      opts.bind = args.value(arg);
    } else if (arg == "--port") {
      opts.port = cli::parse_port(args.value(arg));
    } else if (arg == "--state") {
      opts.state = args.value(arg);
      if (opts.state.empty())
        throw cli::usage_error{"--state needs a path"};
    } else if (arg == "--durability") {
      auto text = args.value(arg);
      auto mode = parse_durability(text);
      if (!mode)
        throw cli::usage_error{"unknown durability '" + text
                               + "' (expected always, interval or shutdown)"};
      opts.mode = *mode;
    } else if (arg == "--sync-interval") {
      auto d = parse_duration(args.value(arg));
      if (!d || d->count() == 0)
        throw cli::usage_error{d ? "--sync-interval must be positive" : d.error().detail};
      opts.sync_interval = *d;
    } else if (arg == "--compact-bytes") {
      auto text = args.value(arg);
      auto n = cli::parse_uint(text, UINT64_MAX);
      if (!n || *n == 0)
        throw cli::usage_error{"--compact-bytes needs a positive integer, not '" + text + "'"};
      opts.compact_bytes = *n;
    } else if (arg == "--metrics") {
      opts.metrics = args.value(arg);
#ifndef CHRONOS_WITH_METRICS
      throw cli::usage_error{"this chronosd is built without metrics (needs prometheus-cpp-dev)"};
#endif
      if (opts.metrics.rfind(':') == std::string::npos)
        throw cli::usage_error{"--metrics needs ADDR:PORT, not '" + opts.metrics + "'"};
    } else if (arg == "--log-level") {
      log_level level;
      auto text = args.value(arg);
      if (!parse_log_level(text, level))
        throw cli::usage_error{"unknown log level '" + text + "'"};
      set_log_level(level);
    } else {
      throw cli::usage_error{"unknown argument '" + arg + "' (see --help)"};
    }
  }
  return opts;
}

// Signals are taken by sigwait in main only: block them before CAF starts threads.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

bool ensure_folder_of(const std::string& path) {
  auto folder = std::filesystem::path{path}.parent_path();
  std::error_code ec;
  if (!folder.empty())
    std::filesystem::create_directories(folder, ec);
  if (ec)
    log_error("cannot create the folder of the state file '" + path + "': " + ec.message());
  return !ec;
}

// Waits until `srv` is gone; true if it ended cleanly (its state saved).
bool stop(caf::actor_system& sys, const chronos_api& srv) {
  caf::scoped_actor self{sys};
  self->monitor(srv);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  bool clean = false;
  self->receive([&](const caf::down_msg& msg) {
    clean = !msg.reason || msg.reason == caf::exit_reason::user_shutdown;
  });
  return clean;
}

int serve(const options& opts, const sigset_t& signals) {
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  if (!ensure_folder_of(opts.state))
    return 1;
  server_config server_cfg;
  server_cfg.state_path = opts.state;
  server_cfg.mode = opts.mode;
  server_cfg.sync_interval = opts.sync_interval;
  server_cfg.compact_bytes = opts.compact_bytes;
  auto srv = spawn_server(sys, server_cfg);
  if (!srv) {
    log_error(srv.error().detail);
    return 1;
  }
  auto port = sys.middleman().publish(*srv, opts.port, opts.bind.c_str(), true);
  if (!port) {
    log_error("cannot listen on " + opts.bind + ":" + std::to_string(opts.port) + ": "
              + sys.render(port.error()));
    caf::anon_send_exit(*srv, caf::exit_reason::kill); // nothing changed: keep the file as is
    return 1;
  }
  const std::string where = opts.bind + ":" + std::to_string(*port);
#ifdef CHRONOS_WITH_METRICS
  std::unique_ptr<metrics_endpoint> metrics;
  if (!opts.metrics.empty()) {
    auto started = metrics_endpoint::start(sys, *srv, opts.metrics);
    if (!started) {
      log_error(started.error().detail);
      caf::anon_send_exit(*srv, caf::exit_reason::kill);
      return 1;
    }
    metrics = std::move(*started);
    const auto host = opts.metrics.substr(0, opts.metrics.rfind(':'));
    std::cout << "chronosd: metrics on http://" << host << ":" << metrics->port() << "/metrics"
              << std::endl;
  }
#endif
  std::cout << "chronosd: listening on " << where << std::endl;
  log_info("listening on " + where + ", state file " + opts.state + ", durability "
           + to_string(opts.mode));
  int sig = 0;
  sigwait(&signals, &sig);
  log_info(std::string{"received "} + (sig == SIGINT ? "SIGINT" : "SIGTERM")
           + ", shutting down");
  sys.middleman().unpublish(*srv, *port);
#ifdef CHRONOS_WITH_METRICS
  metrics.reset(); // no scrape waits on an actor that is going away
#endif
  return stop(sys, *srv) ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  auto signals = block_shutdown_signals();
  options opts;
  try {
    opts = parse(argc, argv);
  } catch (const cli::usage_error& e) {
    std::cerr << "chronosd: " << e.message << "\n";
    return 2;
  }
  return serve(opts, signals);
}
