#pragma once

// The store's seam: where the server's changes go, batch by batch, after
// the snapshot it started from. Two stores implement it: the journal file
// next to the state file (journal.hpp) and the timeouts table of a
// PostgreSQL database (postgres_store.hpp). The server's group commit
// (server/group_commit.hpp) encodes each change as the log says, gathers
// the encodings into batches, and hands each batch to `append` on a thread
// of its own; it knows nothing else of the store.

#include <cstdint>
#include <string>
#include <string_view>

#include "chronos/base/outcome.hpp"
#include "chronos/table/change.hpp"

namespace chronos {

class change_log {
public:
  virtual ~change_log() = default;

  /// Appends the encoding of `c` to `batch`. Encodings concatenate: a
  /// batch is any run of them. Reads nothing that `append` changes, so the
  /// server may encode on its thread while a batch is written on another.
  virtual void encode(std::string& batch, const change& c) const = 0;

  /// Writes `batch` after everything written before, all of it or none.
  virtual status append(std::string_view batch) = 0;

  /// Everything appended so far is durable when this returns.
  virtual status sync() = 0;

  /// How much the log has grown since its snapshot, in bytes: when it is
  /// worth compacting. 0 for a store that keeps no separate snapshot.
  virtual std::uint64_t size() const = 0;

protected:
  change_log() = default;
  change_log(const change_log&) = default;
  change_log& operator=(const change_log&) = default;
};

} // namespace chronos
