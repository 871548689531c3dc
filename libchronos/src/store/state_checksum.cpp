#include "store/state_checksum.hpp"

#include <cstdio>

#include "base/crc32.hpp"
#include "base/hex.hpp"

namespace chronos::detail {

namespace {

constexpr std::string_view trailer_end = "\"\n}\n";

std::string hex8(std::uint32_t x) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", x);
  return text;
}

} // namespace

void append_checksum(std::string& out, std::uint32_t crc) {
  out += checksum_key;
  out += hex8(crc);
  out += trailer_end;
}

bool has_checksum(std::string_view text) {
  if (text.size() < checksum_trailer_size)
    return false;
  const auto trailer = text.substr(text.size() - checksum_trailer_size);
  return trailer.substr(0, checksum_key.size()) == checksum_key
         && trailer.substr(checksum_key.size() + 8) == trailer_end
         && parse_lower_hex8(trailer.data() + checksum_key.size());
}

checksum_check check_checksum(std::string_view text) {
  checksum_check out;
  out.body = text;
  if (!has_checksum(text))
    return out;
  const auto stored = parse_lower_hex8(text.data() + text.size() - checksum_trailer_size
                                       + checksum_key.size());
  out.body = text.substr(0, text.size() - checksum_trailer_size);
  out.stored = *stored;
  out.computed = crc32(out.body);
  out.result = out.stored == out.computed ? checksum_check::verdict::matches
                                          : checksum_check::verdict::differs;
  return out;
}

std::string checksum_mismatch(const checksum_check& c) {
  return "checksum mismatch (stored " + hex8(c.stored) + ", computed " + hex8(c.computed)
         + "): the file is damaged; if it was edited by hand, remove its \"crc32\" line "
           "(and the comma before it) to read it unchecked";
}

} // namespace chronos::detail
