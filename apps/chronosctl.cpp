// chronosctl: the command line for a running chronosd. Every remote request
// has a finite timeout, so an unreachable or stuck daemon is an error within
// seconds, never a hang.
//
// Exit status: 0 success, 1 chronosd refused the request (unknown token, name
// in use...), 2 usage error (bad duration or time, empty name...), 3 chronosd
// cannot be reached or did not answer.

#include <csignal>
#include <iomanip>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/base/log.hpp"
#include "chronos/client/client.hpp"
#include "chronos/net/transport.hpp"
#include "cli.hpp"

using namespace chronos;
using json = nlohmann::json;

namespace {

/// chronosd answered with an error (exit 1) or could not be reached (exit 3).
struct request_failed {
  std::string message;
  int status;
};

struct global_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4242;
  /// --servers or CHRONOS_SERVERS: several chronosd on one shared store;
  /// the one that leads is used.
  std::vector<server_address> servers;
  bool host_or_port_given = false;
  std::chrono::milliseconds timeout{5000};
  tls_config tls;
};

struct command_line {
  global_options global;
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options; // "--in" -> "5s"; flags map to ""
  bool help = false;
};

bool is_flag(const std::string& arg) { return arg == "--json" || arg == "--group"; }

std::vector<server_address> servers_from(const std::string& where, const std::string& text) {
  auto servers = parse_servers(text);
  if (!servers)
    throw cli::usage_error{where + ": " + servers.error().detail};
  return *servers;
}

command_line parse_arguments(int argc, char** argv) {
  command_line cl;
  if (const char* env = std::getenv("CHRONOS_SERVERS"); env && *env)
    cl.global.servers = servers_from("CHRONOS_SERVERS", env);
  cli::args args{argc, argv};
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--help" || arg == "-h") {
      cl.help = true;
      return cl;
    } else if (arg == "--host") {
      cl.global.host = args.value(arg);
      cl.global.host_or_port_given = true;
    } else if (arg == "--port") {
      cl.global.port = cli::parse_port(args.value(arg));
      cl.global.host_or_port_given = true;
    } else if (arg == "--servers") {
      cl.global.servers = servers_from(arg, args.value(arg));
    } else if (arg == "--timeout") {
      cl.global.timeout = cli::parse_duration_option(arg, args.value(arg), cli::zero_duration::refused);
    } else if (arg == "--tls-cert") {
      cl.global.tls.certificate = args.value(arg);
    } else if (arg == "--tls-key") {
      cl.global.tls.key = args.value(arg);
    } else if (arg == "--tls-ca") {
      cl.global.tls.ca = args.value(arg);
    } else if (arg.rfind("--", 0) == 0) {
      if (cl.options.count(arg))
        throw cli::usage_error{"option " + arg + " given twice"};
      cl.options[arg] = is_flag(arg) ? "" : args.value(arg);
    } else if (cl.command.empty()) {
      cl.command = arg;
    } else {
      cl.positional.push_back(arg);
    }
  }
  // --host/--port name one chronosd: they win over CHRONOS_SERVERS, and
  // cannot stand beside --servers.
  if (cl.global.host_or_port_given) {
    for (int i = 1; i < argc; ++i)
      if (std::string{argv[i]} == "--servers")
        throw cli::usage_error{"give --servers, or --host and --port, not both"};
    cl.global.servers.clear();
  }
  return cl;
}

// -- argument checks ------------------------------------------------------------------

std::optional<std::string> option(const command_line& cl, const std::string& name) {
  auto it = cl.options.find(name);
  return it == cl.options.end() ? std::nullopt : std::optional<std::string>{it->second};
}

std::string name_argument(const command_line& cl) {
  if (cl.positional.at(0).empty())
    throw cli::usage_error{"empty name"};
  return cl.positional.at(0);
}

