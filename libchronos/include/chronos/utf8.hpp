#pragma once

#include <string_view>

namespace chronos {

/// True if `text` is well-formed UTF-8 (no overlongs, surrogates or values past
/// U+10FFFF). Names and payloads must be, since the state file is JSON.
bool valid_utf8(std::string_view text) noexcept;

} // namespace chronos
