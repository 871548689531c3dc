#include "chronos/detail/rule_pool.hpp"

#include <functional>

namespace chronos {

std::size_t rule_pool::key_hash::operator()(const key& k) const noexcept {
  auto h = std::hash<std::int64_t>{}(k.interval_ms);
  h = h * 0x9e3779b97f4a7c15ULL ^ std::hash<std::int64_t>{}(k.jitter_ms);
  h = h * 0x9e3779b97f4a7c15ULL ^ static_cast<std::size_t>(k.misfire);
  if (!k.calendar.empty())
    h = h * 0x9e3779b97f4a7c15ULL ^ std::hash<std::string>{}(k.calendar);
  return h;
}

// A zone name holds no newline (cron_schedule::parse refuses one).
rule_pool::key rule_pool::key_of(const timing_rule& r) {
  return {r.interval.count(), r.jitter.count(), r.misfire,
          r.calendar ? r.calendar->zone() + '\n' + r.calendar->expression() : std::string{}};
}

rule_pool::id rule_pool::acquire(const timing_rule& r) {
  auto [it, added] = ids_.try_emplace(key_of(r), none);
  if (!added) {
    ++entries_[it->second].users;
    return it->second;
  }
  calendars_ += r.calendar ? 1 : 0;
  if (free_.empty()) {
    it->second = static_cast<id>(entries_.size());
    entries_.push_back({r, 1});
  } else {
    it->second = free_.back();
    free_.pop_back();
    entries_[it->second] = {r, 1};
  }
  return it->second;
}

void rule_pool::release(id n) {
  auto& e = entries_[n];
  if (--e.users > 0)
    return;
  ids_.erase(key_of(e.rule));
  calendars_ -= e.rule.calendar ? 1 : 0;
  e.rule = timing_rule{};
  free_.push_back(n);
}

std::size_t rule_pool::memory_bytes() const {
  constexpr std::size_t per_rule = sizeof(key) + 32; // its node in the map
  constexpr std::size_t per_calendar = sizeof(cron_schedule) + 64; // its texts
  return entries_.capacity() * sizeof(entry) + free_.capacity() * sizeof(id)
         + ids_.size() * per_rule + calendars_ * per_calendar;
}

} // namespace chronos
