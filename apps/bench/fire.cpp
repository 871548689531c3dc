// W3 (fire storm: lateness) and W4 (steady load: CPU), for chronos and for the
// baseline of one delayed_send per timeout.

#include <numeric>
#include <random>
#include <unordered_map>

#include "chronos/server/server.hpp"
#include "busy.hpp"
#include "erlang_baseline.hpp"
#include "harness.hpp"
#include "workloads.hpp"

namespace chronos::bench {

namespace {

using std::chrono::system_clock;

std::int64_t now_ms() { return to_epoch_ms(floor_ms(system_clock::now())); }

// Records the lateness of each delivery; fulfils `done` after `n` of them.
struct lateness_log {
  std::vector<double> us;
  std::promise<void> done;
  std::size_t expected = 0;
  system_clock::time_point last;

  void record(std::int64_t deadline_ms) {
    last = system_clock::now();
    auto late = std::chrono::duration<double, std::micro>(last - system_clock::time_point{
                                                                   std::chrono::milliseconds{deadline_ms}});
    us.push_back(late.count());
    if (us.size() == expected)
      done.set_value();
  }
};

// `scheduling_s`: how long the N schedules took. Deadlines start 0.5 s after
// scheduling begins; on a machine slow enough to take longer, scheduling is
// part of the lateness, and this figure shows it.
constexpr const char* scheduling_note = "deadlines start 0.5 s after it began";

void report_storm(report& out, const std::string& label, const std::string& system,
                  lateness_log& log, std::int64_t first_deadline_ms, double scheduling_s) {
  out.add({label, system, "scheduling_s", scheduling_s, "s", scheduling_note});
  const double span = std::chrono::duration<double>(
                        log.last - system_clock::time_point{std::chrono::milliseconds{first_deadline_ms}})
                        .count();
  out.add({label, system, "deliveries_per_s", log.us.size() / span, "1/s", ""});
  out.add({label, system, "lateness_p50_us", percentile(log.us, 50), "us", ""});
  out.add({label, system, "lateness_p99_us", percentile(log.us, 99), "us", ""});
  out.add({label, system, "lateness_max_us", percentile(log.us, 100), "us", ""});
}

std::vector<std::int64_t> storm_deadlines(std::size_t n, std::uint64_t seed, std::int64_t start) {
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<std::int64_t> spread{500, 1500};
  std::vector<std::int64_t> out(n);
  for (auto& d : out)
    d = start + spread(rng);
  return out;
}

void chronos_w3(const std::string& label, std::size_t n, std::uint64_t seed, report& out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto srv = spawn_server(sys, server_config{});
  lateness_log log;
  log.expected = n;
  log.us.reserve(n);
  auto receiver = sys.spawn([&log](caf::event_based_actor*, int) -> caf::behavior {
    return {[&log](const chronos_timeout& t) { log.record(t.deadline_ms); }};
  }, 0);
  caf::scoped_actor self{sys};
  self->request(*srv, std::chrono::seconds(5), register_atom::value, std::string{"storm"}, receiver)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  const auto deadlines = storm_deadlines(n, seed, now_ms());
  const auto schedule = [&](caf::event_based_actor* s, std::size_t i, auto done) {
    s->request(*srv, caf::infinite, schedule_atom::value,
               schedule_request{"storm", when_spec::at(deadlines[i]), "", 0})
      .then([done](std::string&) { done(true); }, [done](caf::error&) { done(false); });
  };
  const auto scheduled = run_clients(sys, 1, n, 256, schedule);
  log.done.get_future().wait();
  report_storm(out, label, "chronos", log, *std::min_element(deadlines.begin(), deadlines.end()),
               scheduled.seconds);
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(receiver, caf::exit_reason::kill);
}

void baseline_w3(const std::string& label, std::size_t n, std::uint64_t seed, report& out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  lateness_log log;
  log.expected = n;
  log.us.reserve(n);
  auto receiver = sys.spawn([&log](caf::event_based_actor*, int) -> caf::behavior {
    return {[&log](std::int64_t deadline_ms) { log.record(deadline_ms); }};
  }, 0);
  const auto deadlines = storm_deadlines(n, seed, now_ms());
  std::promise<double> scheduled;
  sys.spawn([&](caf::event_based_actor* self, int) {
    const auto start = std::chrono::steady_clock::now();
    for (auto d : deadlines) {
      auto at = system_clock::time_point{std::chrono::milliseconds{d}};
      self->delayed_send(receiver, at - system_clock::now(), d);
    }
    scheduled.set_value(seconds_since(start));
  }, 0);
  log.done.get_future().wait();
  report_storm(out, label, "caf_delayed_send", log,
               *std::min_element(deadlines.begin(), deadlines.end()), scheduled.get_future().get());
  caf::anon_send_exit(receiver, caf::exit_reason::kill);
}

// W4: every 10 ms a tick schedules rate/100 timeouts 1 s out and cancels 90% of
// the previous tick's; measures the process's CPU time per second of load.
template <class Tick>
double steady_cpu(caf::actor_system& sys, double seconds, Tick tick) {
  std::promise<void> finished;
  const auto ticks = static_cast<std::size_t>(seconds * 100);
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  sys.spawn([&](caf::event_based_actor* self, int) -> caf::behavior {
    auto count = std::make_shared<std::size_t>(0);
    self->send(self, caf::tick_atom::value);
    return {[=, &finished](caf::tick_atom) {
      tick(self);
      if (++*count == ticks) {
        finished.set_value();
        self->quit();
        return;
      }
      // Keep to the schedule even if a tick ran late.
      auto due = start + std::chrono::milliseconds{10 * *count};
      self->delayed_send(self, due - std::chrono::steady_clock::now(), caf::tick_atom::value);
    }};
  }, 0);
  finished.get_future().wait();
  return 100.0 * (cpu_seconds() - cpu_start) / seconds_since(start);
}

// How W4's clients send: one request per schedule and per cancel (chronos's
// client keeps `in_flight` of them in flight; the baseline's messages have no
// replies), or one request of each kind per tick (what a client that batches
// sends).
enum class w4_requests { single, batched };

std::string w4_note(std::size_t rate, w4_requests how) {
  return std::to_string(rate) + " schedules/s, "
         + (how == w4_requests::single
              ? "one request each (chronos: " + std::to_string(in_flight) + " in flight)"
              : "one request a tick");
}

// The 90% of the previous tick's timeouts that never fire.
template <class List>
List w4_cancelled(const List& previous) {
  List out;
  out.reserve(previous.size());
  for (std::size_t i = 0; i < previous.size(); ++i)
    if (i % 10 != 0)
      out.push_back(previous[i]);
  return out;
}

void chronos_w4(std::size_t rate, double seconds, w4_requests how, report& out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto srv = spawn_server(sys, server_config{});
  auto sink = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](const chronos_timeout&) {}};
  }, 0);
  caf::scoped_actor self{sys};
  self->request(*srv, std::chrono::seconds(5), register_atom::value, std::string{"steady"}, sink)
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  const std::size_t per_tick = std::max<std::size_t>(1, rate / 100);
  const schedule_request one{"steady", when_spec::in(1000), "", 0};
  auto previous = std::make_shared<token_list>();
  auto current = std::make_shared<token_list>();
  auto window = std::make_shared<request_window>(in_flight);
  double cpu = steady_cpu(sys, seconds, [=, srv = *srv](caf::event_based_actor* s) {
    auto cancelled = w4_cancelled(*previous);
    std::swap(*previous, *current);
    *current = token_list{};
    if (how == w4_requests::batched) {
      if (!cancelled.empty())
        s->request(srv, caf::infinite, cancel_atom::value, std::move(cancelled))
          .then([](caf::ok_atom) {}, [](caf::error&) {});
      s->request(srv, caf::infinite, schedule_atom::value, std::vector<schedule_request>(per_tick, one))
        .then([current](token_list& toks) { *current = std::move(toks); },
              [](caf::error&) {});
      return;
    }
    auto* w = window.get();
    for (auto tok : cancelled)
      w->push([=, tok = std::string{tok}]() mutable {
        s->request(srv, caf::infinite, cancel_atom::value, std::move(tok))
          .then([w](caf::ok_atom) { w->answered(); }, [w](caf::error&) { w->answered(); });
      });
    for (std::size_t i = 0; i < per_tick; ++i)
      w->push([=] {
        s->request(srv, caf::infinite, schedule_atom::value, one)
          .then(
            [=](const std::string& tok) {
              current->push_back(tok);
              w->answered();
            },
            [w](caf::error&) { w->answered(); });
      });
  });
  out.add({"w4", "chronos", "cpu_pct", cpu, "%", w4_note(rate, how)});
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sink, caf::exit_reason::kill);
}

