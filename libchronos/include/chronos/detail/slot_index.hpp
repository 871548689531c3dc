#pragma once

// Key -> slot lookup over keys that live elsewhere: the timer table's tokens
// (in its slots) and the name pool's names. Open addressing with linear
// probing over 4-byte buckets; the index asks for a slot's key through
// `key_of(slot)`, so it costs 4 bytes per bucket (5-11 per timeout at its
// load of 3/8 to 3/4) instead of a node per entry. Deletion shifts the
// following entries back, so there are no tombstones and lookups stay short
// under churn.
//
// A bucket holds the slot id in its low bits and, in the bits slot ids do not
// need yet, the entry's distance from its home bucket (3 bits; 7 means "7 or
// more") and a fingerprint of the key's hash. A probe looks at a slot (a
// cache miss: slots are spread over tens of megabytes) only when the
// fingerprint matches, so a lookup touches about one slot, and an insert's
// check for a key that is not there none, instead of one per occupied
// bucket on the way. Deletion reads the distances of the entries after the
// hole to see which move back, and looks at a slot only for an entry 7 or
// more from home (reading every such entry's slot was where a cancel's
// erase from the index waited in a profile of W4). With a million slots 8
// bits of fingerprint are left (1 probe in 256 looks at a wrong slot); with
// slot ids of 29 bits or more none, and every probe looks.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "chronos/detail/page_vector.hpp"
#include "chronos/detail/prefetch.hpp"

namespace chronos {

/// `Key`: a small value type with `==` and `std::hash` (a token, a string_view).
template <class Key>
class slot_index {
public:
  using slot_id = std::uint32_t;
  static constexpr slot_id none = ~slot_id{0};

  /// The slot holding `t`, or `none`.
  template <class KeyOf>
  slot_id find(Key t, KeyOf key_of) const {
    return probe(t, [&](slot_id s) { return key_of(s) == t; });
  }

  /// Adds slot `s`, whose key is `key_of(s)` and not present yet.
  template <class KeyOf>
  void insert(slot_id s, KeyOf key_of) {
    const bool full = size_ + 1 > holds(buckets_.size());
    if (full || !fits(s)) {
      const auto buckets = full ? std::max<std::size_t>(16, buckets_.size() * 2) : buckets_.size();
      // Slot ids as wide as the grown table holds entries: dense ids (the
      // timer table's) then widen as the table doubles, not in a rebuild
      // of their own in between.
      const auto widest = static_cast<slot_id>(std::min<std::size_t>(holds(buckets), none - 1));
      rebuild(buckets, std::max({slot_bits_, bits_for(s), bits_for(widest)}), key_of);
    }
    place(s, hash(key_of(s)));
    ++size_;
  }

  /// Removes slot `s` (present, with key `key_of(s)`).
  template <class KeyOf>
  void erase(slot_id s, KeyOf key_of) {
    auto hole = home(hash(key_of(s)));
    while (slot_in(buckets_[hole]) != s)
      hole = (hole + 1) & mask();
    for (auto b = (hole + 1) & mask(); buckets_[b] != none; b = (b + 1) & mask()) {
      // An entry may move back into the hole unless its home lies in (hole, b].
      const slot_id v = buckets_[b];
      std::size_t from_home = distance_in(v);
      if (from_home == far())
        from_home = (b - home(hash(key_of(slot_in(v))))) & mask();
      const auto gap = (b - hole) & mask();
      if (from_home >= gap) {
        buckets_[hole] = with_distance(v, from_home - gap);
        hole = b;
      }
    }
    buckets_[hole] = none;
    --size_;
  }

  /// Re-adds slots 0 .. n-1 (each with its key from `key_of`) into a
  /// table sized for them, in the buckets it has (what it no longer needs
  /// goes back); the old contents are dropped.
  template <class KeyOf>
  void assign(std::size_t n, KeyOf key_of) {
    std::size_t buckets = 16;
    while (n * 2 > buckets) // start at most half full
      buckets *= 2;
    reset(buckets, n == 0 ? min_slot_bits : bits_for(static_cast<slot_id>(n - 1)));
    buckets_.shrink_to_fit();
    size_ = n;
    place_all(
      [n](auto place_one) {
        for (std::size_t s = 0; s < n; ++s)
          place_one(static_cast<slot_id>(s));
      },
      key_of);
  }

