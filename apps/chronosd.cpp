// chronosd: the chronos actor as a network server. Publishes it through CAF's
// I/O middleman (127.0.0.1 unless told otherwise), restores the state file on
// start, saves it on SIGTERM or SIGINT, and exits 0 once it is saved.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <set>
#include <unistd.h>
#ifdef CHRONOS_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/base/log.hpp"
#include "chronos/net/host.hpp"
#include "chronos/net/peer_timeout.hpp"
#include "chronos/net/transport.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/server/server.hpp"
#include "chronos/store/persistence.hpp"
#include "chronos/store/state_file.hpp"
#include "cli.hpp"
#ifdef CHRONOS_WITH_METRICS
#include "chronosd_metrics.hpp"
#endif

using namespace chronos;

namespace {

// Recovery builds what the journal's replay needs and frees it; those pages
// go back to the system now, not kept for the life of the process (glibc's
// malloc) or until a decay timer gets to them (jemalloc's, ten seconds).
void give_back_free_memory() {
#ifdef CHRONOS_WITH_JEMALLOC
  const auto purge_all = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  (void)mallctl(purge_all.c_str(), nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

struct options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 4242;
  std::string state = "state/chronos.json";
  durability mode = server_config{}.mode;
  millis sync_interval = server_config{}.sync_interval;
  millis peer_timeout = default_peer_timeout; // 0: connections never time out
  std::uint64_t compact_bytes = server_config{}.compact_bytes;
  std::string metrics; // empty: no metrics endpoint
  tls_config tls;
  bool plain_tcp_anywhere = false;
  server_limits limits;
  /// --clock manual: a test server on a clock that only requests move.
  bool manual_clock = false;
  /// --store: a shared PostgreSQL store instead of the state file.
  std::string store;
  millis lease = postgres_options{}.lease;
  /// Where clients reach this chronosd (what standbys tell them); empty:
  /// the bound address and port.
  std::string advertise;
  /// With --store, instead of serving: load a state file into the (empty)
  /// store, or write the store's timeouts into a new state file.
  std::string import_from;
  std::string export_to;
  /// The options given (file or command line), for those that exclude others.
  std::set<std::string> given;
};

// The limits chronosd takes from its options, with their bounds.
struct limit_option {
  const char* name;
  std::size_t server_limits::*field;
  std::uint64_t min;
  std::uint64_t max;
  const char* help;
};
constexpr limit_option limit_options[] = {
  {"--max-timeouts", &server_limits::max_timeouts, 1, 1'000'000'000,
   "pending and parked timeouts at most"},
  {"--max-payload-bytes", &server_limits::max_payload_bytes, 1, 16 << 20, "one payload at most"},
  {"--max-payload-total", &server_limits::max_payload_total, 1, std::uint64_t{1} << 40,
   "all payloads together at most"},
  {"--max-name-bytes", &server_limits::max_name_bytes, 1, 4096, "one name at most"},
  {"--max-list", &server_limits::max_list, 1, 1'000'000'000,
   "timeouts one list reply holds at most"},
  {"--max-queued", &server_limits::max_queued, 1, 1'000'000'000,
   "requests waiting beyond which schedules and lists are\nrefused as overloaded"},
  // A client's handshake alone takes a kilobyte; the network's frame length
  // is 32 bits.
  {"--max-message-bytes", &server_limits::max_message_bytes, 64 << 10, UINT32_MAX,
   "one message from a peer at most; a connection that\nannounces a larger one is closed"},
  {"--max-message-total", &server_limits::max_message_total, 64 << 10, std::uint64_t{1} << 40,
   "what all connections' read buffers may hold beyond\n64 KiB each"},
};

// One option of the usage text: its synopsis, then its help in a column of
// its own ('\n' in `help` starts an indented line).
std::string option_line(const std::string& synopsis, const std::string& help) {
  constexpr std::size_t column = 23;
  std::string line = "  " + synopsis;
  line += line.size() + 1 < column ? std::string(column - line.size(), ' ') : "  ";
  for (char c : help) {
    line += c;
    if (c == '\n')
      line.append(column, ' ');
  }
  return line + "\n";
}

// The usage text, with the defaults and limits this build really has.
std::string usage_text() {
  const options defaults;
  std::string out = "usage: chronosd [OPTIONS]\n\nRuns the chronos timeout server.\n\noptions:\n";
  out += option_line("--bind ADDR", "address to listen on (default " + defaults.bind
                                      + "); another host's\nreach needs TLS, or --plain-tcp any");
  out += option_line("--tls-cert PATH", "TLS: this server's certificate (PEM)");
  out += option_line("--tls-key PATH", "TLS: its private key (PEM, unencrypted)");
  out += option_line("--tls-ca PATH", "TLS: accept only clients whose certificate this CA "
                                      "signed;\nthe three together turn TLS on for every "
                                      "connection");
  out += option_line("--plain-tcp WHERE", "without TLS, listen on loopback addresses only "
                                          "(loopback,\nthe default) or on any address (any)");
  out += option_line("--port N", "TCP port, 0 for any free one (default "
                                   + std::to_string(defaults.port) + ")");
  out += option_line("--state PATH", "state file (default " + defaults.state + ")");
  out += option_line("--store URL", "keep the timeouts in PostgreSQL instead "
                                   "(postgresql://USER@HOST:PORT/DB,\nany libpq URI; password "
                                   "by the URI, PGPASSWORD or\nPGPASSFILE): chronosd leads while "
                                   "it holds the store's\nlease and stands by otherwise");
  out += option_line("--lease DURATION", "with --store: how long a lease lasts unless renewed\n"
                                         "(default " + format_duration(defaults.lease)
                                           + "; renewed every third of it)");
  out += option_line("--advertise HOST:PORT", "with --store: where clients reach this chronosd,"
                                              "\nnamed to them by standbys (default: the bound"
                                              "\naddress and port)");
  out += option_line("--import FILE", "with --store: load the state file FILE (and its "
                                      "journals)\ninto the store, which must be empty, then exit");
  out += option_line("--export FILE", "with --store: write the store's timeouts into a new "
                                      "state\nfile FILE, then exit");
  out += option_line("--durability MODE",
                     std::string{"when an acknowledged change is on disk (default "}
                       + to_string(defaults.mode) + "):\n"
                       + "  always    fsync of the journal before the reply\n"
                       + "  interval  journal fsynced every --sync-interval\n"
                       + "  shutdown  no journal; state file written on orderly shutdown");
  out += option_line("--sync-interval DURATION", "fsync period in interval mode (default "
                                                   + format_duration(defaults.sync_interval)
                                                   + ")");
  out += option_line("--compact-bytes N", "compact the journal into a snapshot past N bytes\n"
                                          "(default " + std::to_string(defaults.compact_bytes)
                                            + ")");
  for (const auto& limit : limit_options)
    out += option_line(std::string{limit.name} + " N",
                       std::string{limit.help} + " (default "
                         + std::to_string(defaults.limits.*limit.field) + ")");
  out += option_line("--peer-timeout DURATION",
                     "close a connection whose peer has taken none of\nchronosd's data for "
                     "this long, answers no keepalive\nprobe on an idle one, or has not "
                     "completed its handshake\n(default " + format_duration(default_peer_timeout)
                       + "; " + format_duration(min_peer_timeout) + " to "
                       + format_duration(max_peer_timeout) + ", 0ms: never)");
  out += option_line("--metrics ADDR:PORT", "serve Prometheus metrics at "
                                            "http://ADDR:PORT/metrics\n(off by default; port 0 "
                                            "for any free one)");
  out += option_line("--clock KIND", "system (default), or manual: a test server whose "
                                     "clock moves\nonly when told (chronosctl clock); it keeps "
                                     "nothing on disk\nand listens on loopback only");
  out += option_line("--log-level LEVEL", "error, warning, info (default) or debug");
  out += option_line("--config PATH", "read options from PATH first: \"name = value\" lines "
                                      "with the\nnames above (\"port = 4242\"), '#' comments; "
                                      "flags win");
  out += option_line("--help", "this text");
  out += "\nchronosd prints \"listening on ADDR:PORT\" once it accepts requests, and exits 0\n"
         "after SIGTERM or SIGINT once the state file is saved.\n";
  return out;
}

// Every option takes a value.
bool known_option(const std::string& name) {
  for (const char* known : {"--bind", "--port", "--state", "--durability", "--sync-interval",
                            "--compact-bytes", "--metrics", "--log-level", "--config",
                            "--tls-cert", "--tls-key", "--tls-ca", "--plain-tcp",
                            "--peer-timeout", "--clock", "--store", "--lease", "--advertise",
                            "--import", "--export"})
    if (name == known)
      return true;
  for (const auto& limit : limit_options)
    if (name == limit.name)
      return true;
  return false;
}

// Sets option `name` ("--port") from `value`; the same rules for the command
// line and the configuration file.
void apply(options& opts, const std::string& name, const std::string& value) {
  opts.given.insert(name);
  for (const auto& limit : limit_options)
    if (name == limit.name) {
      auto n = cli::parse_uint(value, limit.max);
      if (!n || *n < limit.min)
        throw cli::usage_error{name + " needs an integer from " + std::to_string(limit.min)
                               + " to " + std::to_string(limit.max) + ", not '" + value + "'"};
      opts.limits.*limit.field = *n;
      return;
    }
  if (name == "--bind") {
    opts.bind = value;
  } else if (name == "--port") {
    opts.port = cli::parse_port(value);
  } else if (name == "--state") {
    if (value.empty())
      throw cli::usage_error{"--state needs a path"};
    opts.state = value;
  } else if (name == "--durability") {
    auto mode = parse_durability(value);
    if (!mode)
      throw cli::usage_error{"unknown durability '" + value
                             + "' (expected always, interval or shutdown)"};
    opts.mode = *mode;
  } else if (name == "--sync-interval") {
    opts.sync_interval = cli::parse_duration_option(name, value, cli::zero_duration::refused);
  } else if (name == "--peer-timeout") {
    opts.peer_timeout = cli::parse_duration_option(name, value, cli::zero_duration::allowed);
    if (opts.peer_timeout.count() != 0
        && (opts.peer_timeout < min_peer_timeout || opts.peer_timeout > max_peer_timeout))
      throw cli::usage_error{"--peer-timeout must be 0ms or from " + format_duration(min_peer_timeout)
                             + " to " + format_duration(max_peer_timeout) + ", not '" + value + "'"};
  } else if (name == "--compact-bytes") {
    auto n = cli::parse_uint(value, UINT64_MAX);
    if (!n || *n == 0)
      throw cli::usage_error{"--compact-bytes needs a positive integer, not '" + value + "'"};
    opts.compact_bytes = *n;
  } else if (name == "--metrics") {
#ifndef CHRONOS_WITH_METRICS
    throw cli::usage_error{"this chronosd is built without metrics (needs prometheus-cpp-dev)"};
#endif
    if (value.rfind(':') == std::string::npos)
      throw cli::usage_error{"--metrics needs ADDR:PORT, not '" + value + "'"};
    opts.metrics = value;
  } else if (name == "--tls-cert" || name == "--tls-key" || name == "--tls-ca") {
    if (value.empty())
      throw cli::usage_error{name + " needs a path"};
    auto& field = name == "--tls-cert" ? opts.tls.certificate
                  : name == "--tls-key" ? opts.tls.key
                                        : opts.tls.ca;
    field = value;
  } else if (name == "--plain-tcp") {
    if (value != "loopback" && value != "any")
      throw cli::usage_error{"--plain-tcp needs loopback or any, not '" + value + "'"};
    opts.plain_tcp_anywhere = value == "any";
  } else if (name == "--clock") {
    if (value != "system" && value != "manual")
      throw cli::usage_error{"--clock needs system or manual, not '" + value + "'"};
    opts.manual_clock = value == "manual";
  } else if (name == "--store") {
    if (value.empty())
      throw cli::usage_error{"--store needs a PostgreSQL URL"};
    opts.store = value;
  } else if (name == "--lease") {
    opts.lease = cli::parse_duration_option(name, value, cli::zero_duration::refused);
    if (opts.lease < millis{300} || opts.lease > millis{600'000})
      throw cli::usage_error{"--lease must be from 300ms to 10m, not '" + value + "'"};
  } else if (name == "--advertise") {
    if (value.rfind(':') == std::string::npos || value.rfind(':') == 0)
      throw cli::usage_error{"--advertise needs HOST:PORT, not '" + value + "'"};
    opts.advertise = value;
  } else if (name == "--import" || name == "--export") {
    if (value.empty())
      throw cli::usage_error{name + " needs a state file path"};
    (name == "--import" ? opts.import_from : opts.export_to) = value;
  } else if (name == "--log-level") {
    log_level level;
    if (!parse_log_level(value, level))
      throw cli::usage_error{"unknown log level '" + value + "'"};
    set_log_level(level);
  } else {
    throw cli::usage_error{"unknown option '" + name + "' (see --help)"};
  }
}

// The configuration file: `name = value` lines with the options' long names
// ("port = 4242"), '#' comments and blank lines. Errors name the line.
void apply_file(options& opts, const std::string& path) {
  std::ifstream in{path};
  if (!in)
    throw cli::usage_error{"cannot read the configuration file '" + path + "'"};
  const auto trimmed = [](std::string text) {
    const auto first = text.find_first_not_of(" \t\r");
    const auto last = text.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string{} : text.substr(first, last - first + 1);
  };
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty())
      continue;
    const auto where = path + ":" + std::to_string(number) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string::npos)
      throw cli::usage_error{where + "expected 'name = value', not '" + line + "'"};
    const auto name = trimmed(line.substr(0, eq));
    if (name == "config")
      throw cli::usage_error{where + "a configuration file cannot name another"};
    try {
      apply(opts, "--" + name, trimmed(line.substr(eq + 1)));
    } catch (const cli::usage_error& e) {
      throw cli::usage_error{where + e.message};
    }
  }
}

// The configuration file first (wherever --config stands), then the command
// line, whose options win.
options parse(int argc, char** argv) {
  options opts;
  for (cli::args args{argc, argv}; !args.done();) {
    auto arg = args.next();
    if (arg == "--config")
      apply_file(opts, args.value(arg));
  }
  cli::args args{argc, argv};
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text();
      std::exit(0);
    }
    if (!known_option(arg))
      throw cli::usage_error{"unknown argument '" + arg + "' (see --help)"};
    auto value = args.value(arg);
    if (arg != "--config")
      apply(opts, arg, value);
  }
  if (!opts.tls.requested() && !opts.plain_tcp_anywhere && !is_loopback(opts.bind))
    throw cli::usage_error{"refusing to listen on '" + opts.bind
                           + "' without TLS: other hosts would send timeouts unencrypted "
                             "and unauthenticated (give --tls-cert, --tls-key and --tls-ca, "
                             "or --plain-tcp any)"};
  if (opts.manual_clock) {
    for (const char* disk : {"--state", "--durability", "--sync-interval", "--compact-bytes"})
      if (opts.given.count(disk))
        throw cli::usage_error{std::string{"--clock manual keeps nothing on disk: drop "} + disk};
    if (!is_loopback(opts.bind))
      throw cli::usage_error{"--clock manual is a test server: it listens on loopback "
                             "addresses only, not '" + opts.bind + "'"};
  }
  if (!opts.store.empty()) {
    for (const char* file : {"--state", "--compact-bytes", "--clock"})
      if (opts.given.count(file))
        throw cli::usage_error{std::string{"--store keeps everything in PostgreSQL: drop "} + file};
    if (opts.mode == durability::shutdown)
      throw cli::usage_error{"--store writes every change: --durability always or interval"};
    if (!opts.import_from.empty() && !opts.export_to.empty())
      throw cli::usage_error{"--import and --export: one at a time"};
  } else {
    for (const char* shared : {"--lease", "--advertise", "--import", "--export"})
      if (opts.given.count(shared))
        throw cli::usage_error{std::string{shared} + " needs --store"};
  }
  if (opts.limits.max_message_total < opts.limits.max_message_bytes)
    throw cli::usage_error{"--max-message-total must be at least --max-message-bytes ("
                           + std::to_string(opts.limits.max_message_bytes)
                           + "): else no message of that size could ever be read"};
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

