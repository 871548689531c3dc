#include "server/server_actor.hpp"

#include <filesystem>

#include "chronos/base/log.hpp"
#include "chronos/store/state_file.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// Sends `rp`'s response from the disk thread.
void respond(const caf::strong_actor_ptr& server, caf::response_promise& rp, caf::message msg) {
  respond_from_any_thread(server, rp.source(), rp.id(), rp.stages(), std::move(msg));
}

// Answers held replies: their values once durable, else an error.
void answer(journal_state::replies& replies, const caf::strong_actor_ptr& server,
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
  if (st.journal.retry_scheduled)
    return;
  st.journal.retry_scheduled = true;
  self->delayed_send(self, seconds{1}, retry_msg{});
}

// True once the journal has grown past the threshold, or the state file is
// stale, and no compaction runs.
bool compaction_wanted(const server_actor_state& st) {
  return !st.journal.compacting
         && (st.journal.snapshot_stale || st.journal.commits->log_size() >= st.cfg.compact_bytes);
}

// Settles the batches the disk thread wrote (with `wait`: all submitted
// ones); their replies went out from the disk thread. A failed write takes
// every later batch down with it, and their replies get the error.
void settle(server_actor self, settle_wait wait) {
  auto& st = self->state;
  auto settled = st.journal.commits->settle(st.core, wait);
  if (settled.result)
    return;
  answer(st.journal.staged_replies, self->ctrl(), settled.result);
  log_error("journal write failed, changes refused until it works again: "
            + settled.result.error().detail);
  arm(self); // undone changes may have moved the soonest deadline
  schedule_retry(self);
}

// The staged batch goes to the disk thread, and with it the replies waiting
// for it: they go out from there as soon as it is durable, without waiting
// for the actor's turn.
void hand_over(server_actor self, flush how) {
  auto& st = self->state;
  st.journal.commits->submit(how, [replies = std::exchange(st.journal.staged_replies, {}),
                            server = caf::strong_actor_ptr{self->ctrl()}](const status& written) mutable {
    answer(replies, server, written);
  });
}

// Something waits to go to the disk thread: changes, or replies to changes
// that changed nothing (a cancel by name that matched none), which wait
// behind the batches before them all the same, so that no reply tells of a
// state that is not yet durable.
bool batch_waiting(const server_actor_state& st) {
  return st.journal.commits->pending() || !st.journal.staged_replies.empty();
}

// Hands over what waits; only a batch with changes in it needs an fsync.
void hand_over_waiting(server_actor self) {
  auto& st = self->state;
  hand_over(self, always(self) && st.journal.commits->pending() ? flush::sync : flush::write);
}

// Queues a commit behind the messages already in the mailbox, so that every
// change they make joins the same batch.
void request_commit(server_actor self) {
  auto& st = self->state;
  if (st.journal.commit_requested)
    return;
  st.journal.commit_requested = true;
  self->send(self, commit_msg{});
}

// Makes every change durable now, waiting for the disk.
void drain(server_actor self) {
  auto& st = self->state;
  if (!st.journal.commits)
    return;
  if (batch_waiting(st))
    hand_over_waiting(self);
  if (st.journal.commits->busy())
    settle(self, settle_wait::all_submitted);
}

// Notes the state file's size (0 when there is none).
void measure_snapshot(server_actor self) {
  auto& st = self->state;
  std::error_code ec;
  const auto size = st.cfg.state_path.empty()
                      ? 0
                      : std::filesystem::file_size(st.cfg.state_path, ec);
  st.journal.snapshot_bytes = ec ? 0 : size;
}

} // namespace

// The disk thread tells the actor when a batch is written. A weak handle: the
// actor owns the thread, not the other way round.
void open_journal(server_actor self, recovery restored) {
  auto& st = self->state;
  measure_snapshot(self);
  if (!restored.log)
    return;
  st.journal.generation = restored.generation;
  st.journal.commits = std::make_unique<group_commit>(
    std::move(restored.log), [addr = self->address()] {
      if (auto hdl = caf::actor_cast<server_impl_api>(addr))
        caf::anon_send(hdl, written_msg{});
    },
    st.cfg.io_threads ? batch_writer::disk_thread : batch_writer::caller);
  st.journal.snapshot_stale = restored.snapshot_stale;
  st.core.record_changes();
  if (st.cfg.mode == durability::interval && !st.journal.sync_ticking) {
    st.journal.sync_ticking = true;
    self->delayed_send(self, st.cfg.sync_interval, sync_msg{});
  }
}

void close_journal(server_actor self, const failure& why) {
  auto& st = self->state;
  if (!st.journal.commits)
    return;
  answer(st.journal.staged_replies, self->ctrl(), status{why});
  if (st.journal.commits->busy())
    st.journal.commits->settle(st.core, settle_wait::all_submitted);
  st.journal.commits.reset();
}

