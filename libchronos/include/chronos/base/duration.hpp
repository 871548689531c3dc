#pragma once

// The textual forms of time on the command line and in requests, parsed
// strictly: anything not exactly of the documented shape is an error that says
// what was wrong, never a silent guess.
//
//   DURATION  a non-negative decimal number and a unit: ms s m h d
//             ("250ms", "1.5s", "2h"); must be a whole number of milliseconds.
//   TIME      RFC 3339 ("2026-11-21T23:00:00.250Z", "...+01:00"), or integer
//             milliseconds since the Unix epoch ("1795302000250").

#include <string>
#include <string_view>

#include "chronos/base/clock.hpp"
#include "chronos/base/outcome.hpp"

namespace chronos {

outcome<millis> parse_duration(std::string_view text);

/// The shortest exact form in the largest fitting unit: "90m", "1500ms", "0ms".
std::string format_duration(millis d);

/// Fractions finer than a millisecond round up, so a deadline is never early.
outcome<timestamp> parse_time(std::string_view text);

/// RFC 3339 in UTC with milliseconds: "2026-11-21T23:00:00.250Z".
std::string format_time(timestamp t);

} // namespace chronos
