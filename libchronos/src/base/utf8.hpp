#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chronos {

/// True if `text` is well-formed UTF-8 (no overlongs, surrogates or values past
/// U+10FFFF). Names and payloads must be, since the state file is JSON.
bool valid_utf8(std::string_view text) noexcept;

/// The byte offset of the first control character in well-formed UTF-8
/// `text` (U+0000 to U+001F, U+007F, U+0080 to U+009F), if any. Names hold
/// none: one would split or rewrite a line of `list` on a terminal.
std::optional<std::size_t> find_control_character(std::string_view text) noexcept;

} // namespace chronos
