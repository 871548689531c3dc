#pragma once

// Between the server state and the journal: collects the records of changes
// as they happen and writes them in batches on a disk thread of its own, so
// that many concurrent requests share one fsync and the actor never waits for
// the disk. While one batch is being written, the next one fills up.
//
// Two kinds of changes. A client's change (schedule, cancel, reschedule) is
// acknowledged only once durable; if it cannot be written it is undone in the
// state and the client gets an error. What the server did by itself (fire,
// rearm, park, deliver) already happened: it is never undone, only written
// later. The actor makes client changes durable (`drain`) before it changes
// anything itself, so undoing a failed batch never has to take back what the
// server did.
//
// After a failed write the journal is `broken`: the actor refuses new client
// changes (reads go on) and calls `retry` until the disk takes the backlog.
//
// Threads: every member function is for the actor's thread; only the disk
// thread runs the writes, and it calls `notify` when a batch is done.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chronos/change.hpp"
#include "chronos/journal.hpp"
#include "chronos/outcome.hpp"
#include "chronos/server_state.hpp"

namespace chronos {

class group_commit {
public:
  /// `notify` runs on the disk thread when a submitted batch is done. Without
  /// `disk_thread`, batches are written at once on the caller's thread (tests
  /// on CAF's test coordinator, where no other thread may make progress).
  group_commit(std::shared_ptr<journal_writer> journal, std::function<void()> notify,
               bool disk_thread = true);
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Moves the changes recorded in `core` into the next batch.
  void stage(server_state& core, bool by_client);

  /// True if changes wait to be submitted.
  bool pending() const { return !system_.empty() || !client_.empty(); }

  /// True if a batch is on the disk thread (submitted, not yet settled).
  bool busy() const { return busy_; }

  /// True if client changes are staged or submitted but not yet settled:
  /// `drain` before the server changes anything itself.
  bool undoable() const { return !undo_.empty() || !inflight_undo_.empty(); }

  /// Hands the staged batch to the disk thread, with fdatasync if `sync`.
  /// Only when not busy; an empty batch with `sync` just syncs.
  void submit(bool sync);

  /// Waits for the submitted batch and settles it. On failure its client
  /// changes and the staged ones are undone in `core` (newest first), what the
  /// server did is kept for `retry`, and the journal is broken.
  status settle(server_state& core);

  /// Makes everything staged durable now (submit and settle, waiting).
  status drain(server_state& core, bool sync);

  /// Tries to write the kept backlog (waiting); clears `broken` on success.
  status retry();

  bool broken() const { return broken_; }
  std::uint64_t journal_size() const { return journal_->size(); }
  std::uint64_t generation() const { return journal_->generation(); }

  /// Continues in another journal file (compaction); only when idle and
  /// nothing is staged.
  void switch_to(std::shared_ptr<journal_writer> next) { journal_ = std::move(next); }

private:
  struct job {
    std::string bytes;
    bool sync = false;
    bool finished = false;
    status result{chronos::done{}};
  };

  void run();
  status write(const std::string& bytes, bool sync);
  void start_job(std::string bytes, bool sync);
  status wait_for_job();
  void undo_all(server_state& core, std::vector<change>& batch);

  std::shared_ptr<journal_writer> journal_;
  std::function<void()> notify_;
  /// Staged: records of the server's own changes, then of clients' changes
  /// (client changes are drained before the server changes anything).
  std::string system_;
  std::string client_;
  std::vector<change> undo_;
  /// Submitted: what the disk thread writes, and how to take it back.
  std::string inflight_system_;
  std::vector<change> inflight_undo_;
  bool busy_ = false;
  bool broken_ = false;

  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<job> job_; // guarded by mtx_
  bool stopping_ = false;  // guarded by mtx_
  std::thread disk_;
};

} // namespace chronos
