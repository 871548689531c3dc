#pragma once

// Time as chronos sees it. Deadlines are wall-clock instants in whole milliseconds
// since the Unix epoch, because they must mean the same thing after a restart
// (a steady clock restarts with the process). Everything pure takes "now" as an
// argument; only the actor reads a clock, and tests inject their own.

#include <chrono>
#include <cstdint>
#include <functional>

namespace chronos {

using millis = std::chrono::milliseconds;
using timestamp = std::chrono::time_point<std::chrono::system_clock, millis>;

/// A source of wall-clock time; the production one is `system_clock::now`.
using wall_clock = std::function<std::chrono::system_clock::time_point()>;

/// Milliseconds since the Unix epoch, the unit of every message and file.
inline std::int64_t to_epoch_ms(timestamp t) { return t.time_since_epoch().count(); }
inline timestamp from_epoch_ms(std::int64_t ms) { return timestamp{millis{ms}}; }

/// Rounds down: a timeout is due once the floor of "now" reaches its deadline,
/// so a wake-up never fires anything early.
inline timestamp floor_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<millis>(t);
}

/// Rounds up: "in 250ms" means no earlier than 250 ms after the request.
inline timestamp ceil_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::ceil<millis>(t);
}

/// Latest deadline chronos accepts: 9999-12-31T23:59:59.999Z. Keeps every
/// arithmetic on deadlines and intervals far from int64 overflow.
inline constexpr std::int64_t max_deadline_ms = 253402300799999;

} // namespace chronos
