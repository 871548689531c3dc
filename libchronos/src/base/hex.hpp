#pragma once

// Lowercase hexadecimal, the one form chronos writes (tokens, journal CRCs,
// "\u00XX" escapes in the state file), read back strictly. Private to libchronos.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace chronos::detail {

// Each byte's digit value, or -1: a lookup instead of range checks, because
// token digits are random and the branches of a range check mispredict
// (about 4x slower on a million cancels' tokens).
inline constexpr std::array<std::int8_t, 256> lower_hex_digits = [] {
  std::array<std::int8_t, 256> table{};
  for (auto& value : table)
    value = -1;
  for (int c = '0'; c <= '9'; ++c)
    table[c] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    table[c] = static_cast<std::int8_t>(c - 'a' + 10);
  return table;
}();

/// "00" to "ff": a byte's two digits in one lookup (at 2 * byte). Token
/// text is written two digits at a time from it, not digit by digit through
/// push_back: a batch reply formats 100,000 tokens.
inline constexpr std::array<char, 512> lower_hex_pairs = [] {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[2 * b] = digits[b >> 4];
    pairs[2 * b + 1] = digits[b & 0xf];
  }
  return pairs;
}();

/// The two digits of `byte`.
inline std::string_view hex_pair(unsigned char byte) { return {&lower_hex_pairs[2 * byte], 2}; }

/// The value of `text`: 1 to 16 lowercase hex digits; anything else is nullopt.
inline std::optional<std::uint64_t> parse_lower_hex(std::string_view text) {
  if (text.empty() || text.size() > 16)
    return std::nullopt;
  std::uint64_t value = 0;
  int invalid = 0; // sign bit set once any byte is not a digit
  for (char c : text) {
    const int digit = lower_hex_digits[static_cast<unsigned char>(c)];
    invalid |= digit;
    value = (value << 4) | static_cast<std::uint64_t>(digit & 0xf);
  }
  if (invalid < 0)
    return std::nullopt;
  return value;
}

/// The value of the eight lowercase hex digits at `text`, all eight at once
/// (a token is four such words; in the loop above each digit waits on the
/// one before); nullopt if any byte is not one.
inline std::optional<std::uint32_t> parse_lower_hex8(const char* text) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "digit i is byte i of the word");
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x80 * ones;
  std::uint64_t word;
  std::memcpy(&word, text, 8);
  // Bit 7 of each byte of word + (0x80 - lo): that byte >= lo. No sum carries
  // into the next byte while every byte is below 0x80, which is checked too.
  const auto at_least = [word](unsigned lo) { return word + (0x80 - lo) * ones; };
  const std::uint64_t digit = at_least('0') & ~at_least('9' + 1) & highs;
  const std::uint64_t letter = at_least('a') & ~at_least('f' + 1) & highs;
  if ((digit | letter) != highs || (word & highs) != 0)
    return std::nullopt;
  // A digit's value is its low nibble; a letter's, its low nibble + 9.
  std::uint64_t v = (word & 0x0f * ones) + (letter >> 7) * 9;
  // Pairs of digits into bytes, then the four bytes together, first digit highest.
  v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ffu;
  v = (v | (v >> 8)) & 0x0000ffff0000ffffu;
  v = (v | (v >> 16)) & 0xffffffffu;
  return __builtin_bswap32(static_cast<std::uint32_t>(v));
}

} // namespace chronos::detail
