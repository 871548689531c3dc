#include "chronos/detail/calendar_pool.hpp"

namespace chronos {

// A zone name holds no newline (cron_schedule::parse refuses one).
std::string calendar_pool::identity(const cron_schedule& c) {
  return c.zone() + '\n' + c.expression();
}

calendar_pool::id calendar_pool::acquire(std::shared_ptr<const cron_schedule> c) {
  auto [it, added] = ids_.try_emplace(identity(*c), none);
  if (!added) {
    ++entries_[it->second].users;
    return it->second;
  }
  if (free_.empty()) {
    it->second = static_cast<id>(entries_.size());
    entries_.push_back({std::move(c), 1});
  } else {
    it->second = free_.back();
    free_.pop_back();
    entries_[it->second] = {std::move(c), 1};
  }
  return it->second;
}

void calendar_pool::release(id n) {
  auto& e = entries_[n];
  if (--e.users > 0)
    return;
  ids_.erase(identity(*e.calendar));
  e.calendar.reset();
  free_.push_back(n);
}

std::size_t calendar_pool::memory_bytes() const {
  constexpr std::size_t per_calendar = sizeof(cron_schedule) + 64; // its texts, its node
  return entries_.capacity() * sizeof(entry) + free_.capacity() * sizeof(id)
         + ids_.size() * per_calendar;
}

} // namespace chronos
