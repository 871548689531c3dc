#pragma once

// Interned calendars (cron expression and zone) of a timer table's timeouts.
// Thousands of timeouts typically share a handful of calendars; a timeout
// keeps a 4-byte id in its side record, which had room for it, so timeouts
// without a calendar pay nothing. An id is reused once its last timeout is
// gone.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "chronos/base/cron.hpp"

namespace chronos {

class calendar_pool {
public:
  using id = std::uint32_t;
  static constexpr id none = ~id{0};

  /// The id of a calendar equal to `c` (same expression and zone), keeping
  /// `c` if none is held yet; counts one more user.
  id acquire(std::shared_ptr<const cron_schedule> c);

  /// Counts one user less; the calendar is dropped with its last user.
  void release(id n);

  const std::shared_ptr<const cron_schedule>& get(id n) const { return entries_[n].calendar; }

  std::size_t size() const { return ids_.size(); }

  /// Bytes held by the pool (the calendars themselves counted roughly).
  std::size_t memory_bytes() const;

private:
  struct entry {
    std::shared_ptr<const cron_schedule> calendar;
    std::uint32_t users = 0; // 0: a free id
  };
  static std::string identity(const cron_schedule& c);

  std::unordered_map<std::string, id> ids_;
  std::vector<entry> entries_;
  std::vector<id> free_;
};

} // namespace chronos
