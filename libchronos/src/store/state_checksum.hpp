#pragma once

// The state file's checksum. A file chronos writes ends with
//
//   ,\n"crc32": "XXXXXXXX"\n}\n
//
// where XXXXXXXX is the CRC-32 (lowercase hex) of every byte before that
// trailer. JSON itself cannot tell a flipped byte inside a payload from the
// payload; the checksum can. A file without the trailer (written before
// checksums, or edited by hand and its crc32 line removed) is read unchecked;
// a "crc32" field anywhere else is refused. Private to libchronos: the writer
// (state_file.cpp) and both readers use it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chronos::detail {

constexpr std::string_view checksum_key = ",\n\"crc32\": \"";
constexpr std::size_t checksum_trailer_size = checksum_key.size() + 8 + 4;

/// Appends the trailer for a body whose CRC-32 is `crc`.
void append_checksum(std::string& out, std::uint32_t crc);

/// What the end of a state file's text says of its checksum.
struct checksum_check {
  enum class verdict { absent, matches, differs };
  verdict result = verdict::absent;
  std::uint32_t stored = 0;
  std::uint32_t computed = 0;

  /// The text before the trailer (all of it when there is none).
  std::string_view body;
};

/// True if `text` ends in a trailer (checks its shape, not the CRC).
bool has_checksum(std::string_view text);

/// Checks the trailer of `text`; computes the CRC only when there is one.
checksum_check check_checksum(std::string_view text);

/// The error text for a checksum that differs.
std::string checksum_mismatch(const checksum_check& c);

} // namespace chronos::detail
