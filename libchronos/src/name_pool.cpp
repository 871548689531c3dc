#include "chronos/name_pool.hpp"

namespace chronos {

name_pool::id name_pool::acquire(const std::string& name) {
  auto [it, added] = ids_.try_emplace(name, 0);
  if (added) {
    if (free_.empty()) {
      it->second = static_cast<id>(entries_.size());
      entries_.emplace_back();
    } else {
      it->second = free_.back();
      free_.pop_back();
    }
    entries_[it->second].text = &it->first;
  }
  ++entries_[it->second].users;
  return it->second;
}

void name_pool::release(id n) {
  auto& e = entries_[n];
  if (--e.users > 0)
    return;
  ids_.erase(ids_.find(*e.text)); // by iterator: the key is the node's own
  e = entry{};
  free_.push_back(n);
}

std::optional<name_pool::id> name_pool::find(const std::string& name) const {
  auto it = ids_.find(name);
  if (it == ids_.end())
    return std::nullopt;
  return it->second;
}

} // namespace chronos