when_spec when_from(const command_line& cl) {
  auto in = option(cl, "--in");
  auto at = option(cl, "--at");
  if (in.has_value() == at.has_value())
    throw cli::usage_error{"give exactly one of --in DURATION and --at TIME"};
  if (in) {
    return when_spec::in(cli::parse_duration_option("--in", *in, cli::zero_duration::allowed).count());
  }
  auto t = parse_time(*at);
  if (!t)
    throw cli::usage_error{t.error().detail};
  return when_spec::at(to_epoch_ms(*t));
}

// -- talking to chronosd ----------------------------------------------------------------

// chronosd as the commands reach it: connected on the first request.
struct session {
  caf::actor_system& sys;
  global_options opts;
  std::optional<chronos_api> srv;

  std::string where() const {
    if (opts.servers.empty())
      return opts.host + ":" + std::to_string(opts.port);
    std::string out;
    for (const auto& s : opts.servers)
      out += (out.empty() ? "" : ",") + to_string(s);
    return out;
  }

  chronos_api server() {
    if (!srv) {
      auto connected = opts.servers.empty() ? connect(sys, opts.host, opts.port, opts.timeout)
                                            : connect_leader(sys, opts.servers, opts.timeout);
      if (!connected)
        throw request_failed{describe(connected.error()), 3};
      srv = *connected;
    }
    return *srv;
  }

  template <class T, class... Ts>
  T call(Ts&&... xs) {
    auto to = server();
    caf::scoped_actor self{sys};
    std::optional<T> out;
    caf::error err;
    self->request(to, opts.timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { out = std::move(x); }, [&](caf::error& e) { err = std::move(e); });
    if (out)
      return std::move(*out);
    if (code_of(err) && code_of(err) != errc::unavailable)
      throw request_failed{describe(err), 1};
    throw request_failed{"chronosd at " + where() + " did not answer: " + describe(err), 3};
  }
};

json to_json(const timeout_info& t) {
  json out{{"token", t.token},     {"name", t.name},
           {"deadline_ms", t.deadline_ms}, {"payload", t.payload},
           {"interval_ms", t.interval_ms}, {"parked", t.parked},
           {"misfire", to_string(t.misfire)}};
  if (!t.cron.empty()) {
    out["cron"] = t.cron;
    out["tz"] = t.tz;
  }
  if (t.jitter_ms > 0) {
    out["jitter_ms"] = t.jitter_ms;
    out["delay_ms"] = t.delay_ms;
  }
  if (t.interval_ms > 0 || !t.cron.empty()) {
    out["next_ms"] = t.deadline_ms + t.delay_ms;
    out["prev_ms"] = t.prev_ms;
  }
  return out;
}

json to_json(const stats_info& s) {
  return json{{"pending", s.pending},
              {"parked", s.parked},
              {"names", s.names},
              {"scheduled", s.scheduled},
              {"fired", s.fired},
              {"delivered", s.delivered},
              {"cancelled", s.cancelled},
              {"skipped", s.skipped},
              {"unacked", s.unacked},
              {"redelivered", s.redelivered},
              {"lateness_count", s.lateness_count},
              {"lateness_mean_us", s.lateness_mean_us},
              {"lateness_max_us", s.lateness_max_us},
              {"lateness_sum_us", s.lateness_sum_us},
              {"journal_bytes", s.journal_bytes},
              {"snapshot_bytes", s.snapshot_bytes},
              {"compactions", s.compactions},
              {"last_compaction_ms", s.last_compaction_ms},
              {"client_nodes", s.client_nodes},
              {"writable", s.writable},
              {"manual_clock", s.manual_clock},
              {"clock_ms", s.clock_ms},
              {"role", s.role},
              {"epoch", s.epoch},
              {"lease_expires_ms", s.lease_expires_ms},
              {"leader", s.leader}};
}

// -- commands -----------------------------------------------------------------------------

// The usage line of a command (from the table below).
std::string usage_of(const std::string& command);

