#include "base/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace chronos {

bool valid_utf8(std::string_view text) noexcept {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xc0) == 0x80;
  };
  for (std::size_t i = 0; i < text.size();) {
    // ASCII, nearly all of what names, tokens and payloads hold, eight bytes
    // at a time.
    if (std::uint64_t word; i + 8 <= text.size()) {
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080u) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char lead = byte(i);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf; // allowed range of the second byte
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      n = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      n = 3;
      if (lead == 0xe0)
        lo = 0xa0; // overlong
      if (lead == 0xed)
        hi = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      n = 4;
      if (lead == 0xf0)
        lo = 0x90; // overlong
      if (lead == 0xf4)
        hi = 0x8f; // past U+10FFFF
    } else {
      return false;
    }
    if (i + 1 >= text.size() || byte(i + 1) < lo || byte(i + 1) > hi)
      return false;
    for (std::size_t k = 2; k < n; ++k)
      if (!continuation(i + k))
        return false;
    i += n;
  }
  return true;
}

std::optional<std::size_t> find_control_character(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f)
      return i;
    // C1 controls are U+0080 to U+009F: 0xc2 0x80 to 0xc2 0x9f.
    if (byte == 0xc2 && i + 1 < text.size()
        && static_cast<unsigned char>(text[i + 1]) <= 0x9f)
      return i;
  }
  return std::nullopt;
}

} // namespace chronos
