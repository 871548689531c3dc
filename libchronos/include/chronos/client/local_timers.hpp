#pragma once

// Timers inside one CAF actor: run a function of the actor's own later, or
// every period, with a handle to cancel or reschedule it. No chronos server is
// involved; for timeouts that must survive a restart or reach another host,
// use the server.
//
//   struct state { chronos::local_timers timers; ... };
//   caf::behavior worker(caf::stateful_actor<state>* self) {
//     using namespace chronos::time_units;
//     auto& t = self->state.timers.attach(self);
//     auto poll = t.every(5 * sec, [=] { ... });
//     t.after(250ms, [=] { ... });
//     return t.handler().or_else(caf::behavior{ ...the actor's own handlers... });
//   }
//
// Callbacks run in the owning actor, one at a time like its other messages,
// on CAF's scheduler (its worker pool); waiting timers cost nothing but a
// delayed message each. Time is CAF's actor clock (steady; moved by the test
// coordinator in tests). A recurring timer keeps its phase: it is due at
// start + k * period, and after a stall it runs once and skips the periods it
// missed. An exception thrown by a callback is reported (to `on_error`) and
// stops nothing: other timers run, and a recurring one keeps its schedule.
// A callback may cancel or reschedule any timer, itself included.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

namespace chronos {

/// Durations that read naturally: `5 * sec`, `2 * min`, next to std::chrono's
/// `250ms`, which this namespace brings along.
namespace time_units {
using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds msec{1};
inline constexpr std::chrono::seconds sec{1};
inline constexpr std::chrono::minutes min{1};
inline constexpr std::chrono::hours hour{1};
} // namespace time_units

using local_timer_atom = caf::atom_constant<caf::atom("ltimer")>;

/// Names one timer of one `local_timers`; 0 is never a timer.
struct timer_handle {
  std::uint64_t id = 0;

  explicit operator bool() const { return id != 0; }
  friend bool operator==(timer_handle a, timer_handle b) { return a.id == b.id; }
  friend bool operator!=(timer_handle a, timer_handle b) { return a.id != b.id; }
};

class local_timers {
public:
  using duration = std::chrono::nanoseconds;
  using callback = std::function<void()>;
  /// Told about a callback that threw: the timer and what it threw.
  using error_reporter = std::function<void(timer_handle, const std::string&)>;

  /// Reports a throwing callback with log_error.
  local_timers();
  explicit local_timers(error_reporter on_error);

  local_timers(const local_timers&) = delete;
  local_timers& operator=(const local_timers&) = delete;

  /// Binds to the actor that owns this (the one whose state holds it); call
  /// once, before arming anything. Returns *this.
  local_timers& attach(caf::event_based_actor* self);

  /// What the owner's behavior must contain for the timers to run.
  caf::message_handler handler();

  /// Runs `f` once, `delay` from now (a negative delay means now).
  timer_handle after(duration delay, callback f);

  /// Runs `f` every `period` (> 0), first one period from now.
  timer_handle every(duration period, callback f);

  /// Runs `f` every `period` (> 0), first `first` from now.
  timer_handle every(duration first, duration period, callback f);

  /// Stops a timer; false when it is unknown, or a one-shot that already ran.
  bool cancel(timer_handle h);

  /// Makes a timer due `delay` from now (a recurring one then continues with
  /// its period from there); false when it is unknown or already ran.
  bool reschedule(timer_handle h, duration delay);

  /// Timers armed and not yet run (one-shots) or not cancelled (recurring).
  std::size_t size() const { return timers_.size(); }

private:
  using time_point = std::chrono::steady_clock::time_point;

  struct timer {
    std::shared_ptr<callback> run; // shared: a callback may cancel its own timer
    time_point due;
    duration period{0};
    std::uint64_t generation = 0;
  };

  timer_handle add(duration delay, duration period, callback f);
  void arm(std::uint64_t id, timer& t);
  void fire(std::uint64_t id, std::uint64_t generation);
  time_point now() const;

  caf::event_based_actor* self_ = nullptr;
  error_reporter on_error_;
  std::unordered_map<std::uint64_t, timer> timers_;
  std::uint64_t next_id_ = 1;
};

} // namespace chronos
