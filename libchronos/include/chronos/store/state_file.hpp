#pragma once

// The state file: a versioned JSON snapshot of every timeout, written on
// orderly shutdown and read on start. The format is documented in
// docs/state-file.md; `decode` accepts exactly that and names what is wrong
// with anything else, so a damaged file stops the start instead of silently
// dropping timeouts.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/store/snapshot.hpp"

namespace chronos {

/// The state file's "format" and "version" header fields.
struct state_file_format {
  static constexpr const char* name = "chronos-state";
  static constexpr int version = 1;
};

/// One JSON document, one timeout a line, so that `grep` and `diff` work on it.
outcome<std::string> encode(const snapshot& s);

outcome<snapshot> decode(std::string_view text);

/// Decodes `text` into `into` (empty), without a snapshot in between; the
/// snapshot's generation. What `decode` refuses, this refuses; a timeout
/// `into` refuses is an error too.
outcome<std::uint64_t> decode_into(std::string_view text, snapshot_sink& into);

/// Loads `path`; a missing file is an empty snapshot. Errors name the file.
outcome<snapshot> load_state(const std::string& path);

/// Loads `path` into `into` (empty), without a snapshot in between; returns
/// the snapshot's generation (0 for a missing file). Errors name the file.
outcome<std::uint64_t> load_state(const std::string& path, snapshot_sink& into);

/// Encodes and writes `path` atomically (see atomic_file.hpp).
status save_state(const std::string& path, const snapshot& s);

/// The same for the timeouts of `from`, under the header `saved_at` and
/// `generation`, without a snapshot in between.
status save_state(const std::string& path, const snapshot_source& from, timestamp saved_at,
                  std::uint64_t generation);

} // namespace chronos