void baseline_w4(std::size_t rate, double seconds, w4_requests how, report& out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  // The timer owner a CAF user writes: a delayed_send per timeout to itself,
  // and a map id -> generation so that a cancelled one is dropped on arrival.
  // Batched, it takes a tick's ids in one message of each kind.
  auto owner = sys.spawn([](caf::event_based_actor* self, int) -> caf::behavior {
    auto live = std::make_shared<std::unordered_map<std::uint64_t, std::uint64_t>>();
    auto add = [=](std::uint64_t id) {
      live->emplace(id, 1);
      self->delayed_send(self, std::chrono::seconds{1}, id, std::uint64_t{1});
    };
    return {
      [=](caf::add_atom, std::uint64_t id) { add(id); },
      [=](caf::add_atom, const std::vector<std::uint64_t>& ids) {
        for (auto id : ids)
          add(id);
      },
      [=](caf::delete_atom, std::uint64_t id) { live->erase(id); },
      [=](caf::delete_atom, const std::vector<std::uint64_t>& ids) {
        for (auto id : ids)
          live->erase(id);
      },
      [=](std::uint64_t id, std::uint64_t generation) {
        auto it = live->find(id);
        if (it != live->end() && it->second == generation)
          live->erase(it); // fired
      },
    };
  }, 0);
  const std::size_t per_tick = std::max<std::size_t>(1, rate / 100);
  auto next_id = std::make_shared<std::uint64_t>(0);
  auto previous = std::make_shared<std::vector<std::uint64_t>>();
  auto current = std::make_shared<std::vector<std::uint64_t>>();
  double cpu = steady_cpu(sys, seconds, [=](caf::event_based_actor* s) {
    auto cancelled = w4_cancelled(*previous);
    previous->swap(*current);
    current->resize(per_tick);
    std::iota(current->begin(), current->end(), *next_id);
    *next_id += per_tick;
    if (how == w4_requests::batched) {
      if (!cancelled.empty())
        s->send(owner, caf::delete_atom::value, std::move(cancelled));
      s->send(owner, caf::add_atom::value, *current);
      return;
    }
    for (auto id : cancelled)
      s->send(owner, caf::delete_atom::value, id);
    for (auto id : *current)
      s->send(owner, caf::add_atom::value, id);
  });
  out.add({"w4", "caf_delayed_send", "cpu_pct", cpu, "%", w4_note(rate, how)});
  caf::anon_send_exit(owner, caf::exit_reason::kill);
}

// The storm of each system in turn, labelled `label`.
void storms(const std::string& label, const options& opts, report& out) {
  const std::size_t n = opts.n ? opts.n : 100'000;
  chronos_w3(label, n, opts.seed, out);
  baseline_w3(label, n, opts.seed, out);
  erlang_baseline(label, n, opts, out, scheduling_note);
}

} // namespace

void run_w3(const options& opts, report& out) { storms("w3", opts, out); }

void run_w3_busy(const options& opts, report& out) {
  const busy_neighbours busy{2, std::chrono::minutes{2}};
  storms("w3_busy", opts, out);
}

void run_w4(const options& opts, report& out) {
  const std::size_t rate = opts.n ? opts.n : 100'000;
  for (auto how : {w4_requests::single, w4_requests::batched}) {
    chronos_w4(rate, opts.seconds, how, out);
    baseline_w4(rate, opts.seconds, how, out);
    erlang_baseline(how == w4_requests::single ? "w4_single" : "w4_batched", rate, opts, out,
                    w4_note(rate, how));
  }
}

} // namespace chronos::bench
