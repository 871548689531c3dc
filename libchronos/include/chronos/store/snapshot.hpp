#pragma once

// A snapshot of a state: every timeout, pending and parked, and the journal
// generation that follows it. What a store saves and loads, and what the
// server's state and the expiring store restore from (snapshot_sink) and save
// from (snapshot_source), one timeout at a time. No I/O here: the state file
// (state_file.hpp) is one encoding of it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/table/timeout.hpp"

namespace chronos {

struct snapshot {
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

/// The two lists of a snapshot.
enum class snapshot_list {
  /// Timeouts waiting for their deadline.
  pending,
  /// Occurrences that came due while their name had no live actor.
  parked,
};

/// Takes a state file's contents as they are read, one timeout at a time, so
/// that restoring a million timeouts builds no list of them in between
/// (replayable.hpp). A reader that gives up part way (the fast reader, on a
/// file it does not know) calls `clear` and starts over.
class snapshot_sink {
public:
  /// The header, and about how many timeouts follow (room to reserve).
  virtual void begin(timestamp saved_at, std::uint64_t generation, std::size_t about) = 0;
  /// Adds one timeout of list `to`; an error refuses it.
  virtual status add(timeout&& t, snapshot_list to) = 0;
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
  /// Calls `each` for every timeout of list `of`, in (deadline, token)
  /// order; the timeout lives for the call only.
  virtual void for_each(snapshot_list of, const visitor& each) const = 0;

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

} // namespace chronos
