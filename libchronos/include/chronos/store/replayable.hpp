#pragma once

// What the state file and its journals restore into (persistence.hpp): a
// snapshot first, read straight into it (a snapshot_sink, snapshot.hpp),
// then each journaled change in order; and what snapshots are written from
// (a snapshot_source). The chronos server's state is one; so
// is the expiring key/value store, which keeps its entries as timeouts and so
// shares the files, the journal and the recovery.

#include <utility>

#include "chronos/base/outcome.hpp"
#include "chronos/store/snapshot.hpp"
#include "chronos/table/change.hpp"

namespace chronos {

class replayable : public snapshot_sink, public snapshot_source {
public:
  /// Loads `s` into this (empty) state.
  status restore(snapshot s) { return chronos::restore(std::move(s), *this); }

  /// Replays one journaled change; an error when it does not fit the state.
  /// By value: a replayed schedule's timeout moves into the table.
  virtual status apply(change c) = 0;

protected:
  ~replayable() = default; // never owned through this interface
  replayable() = default;
  replayable(const replayable&) = default;
  replayable(replayable&&) = default;
  replayable& operator=(const replayable&) = default;
  replayable& operator=(replayable&&) = default;
};

} // namespace chronos