// Who holds a lease, as others see it: this host and process.
std::string lease_holder() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string{host} + ":" + std::to_string(::getpid());
}

// Where clients reach a chronosd bound to `bind`: the host's name when it
// listens on every address.
std::string advertised(const std::string& bind, std::uint16_t port) {
  std::string host = bind;
  if (bind == "0.0.0.0" || bind == "::" || bind.empty()) {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host = name;
  }
  return host + ":" + std::to_string(port);
}

// Where the timeouts are kept, for the log.
std::string storage(const options& opts) {
  if (opts.manual_clock)
    return "manual clock, nothing kept on disk";
  if (!opts.store.empty())
    return "PostgreSQL store " + redacted_url(opts.store) + " (standing by until it holds the "
           "lease), durability " + to_string(opts.mode);
  return "state file " + opts.state + ", durability " + to_string(opts.mode);
}

// --import: the state file (and its journals) into an empty store, under
// the store's lease, so that no chronosd writes it meanwhile.
int import_state(const options& opts) {
  auto store = postgres_store::open({opts.store, opts.lease, lease_holder(), "", opts.mode});
  if (!store) {
    log_error(store.error().detail);
    return 1;
  }
  server_state state{token_generator{}, opts.limits};
  if (!std::filesystem::exists(opts.import_from)) {
    log_error("no state file at '" + opts.import_from + "'");
    return 1;
  }
  if (auto read = load(opts.import_from, state); !read) {
    log_error("cannot read '" + opts.import_from + "': " + read.error().detail);
    return 1;
  }
  auto lease = store->try_acquire();
  if (!lease || !lease->held) {
    log_error(lease ? "a chronosd leads this store (" + lease->holder + " at " + lease->address
                        + "): stop it before importing"
                    : lease.error().detail);
    return 1;
  }
  auto imported = store->import(state, lease->epoch);
  if (auto released = store->release(lease->epoch); !released)
    log_warning("cannot give the lease up (it expires by itself): " + released.error().detail);
  if (!imported) {
    log_error("nothing imported: " + imported.error().detail);
    return 1;
  }
  const auto n = state.count({});
  std::cout << "chronosd: imported " << n.pending << " pending and " << n.parked
            << " parked timeouts from " << opts.import_from << std::endl;
  return 0;
}

