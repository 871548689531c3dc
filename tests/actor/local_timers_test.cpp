// In-process timers on CAF's test coordinator: time moves only when a test
// advances it, so every expectation is exact.

#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "chronos/client/local_timers.hpp"

using namespace chronos;
using namespace chronos::time_units;

namespace {

struct owner_state {
  std::vector<std::string> errors;
  local_timers timers{[this](timer_handle h, const std::string& what) {
    errors.push_back(std::to_string(h.id) + ": " + what);
  }};
};

using owner = caf::stateful_actor<owner_state>;

caf::behavior owner_behavior(owner* self, int) {
  return self->state.timers.attach(self).handler().or_else(
    caf::behavior{[](const std::string&) {}});
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg.set("scheduler.policy", caf::atom("testing"))};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  // Spawned with an argument: CAF 0.17's argument-less spawn trips UBSan.
  caf::actor actor = sys.spawn(owner_behavior, 0);
  owner_state& st = static_cast<owner*>(caf::actor_cast<caf::abstract_actor*>(actor))->state;
  std::vector<std::string> ran;

  fixture() { sched.run(); }
  ~fixture() {
    caf::anon_send_exit(actor, caf::exit_reason::kill);
    sched.run();
  }

  local_timers& timers() { return st.timers; }

  // Moves time by `d` the way a real clock does: every delayed message due on
  // the way is delivered at its own time, including those sent by the
  // callbacks run on the way (advance_time alone would skip those). The test
  // coordinator runs the actor on this thread, so a test may touch its state
  // between steps.
  void advance(std::chrono::milliseconds d) {
    auto& clock = sched.clock();
    const auto target = clock.now() + d;
    sched.run();
    while (clock.has_pending_timeout() && clock.schedule().begin()->first <= target) {
      sched.trigger_timeout(); // sets the clock to that message's time
      sched.run();
    }
    clock.current_time = target;
  }

  // The actor is held up for `d`: time jumps, then what came due is delivered.
  void stall(std::chrono::milliseconds d) {
    sched.clock().current_time += d;
    advance(0ms);
  }

  local_timers::callback note(std::string what) {
    return [this, what] { ran.push_back(what); };
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "a one-shot timer runs once, after its delay") {
  auto h = timers().after(250ms, note("a"));
  CHECK(h);
  advance(249ms);
  CHECK(ran.empty());
  advance(1ms);
  CHECK(ran == std::vector<std::string>{"a"});
  advance(1h);
  CHECK(ran.size() == 1);
  CHECK(timers().size() == 0);
  CHECK_FALSE(timers().cancel(h)); // already ran
}

TEST_CASE_METHOD(fixture, "timers run in deadline order, natural units read as they say") {
  timers().after(2 * sec, note("2s"));
  timers().after(1500 * msec, note("1.5s"));
  timers().after(1 * min, note("1min"));
  timers().after(-5 * sec, note("now"));
  advance(0ms);
  CHECK(ran == std::vector<std::string>{"now"});
  advance(2s);
  CHECK(ran == std::vector<std::string>{"now", "1.5s", "2s"});
  advance(58s);
  CHECK(ran.back() == "1min");
}

TEST_CASE_METHOD(fixture, "a recurring timer keeps its phase and skips what it missed") {
  auto h = timers().every(1 * sec, note("tick"));
  advance(3s);
  CHECK(ran.size() == 3);
  // After a stall the timer runs once, then keeps its phase.
  stall(5500ms);
  CHECK(ran.size() == 4);
  advance(499ms);
  CHECK(ran.size() == 4);
  advance(1ms); // due at 9 s, on the original grid
  CHECK(ran.size() == 5);
  CHECK(timers().cancel(h));
  advance(10s);
  CHECK(ran.size() == 5);
  CHECK(timers().size() == 0);
}

TEST_CASE_METHOD(fixture, "a first delay and a period can differ") {
  timers().every(100ms, 1 * sec, note("t"));
  advance(100ms);
  CHECK(ran.size() == 1);
  advance(999ms);
  CHECK(ran.size() == 1);
  advance(1ms);
  CHECK(ran.size() == 2);
}

TEST_CASE_METHOD(fixture, "reschedule moves a timer, cancel stops it, stale wake-ups are ignored") {
  auto moved = timers().after(1s, note("moved"));
  auto gone = timers().after(500ms, note("gone"));
  CHECK(timers().reschedule(moved, 3s));
  CHECK(timers().cancel(gone));
  CHECK_FALSE(timers().cancel(gone));
  advance(2s);
  CHECK(ran.empty()); // neither the old 1 s wake-up nor the cancelled one ran
  advance(1s);
  CHECK(ran == std::vector<std::string>{"moved"});
  CHECK_FALSE(timers().reschedule(moved, 1s));
  CHECK_FALSE(timers().reschedule(timer_handle{12345}, 1s));
}

TEST_CASE_METHOD(fixture, "rescheduling a recurring timer restarts its period from the new time") {
  auto h = timers().every(1s, note("t"));
  advance(1s);
  CHECK(timers().reschedule(h, 300ms));
  advance(300ms);
  CHECK(ran.size() == 2);
  advance(999ms);
  CHECK(ran.size() == 2);
  advance(1ms);
  CHECK(ran.size() == 3);
}

TEST_CASE_METHOD(fixture, "a throwing callback is reported and stops nothing") {
  auto bad = timers().every(1s, [] { throw std::runtime_error{"boom"}; });
  timers().after(1s, note("other"));
  timers().after(1500ms, [] { throw 42; });
  advance(2s);
  CHECK(ran == std::vector<std::string>{"other"});
  CHECK(st.errors
        == std::vector<std::string>{std::to_string(bad.id) + ": boom",
                                    "3: an exception not derived from std::exception",
                                    std::to_string(bad.id) + ": boom"});
  CHECK(timers().size() == 1); // the recurring one goes on
}

TEST_CASE_METHOD(fixture, "a callback may cancel itself or arm new timers") {
  timer_handle self_cancelling;
  int runs = 0;
  self_cancelling = timers().every(1s, [&] {
    if (++runs == 2)
      timers().cancel(self_cancelling);
  });
  timers().after(1s, [&] { timers().after(1s, note("chained")); });
  advance(5s);
  CHECK(runs == 2);
  CHECK(ran == std::vector<std::string>{"chained"});
  CHECK(timers().size() == 0);
}

TEST_CASE_METHOD(fixture, "nonsense is refused with an empty handle") {
  CHECK_FALSE(timers().every(0s, note("spin")));
  CHECK_FALSE(timers().every(-1s, note("spin")));
  CHECK_FALSE(timers().after(1s, nullptr));
  local_timers unattached;
  CHECK_FALSE(unattached.after(1s, note("x")));
  CHECK(timers().size() == 0);
}
