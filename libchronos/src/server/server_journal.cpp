#include "server/server_actor.hpp"

#include <filesystem>

#include "chronos/base/log.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// Sends `rp`'s response from any thread: what response_promise::deliver
// does, but without the server's current execution unit, which only the
// server's own thread may read.
void respond(const caf::strong_actor_ptr& server, caf::response_promise& rp, caf::message msg) {
  auto stages = rp.stages();
  if (!stages.empty()) {
    auto next = std::move(stages.back());
    stages.pop_back();
    next->enqueue(caf::make_mailbox_element(rp.source(), rp.id(), std::move(stages), std::move(msg)),
                  nullptr);
  } else if (rp.source()) {
    rp.source()->enqueue(server, rp.id().response_id(), std::move(msg), nullptr);
  }
}

// Answers held replies: their values once durable, else an error.
void answer(server_actor_state::replies& replies, const caf::strong_actor_ptr& server,
            const status& written) {
  for (auto& [rp, reply] : std::exchange(replies, {})) {
    if (written)
      respond(server, rp, std::move(reply));
    else
      respond(server, rp,
              caf::make_message(make_error(errc::storage_failure,
                                           "change not durable: " + written.error().detail)));
  }
}

// A broken journal is retried every second until it takes the backlog.
void schedule_retry(server_actor self) {
  auto& st = self->state;
  if (st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, seconds{1}, retry_msg{});
}

// True once the journal has grown past the threshold, or the state file is
// stale, and no compaction runs.
bool compaction_wanted(const server_actor_state& st) {
  return !st.compacting
         && (st.snapshot_stale || st.commits->journal_size() >= st.cfg.compact_bytes);
}

// Settles the batches the disk thread wrote (with `wait`: all submitted
// ones); their replies went out from the disk thread. A failed write takes
// every later batch down with it, and their replies get the error.
void settle(server_actor self, bool wait) {
  auto& st = self->state;
  auto settled = st.commits->settle(st.core, wait);
  if (settled.result)
    return;
  answer(st.staged_replies, self->ctrl(), settled.result);
  log_error("journal write failed, changes refused until it works again: "
            + settled.result.error().detail);
  arm(self); // undone changes may have moved the soonest deadline
  schedule_retry(self);
}

// The staged batch goes to the disk thread, and with it the replies waiting
// for it: they go out from there as soon as it is durable, without waiting
// for the actor's turn.
void hand_over(server_actor self, bool sync) {
  auto& st = self->state;
  st.commits->submit(sync, [replies = std::exchange(st.staged_replies, {}),
                            server = caf::strong_actor_ptr{self->ctrl()}](const status& written) mutable {
    answer(replies, server, written);
  });
}

// Something waits to go to the disk thread: changes, or replies to changes
// that changed nothing (a cancel by name that matched none), which wait
// behind the batches before them all the same, so that no reply tells of a
// state that is not yet durable.
bool batch_waiting(const server_actor_state& st) {
  return st.commits->pending() || !st.staged_replies.empty();
}

// Hands over what waits; only a batch with changes in it needs an fsync.
void hand_over_waiting(server_actor self) {
  auto& st = self->state;
  hand_over(self, always(self) && st.commits->pending());
}

} // namespace

