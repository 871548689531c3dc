#pragma once

// Token -> slot lookup for the timer table: open addressing with linear
// probing over 4-byte slot ids. The tokens themselves live in the table's
// slots; the index asks for them through `key_of(slot)`, so it costs 4 bytes
// per bucket (5-11 per timeout at its load of 3/8 to 3/4) instead of a node
// per entry. Deletion shifts the following entries back, so there are no
// tombstones and lookups stay short under churn.

#include <cstdint>
#include <vector>

#include "chronos/page_allocator.hpp"
#include "chronos/token.hpp"

namespace chronos {

class token_index {
public:
  using slot_id = std::uint32_t;
  static constexpr slot_id none = ~slot_id{0};

  /// The slot holding `t`, or `none`.
  template <class KeyOf>
  slot_id find(token t, KeyOf key_of) const {
    if (buckets_.empty())
      return none;
    for (auto b = home(t);; b = (b + 1) & mask()) {
      const slot_id s = buckets_[b];
      if (s == none || key_of(s) == t)
        return s;
    }
  }

  /// Adds slot `s`, whose token is `key_of(s)` and not present yet.
  template <class KeyOf>
  void insert(slot_id s, KeyOf key_of) {
    if ((size_ + 1) * 4 > buckets_.size() * 3)
      rebuild(buckets_.empty() ? 16 : buckets_.size() * 2, key_of);
    place(s, key_of(s));
    ++size_;
  }

  /// Removes slot `s` (present, with token `key_of(s)`).
  template <class KeyOf>
  void erase(slot_id s, KeyOf key_of) {
    auto hole = home(key_of(s));
    while (buckets_[hole] != s)
      hole = (hole + 1) & mask();
    for (auto b = (hole + 1) & mask(); buckets_[b] != none; b = (b + 1) & mask()) {
      // An entry may move back into the hole unless its home lies in (hole, b].
      const auto from_home = (b - home(key_of(buckets_[b]))) & mask();
      if (from_home >= ((b - hole) & mask())) {
        buckets_[hole] = buckets_[b];
        hole = b;
      }
    }
    buckets_[hole] = none;
    --size_;
  }

  /// Re-adds every slot of `slots` (each with its token from `key_of`) into
  /// a table sized for them; the old contents are dropped.
  template <class KeyOf>
  void assign(const big_vector<slot_id>& slots, KeyOf key_of) {
    std::size_t n = 16;
    while (slots.size() * 2 > n) // start at most half full
      n *= 2;
    buckets_.assign(n, none);
    set_shift(n);
    size_ = 0;
    for (auto s : slots) {
      place(s, key_of(s));
      ++size_;
    }
  }

  /// Grows the table, if needed, so that `n` slots fit without a rebuild.
  template <class KeyOf>
  void reserve(std::size_t n, KeyOf key_of) {
    std::size_t buckets = buckets_.empty() ? 16 : buckets_.size();
    while (n * 4 > buckets * 3)
      buckets *= 2;
    if (buckets != buckets_.size())
      rebuild(buckets, key_of);
  }

  std::size_t bucket_count() const { return buckets_.size(); }

private:
  std::size_t mask() const { return buckets_.size() - 1; }

  std::size_t home(token t) const {
    // Fibonacci hashing: the top bits of a multiplicative hash spread
    // sequential tokens (the same stamp, counting randoms) evenly.
    return static_cast<std::size_t>((std::hash<token>{}(t) * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  void place(slot_id s, token t) {
    auto b = home(t);
    while (buckets_[b] != none)
      b = (b + 1) & mask();
    buckets_[b] = s;
  }

  template <class KeyOf>
  void rebuild(std::size_t n, KeyOf key_of) {
    big_vector<slot_id> old(n, none);
    old.swap(buckets_);
    set_shift(n);
    for (auto s : old)
      if (s != none)
        place(s, key_of(s));
  }

  void set_shift(std::size_t n) {
    shift_ = 64;
    while (n > 1) {
      n >>= 1;
      --shift_;
    }
  }

  big_vector<slot_id> buckets_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

} // namespace chronos
