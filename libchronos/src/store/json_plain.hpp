#pragma once

// Which characters a JSON string literal holds as they are: all but the
// quote, the backslash and the control characters. The writer copies runs
// of them whole and escapes the rest; the fast readers copy (or view) them
// back. Private to libchronos.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace chronos::detail {

inline bool needs_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

/// The length of the run of characters at the start of `text` that need no
/// escape. Eight bytes at a time while none of them does: each test may flag
/// a byte after one that does (bit tricks on a word), never miss one.
inline std::size_t plain_prefix(std::string_view text) {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  const auto has_zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  std::size_t n = 0;
  for (std::uint64_t word; n + 8 <= text.size(); n += 8) {
    std::memcpy(&word, text.data() + n, 8);
    if (has_zero_byte(word ^ ones * '"') || has_zero_byte(word ^ ones * '\\')
        || ((word - ones * 0x20) & ~word & highs))
      break;
  }
  while (n < text.size() && !needs_escape(text[n]))
    ++n;
  return n;
}

} // namespace chronos::detail