// Opens the next journal; another thread then rebuilds the state from the
// files (snapshot + journals up to the one just closed) and writes it as the
// new snapshot. The actor copies nothing and pauses only to open a file. Only
// when nothing is being written, so the closed journals are complete; staged
// changes go to the new journal.
void compact(server_actor self) {
  auto& st = self->state;
  if (st.commits->busy() || !compaction_wanted(st))
    return;
  const std::uint64_t closed = st.commits->generation();
  auto journal = journal_writer::create(journal_path(st.cfg.state_path, closed + 1), closed + 1);
  if (!journal) {
    log_error("cannot compact: " + journal.error().detail);
    return;
  }
  st.commits->switch_to(std::make_shared<journal_writer>(std::move(*journal)));
  st.compacting = closed + 1;
  st.snapshot_stale = false;
  st.compaction_started = std::chrono::steady_clock::now();
  // What the other thread does; freeing the rebuilt state takes long, so it
  // happens there, before the report, not in the actor's join.
  auto write_snapshot = [path = st.cfg.state_path, limits = st.cfg.limits,
                         closed]() -> std::string {
    server_state rebuilt{token_generator{}, limits}; // what the start accepted, it accepts
    if (auto read = load(path, rebuilt, closed); !read)
      return read.error().detail;
    auto ok = checkpoint(path, rebuilt, floor_ms(system_clock::now()), closed + 1);
    return ok ? std::string{} : ok.error().detail;
  };
  if (!st.cfg.io_threads) {
    self->send(self, compacted_msg{closed + 1, write_snapshot()});
    return;
  }
  if (st.compactor.joinable())
    st.compactor.join();
  st.compactor = std::thread{[hdl = server_impl_api{self}, closed, write_snapshot] {
    caf::anon_send(hdl, compacted_msg{closed + 1, write_snapshot()});
  }};
}

std::optional<caf::error> refuse_if_broken(server_actor self) {
  auto& st = self->state;
  if (st.commits && st.commits->broken())
    return make_error(errc::storage_failure,
                      "the journal cannot be written (retrying); change refused");
  return std::nullopt;
}

void submit(server_actor self) {
  auto& st = self->state;
  if (!st.commits || !batch_waiting(st))
    return;
  // A compaction needs a moment with nothing being written: hold the batch
  // back until the disk thread is done (one write at most).
  if (st.commits->busy() && compaction_wanted(st))
    return;
  hand_over_waiting(self);
}

void sync_journal(server_actor self) {
  hand_over(self, true); // an empty batch only syncs
}

void on_written(server_actor self) {
  auto& st = self->state;
  if (!st.commits || !st.commits->busy())
    return; // already settled by a drain
  settle(self, false);
  compact(self);
  submit(self);
}

void drain(server_actor self) {
  auto& st = self->state;
  if (!st.commits)
    return;
  if (batch_waiting(st))
    hand_over_waiting(self);
  if (st.commits->busy())
    settle(self, true);
}

void commit_client_changes(server_actor self) {
  auto& st = self->state;
  if (st.commits && st.commits->undoable())
    drain(self);
}

void stage_own_changes(server_actor self) {
  auto& st = self->state;
  if (!st.commits)
    return;
  st.commits->stage(st.core, false);
  if (st.commits->pending())
    request_commit(self);
}

void retry_journal(server_actor self) {
  auto& st = self->state;
  st.retry_scheduled = false;
  if (!st.commits || !st.commits->broken())
    return;
  if (st.commits->busy())
    settle(self, true);
  if (auto ok = st.commits->retry(st.core); !ok)
    schedule_retry(self);
  else
    log_info("the journal can be written again; accepting changes");
}

void measure_snapshot(server_actor self) {
  auto& st = self->state;
  std::error_code ec;
  const auto size = st.cfg.state_path.empty()
                      ? 0
                      : std::filesystem::file_size(st.cfg.state_path, ec);
  st.snapshot_bytes = ec ? 0 : size;
}

void on_compacted(server_actor self, std::uint64_t generation, const std::string& failed) {
  auto& st = self->state;
  if (st.compacting != generation)
    return; // not the compaction under way (or a forged report)
  st.compacting.reset();
  if (st.compactor.joinable())
    st.compactor.join();
  st.last_compaction = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - st.compaction_started);
  if (failed.empty()) {
    ++st.compactions;
    measure_snapshot(self);
    log_info("compacted into a snapshot; journal generation " + std::to_string(generation));
  }
  else {
    log_error("compaction failed, journals kept: " + failed);
  }
}

} // namespace chronos::detail
