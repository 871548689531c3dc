#pragma once

#include <optional>
#include <string_view>

namespace chronos {

/// When an acknowledged change is on disk.
enum class durability {
  /// fsync of the journal before the reply; concurrent changes share one fsync.
  always,
  /// Written to the journal at once, fsynced every `sync_interval`.
  interval,
  /// No journal: the state file is written on orderly shutdown only.
  shutdown,
};

std::optional<durability> parse_durability(std::string_view text);
const char* to_string(durability d);

} // namespace chronos