  /// Grows the table, if needed, so that `n` slots (ids below `n`) fit
  /// without a rebuild.
  template <class KeyOf>
  void reserve(std::size_t n, KeyOf key_of) {
    std::size_t buckets = buckets_.empty() ? 16 : buckets_.size();
    while (n > holds(buckets))
      buckets *= 2;
    const auto bits =
      n == 0 ? slot_bits_ : std::max(slot_bits_, bits_for(static_cast<slot_id>(n - 1)));
    if (buckets != buckets_.size() || bits != slot_bits_)
      rebuild(buckets, bits, key_of);
  }

  /// Hints the cache that `t` is looked up soon: its home bucket.
  void prefetch(Key t) const {
    if (!buckets_.empty())
      detail::prefetch(&buckets_[home(hash(t))]);
  }

  /// The slot of the first bucket from `t`'s home whose fingerprint matches,
  /// found without looking at slots: most likely `t`'s slot, for a hint
  /// (`find` is the answer). `none` if no bucket matches.
  slot_id likely_slot(Key t) const {
    return probe(t, [](slot_id) { return true; });
  }

  std::size_t bucket_count() const { return buckets_.size(); }
  std::size_t memory_bytes() const { return buckets_.capacity() * sizeof(slot_id); }

private:
  static constexpr unsigned min_slot_bits = 16;

  // The most entries `buckets` take: a load of 3/4 keeps probe runs short.
  static constexpr std::size_t holds(std::size_t buckets) { return buckets / 4 * 3; }

  // Walks `t`'s run from its home bucket: the first slot whose fingerprint
  // matches and that `is_it` accepts, or `none` at the first empty bucket.
  template <class IsIt>
  slot_id probe(Key t, IsIt is_it) const {
    if (buckets_.empty())
      return none;
    const auto h = hash(t);
    const auto fp = fingerprint(h);
    for (auto b = home(h);; b = (b + 1) & mask()) {
      const slot_id v = buckets_[b];
      if (v == none)
        return none;
      if (fingerprint_of(v) == fp && is_it(slot_in(v)))
        return slot_in(v);
    }
  }

  std::size_t mask() const { return buckets_.size() - 1; }

  // Fibonacci hashing: the top bits of a multiplicative hash spread
  // sequential tokens (the same stamp, counting randoms) evenly. The home
  // bucket comes from the top bits, the fingerprint from the bits below.
  static std::uint64_t hash(Key t) { return std::hash<Key>{}(t) * 0x9e3779b97f4a7c15ULL; }
  std::size_t home(std::uint64_t h) const { return static_cast<std::size_t>(h >> shift_); }
  // The 16 bits below the home's, as many as the slot ids and the distance
  // leave room for.
  std::uint64_t fingerprint(std::uint64_t h) const {
    return (h >> (shift_ - 16)) & ((std::uint64_t{1} << (32 - slot_bits_ - distance_bits())) - 1);
  }

  // A bucket's distance field: up to 3 bits, as the slot ids leave room for.
  static constexpr unsigned max_distance_bits = 3;
  unsigned distance_bits() const { return std::min(max_distance_bits, 32 - slot_bits_); }
  // The distance stored for entries this far from home or farther.
  std::size_t far() const { return (std::size_t{1} << distance_bits()) - 1; }
  std::size_t distance_in(slot_id v) const {
    return static_cast<std::size_t>(std::uint64_t{v} >> slot_bits_ & far());
  }
  slot_id with_distance(slot_id v, std::size_t from_home) const {
    const auto field = std::uint64_t{far()} << slot_bits_;
    return static_cast<slot_id>((v & ~field)
                                | std::uint64_t{std::min(from_home, far())} << slot_bits_);
  }

  // Bits a slot id needs, with its all-ones pattern kept free: a bucket
  // of all ones means empty.
  static unsigned bits_for(slot_id s) {
    unsigned bits = min_slot_bits;
    while (bits < 32 && std::uint64_t{s} >= (std::uint64_t{1} << bits) - 1)
      ++bits;
    return bits;
  }
  /// True if `s` needs no more bits than slot ids have now.
  bool fits(slot_id s) const { return std::uint64_t{s} < (std::uint64_t{1} << slot_bits_) - 1; }
  static slot_id low_bits(slot_id v, unsigned bits) {
    return static_cast<slot_id>(v & ((std::uint64_t{1} << bits) - 1));
  }
  slot_id slot_in(slot_id v) const { return low_bits(v, slot_bits_); }
  std::uint64_t fingerprint_of(slot_id v) const {
    return std::uint64_t{v} >> (slot_bits_ + distance_bits());
  }

