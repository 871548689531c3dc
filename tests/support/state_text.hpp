#pragma once

// State file texts as a person editing them would leave them.

#include <string>

#include "store/state_checksum.hpp"

namespace chronos::test {

/// `text` with its checksum line taken out, as a file edited by hand must be
/// to load: then it is read unchecked, and what is wrong with its content is
/// for the readers to find.
inline std::string without_checksum(const std::string& text) {
  if (!detail::has_checksum(text))
    return text;
  return text.substr(0, text.size() - detail::checksum_trailer_size) + "\n}\n";
}

} // namespace chronos::test
