#include "base/crc32.hpp"

#include <array>

namespace chronos {

namespace {

using tables = std::array<std::array<std::uint32_t, 256>, 8>;

// Slicing-by-8: tables[k][b] is the CRC of byte b followed by k zero bytes,
// so eight bytes take eight lookups that do not depend on each other.
constexpr tables make_tables() {
  tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < t.size(); ++k)
    for (std::size_t i = 0; i < 256; ++i)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}

constexpr tables table = make_tables();

// Little-endian whatever the machine: the byte order the tables assume.
std::uint32_t load_le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16
         | std::uint32_t{p[3]} << 24;
}

} // namespace

std::uint32_t crc32(std::string_view data) noexcept { return crc32(data, 0); }

std::uint32_t crc32(std::string_view data, std::uint32_t before) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint32_t c = before ^ 0xffffffffu;
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint32_t lo = c ^ load_le32(p);
    const std::uint32_t hi = load_le32(p + 4);
    c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff]
        ^ table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff]
        ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
  }
  for (; n > 0; ++p, --n)
    c = table[0][(c ^ *p) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

} // namespace chronos
