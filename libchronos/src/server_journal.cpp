#include "server_actor.hpp"

#include <filesystem>

#include "chronos/log.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// Answers held replies: their values once durable, else an error.
void answer(std::vector<std::pair<caf::response_promise, caf::message>>& replies,
            const status& written) {
  for (auto& [rp, reply] : std::exchange(replies, {})) {
    if (written)
      rp.deliver(std::move(reply));
    else
      rp.deliver(make_error(errc::storage_failure, "change not durable: " + written.error().detail));
  }
}

// A broken journal is retried every second until it takes the backlog.
void schedule_retry(server_actor self) {
  auto& st = self->state;
  if (st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, seconds{1}, retry_atom::value);
}

// Opens the next journal; another thread then rebuilds the state from the
// files (snapshot + journals up to the one just closed) and writes it as the
// new snapshot. The actor copies nothing and pauses only to open a file. Only
// when everything recorded is durable, so the closed journals hold it all.
void compact(server_actor self) {
  auto& st = self->state;
  if (st.compacting || st.commits->busy() || st.commits->pending()
      || st.commits->journal_size() < st.cfg.compact_bytes)
    return;
  const std::uint64_t closed = st.commits->generation();
  auto journal = journal_writer::create(journal_path(st.cfg.state_path, closed + 1), closed + 1);
  if (!journal) {
    log_error("cannot compact: " + journal.error().detail);
    return;
  }
  st.commits->switch_to(std::make_shared<journal_writer>(std::move(*journal)));
  st.compacting = closed + 1;
  st.compaction_started = std::chrono::steady_clock::now();
  if (st.compactor.joinable())
    st.compactor.join();
  st.compactor = std::thread{[hdl = chronos_api{self}, path = st.cfg.state_path, closed] {
    auto write_snapshot = [&]() -> status {
      server_state rebuilt;
      if (auto read = load(path, rebuilt, closed); !read)
        return read.error();
      auto snap = rebuilt.save(floor_ms(system_clock::now()));
      snap.generation = closed + 1;
      return checkpoint(path, snap);
    }; // freeing the rebuilt state takes long: before the report, not in the actor's join
    auto ok = write_snapshot();
    caf::anon_send(hdl, compacted_atom::value, closed + 1, ok ? std::string{} : ok.error().detail);
  }};
}

// Settles the batch on the disk thread (waiting if it is not done yet) and
// answers its replies. A failed batch takes the staged one down with it.
void settle(server_actor self) {
  auto& st = self->state;
  auto written = st.commits->settle(st.core);
  answer(st.inflight_replies, written);
  if (written)
    return;
  answer(st.staged_replies, written); // undone too
  log_error("journal write failed, changes refused until it works again: "
            + written.error().detail);
  arm(self); // undone changes may have moved the soonest deadline
  schedule_retry(self);
}

} // namespace

std::optional<caf::error> refuse_if_broken(server_actor self) {
  auto& st = self->state;
  if (st.commits && st.commits->broken())
    return make_error(errc::storage_failure,
                      "the journal cannot be written (retrying); change refused");
  return std::nullopt;
}

void submit(server_actor self) {
  auto& st = self->state;
  if (!st.commits || st.commits->busy() || !st.commits->pending())
    return;
  st.commits->submit(always(self));
  st.inflight_replies = std::exchange(st.staged_replies, {});
}

void on_written(server_actor self) {
  auto& st = self->state;
  if (!st.commits || !st.commits->busy())
    return; // already settled by a drain
  settle(self);
  submit(self);
  compact(self);
}

void drain(server_actor self) {
  auto& st = self->state;
  if (!st.commits)
    return;
  if (st.commits->busy())
    settle(self);
  if (!st.commits->pending())
    return;
  submit(self);
  settle(self);
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
    settle(self);
  if (auto ok = st.commits->retry(); !ok)
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