// --export: the store's timeouts, as one consistent read, into a new state file.
int export_state(const options& opts) {
  if (std::filesystem::exists(opts.export_to)) {
    log_error("'" + opts.export_to + "' exists: export writes a new state file only");
    return 1;
  }
  auto store = postgres_store::open({opts.store, opts.lease, lease_holder(), "", opts.mode});
  if (!store) {
    log_error(store.error().detail);
    return 1;
  }
  server_state state{token_generator{}, opts.limits};
  if (auto read = store->load(state); !read) {
    log_error("cannot read the store: " + read.error().detail);
    return 1;
  }
  if (!ensure_folder_of(opts.export_to))
    return 1;
  const auto now = floor_ms(std::chrono::system_clock::now());
  if (auto saved = save_state(opts.export_to, state, now, 0); !saved) {
    log_error("cannot write '" + opts.export_to + "': " + saved.error().detail);
    return 1;
  }
  const auto n = state.count({});
  std::cout << "chronosd: exported " << n.pending << " pending and " << n.parked
            << " parked timeouts to " << opts.export_to << std::endl;
  return 0;
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
  configure_host(cfg, opts.limits, opts.peer_timeout);
  if (opts.tls.requested())
    if (auto bad = use_tls(cfg, opts.tls)) {
      log_error(bad->detail);
      return 1;
    }
  caf::actor_system sys{cfg};
  server_config server_cfg;
  if (opts.manual_clock) {
    server_cfg.manual = std::make_shared<manual_clock>(floor_ms(std::chrono::system_clock::now()));
  } else if (!opts.store.empty()) {
    server_cfg.postgres = postgres_options{opts.store, opts.lease, lease_holder(), "",
                                           opts.mode};
  } else {
    if (!ensure_folder_of(opts.state))
      return 1;
    server_cfg.state_path = opts.state;
  }
  server_cfg.mode = opts.mode;
  server_cfg.sync_interval = opts.sync_interval;
  server_cfg.compact_bytes = opts.compact_bytes;
  server_cfg.limits = opts.limits;
  auto srv = spawn_server(sys, server_cfg);
  if (!srv) {
    log_error(srv.error().detail);
    return 1;
  }
  give_back_free_memory();
  auto port = publish(sys, *srv, opts.bind, opts.port);
  if (!port) {
    log_error("cannot listen on " + opts.bind + ":" + std::to_string(opts.port) + ": "
              + sys.render(port.error()));
    caf::anon_send_exit(*srv, caf::exit_reason::kill); // nothing changed: keep the file as is
    return 1;
  }
  if (opts.peer_timeout.count() != 0)
    if (auto set = set_peer_timeout(*port, opts.peer_timeout); !set) {
      log_error(set.error().detail + " (--peer-timeout 0ms runs without)");
      stop(sys, *srv);
      return 1;
    }
  const std::string where = opts.bind + ":" + std::to_string(*port);
  if (server_cfg.postgres)
    advertise(*srv, opts.advertise.empty() ? advertised(opts.bind, *port) : opts.advertise);
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
  log_info("listening on " + where + (opts.tls.requested() ? " (TLS)" : "") + ", " + storage(opts));
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
  const auto opts = cli::parse_or_exit("chronosd", parse, argc, argv);
  if (!opts.import_from.empty())
    return import_state(opts);
  if (!opts.export_to.empty())
    return export_state(opts);
  return serve(opts, signals);
}
