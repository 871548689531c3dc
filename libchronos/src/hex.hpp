#pragma once

// Lowercase hexadecimal, the one form chronos writes (tokens, journal CRCs,
// "\u00XX" escapes in the state file), read back strictly. Private to libchronos.

#include <cstdint>
#include <optional>
#include <string_view>

namespace chronos::detail {

/// The value of `text`: 1 to 16 lowercase hex digits; anything else is nullopt.
inline std::optional<std::uint64_t> parse_lower_hex(std::string_view text) {
  if (text.empty() || text.size() > 16)
    return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else
      return std::nullopt;
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

} // namespace chronos::detail
