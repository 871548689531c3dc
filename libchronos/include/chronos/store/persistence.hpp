#pragma once

// Start-up and checkpoints: the state file and its journals as one durable
// whole (journal.hpp explains the files). No CAF; the actor calls these.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/store/durability.hpp"
#include "chronos/store/journal.hpp"
#include "chronos/store/replayable.hpp"
#include "chronos/store/state_file.hpp"

namespace chronos {

struct loaded {
  /// The generation after the last journal replayed.
  std::uint64_t next_generation = 0;
  std::size_t replayed = 0;
  std::uint64_t torn_bytes = 0;
  /// One line per thing passed over (a torn last record, a newest journal
  /// that was never written), for the caller to log or not.
  std::vector<std::string> warnings;
};

/// Reads the snapshot into `into` (empty) and replays the journals that follow
/// it, up to generation `last` if given, one record at a time. Reads only.
/// After an error `into` holds part of the files: drop it.
outcome<loaded> load(const std::string& state_path, replayable& into,
                     std::optional<std::uint64_t> last = std::nullopt);

struct recovery {
  /// Where new changes go (none in `shutdown` mode, or in memory).
  std::shared_ptr<change_log> log;
  /// The journal generation `log` writes (a file store's; 0 otherwise).
  std::uint64_t generation = 0;
  std::size_t replayed = 0;
  std::uint64_t torn_bytes = 0;
  /// The state file does not hold everything: journals were replayed and the
  /// fresh snapshot was left to the caller (`start_snapshot::later`).
  bool snapshot_stale = false;
};

/// When start-up writes the snapshot that a replay calls for.
enum class start_snapshot {
  /// Before `recover` returns.
  now,
  /// Left to the caller, who compacts once it serves (the state file and the
  /// journals, the new one included, are a complete set meanwhile). Only
  /// with a journal: in `shutdown` mode the snapshot is written now.
  later,
};

/// Where the state file of `state_path` really is: the path itself, or, for
/// a symbolic link, the file it points to (so that saving it replaces that
/// file, not the link). A link to nothing is an error, not a first run: the
/// volume it points to may not be mounted.
outcome<std::string> resolve_state_path(const std::string& state_path);

/// Start-up: `load`s the snapshot and every journal that follows it into
/// `into`, then checkpoints (a fresh snapshot holding everything, older
/// journals removed) unless the snapshot already holds everything or `when`
/// leaves it for later, and opens the next journal unless `mode` is
/// `shutdown`. Nothing is written unless everything could be read: an
/// unusable file stops the start untouched.
outcome<recovery> recover(const std::string& state_path, replayable& into, durability mode,
                          start_snapshot when = start_snapshot::now);

/// Writes the state file of `from` atomically (its generation: the first
/// journal that follows it), then removes the older journals, which it
/// makes obsolete.
status checkpoint(const std::string& state_path, const snapshot_source& from, timestamp saved_at,
                  std::uint64_t generation);

} // namespace chronos
