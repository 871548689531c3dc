#pragma once

// Interned client names. A million timeouts usually share a few hundred names;
// the timer table stores a 4-byte id per timeout and keeps each name's text
// once, with a count of the timeouts that use it. An id is reused once its
// last timeout is gone; once the ids in use are few next to the most there
// were (a million unique names, most of them gone), `pack` renumbers them.
//
// Every schedule looks its name up, so the lookup is the slot index's (one
// hash, a fingerprint match, one compare) rather than a node-based map's
// (a division by a prime and a walk through nodes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/detail/slot_index.hpp"

namespace chronos {

class name_pool {
public:
  using id = std::uint32_t;
  static constexpr id none = ~id{0};

  /// The id of `name`, interning it if new; counts one more user.
  id acquire(std::string_view name);

  /// Counts one user less; the name is forgotten with its last user.
  void release(id n);

  std::optional<id> find(std::string_view name) const;

  /// Valid until the next `acquire` of a new name.
  const std::string& text(id n) const { return entries_[n].text; }

  /// How many users (timeouts) `n` has.
  std::uint32_t users(id n) const { return entries_[n].users; }

  /// Calls `f(text, users)` for every name in use, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : entries_)
      if (e.users > 0)
        f(e.text, e.users);
  }

  /// One past the largest id handed out: a bound for arrays indexed by id.
  std::size_t id_bound() const { return entries_.size(); }

  /// When fewer than a quarter of the ids are in use (and there are thousands),
  /// renumbers the names in use 0 .. n-1, gives the rest of the memory back
  /// and returns each old id's new one (`none` for a free id); else changes
  /// nothing and returns an empty vector.
  std::vector<id> pack();

  /// Bytes held by the pool's arrays and index (names longer than a
  /// std::string holds in place not counted).
  std::size_t memory_bytes() const;

private:
  struct entry {
    std::string text;
    std::uint32_t users = 0; // 0: a free id
  };

  auto key_of() const {
    return [this](id n) { return std::string_view{entries_[n].text}; };
  }

  slot_index<std::string_view> ids_;
  std::vector<entry> entries_;
  std::vector<id> free_;
};

} // namespace chronos
