// chronos-sessions: a session store on libchronos's expiring key/value data
// and in-process timers. Sessions expire on time (each logs "expired ID USER"
// as it goes, without scanning the store); with --file they survive a crash
// or restart, and a session that expired meanwhile is never served again.
//
//   chronos-sessions [--file PATH] [--ttl DURATION]
//
// It reads commands from standard input, one a line, and answers each with
// one line on standard output:
//
//   login USER     a new session for USER, valid for the TTL    -> its id
//   whoami ID      the session's user                           -> USER, or "none"
//   touch ID       the session is valid for the TTL from now    -> "ok", or "none"
//   logout ID      ends the session                             -> "ok", or "none"
//   count          sessions held                                -> a number
//   quit           exits (so does the end of the input)
//
// A bad command answers "error: ..." and changes nothing.

#include <iostream>
#include <optional>
#include <sstream>

#include <caf/all.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/base/log.hpp"
#include "chronos/client/local_timers.hpp"
#include "chronos/store/expiring_store.hpp"
#include "../cli.hpp"

using namespace chronos;
using std::chrono::system_clock;

namespace {

constexpr const char* usage = R"(usage: chronos-sessions [--file PATH] [--ttl DURATION]

Reads commands from standard input and answers each on one line:
  login USER   -> a new session id     whoami ID -> USER or "none"
  touch ID     -> "ok" or "none"       logout ID -> "ok" or "none"
  count        -> sessions held        quit
Expired sessions are reported as "expired ID USER" when they expire.
--file keeps the sessions across restarts; --ttl defaults to 30m.
)";

struct options {
  std::string file;
  millis ttl{30 * 60 * 1000};
};

struct store_state {
  expiring_store store;
  local_timers timers;
  timer_handle wakeup;
  std::optional<timestamp> armed_for; // the expiry `wakeup` is for
  millis ttl{0};
  token_generator ids;
};

using store_actor = caf::stateful_actor<store_state>;

timestamp now() { return floor_ms(system_clock::now()); }

void say(const std::string& line) { std::cout << line << std::endl; }

// One timer, always for the soonest expiry: expiring is driven by the heap's
// head, never by a sweep. Armed again only when that expiry changed, not after
// every command.
void rearm(store_actor* self) {
  auto& st = self->state;
  auto next = st.store.next_expiry();
  if (next == st.armed_for)
    return;
  st.timers.cancel(st.wakeup);
  st.armed_for = next;
  if (!next)
    return;
  st.wakeup = st.timers.after(*next - system_clock::now(), [self] {
    self->state.armed_for.reset(); // this one-shot has run
    auto gone = self->state.store.expire(now());
    if (!gone)
      log_error("cannot expire sessions: " + gone.error().detail);
    else
      for (const auto& e : *gone)
        say("expired " + e.key + " " + e.value);
    rearm(self);
  });
}

std::string answer(store_actor* self, const std::string& line) {
  auto& st = self->state;
  std::istringstream in{line};
  std::string command, arg, extra;
  in >> command >> arg >> extra;
  const bool one_arg = !arg.empty() && extra.empty();
  if (command == "count" && arg.empty())
    return std::to_string(st.store.size());
  if (!one_arg)
    return "error: '" + command + "' " + (command.empty() ? "is empty" : "needs one argument")
           + " (login USER, whoami ID, touch ID, logout ID, count, quit)";
  if (command == "login") {
    const auto id = st.ids.next(now()).str();
    if (auto ok = st.store.set(id, arg, st.ttl, now()); !ok)
      return "error: " + ok.error().detail;
    return id;
  }
  if (command == "whoami")
    return st.store.get(arg, now()).value_or("none");
  auto changed = command == "touch"    ? st.store.touch(arg, st.ttl, now())
                 : command == "logout" ? st.store.erase(arg)
                                       : outcome<bool>{fail(errc::invalid_argument,
                                                            "unknown command '" + command + "'")};
  if (!changed)
    return "error: " + changed.error().detail;
  return *changed ? "ok" : "none";
}

caf::behavior session_store(store_actor* self, expiring_store store, millis ttl) {
  auto& st = self->state;
  st.store = std::move(store);
  st.ttl = ttl;
  st.timers.attach(self);
  rearm(self);
  return st.timers.handler().or_else(caf::behavior{
    [=](const std::string& line) {
      if (line == "quit") {
        self->quit();
        return;
      }
      say(answer(self, line));
      rearm(self);
    },
  });
}

options parse(int argc, char** argv) {
  options opts;
  cli::args args{argc, argv};
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--file") {
      opts.file = args.value(arg);
    } else if (arg == "--ttl") {
      opts.ttl = cli::parse_duration_option(arg, args.value(arg), cli::zero_duration::refused);
    } else {
      throw cli::usage_error{"unknown argument '" + arg + "' (see --help)"};
    }
  }
  return opts;
}

} // namespace

int main(int argc, char** argv) {
  const auto opts = cli::parse_or_exit("chronos-sessions", parse, argc, argv);
  auto store = opts.file.empty() ? outcome<expiring_store>{expiring_store{}}
                                 : expiring_store::open(opts.file, now());
  if (!store) {
    std::cerr << "chronos-sessions: " << store.error().detail << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto actor = sys.spawn(session_store, std::move(*store), opts.ttl);
  // Lines go to the actor in order; "quit" (sent at the end of the input too)
  // comes after every command before it, unlike an exit message, which jumps
  // the queue.
  std::string line;
  while (std::getline(std::cin, line) && line != "quit")
    caf::anon_send(actor, line);
  caf::anon_send(actor, std::string{"quit"});
  caf::scoped_actor{sys}->wait_for(actor);
  return 0;
}
