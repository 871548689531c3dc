#pragma once

// One registered timeout: the unit the timer table orders, the state file
// stores and the actor delivers.

#include <memory>
#include <string>
#include <string_view>

#include "chronos/base/clock.hpp"
#include "chronos/base/cron.hpp"
#include "chronos/table/misfire.hpp"
#include "chronos/table/token.hpp"

namespace chronos {

/// The largest jitter a timeout may have: 30 days (a delay fits 32 bits).
inline constexpr millis max_jitter{30LL * 86'400'000};

struct timeout {
  timestamp deadline;
  chronos::token token;
  /// The client name the timeout is delivered to.
  std::string name;
  /// Opaque bytes handed back on delivery (valid UTF-8, possibly empty).
  std::string payload;
  /// Zero for a one-shot timeout, else the repeat period.
  millis interval{0};
  /// What a recurring timeout does about missed periods (misfire.hpp).
  misfire_policy misfire = misfire_policy::once;
  /// The client's idempotency key, or empty (detail/key_index.hpp). The
  /// timer table keeps none; the server's state keeps them beside it.
  std::string key{};
  /// Set for a calendar timeout (then `interval` is zero): it recurs at the
  /// instants the calendar names. Shared: a calendar is immutable.
  std::shared_ptr<const cron_schedule> calendar{};
  /// Zero, or the bound of each occurrence's random delay: an occurrence
  /// fires at its deadline plus a delay in [0, jitter), drawn when it is
  /// armed and kept with it (`delay`), so that a restart does not move it.
  millis jitter{0};
  millis delay{0};
  /// A recurring timeout's last occurrence that came due (delivered, parked,
  /// or dropped by its misfire policy); the epoch while none has.
  timestamp prev{};

  bool recurring() const { return interval.count() > 0 || calendar != nullptr; }

  /// When this occurrence fires: never before its deadline.
  timestamp fires_at() const { return deadline + delay; }

  friend bool operator==(const timeout& a, const timeout& b) {
    return a.deadline == b.deadline && a.token == b.token && a.name == b.name
           && a.payload == b.payload && a.interval == b.interval && a.misfire == b.misfire
           && a.key == b.key && same_calendar(a.calendar.get(), b.calendar.get())
           && a.jitter == b.jitter && a.delay == b.delay && a.prev == b.prev;
  }
};

/// A timeout's fields over texts that someone else owns (a request's): the
/// timer table interns the name and copies a payload from it, so a new
/// timeout reaches the table without two strings made and moved first.
struct timeout_view {
  timestamp deadline;
  chronos::token token;
  std::string_view name;
  std::string_view payload;
  millis interval{0};
  misfire_policy misfire = misfire_policy::once;
  std::string_view key{};
  std::shared_ptr<const cron_schedule> calendar{};
  millis jitter{0};
  millis delay{0};
  timestamp prev{};

  timeout owned() const {
    return {deadline, token,   std::string{name}, std::string{payload},
            interval, misfire, std::string{key},  calendar,
            jitter,   delay,   prev};
  }
};

} // namespace chronos
