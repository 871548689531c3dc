#pragma once

// Between the server state and the store's change log (store/change_log.hpp):
// collects the changes as they happen, encoded as the log says, and writes
// them in batches on a thread of its own, so that many concurrent requests
// share one fsync (or one database commit) and the actor never waits for the
// disk. Batches queue up behind the one being written: when a write ends,
// the disk thread takes every batch queued meanwhile into its next write, so
// the disk never waits for the actor either.
//
// Two kinds of changes. A client's change (schedule, cancel, reschedule) is
// acknowledged only once durable; if it cannot be written it is undone in the
// state and the client gets an error. What the server did by itself (fire,
// rearm, park, deliver) already happened: it is never undone, only written
// later. The actor makes client changes durable (`drain`) before it changes
// anything itself, so undoing a failed batch never has to take back what the
// server did.
//
// After a failed write the journal is `broken`: the disk thread takes nothing
// more, every batch not yet written is undone when the actor settles, the
// actor refuses new client changes (reads go on) and calls `retry` until the
// disk takes the backlog.
//
// Threads: every member function is for the actor's thread; only the disk
// thread runs the writes, and it calls the written batches' `on_settled`
// and then `notify` after each one.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/detail/server_state.hpp"
#include "chronos/store/change_log.hpp"
#include "chronos/table/change.hpp"

namespace chronos {

/// Where a group commit writes its batches.
enum class batch_writer {
  /// A disk thread of its own: the caller goes on while the disk works.
  disk_thread,
  /// The caller's thread, at once (tests on CAF's test coordinator, where
  /// no other thread may make progress).
  caller,
};

/// What happens to a staged change whose batch cannot be written.
enum class if_unwritten {
  /// Kept, and written again by `retry` (its effect was already announced).
  keep,
  /// Taken back in the state (its reply waits for the batch).
  undo,
};

/// What a submitted batch asks of the disk.
enum class flush {
  write,
  /// Write, then fdatasync.
  sync,
};

/// How long `settle` waits for the disk thread.
enum class settle_wait {
  /// Not at all: what is written is settled.
  none,
  /// Until every submitted batch is written, or one failed.
  all_submitted,
};

class group_commit {
public:
  /// `notify` runs on the disk thread after each write.
  group_commit(std::shared_ptr<change_log> log, std::function<void()> notify,
               batch_writer writer = batch_writer::disk_thread);
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Moves the changes recorded in `core` into the next batch.
  void stage(server_state& core, if_unwritten then);

  /// True if changes wait to be submitted.
  bool pending() const { return !system_.empty() || !client_.empty(); }

  /// True if submitted batches are not settled yet.
  bool busy() const { return !inflight_.empty(); }

  /// True if client changes are staged or submitted but not yet settled:
  /// `drain` before the server changes anything itself.
  bool undoable() const;

  /// What the submitter of a batch hears: done on the disk thread as soon
  /// as the batch is durable (before `notify`), or, if it cannot be written,
  /// the error on the caller's thread in `settle`, once it is undone.
  using on_settled = std::function<void(const status&)>;

  /// Hands the staged batch to the disk thread, behind the batches it has
  /// not written yet. An empty batch with `flush::sync` just syncs.
  void submit(flush how, on_settled then = {});

  /// What `settle` found: how many batches (oldest first) are durable, and
  /// whether a write failed. On failure every later batch is undone too.
  struct settled {
    std::size_t durable = 0;
    status result{done{}};
  };

  /// Settles the batches the disk thread has written, after waiting as
  /// `wait` says. On failure the
  /// client changes of the unwritten batches and the staged ones are undone
  /// in `core` (newest first), what the server did is kept for `retry`, and
  /// the journal is broken.
  settled settle(server_state& core, settle_wait wait);

  /// Makes everything staged durable now (submit and settle, waiting).
  status drain(server_state& core, flush how);

  /// Tries to write the kept backlog (waiting); clears `broken` on success.
  status retry(server_state& core);

  bool broken() const { return broken_; }
  /// The log's size (change_log::size), as of the last write.
  std::uint64_t log_size() const;

  /// Continues in another log (a journal file's compaction); only when idle
  /// and nothing is staged.
  void switch_to(std::shared_ptr<change_log> next);

private:
  struct job {
    std::string bytes;
    flush how = flush::write;
    on_settled then;
  };
  /// A submitted batch, as the actor keeps it until settled.
  struct batch {
    std::string system; // the server's own records: rewritten after a failure
    std::vector<change> undo;
  };

  void run();
  void write_queued(std::unique_lock<std::mutex>& lock);
  void enqueue(job j);
  void fail_unwritten(server_state& core);

  /// Staged: records of the server's own changes, then of clients' changes
  /// (client changes are drained before the server changes anything).
  std::string system_;
  std::string client_;
  std::vector<change> undo_;
  /// Submitted and not settled, oldest first.
  std::deque<batch> inflight_;
  bool broken_ = false;

  std::function<void()> notify_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  // Guarded by mtx_:
  std::shared_ptr<change_log> log_; // changed on the actor's thread only
  std::deque<job> queue_;         // submitted, not yet taken by the disk thread
  std::deque<job> unwritten_;     // taken by a write that failed
  std::size_t written_ = 0;       // batches durable since the last settle
  std::optional<failure> failed_; // a write failed: nothing more is taken
  std::uint64_t log_size_ = 0;
  bool stopping_ = false;
  std::thread disk_;
};

} // namespace chronos