int run_schedule(session& s, const command_line& cl) {
  const auto cron = option(cl, "--cron");
  const auto tz = option(cl, "--tz");
  if (cron && option(cl, "--every"))
    throw cli::usage_error{"give --every or --cron, not both"};
  if (tz && !cron)
    throw cli::usage_error{"--tz needs --cron"};
  // A calendar schedule starts now unless told otherwise.
  const bool start_given = option(cl, "--in") || option(cl, "--at");
  const auto when = cron && !start_given ? when_spec::in(0) : when_from(cl);
  schedule_request req{name_argument(cl), when, option(cl, "--payload").value_or(""), 0};
  if (auto every = option(cl, "--every")) {
    req.interval_ms = cli::parse_duration_option("--every", *every, cli::zero_duration::refused).count();
  }
  req.cron = cron.value_or("");
  req.tz = tz.value_or("");
  if (auto jitter = option(cl, "--jitter"))
    req.jitter_ms =
      cli::parse_duration_option("--jitter", *jitter, cli::zero_duration::allowed).count();
  if (auto policy = option(cl, "--misfire")) {
    auto p = parse_misfire(*policy);
    if (!p)
      throw cli::usage_error{"unknown misfire policy '" + *policy + "' (once, all or skip)"};
    if (req.interval_ms == 0 && !cron)
      throw cli::usage_error{"--misfire needs --every or --cron"};
    req.misfire = *p;
  }
  req.key = option(cl, "--key").value_or("");
  std::cout << s.call<std::string>(schedule_atom::value, req) << std::endl;
  return 0;
}

int run_cancel(session& s, const command_line& cl) {
  if (auto selector = option(cl, "--name")) {
    if (!cl.positional.empty())
      throw cli::usage_error{usage_of("cancel")};
    if (selector->empty())
      throw cli::usage_error{"empty name"};
    std::cout << s.call<std::uint64_t>(cancel_atom::value, name_selector{*selector}) << std::endl;
    return 0;
  }
  if (cl.positional.empty())
    throw cli::usage_error{usage_of("cancel")};
  if (cl.positional.size() == 1)
    s.call<caf::ok_atom>(cancel_atom::value, cl.positional[0]);
  else
    s.call<caf::ok_atom>(cancel_atom::value, cl.positional);
  return 0;
}

int run_reschedule(session& s, const command_line& cl) {
  s.call<caf::ok_atom>(reschedule_atom::value, cl.positional[0], when_from(cl));
  return 0;
}

// The optional SELECTOR of list, count and namespaces; none means everything.
std::string selector_argument(const command_line& cl) {
  return cl.positional.empty() ? std::string{} : name_argument(cl);
}

int run_list(session& s, const command_line& cl) {
  auto rows = s.call<timeout_list>(list_atom::value, selector_argument(cl));
  if (option(cl, "--json")) {
    json out = json::array();
    for (const auto& t : rows)
      out.push_back(to_json(t));
    std::cout << out.dump() << std::endl;
    return 0;
  }
  for (const auto& t : rows) {
    std::cout << t.token << "  " << format_time(from_epoch_ms(t.deadline_ms)) << "  " << t.name;
    if (t.interval_ms > 0)
      std::cout << "  every " << format_duration(millis{t.interval_ms});
    if (!t.cron.empty())
      std::cout << "  cron \"" << t.cron << "\" " << t.tz;
    if (t.jitter_ms > 0)
      std::cout << "  jitter " << format_duration(millis{t.jitter_ms}) << " (this one +"
                << format_duration(millis{t.delay_ms}) << ")";
    if (t.misfire != misfire_policy::once)
      std::cout << "  misfire " << to_string(t.misfire);
    if (t.parked)
      std::cout << "  (parked)";
    if (!t.payload.empty())
      std::cout << "  " << t.payload;
    std::cout << '\n';
  }
  std::cout.flush();
  return 0;
}

int run_count(session& s, const command_line& cl) {
  auto n = s.call<timeout_count>(count_atom::value, name_selector{selector_argument(cl)});
  if (option(cl, "--json"))
    std::cout << json{{"pending", n.pending}, {"parked", n.parked}, {"total", n.pending + n.parked}}
                   .dump()
              << std::endl;
  else
    std::cout << n.pending + n.parked << std::endl;
  return 0;
}

