#include "chronos/name_pool.hpp"

namespace chronos {

name_pool::id name_pool::acquire(std::string_view name) {
  auto n = ids_.find(name, key_of());
  if (n == ids_.none) {
    if (free_.empty()) {
      n = static_cast<id>(entries_.size());
      entries_.emplace_back();
    } else {
      n = free_.back();
      free_.pop_back();
    }
    entries_[n].text = name;
    ids_.insert(n, key_of());
  }
  ++entries_[n].users;
  return n;
}

void name_pool::release(id n) {
  auto& e = entries_[n];
  if (--e.users > 0)
    return;
  ids_.erase(n, key_of()); // while the text is there to hash
  e = entry{};
  free_.push_back(n);
}

std::optional<name_pool::id> name_pool::find(std::string_view name) const {
  const auto n = ids_.find(name, key_of());
  if (n == ids_.none)
    return std::nullopt;
  return n;
}

} // namespace chronos