bool stage_client_change(server_actor self) {
  auto& st = self->state;
  if (!st.journal.commits)
    return false;
  st.journal.commits->stage(st.core, always(self) ? if_unwritten::undo : if_unwritten::keep);
  request_commit(self);
  return always(self);
}

void hold_reply(server_actor self, caf::response_promise rp, caf::message reply) {
  self->state.journal.staged_replies.emplace_back(std::move(rp), std::move(reply));
}

// Opens the next journal; another thread then rebuilds the state from the
// files (snapshot + journals up to the one just closed) and writes it as the
// new snapshot. The actor copies nothing and pauses only to open a file. Only
// when nothing is being written, so the closed journals are complete; staged
// changes go to the new journal.
void compact(server_actor self) {
  auto& st = self->state;
  if (st.journal.commits->busy() || !compaction_wanted(st))
    return;
  const std::uint64_t closed = st.journal.generation;
  auto journal = journal_writer::create(journal_path(st.cfg.state_path, closed + 1), closed + 1);
  if (!journal) {
    log_error("cannot compact: " + journal.error().detail);
    return;
  }
  st.journal.commits->switch_to(std::make_shared<journal_writer>(std::move(*journal)));
  st.journal.generation = closed + 1;
  st.journal.compacting = closed + 1;
  st.journal.snapshot_stale = false;
  st.journal.compaction_started = std::chrono::steady_clock::now();
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
  if (st.journal.compactor.joinable())
    st.journal.compactor.join();
  st.journal.compactor = std::thread{[hdl = server_impl_api{self}, closed, write_snapshot] {
    caf::anon_send(hdl, compacted_msg{closed + 1, write_snapshot()});
  }};
}

std::optional<caf::error> refuse_if_broken(server_actor self) {
  auto& st = self->state;
  if (st.journal.commits && st.journal.commits->broken())
    return make_error(errc::storage_failure,
                      "the journal cannot be written (retrying); change refused");
  return std::nullopt;
}

void submit(server_actor self) {
  auto& st = self->state;
  st.journal.commit_requested = false;
  if (!st.journal.commits || !batch_waiting(st))
    return;
  // A compaction needs a moment with nothing being written: hold the batch
  // back until the disk thread is done (one write at most).
  if (st.journal.commits->busy() && compaction_wanted(st))
    return;
  hand_over_waiting(self);
}

void on_sync_tick(server_actor self) {
  auto& st = self->state;
  if (!st.journal.commits) { // closed (a leader stepped down): the ticks end
    st.journal.sync_ticking = false;
    return;
  }
  hand_over(self, flush::sync); // an empty batch only syncs
  self->delayed_send(self, st.cfg.sync_interval, sync_msg{});
}

void on_written(server_actor self) {
  auto& st = self->state;
  if (!st.journal.commits || !st.journal.commits->busy())
    return; // already settled by a drain
  settle(self, settle_wait::none);
  compact(self);
  submit(self);
}

void commit_client_changes(server_actor self) {
  auto& st = self->state;
  if (st.journal.commits && st.journal.commits->undoable())
    drain(self);
}

void stage_own_changes(server_actor self) {
  auto& st = self->state;
  if (!st.journal.commits)
    return;
  st.journal.commits->stage(st.core, if_unwritten::keep);
  if (st.journal.commits->pending())
    request_commit(self);
}

void retry_journal(server_actor self) {
  auto& st = self->state;
  st.journal.retry_scheduled = false;
  if (!st.journal.commits || !st.journal.commits->broken())
    return;
  if (st.journal.commits->busy())
    settle(self, settle_wait::all_submitted);
  if (auto ok = st.journal.commits->retry(st.core); !ok)
    schedule_retry(self);
  else
    log_info("the journal can be written again; accepting changes");
}

void on_compacted(server_actor self, std::uint64_t generation, const std::string& failed) {
  auto& st = self->state;
  if (st.journal.compacting != generation)
    return; // not the compaction under way (or a forged report)
  st.journal.compacting.reset();
  if (st.journal.compactor.joinable())
    st.journal.compactor.join();
  st.journal.last_compaction = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - st.journal.compaction_started);
  if (failed.empty()) {
    ++st.journal.compactions;
    measure_snapshot(self);
    log_info("compacted into a snapshot; journal generation " + std::to_string(generation));
  }
  else {
    log_error("compaction failed, journals kept: " + failed);
  }
}

// The compaction under way writes a snapshot too: it must not land after this one.
status save_final_snapshot(server_actor self) {
  auto& st = self->state;
  if (st.journal.compactor.joinable())
    st.journal.compactor.join();
  drain(self); // held replies learn their fate first
  if (st.cfg.state_path.empty())
    return done{}; // a shared store holds everything once drained
  const auto saved_at = floor_ms(now(self));
  if (!st.journal.commits)
    return save_state(st.cfg.state_path, st.core, saved_at, 0);
  return checkpoint(st.cfg.state_path, st.core, saved_at, st.journal.generation + 1);
}

} // namespace chronos::detail