int run_namespaces(session& s, const command_line& cl) {
  auto rows = s.call<std::vector<namespace_info>>(stats_atom::value,
                                                  name_selector{selector_argument(cl)});
  if (option(cl, "--json")) {
    json out = json::array();
    for (const auto& r : rows)
      out.push_back(json{{"namespace", r.name},
                         {"names", r.names},
                         {"registered", r.registered},
                         {"pending", r.pending},
                         {"parked", r.parked}});
    std::cout << out.dump() << std::endl;
    return 0;
  }
  const auto shown = [](const namespace_info& r) { return r.name.empty() ? "(root)" : r.name; };
  std::size_t width = std::string{"namespace"}.size();
  for (const auto& r : rows)
    width = std::max(width, shown(r).size());
  const auto line = [&](const std::string& ns, const auto&... gauges) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << ns << std::right;
    ((std::cout << std::setw(12) << gauges), ...);
    std::cout << '\n';
  };
  line("namespace", "names", "registered", "pending", "parked");
  for (const auto& r : rows)
    line(shown(r), r.names, r.registered, r.pending, r.parked);
  std::cout.flush();
  return 0;
}

// Unhealthy (1) covers unreachable and refusing alike: a health check has two answers.
int run_health(session& s, const command_line&) {
  const auto where = s.where();
  try {
    s.server();
  } catch (const request_failed&) {
    std::cout << "unhealthy: cannot reach chronosd at " << where << std::endl;
    return 1;
  }
  try {
    auto st = s.call<stats_info>(stats_atom::value);
    if (!st.writable) {
      std::cout << "unhealthy: chronosd at " << where
                << " cannot write its journal (changes are refused)" << std::endl;
      return 1;
    }
    if (st.role == "standby") {
      std::cout << "healthy: chronosd at " << where << " stands by (epoch " << st.epoch
                << (st.leader.empty() ? ", no leader known" : ", leader at " + st.leader) << ")"
                << std::endl;
      return 0;
    }
    std::cout << "healthy: chronosd at " << where << ", " << st.pending << " pending, "
              << st.parked << " parked";
    if (st.role == "leader")
      std::cout << ", leader (epoch " << st.epoch << ", lease until "
                << format_time(from_epoch_ms(st.lease_expires_ms)) << ")";
    if (st.manual_clock)
      std::cout << ", manual clock at " << format_time(from_epoch_ms(st.clock_ms));
    std::cout << std::endl;
    return 0;
  } catch (const request_failed& e) {
    std::cout << "unhealthy: " << e.message << std::endl;
    return 1;
  }
}

int run_stats(session& s, const command_line& cl) {
  auto st = s.call<stats_info>(stats_atom::value);
  if (option(cl, "--json")) {
    std::cout << to_json(st).dump() << std::endl;
    return 0;
  }
  const json fields = to_json(st);
  for (const auto& [key, value] : fields.items())
    std::cout << key << ": " << value.dump() << '\n';
  std::cout.flush();
  return 0;
}

// Shows or moves chronosd's clock (a manual one, chronosd --clock manual).
int run_clock(session& s, const command_line& cl) {
  const std::string what = cl.positional.empty() ? "show" : cl.positional[0];
  const auto argument = [&]() -> const std::string& {
    if (cl.positional.size() != 2)
      throw cli::usage_error{usage_of("clock")};
    return cl.positional[1];
  };
  clock_info shown;
  if (what == "show") {
    if (cl.positional.size() > 1)
      throw cli::usage_error{usage_of("clock")};
    shown = s.call<clock_info>(clock_atom::value);
  } else if (what == "advance") {
    const auto by = cli::parse_duration_option("advance", argument(), cli::zero_duration::allowed);
    shown = s.call<clock_info>(clock_atom::value, advance_atom::value, by.count());
  } else if (what == "set") {
    auto t = parse_time(argument());
    if (!t)
      throw cli::usage_error{t.error().detail};
    shown = s.call<clock_info>(clock_atom::value, set_atom::value, to_epoch_ms(*t));
  } else if (what == "auto") {
    const auto& on = argument();
    if (on != "on" && on != "off")
      throw cli::usage_error{"clock auto needs on or off, not '" + on + "'"};
    shown = s.call<clock_info>(clock_atom::value, auto_skip_atom::value, on == "on");
  } else {
    throw cli::usage_error{usage_of("clock")};
  }
  if (option(cl, "--json")) {
    std::cout << json{{"manual", shown.manual}, {"now_ms", shown.now_ms},
                      {"auto_skip", shown.auto_skip}}.dump()
              << std::endl;
    return 0;
  }
  std::cout << (shown.manual ? "manual" : "system") << " clock at "
            << format_time(from_epoch_ms(shown.now_ms));
  if (shown.manual)
    std::cout << ", auto-skip " << (shown.auto_skip ? "on" : "off");
  std::cout << std::endl;
  return 0;
}

