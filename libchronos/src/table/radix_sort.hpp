#pragma once

// A stable sort by a 64-bit key, for the timer table's heap entries when a
// state file is written or everything is listed: a million of them sort in
// a few passes over memory instead of twenty-odd rounds of comparisons.
// Private to libchronos.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace chronos::detail {

/// Sorts `items` by `key(item)` (a std::uint64_t), keeping the order of equal
/// keys. Least significant digit first, 11 bits a pass; a digit that every
/// key shares (the high bits of deadlines close together) costs no pass.
template <class T, class Key>
void radix_sort(std::vector<T>& items, Key key) {
  if (items.size() < 2)
    return;
  constexpr unsigned bits = 11;
  constexpr std::size_t digits = (64 + bits - 1) / bits;
  constexpr std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::vector<std::array<std::size_t, mask + 1>> counts(digits);
  for (const auto& item : items) {
    const std::uint64_t k = key(item);
    for (std::size_t d = 0; d < digits; ++d)
      ++counts[d][(k >> (d * bits)) & mask];
  }
  std::vector<T> other(items.size());
  for (std::size_t d = 0; d < digits; ++d) {
    auto& at = counts[d];
    if (at[(key(items.front()) >> (d * bits)) & mask] == items.size())
      continue; // one digit for all: nothing to move
    std::size_t start = 0;
    for (auto& n : at)
      start += std::exchange(n, start);
    for (const auto& item : items)
      other[at[(key(item) >> (d * bits)) & mask]++] = item;
    items.swap(other);
  }
}

} // namespace chronos::detail
