#pragma once

// Calendar schedules: a cron expression in a time zone, and the next instant
// it names after a given one. Pure: no clock, no I/O beyond reading the
// system's time zone database when an expression is parsed.
//
// Six fields, with seconds: SEC MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK.
// Each is `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from a
// to the field's end), or a list of these separated by commas. Months may be
// named JAN-DEC, days of the week SUN-SAT (0 and 7 are both Sunday), in any
// case. As in cron, when both day fields are restricted a day matches if
// either does; when one is `*`, the other decides. Macros: @yearly
// (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
//
// Local time, and the two days a year it is not one-to-one:
// - a local time that does not exist that day (the clocks jump forward over
//   it) fires at the first instant after the gap, once however many times of
//   the gap match;
// - a local time that occurs twice (the clocks fall back) fires once, at its
//   first occurrence.

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/clock.hpp"
#include "chronos/base/outcome.hpp"

namespace chronos {

class cron_schedule {
public:
  /// Longer expressions are refused: a peer sends them, and each timeout
  /// keeps its own.
  static constexpr std::size_t max_expression_bytes = 256;

  /// Parses `expression` for the IANA zone `zone` ("" is UTC). Refuses, with
  /// what is wrong and where, a malformed expression, an unknown zone, and an
  /// expression that never matches (`0 0 0 30 2 *`).
  static outcome<cron_schedule> parse(std::string_view expression, std::string_view zone = {});

  /// The first instant after `after` that the schedule names (whole seconds),
  /// or nullopt if there is none before the latest deadline chronos accepts.
  std::optional<timestamp> next_after(timestamp after) const;

  /// How many instants the schedule names in [from, until), counting no
  /// further than `cap`.
  std::uint64_t count_between(timestamp from, timestamp until, std::uint64_t cap) const;

  /// The latest `n` (at most) instants the schedule names in [from, until),
  /// oldest first. Searches back from `until` in growing windows, so its
  /// cost follows `n` and not the length of the span.
  std::vector<timestamp> latest_before(timestamp from, timestamp until, std::size_t n) const;

  /// As given to `parse`.
  const std::string& expression() const { return expression_; }
  /// The zone's name, "UTC" when none was given.
  const std::string& zone() const { return zone_name_; }

  /// The matching values of each field, for tests and listings.
  struct fields {
    std::bitset<60> seconds;
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days; // 1-31
    std::bitset<13> months; // 1-12
    std::bitset<7> weekdays; // 0 = Sunday
    bool days_restricted = false;
    bool weekdays_restricted = false;
  };
  const fields& matching() const { return fields_; }

private:
  struct zone_data;
  cron_schedule(std::string expression, std::string zone_name, fields f,
                std::shared_ptr<const zone_data> zone);

  std::string expression_;
  std::string zone_name_;
  fields fields_;
  std::shared_ptr<const zone_data> zone_; // shared: copies of a schedule are cheap
};

/// Equal expressions in equal zones (or both null).
inline bool same_calendar(const cron_schedule* a, const cron_schedule* b) {
  if (a == nullptr || b == nullptr)
    return a == b;
  return a->expression() == b->expression() && a->zone() == b->zone();
}

} // namespace chronos