// Prints each delivered timeout; quits after `count` of them (0: never). With
// an `acks` handle, acknowledges each after printing, and counts it once the
// acknowledgement is answered, so that the last one is not lost on exit.
caf::behavior printer(caf::event_based_actor* self, bool as_json, std::uint64_t count,
                      caf::actor acks) {
  auto left = std::make_shared<std::uint64_t>(count);
  auto one_done = [=] {
    if (*left > 0 && --*left == 0)
      self->quit();
  };
  return {[=](const chronos_timeout& t) {
    if (as_json) {
      json line{{"token", t.token},
                {"payload", t.payload},
                {"name", t.name},
                {"deadline_ms", t.deadline_ms},
                {"delivered_ms", to_epoch_ms(floor_ms(std::chrono::system_clock::now()))}};
      std::cout << line.dump() << std::endl;
    } else {
      std::cout << t.token << (t.payload.empty() ? "" : " " + t.payload) << std::endl;
    }
    if (!acks) {
      one_done();
      return;
    }
    self->request(acks, std::chrono::seconds{10}, ack_atom::value, t.token, t.deadline_ms)
      .then([=](caf::ok_atom) { one_done(); },
            [=](const caf::error& e) {
              log_warning("cannot acknowledge " + t.token + ": " + describe(e));
              one_done();
            });
  }};
}

