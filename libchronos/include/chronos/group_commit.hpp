#pragma once

// Between the server state and the journal: collects the records of changes
// as they happen and writes them in batches, so that many concurrent requests
// share one fsync (group commit). No CAF: the actor decides when to flush and
// holds the replies until `flush` succeeds.
//
// Two kinds of changes. A client's change (schedule, cancel, reschedule) is
// acknowledged only once durable; if its batch cannot be written it is undone
// in the state and the client gets an error. What the server did by itself
// (fire, rearm, park, deliver) already happened: it is never undone, only
// written later. The actor flushes pending client changes before it makes
// changes of its own, so a batch never mixes them in a way undo could not
// take back.
//
// After a failed write the journal is `broken`: the actor refuses new client
// changes (reads go on) and calls `retry` until the disk takes the backlog.

#include <memory>
#include <string>
#include <vector>

#include "chronos/change.hpp"
#include "chronos/journal.hpp"
#include "chronos/outcome.hpp"
#include "chronos/server_state.hpp"

namespace chronos {

class group_commit {
public:
  explicit group_commit(std::shared_ptr<journal_writer> journal) : journal_(std::move(journal)) {}

  /// Moves the changes recorded in `core` into the next batch.
  void stage(server_state& core, bool by_client);

  /// True if changes wait to be written.
  bool pending() const { return !system_.empty() || !client_.empty(); }

  /// True if client changes wait: flush before the server changes anything itself.
  bool has_client_changes() const { return !undo_.empty(); }

  /// Writes everything staged, with fdatasync if `sync`. On failure the client
  /// changes of the batch are undone in `core` and dropped, the rest is kept
  /// for `retry`, and the journal is broken.
  status flush(server_state& core, bool sync);

  /// Tries to write the kept backlog; clears `broken` on success.
  status retry();

  /// fdatasync of what was written without one (interval mode).
  status sync();

  bool broken() const { return broken_; }
  std::uint64_t journal_size() const { return journal_->size(); }
  std::uint64_t generation() const { return journal_->generation(); }

  /// Continues in another journal file (compaction); nothing may be staged.
  void switch_to(std::shared_ptr<journal_writer> next) { journal_ = std::move(next); }

private:
  status write(const std::string& bytes, bool sync);

  std::shared_ptr<journal_writer> journal_;
  /// Records of the server's own changes, then of clients' changes: always
  /// written in this order (client changes are flushed before server changes).
  std::string system_;
  std::string client_;
  std::vector<change> undo_;
  bool broken_ = false;
};

} // namespace chronos