  // Puts slot `s`, whose key hashes to `h`, in the first free bucket from its home.
  void place(slot_id s, std::uint64_t h) {
    auto b = home(h);
    std::size_t from_home = 0;
    for (; buckets_[b] != none; b = (b + 1) & mask())
      ++from_home;
    buckets_[b] = with_distance(
      static_cast<slot_id>(fingerprint(h) << (slot_bits_ + distance_bits()) | s), from_home);
  }

  // Re-places every entry. Dense slot ids (the timer table's) are taken in
  // slot order, through a bitmap, so that the keys are read from the slots
  // front to back: in bucket order each read would be a cache miss at a
  // million. Ids too sparse for a bitmap the size of the buckets go in
  // bucket order.
  template <class KeyOf>
  void rebuild(std::size_t n, unsigned slot_bits, KeyOf key_of) {
    // The bitmap spans every id the slot bits allow when that is not much
    // more than the buckets (dense ids), else the ids between the least and
    // the greatest present (one more pass to find them).
    std::uint64_t lo = 0, span = std::uint64_t{1} << slot_bits_;
    if (span / 64 > buckets_.size()) {
      slot_id least = none, greatest = 0;
      for (auto v : buckets_)
        if (v != none) {
          least = std::min(least, slot_in(v));
          greatest = std::max(greatest, slot_in(v));
        }
      lo = least;
      span = least <= greatest ? greatest - least + 1 : 0;
    }
    if (span > 0 && span / 64 <= buckets_.size()) {
      std::vector<std::uint64_t> present(span / 64 + 1);
      for (auto v : buckets_)
        if (v != none)
          present[(slot_in(v) - lo) / 64] |= std::uint64_t{1} << ((slot_in(v) - lo) % 64);
      reset(n, slot_bits);
      place_all(
        [&](auto place_one) {
          for (std::size_t w = 0; w < present.size(); ++w)
            for (auto bits = present[w]; bits != 0; bits &= bits - 1)
              place_one(static_cast<slot_id>(lo + w * 64
                                             + static_cast<unsigned>(__builtin_ctzll(bits))));
        },
        key_of);
      return;
    }
    page_vector<slot_id> old;
    old.swap(buckets_);
    const auto old_bits = slot_bits_;
    reset(n, slot_bits);
    place_all(
      [&](auto place_one) {
        for (auto v : old)
          if (v != none)
            place_one(low_bits(v, old_bits));
      },
      key_of);
  }

  // Places the slots `each` gives (it calls its argument with every one),
  // each home bucket fetched `ahead` slots before its write: the buckets of
  // a large table are random writes into megabytes.
  template <class Each, class KeyOf>
  void place_all(Each each, KeyOf key_of) {
    constexpr std::size_t ahead = 8;
    std::array<std::pair<slot_id, std::uint64_t>, ahead> waiting{};
    std::size_t n = 0;
    each([&](slot_id s) {
      const auto h = hash(key_of(s));
      detail::prefetch(&buckets_[home(h)]);
      auto& w = waiting[n++ % ahead];
      if (n > ahead)
        place(w.first, w.second);
      w = {s, h};
    });
    for (std::size_t i = n > ahead ? n - ahead : 0; i < n; ++i)
      place(waiting[i % ahead].first, waiting[i % ahead].second);
  }

  /// Empty buckets for `n` (a power of two), slot ids of `slot_bits`.
  void reset(std::size_t n, unsigned slot_bits) {
    buckets_.assign(n, none);
    shift_ = 64;
    for (auto m = n; m > 1; m >>= 1)
      --shift_;
    slot_bits_ = slot_bits;
  }

  page_vector<slot_id> buckets_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
  unsigned slot_bits_ = min_slot_bits; // the rest of a bucket: distance, fingerprint
};

} // namespace chronos
