#include "chronos/detail/name_pool.hpp"

#include "table/worth_packing.hpp"

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

std::vector<name_pool::id> name_pool::pack() {
  const auto in_use = entries_.size() - free_.size();
  if (!detail::worth_packing(in_use, entries_.size()))
    return {};
  std::vector<id> renumbered(entries_.size(), none);
  std::vector<entry> kept;
  kept.reserve(in_use);
  for (std::size_t n = 0; n < entries_.size(); ++n)
    if (entries_[n].users > 0) {
      renumbered[n] = static_cast<id>(kept.size());
      kept.push_back(std::move(entries_[n]));
    }
  entries_ = std::move(kept);
  free_ = {};
  ids_.assign(entries_.size(), key_of());
  return renumbered;
}

std::size_t name_pool::memory_bytes() const {
  return entries_.capacity() * sizeof(entry) + ids_.memory_bytes() + free_.capacity() * sizeof(id);
}

std::optional<name_pool::id> name_pool::find(std::string_view name) const {
  const auto n = ids_.find(name, key_of());
  if (n == ids_.none)
    return std::nullopt;
  return n;
}

} // namespace chronos
