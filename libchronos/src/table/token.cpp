#include "chronos/table/token.hpp"

#include <array>
#include <cstring>

#include "base/hex.hpp"

namespace chronos {

namespace {

constexpr std::size_t stamp_digits = 12;
constexpr std::size_t random_digits = 16;

// Writes the low `digits` (even) hex digits of `value` to `out`.
void put_hex(char* out, std::uint64_t value, std::size_t digits) {
  for (std::size_t i = digits; i > 0; i -= 2, value >>= 8)
    std::memcpy(out + i - 2, detail::hex_pair(static_cast<unsigned char>(value)).data(), 2);
}

using text = std::array<char, token::text_size>;

text format(std::uint64_t stamp, std::uint64_t random) {
  text out;
  put_hex(out.data(), stamp, stamp_digits);
  out[stamp_digits] = '-';
  put_hex(out.data() + stamp_digits + 1, random, random_digits);
  return out;
}

} // namespace

std::optional<token> token::parse(std::string_view text) {
  if (text.size() != text_size || text[stamp_digits] != '-')
    return std::nullopt;
  // The stamp's twelve digits as 0-7 and 4-11 (overlapping), then the random 16.
  const char* at = text.data();
  const auto stamp_high = detail::parse_lower_hex8(at);
  const auto stamp_low = detail::parse_lower_hex8(at + 4);
  const auto random_high = detail::parse_lower_hex8(at + stamp_digits + 1);
  const auto random_low = detail::parse_lower_hex8(at + stamp_digits + 9);
  if (!stamp_high || !stamp_low || !random_high || !random_low)
    return std::nullopt;
  return token{std::uint64_t{*stamp_high} << 16 | (*stamp_low & 0xffff),
               std::uint64_t{*random_high} << 32 | *random_low};
}

std::string token::str() const {
  const auto t = format(stamp_, random_);
  return std::string(t.data(), t.size());
}

void token::append_to(std::string& out) const {
  const auto t = format(stamp_, random_);
  out.append(t.data(), t.size());
}

token_generator::token_generator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  rng_.seed(seed);
}

} // namespace chronos