int run_watch(session& s, const command_line& cl) {
  std::uint64_t count = 0;
  if (auto text = option(cl, "--count")) {
    auto n = cli::parse_uint(*text, UINT64_MAX);
    if (!n || *n == 0)
      throw cli::usage_error{"--count needs a positive integer, not '" + *text + "'"};
    count = *n;
  }
  const auto name = name_argument(cl);
  const bool group = option(cl, "--group").has_value();
  std::int64_t ack_ms = 0;
  if (auto ack = option(cl, "--ack")) {
    ack_ms = cli::parse_duration_option("--ack", *ack, cli::zero_duration::refused).count();
    if (!group)
      throw cli::usage_error{"--ack needs --group"};
  }
  client_config ccfg;
  ccfg.host = s.opts.host;
  ccfg.port = s.opts.port;
  ccfg.servers = s.opts.servers;
  ccfg.request_timeout = s.opts.timeout;
  auto client = spawn_client(s.sys, ccfg);
  auto out = s.sys.spawn(printer, option(cl, "--json").has_value(), count,
                         ack_ms > 0 ? client : caf::actor{});
  // The actor system waits for every actor on exit: stop both on every path.
  struct stopper {
    std::vector<caf::actor> actors;
    ~stopper() {
      for (auto& a : actors)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
  } stop_on_exit{{out, client}};
  caf::scoped_actor self{s.sys};
  // The client connects by itself; wait until it has, within the timeout.
  auto deadline = std::chrono::steady_clock::now() + s.opts.timeout;
  bool connected = false;
  while (!connected && std::chrono::steady_clock::now() < deadline) {
    self->request(client, s.opts.timeout, status_atom::value)
      .receive([&](bool up) { connected = up; }, [](caf::error&) {});
    if (!connected)
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  if (!connected) {
    // A request through the client answers why it has no connection.
    std::string why = "cannot reach chronosd at " + s.where();
    self->request(client, s.opts.timeout, stats_atom::value)
      .receive([](stats_info&) {}, [&](caf::error& e) { why = describe(e); });
    throw request_failed{why, 3};
  }
  std::optional<caf::error> refused;
  auto bound = group ? self->request(client, s.opts.timeout, join_atom::value, name, out, ack_ms)
                     : self->request(client, s.opts.timeout, register_atom::value, name, out);
  std::move(bound).receive([](caf::ok_atom) {}, [&](caf::error& e) { refused = e; });
  if (refused)
    throw request_failed{describe(*refused), code_of(*refused) == errc::unavailable ? 3 : 1};
  self->wait_for(out);
  return 0;
}

// -- the commands -------------------------------------------------------------------
// One table: the overview, each command's --help, the checks of its
// arguments and its dispatch all come from it.

struct command {
  const char* name;
  /// The arguments after the name; a '\n' continues on an indented line.
  const char* synopsis;
  /// One line (or two, split by '\n') for the overview.
  const char* summary;
  /// The rest of `COMMAND --help`.
  const char* help;
  std::vector<const char*> options;
  std::size_t min_positional;
  std::size_t max_positional;
  int (*run)(session&, const command_line&);
};

const std::vector<command> commands{
  {"schedule", "NAME (--in DURATION | --at TIME) [--every DURATION [--misfire POLICY]]\n"
               "[--jitter DURATION] [--payload TEXT] [--key KEY]\n"
               "or NAME --cron EXPRESSION [--tz ZONE] [--in DURATION | --at TIME]\n"
               "[--misfire POLICY] [--jitter DURATION] [--payload TEXT] [--key KEY]",
   "schedule a timeout for NAME; prints its token",
   "Schedules a timeout for NAME and prints its token alone.\n--every makes it recurring "
   "with that period (first due at --in/--at).\n--cron makes it recur by the calendar: "
   "\"SEC MIN HOUR DAY MONTH WEEKDAY\" or a\nmacro (@hourly, @daily, @weekly, @monthly, "
   "@yearly), in the IANA zone --tz\n(UTC by default), from --in/--at on (now by default). "
   "A local time that the\nclocks skip fires at the end of the gap; one they repeat fires "
   "once.\n--jitter fires each occurrence a random delay below DURATION after its\n"
   "deadline (never before it), drawn when the occurrence is armed.\n"
   "--misfire says what it does about periods "
   "it missed (chronosd down, or NAME\naway): once (deliver one, the default), all (deliver "
   "each, at most 1,000),\nskip (deliver none, and only on time to a live watcher).\n"
   "--key makes it idempotent: a second schedule of NAME with the same KEY,\nwhile the "
   "first is pending or parked, prints the first one's token and\nschedules nothing "
   "(safe to repeat after a failure or a failover).\n",
   {"--in", "--at", "--every", "--cron", "--tz", "--jitter", "--misfire", "--payload", "--key"},
   1, 1,
   run_schedule},
  {"cancel", "(TOKEN... | --name SELECTOR)",
   "cancel timeouts by token (all or none), or every timeout\nof a name or namespace "
   "(prints how many)",
   "Cancels pending or parked timeouts: those of the tokens given (all or none: an\nunknown "
   "token cancels nothing), or every timeout of a name or of a namespace\n(\"billing/\"), "
   "printing how many.\n",
   {"--name"}, 0, SIZE_MAX, run_cancel},
  {"reschedule", "TOKEN (--in DURATION | --at TIME)", "move a timeout to a new deadline",
   "Moves a timeout to a new deadline.\n", {"--in", "--at"}, 1, 1, run_reschedule},
  {"list", "[SELECTOR] [--json]",
   "timeouts (all, or a name's or namespace's) in deadline order",
   "Prints the timeouts (all, a name's, or a namespace's such as \"billing/\") in\ndeadline "
   "order.\nWith --json: one array of {\"token\", \"name\", \"deadline_ms\", \"payload\", "
   "\"interval_ms\", \"parked\", \"misfire\"},\nand \"cron\" and \"tz\" for a calendar timeout,\n"
   "\"jitter_ms\" and \"delay_ms\" (this occurrence's) for one with a jitter, and\n"
   "\"next_ms\" (when it fires next) and \"prev_ms\" (the deadline of its last\n"
   "occurrence, 0 while none has) for a recurring one.\n",
   {"--json"}, 0, 1, run_list},
  {"count", "[SELECTOR] [--json]", "how many timeouts (all, or a name's or namespace's)",
   "Prints how many timeouts (pending and parked) there are: all, a name's,\nor a "
   "namespace's such as \"billing/\".\nWith --json: {\"pending\", \"parked\", \"total\"}.\n",
   {"--json"}, 0, 1, run_count},
  {"stats", "[--json]", "counters of the server", "Prints the server's counters.\n",
   {"--json"}, 0, 0, run_stats},
  {"namespaces", "[SELECTOR] [--json]", "per namespace: names, live names, pending, parked",
   "Prints, for each namespace (all, or those a selector covers), the names\nwith timeouts "
   "directly in it, how many of them a live actor holds, and its\npending and parked "
   "timeouts. The root namespace shows as \"(root)\".\nWith --json: one array of "
   "{\"namespace\", \"names\", \"registered\", \"pending\", \"parked\"}.\n",
   {"--json"}, 0, 1, run_namespaces},
  {"health", "", "exit 0 if chronosd answers and can write its journal, else 1",
   "Checks that chronosd answers within --timeout and can write its journal.\nPrints one "
   "line; exit status 0 if healthy, 1 if not (for service\nmanagers and load balancers).\n",
   {}, 0, 0, run_health},
  {"watch", "NAME [--count N] [--json] [--group [--ack DURATION]]",
   "register as NAME (or join the group NAME) and print each\ntimeout as it arrives",
   "Registers as NAME and prints each timeout as it arrives (parked ones first):\nthe token, "
   "then the payload if any. --count N exits after N timeouts.\nWith --json: one {\"token\", "
   "\"payload\", \"deadline_ms\", \"delivered_ms\", \"name\"} a line.\n--group joins NAME "
   "as one member of a group instead: the members take turns.\n--ack makes the group expect "
   "each delivery acknowledged within DURATION (this\nwatcher acknowledges after printing); "
   "one that is not goes to another member.\nSurvives chronosd restarts (reconnects and "
   "registers again).\n",
   {"--count", "--json", "--group", "--ack"}, 1, 1, run_watch},
  {"clock", "[show | advance DURATION | set TIME | auto on|off] [--json]",
   "show chronosd's clock; move a manual one (chronosd --clock\nmanual)",
   "Shows chronosd's clock (the default). A chronosd started with --clock manual\nruns on "
   "a clock that only this command moves: advance DURATION and set TIME\nmove it forward "
   "and answer once everything that came due meanwhile was\ndelivered, oldest first, each "
   "at its own instant (a recurring timeout\nadvanced by ten periods fires ten times); auto "
   "on makes it jump to the next\ndeadline whenever chronosd has had no request for a "
   "moment (for tests that\nwait for timeouts). It never goes back.\nWith --json: "
   "{\"manual\", \"now_ms\", \"auto_skip\"}.\n",
   {"--json"}, 0, 2, run_clock},
};

const command* find_command(const std::string& name) {
  for (const auto& c : commands)
    if (name == c.name)
      return &c;
  return nullptr;
}

// `text` with every line after the first indented by `indent` spaces.
std::string indented(std::string_view text, std::size_t indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n')
      out.append(indent, ' ');
  }
  return out;
}

std::string usage_line(const command& c) {
  std::string line = std::string{"usage: chronosctl "} + c.name;
  if (*c.synopsis)
    line += std::string{" "} + indented(c.synopsis, 18 + std::string_view{c.name}.size() + 1);
  return line;
}

std::string usage_of(const std::string& command) { return usage_line(*find_command(command)); }

std::string overview() {
  constexpr std::size_t column = 26;
  std::string out = "usage: chronosctl [--host H] [--port N | --servers H:P,H:P,...]\n"
                    "                  [--timeout DURATION]\n"
                    "                  [--tls-cert PATH --tls-key PATH --tls-ca PATH] COMMAND ...\n"
                    "\ncommands:\n";
  for (const auto& c : commands) {
    std::string head = std::string{"  "} + c.name;
    if (*c.synopsis)
      head += std::string{" "} + indented(c.synopsis, 10);
    const bool fits = head.find('\n') == std::string::npos && head.size() + 2 <= column;
    out += head;
    out += fits ? std::string(column - head.size(), ' ') : "\n" + std::string(column, ' ');
    out += indented(c.summary, column) + "\n";
  }
  const global_options defaults;
  out += "\nDURATION: a number and a unit, ms s m h d (\"250ms\", \"1.5s\", \"2h\").\n"
         "TIME: RFC 3339 (\"2026-11-21T23:00:00.250Z\", offsets allowed) or epoch milliseconds.\n"
         "SELECTOR: a name (\"billing/invoice-42\"), or a namespace with a trailing slash\n"
         "(\"billing/\": every name under it). Names are grouped into namespaces by '/'.\n"
         "Defaults: --host " + defaults.host + " --port " + std::to_string(defaults.port)
         + " --timeout " + format_duration(defaults.timeout) + ".\n"
         "--servers (or the environment variable CHRONOS_SERVERS): several chronosd on one\n"
         "shared store (chronosd --store); the one that leads is used, and watch follows\n"
         "the leader across a failover. --host and --port win over CHRONOS_SERVERS.\n"
         "TLS (a chronosd started with --tls-*): this client's certificate and key (PEM),\n"
         "and the CA that must have signed chronosd's certificate.\n"
         "Exit status: 0 ok, 1 refused by chronosd, 2 usage error, 3 chronosd unreachable\n"
         "(health: 0 healthy, 1 not, 2 usage error).\n"
         "Run \"chronosctl COMMAND --help\" for one command.\n";
  return out;
}

// The command line, checked against the command's row: --help prints and
// exits; a wrong option or argument count is a usage error.
struct parsed {
  command_line cl;
  const command* cmd;
};

parsed parse(int argc, char** argv) {
  auto cl = parse_arguments(argc, argv);
  const command* cmd = find_command(cl.command);
  if (cl.help) {
    std::cout << (cmd ? usage_line(*cmd) + "\n\n" + cmd->help : overview());
    std::exit(0);
  }
  if (cl.command.empty())
    throw cli::usage_error{"no command given (see --help)"};
  if (!cmd)
    throw cli::usage_error{"unknown command '" + cl.command + "' (see --help)"};
  for (const auto& [opt, value] : cl.options) {
    bool known = false;
    for (auto allowed : cmd->options)
      known = known || opt == allowed;
    if (!known)
      throw cli::usage_error{"unknown option " + opt + " for " + cl.command};
  }
  if (cl.positional.size() < cmd->min_positional || cl.positional.size() > cmd->max_positional)
    throw cli::usage_error{usage_line(*cmd)};
  return {std::move(cl), cmd};
}

// SIGINT/SIGTERM end a watch cleanly; other commands are short.
void exit_on_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    std::cout.flush();
    std::_Exit(0);
  }).detach();
}

} // namespace

int main(int argc, char** argv) {
  exit_on_signals();
  set_log_level(log_level::warning); // the client's connect notices are noise here
  const auto [cl, cmd] = cli::parse_or_exit("chronosctl", parse, argc, argv);
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  if (cl.global.tls.requested())
    if (auto bad = use_tls(cfg, cl.global.tls)) {
      std::cerr << "chronosctl: " << bad->detail << "\n";
      return 2;
    }
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  session s{sys, cl.global, std::nullopt};
  try {
    return cmd->run(s, cl);
  } catch (const cli::usage_error& e) {
    std::cerr << "chronosctl: " << e.message << "\n";
    return 2;
  } catch (const request_failed& e) {
    std::cerr << "chronosctl: " << e.message << "\n";
    return e.status;
  }
}
