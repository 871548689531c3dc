// chronos-workflow: a restart-safe order workflow. Each order goes through
// --steps steps; each step ends when its timeout, held by chronosd, comes due.
// Kill this program, chronosd, or both at any moment and start them again: the
// workflow finishes, and every step's timeout is honoured exactly once from the
// workflow's point of view (its state file logs each step once, never before
// its deadline).
//
//   chronos-workflow --state PATH [--host H] [--port N] [--orders N] [--steps K]
//                    [--step DURATION]
//
// How. The workflow's own state (which step each order is in, since when) is a
// JSON file replaced atomically at every step. chronos delivers at least once
// (a timeout may come again after a crash), so a delivery counts only when it
// is for the step its order is in; anything else is a duplicate and ignored.
// A step's timeout is scheduled at an absolute time (step start + duration), so
// scheduling it twice is harmless, and a reconciler makes sure that every
// unfinished order has one: it runs at start and every second, lists what
// chronos holds for "workflow", and schedules what is missing (after a crash
// between writing a step and scheduling the next, or while chronosd was down).
// Output: one line per event ("order-2 step 1 done", "order-2 finished",
// "duplicate ...", "all orders finished").

#include <iostream>
#include <map>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "chronos/base/duration.hpp"
#include "chronos/base/log.hpp"
#include "chronos/client/client.hpp"
#include "chronos/client/local_timers.hpp"
#include "chronos/store/atomic_file.hpp"
#include "../cli.hpp"

using namespace chronos;
using json = nlohmann::json;
using std::chrono::system_clock;

namespace {

constexpr const char* client_name = "workflow";
constexpr std::chrono::seconds request_timeout{5};

struct options {
  client_config client;
  std::string state;
  int orders = 5;
  int steps = 3;
  millis step{1000};
};

/// One honoured step timeout: which step, when it was due, when it was taken.
struct step_record {
  int step = 0;
  std::int64_t due_ms = 0;
  std::int64_t at_ms = 0;
};

struct order {
  int step = 0; // the step it is in; == steps when finished
  std::int64_t started_ms = 0;
  std::vector<step_record> log;
};

std::int64_t now_ms() { return to_epoch_ms(floor_ms(system_clock::now())); }

// -- the workflow's own state file ---------------------------------------------------

json to_json(const std::map<std::string, order>& orders) {
  json out = json::object();
  for (const auto& [id, o] : orders) {
    json log = json::array();
    for (const auto& r : o.log)
      log.push_back({{"step", r.step}, {"due_ms", r.due_ms}, {"at_ms", r.at_ms}});
    out[id] = {{"step", o.step}, {"started_ms", o.started_ms}, {"log", log}};
  }
  return json{{"orders", out}};
}

outcome<std::map<std::string, order>> from_json(const std::string& text, const std::string& path) {
  try {
    std::map<std::string, order> orders;
    const auto doc = json::parse(text); // named: items() must not outlive it
    for (const auto& [id, o] : doc.at("orders").items()) {
      order x{o.at("step").get<int>(), o.at("started_ms").get<std::int64_t>(), {}};
      for (const auto& r : o.at("log"))
        x.log.push_back({r.at("step").get<int>(), r.at("due_ms").get<std::int64_t>(),
                         r.at("at_ms").get<std::int64_t>()});
      orders.emplace(id, std::move(x));
    }
    return orders;
  } catch (const json::exception& e) {
    return fail(errc::storage_failure, "workflow state '" + path + "': " + e.what());
  }
}

// The orders of `path`, or new ones when the file does not exist yet.
outcome<std::map<std::string, order>> load_orders(const options& opts) {
  auto text = read_file_if_exists(opts.state);
  if (!text)
    return text.error();
  if (*text)
    return from_json(**text, opts.state);
  std::map<std::string, order> orders;
  for (int i = 1; i <= opts.orders; ++i)
    orders["order-" + std::to_string(i)] = order{0, now_ms(), {}};
  if (auto ok = write_atomically(opts.state, to_json(orders).dump()); !ok)
    return ok.error();
  return orders;
}

// -- the actor -----------------------------------------------------------------------

struct workflow_state {
  options opts;
  std::map<std::string, order> orders;
  caf::actor chronos;
  local_timers timers;
  bool finishing = false;
};

using workflow_actor = caf::stateful_actor<workflow_state>;

std::string payload_of(const std::string& id, int step) { return id + " " + std::to_string(step); }

void schedule_step(workflow_actor* self, const std::string& id, const order& o) {
  auto& st = self->state;
  schedule_request req{client_name, when_spec::at(o.started_ms + st.opts.step.count()),
                       payload_of(id, o.step), 0};
  // A failure (chronosd away) is left to the reconciler's next round.
  self->request(st.chronos, request_timeout, schedule_atom::value, std::move(req))
    .then([](const std::string&) {}, [](const caf::error&) {});
}

// Every unfinished order must have its step's timeout in chronos.
void reconcile(workflow_actor* self) {
  auto& st = self->state;
  self->request(st.chronos, request_timeout, list_atom::value, std::string{client_name})
    .then(
      [self](const timeout_list& held) {
        for (const auto& [id, o] : self->state.orders) {
          if (o.step >= self->state.opts.steps)
            continue;
          const auto wanted = payload_of(id, o.step);
          const bool there = std::any_of(held.begin(), held.end(),
                                         [&](const timeout_info& t) { return t.payload == wanted; });
          if (!there)
            schedule_step(self, id, o);
        }
      },
      [](const caf::error&) {});
}

bool all_finished(const workflow_state& st) {
  return std::all_of(st.orders.begin(), st.orders.end(),
                     [&](const auto& x) { return x.second.step >= st.opts.steps; });
}

void finish(workflow_actor* self) {
  std::cout << "all orders finished" << std::endl;
  self->state.finishing = true;
  // Leftover duplicates (a step scheduled twice) go; then the program ends.
  self->request(self->state.chronos, request_timeout, cancel_atom::value,
                name_selector{client_name})
    .then([self](std::uint64_t) { self->quit(); }, [self](const caf::error&) { self->quit(); });
}

// A step's timeout came due: it counts if it is for the step its order is in.
void on_timeout(workflow_actor* self, const chronos_timeout& t) {
  auto& st = self->state;
  const auto space = t.payload.rfind(' ');
  const auto id = t.payload.substr(0, space);
  const int step = space == std::string::npos ? -1 : std::atoi(t.payload.c_str() + space + 1);
  auto it = st.orders.find(id);
  if (it == st.orders.end() || it->second.step != step) {
    std::cout << "duplicate " << t.payload << " ignored" << std::endl;
    return;
  }
  const order before = it->second;
  auto& o = it->second;
  o.log.push_back({step, t.deadline_ms, now_ms()});
  o.step += 1;
  o.started_ms = now_ms();
  // The step is taken once it is on disk; if that fails, it is not taken, and
  // the reconciler schedules the timeout again.
  if (auto ok = write_atomically(st.opts.state, to_json(st.orders).dump()); !ok) {
    log_error("cannot save the workflow: " + ok.error().detail);
    o = before;
    return;
  }
  std::cout << id << " step " << step << " done" << std::endl;
  if (o.step < st.opts.steps) {
    schedule_step(self, id, o);
    return;
  }
  std::cout << id << " finished" << std::endl;
  if (all_finished(st) && !st.finishing)
    finish(self);
}

caf::behavior workflow(workflow_actor* self, options opts, std::map<std::string, order> orders,
                       caf::actor chronos) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.orders = std::move(orders);
  st.chronos = std::move(chronos);
  // The client remembers the name and registers it again after every reconnect.
  self->request(st.chronos, request_timeout, register_atom::value, std::string{client_name},
                caf::actor{self})
    .then([](caf::ok_atom) {},
          [](const caf::error& e) { log_error("cannot register: " + describe(e)); });
  st.timers.attach(self).every(std::chrono::milliseconds{0}, std::chrono::seconds{1},
                               [self] { reconcile(self); });
  if (all_finished(st)) // finished before a restart
    finish(self);
  return st.timers.handler().or_else(caf::behavior{
    [self](const chronos_timeout& t) { on_timeout(self, t); },
  });
}

