#pragma once

// How the timeouts of a timer table are timed besides their deadlines: a
// repeat period or a calendar, a misfire policy, a jitter bound. A table of
// a million timeouts usually holds a handful of distinct rules, so each is
// kept once, with a count of the timeouts that use it, and a timeout holds a
// 4-byte id. An id is reused once its last timeout is gone.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "chronos/base/clock.hpp"
#include "chronos/base/cron.hpp"
#include "chronos/table/misfire.hpp"

namespace chronos {

struct timing_rule {
  millis interval{0};
  misfire_policy misfire = misfire_policy::once;
  millis jitter{0};
  std::shared_ptr<const cron_schedule> calendar{};

  /// A one-shot timeout without jitter: nothing to keep.
  bool plain() const {
    return interval.count() == 0 && jitter.count() == 0 && !calendar
           && misfire == misfire_policy::once;
  }
};

class rule_pool {
public:
  using id = std::uint32_t;
  static constexpr id none = ~id{0};

  /// The id of a rule equal to `r` (a calendar equal by expression and zone),
  /// keeping `r` if none is held yet; counts one more user.
  id acquire(const timing_rule& r);

  /// Counts one user less; the rule is dropped with its last user.
  void release(id n);

  const timing_rule& get(id n) const { return entries_[n].rule; }

  /// How many distinct rules are held.
  std::size_t size() const { return ids_.size(); }

  /// Bytes held by the pool (calendars counted roughly).
  std::size_t memory_bytes() const;

private:
  struct key {
    std::int64_t interval_ms;
    std::int64_t jitter_ms;
    misfire_policy misfire;
    std::string calendar; // zone and expression, or empty

    bool operator==(const key& o) const {
      return interval_ms == o.interval_ms && jitter_ms == o.jitter_ms && misfire == o.misfire
             && calendar == o.calendar;
    }
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept;
  };
  static key key_of(const timing_rule& r);

  struct entry {
    timing_rule rule;
    std::uint32_t users = 0; // 0: a free id
  };

  std::unordered_map<key, id, key_hash> ids_;
  std::vector<entry> entries_;
  std::vector<id> free_;
  std::size_t calendars_ = 0; // rules with a calendar
};

} // namespace chronos
