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

/// Takes a state file's contents as they are read, one timeout at a time, so
/// that restoring a million timeouts builds no list of them in between
/// (replayable.hpp). A reader that gives up part way (the fast reader, on a
/// file it does not know) calls `clear` and starts over.
class snapshot_sink {
public:
  /// The header, and about how many timeouts follow (room to reserve).
  virtual void begin(timestamp saved_at, std::uint64_t generation, std::size_t about) = 0;
  /// One timeout of the "timeouts" list, or of "parked"; an error refuses it.
  virtual status take(timeout&& t, bool parked) = 0;
  /// Forgets everything taken since `begin`.
  virtual void clear() = 0;

protected:
  ~snapshot_sink() = default; // never owned through this interface
  snapshot_sink() = default;
  snapshot_sink(const snapshot_sink&) = default;
  snapshot_sink(snapshot_sink&&) = default;
  snapshot_sink& operator=(const snapshot_sink&) = default;
  snapshot_sink& operator=(snapshot_sink&&) = default;
};

/// The other way: hands a state's timeouts to the writer one at a time, so
/// that saving a million timeouts builds no list of them either.
class snapshot_source {
public:
  using visitor = std::function<void(const timeout&)>;
  /// Calls `each` for every pending timeout, or every parked one, in
  /// (deadline, token) order; the timeout lives for the call only.
  virtual void for_each(bool parked, const visitor& each) const = 0;

  /// All of it in a snapshot: for tests and tools; saving needs none.
  snapshot collect(timestamp saved_at, std::uint64_t generation = 0) const;

protected:
  ~snapshot_source() = default; // never owned through this interface
  snapshot_source() = default;
  snapshot_source(const snapshot_source&) = default;
  snapshot_source(snapshot_source&&) = default;
  snapshot_source& operator=(const snapshot_source&) = default;
  snapshot_source& operator=(snapshot_source&&) = default;
};

/// Hands `s` to `into`, pending then parked; the first refusal is the error.
status restore(snapshot s, snapshot_sink& into);

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