options parse(int argc, char** argv) {
  options opts;
  cli::args args{argc, argv};
  const auto count = [&](const std::string& arg) {
    auto n = cli::parse_uint(args.value(arg), 10'000);
    if (!n || *n == 0)
      throw cli::usage_error{arg + " needs an integer from 1 to 10000"};
    return static_cast<int>(*n);
  };
  while (!args.done()) {
    auto arg = args.next();
    if (arg == "--host") {
      opts.client.host = args.value(arg);
    } else if (arg == "--port") {
      opts.client.port = cli::parse_port(args.value(arg));
    } else if (arg == "--state") {
      opts.state = args.value(arg);
    } else if (arg == "--orders") {
      opts.orders = count(arg);
    } else if (arg == "--steps") {
      opts.steps = count(arg);
    } else if (arg == "--step") {
      opts.step = cli::parse_duration_option(arg, args.value(arg), cli::zero_duration::allowed);
    } else {
      throw cli::usage_error{"unknown argument '" + arg + "'"};
    }
  }
  if (opts.state.empty())
    throw cli::usage_error{"--state PATH is required"};
  return opts;
}

} // namespace

int main(int argc, char** argv) {
  const auto opts = cli::parse_or_exit("chronos-workflow", parse, argc, argv);
  auto orders = load_orders(opts);
  if (!orders) {
    std::cerr << "chronos-workflow: " << orders.error().detail << "\n";
    return 1;
  }
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto chronos = spawn_client(sys, opts.client);
  auto flow = sys.spawn(workflow, opts, std::move(*orders), chronos);
  caf::scoped_actor{sys}->wait_for(flow);
  caf::anon_send_exit(chronos, caf::exit_reason::user_shutdown);
  return 0;
}
