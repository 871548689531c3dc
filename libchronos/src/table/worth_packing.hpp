#pragma once

// When an array whose entries come and go is packed to give memory back: the
// timer table's slots and its name pool's ids follow one rule. Private to
// libchronos.

#include <cstddef>

namespace chronos::detail {

/// True once fewer than a quarter of `total` entries are `live`, and there
/// are thousands of them (packing fewer would save too little to be worth
/// a pass).
constexpr bool worth_packing(std::size_t live, std::size_t total) {
  return total >= 4096 && live * 4 < total;
}

} // namespace chronos::detail
