#include "chronos/token.hpp"

#include "hex.hpp"

namespace chronos {

namespace {

constexpr std::size_t stamp_digits = 12;
constexpr std::size_t random_digits = 16;
constexpr char hex_digits[] = "0123456789abcdef";

void put_hex(std::string& out, std::uint64_t value, std::size_t digits) {
  for (std::size_t i = digits; i-- > 0;)
    out.push_back(hex_digits[(value >> (4 * i)) & 0xf]);
}

} // namespace

std::optional<token> token::parse(std::string_view text) {
  if (text.size() != text_size || text[stamp_digits] != '-')
    return std::nullopt;
  auto stamp = detail::parse_lower_hex(text.substr(0, stamp_digits));
  auto random = detail::parse_lower_hex(text.substr(stamp_digits + 1));
  if (!stamp || !random)
    return std::nullopt;
  return token{*stamp, *random};
}

std::string token::str() const {
  std::string out;
  out.reserve(text_size);
  append_to(out);
  return out;
}

void token::append_to(std::string& out) const {
  put_hex(out, stamp_, stamp_digits);
  out.push_back('-');
  put_hex(out, random_, random_digits);
}

token_generator::token_generator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  rng_.seed(seed);
}

} // namespace chronos
