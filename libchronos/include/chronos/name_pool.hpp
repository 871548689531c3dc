#pragma once

// Interned client names. A million timeouts usually share a few hundred names;
// the timer table stores a 4-byte id per timeout and keeps each name's text
// once, with a count of the timeouts that use it. An id is reused once its
// last timeout is gone.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace chronos {

class name_pool {
public:
  using id = std::uint32_t;

  /// The id of `name`, interning it if new; counts one more user.
  id acquire(const std::string& name);

  /// Counts one user less; the name is forgotten with its last user.
  void release(id n);

  std::optional<id> find(const std::string& name) const;

  const std::string& text(id n) const { return *entries_[n].text; }

  /// How many users (timeouts) `n` has.
  std::uint32_t users(id n) const { return entries_[n].users; }

  /// Calls `f(text, users)` for every name in use, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [text, n] : ids_)
      f(text, entries_[n].users);
  }

  /// One past the largest id handed out: a bound for arrays indexed by id.
  std::size_t id_bound() const { return entries_.size(); }

private:
  struct entry {
    const std::string* text = nullptr; // the key in ids_ (node-based: stable)
    std::uint32_t users = 0;
  };

  std::unordered_map<std::string, id> ids_;
  std::vector<entry> entries_;
  std::vector<id> free_;
};

} // namespace chronos
