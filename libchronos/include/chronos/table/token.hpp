#pragma once

// Opaque timeout tokens. Held as 128 bits (creation time in ms since the epoch,
// then 64 uniform random bits) and shown as 29 characters of fixed-width
// lowercase hex, "0192f3a1b2c3-9f3c4d2e1a0b7c6d", so that the textual order is the
// numeric order and a token means the same thing after a restart. Clients must
// treat the text as opaque; the layout is ours to change with the format version.

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "chronos/base/clock.hpp"

namespace chronos {

class token {
public:
  static constexpr std::size_t text_size = 29;

  constexpr token() = default;
  constexpr token(std::uint64_t stamp, std::uint64_t random) : stamp_(stamp), random_(random) {}

  /// Parses the exact textual form; anything else is `nullopt`.
  static std::optional<token> parse(std::string_view text);

  std::string str() const;
  /// Appends the textual form to `out` (no allocation of its own).
  void append_to(std::string& out) const;

  constexpr std::uint64_t stamp() const { return stamp_; }
  constexpr std::uint64_t random() const { return random_; }

  friend constexpr bool operator==(token a, token b) {
    return a.stamp_ == b.stamp_ && a.random_ == b.random_;
  }
  friend constexpr bool operator!=(token a, token b) { return !(a == b); }
  friend constexpr bool operator<(token a, token b) {
    return a.stamp_ != b.stamp_ ? a.stamp_ < b.stamp_ : a.random_ < b.random_;
  }

private:
  std::uint64_t stamp_ = 0;
  std::uint64_t random_ = 0;
};

/// Makes fresh tokens. Uniqueness within a table is the caller's check (it
/// retries on a collision); this only promises 64 uniform random bits each.
class token_generator {
public:
  /// Seeded from `std::random_device`.
  token_generator();
  explicit token_generator(std::uint64_t seed) : rng_(seed) {}

  token next(timestamp now) {
    // The text holds 48 bits of stamp: enough until the year 10889.
    constexpr std::uint64_t stamp_mask = (std::uint64_t{1} << 48) - 1;
    return token{static_cast<std::uint64_t>(to_epoch_ms(now)) & stamp_mask, rng_()};
  }

  /// A random delay in [0, bound) (bound > 0): the same seed, the same draws.
  millis delay_below(millis bound) {
    return millis{static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(bound.count()))};
  }

private:
  std::mt19937_64 rng_;
};

} // namespace chronos

template <>
struct std::hash<chronos::token> {
  std::size_t operator()(chronos::token t) const noexcept {
    // The random half is uniform already; mix in the stamp for crafted tokens.
    return static_cast<std::size_t>(t.random() ^ (t.stamp() * 0x9e3779b97f4a7c15ULL));
  }
};
