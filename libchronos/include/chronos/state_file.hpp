#pragma once

// The state file: a versioned JSON snapshot of every timeout, written on
// orderly shutdown and read on start. The format is documented in
// docs/state-file.md; `decode` accepts exactly that and names what is wrong
// with anything else, so a damaged file stops the start instead of silently
// dropping timeouts.

#include <string>
#include <string_view>
#include <vector>

#include "chronos/outcome.hpp"
#include "chronos/timeout.hpp"

namespace chronos {

struct snapshot {
  static constexpr const char* format_name = "chronos-state";
  static constexpr int format_version = 1;

  /// When the snapshot was taken (informational: restore does not need it).
  timestamp saved_at{};
  /// The first journal generation that follows this snapshot (journal.hpp).
  std::uint64_t generation = 0;
  /// Timeouts waiting for their deadline, in (deadline, token) order.
  std::vector<timeout> pending;
  /// Occurrences that came due while their name had no live actor.
  std::vector<timeout> parked;

  friend bool operator==(const snapshot& a, const snapshot& b) {
    return a.saved_at == b.saved_at && a.generation == b.generation && a.pending == b.pending
           && a.parked == b.parked;
  }
};

/// One JSON document, one timeout a line, so that `grep` and `diff` work on it.
outcome<std::string> encode(const snapshot& s);

outcome<snapshot> decode(std::string_view text);

/// Loads `path`; a missing file is an empty snapshot. Errors name the file.
outcome<snapshot> load_state(const std::string& path);

/// Encodes and writes `path` atomically (see atomic_file.hpp).
status save_state(const std::string& path, const snapshot& s);

} // namespace chronos
