#pragma once

// CRC-32 (IEEE 802.3, the zlib/PNG polynomial): the checksum of each journal
// record, so that `crc32` from any toolbox can recompute it.

#include <cstdint>
#include <string_view>

namespace chronos {

std::uint32_t crc32(std::string_view data) noexcept;

/// Goes on from the CRC of what came before: crc32(b, crc32(a)) is the CRC
/// of a followed by b, for data written in pieces.
std::uint32_t crc32(std::string_view data, std::uint32_t before) noexcept;

} // namespace chronos
