#pragma once

// The fast path for reading a state file: a parser for exactly the text that
// `encode` writes (one timeout a line, fixed key order, the escapes it uses),
// about ten times faster than a general JSON parser. Anything else, including
// every damaged or hand-edited file, makes it give up (`nullopt`), and the
// general reader (state_reader.hpp) reads the file instead and names what is
// wrong. Both apply the same rules to each timeout (timeout_json.hpp).
// Private to libchronos; state_file.cpp is its user.

#include <cstdint>
#include <optional>
#include <string_view>

#include "chronos/store/state_file.hpp"

namespace chronos::detail {

/// Hands each timeout to `into` as it is read; the snapshot's generation, or
/// nullopt as soon as the text is not canonical or `into` refuses a timeout
/// (then `into` holds part of the file).
std::optional<std::uint64_t> read_canonical_snapshot(std::string_view text, snapshot_sink& into);

/// The same into a snapshot.
std::optional<snapshot> read_canonical_snapshot(std::string_view text);

} // namespace chronos::detail
