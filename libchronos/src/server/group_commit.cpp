#include "server/group_commit.hpp"

namespace chronos {

group_commit::group_commit(std::shared_ptr<change_log> log, std::function<void()> notify,
                           batch_writer writer)
  : notify_(std::move(notify)), log_(std::move(log)) {
  log_size_ = log_->size();
  if (writer == batch_writer::disk_thread)
    disk_ = std::thread{[this] { run(); }};
}

group_commit::~group_commit() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (disk_.joinable())
    disk_.join();
}

// Takes every queued batch into one write (one fdatasync for all of them).
// Nothing of a failed write reaches the file: the writer cuts partial records.
// The batches' submitters hear of a success here, before the actor is told.
void group_commit::write_queued(std::unique_lock<std::mutex>& lock) {
  std::deque<job> taken = std::exchange(queue_, {});
  std::string bytes;
  bool sync = false;
  for (auto& j : taken) {
    bytes += j.bytes;
    sync = sync || j.how == flush::sync;
  }
  auto log = log_;
  lock.unlock();
  status result = bytes.empty() ? status{done{}} : log->append(bytes);
  if (result && sync)
    result = log->sync();
  if (result)
    for (auto& j : taken)
      if (j.then)
        j.then(done{});
  const auto size = log->size();
  lock.lock();
  log_size_ = size;
  if (result) {
    written_ += taken.size();
  } else {
    failed_ = result.error();
    unwritten_ = std::move(taken);
  }
  cv_.notify_all();
  if (notify_) {
    lock.unlock();
    notify_();
    lock.lock();
  }
}

void group_commit::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || (!queue_.empty() && !failed_); });
    if (stopping_)
      return;
    write_queued(lock);
  }
}

void group_commit::enqueue(job j) {
  std::unique_lock<std::mutex> lock{mtx_};
  queue_.push_back(std::move(j));
  if (!disk_.joinable()) {
    if (!failed_)
      write_queued(lock);
    return;
  }
  lock.unlock();
  cv_.notify_all();
}

void group_commit::stage(server_state& core, if_unwritten then) {
  for (auto& c : core.take_changes()) {
    const bool undoable = then == if_unwritten::undo;
    log_->encode(undoable ? client_ : system_, c);
    if (undoable)
      undo_.push_back(std::move(c));
  }
}

bool group_commit::undoable() const {
  if (!undo_.empty())
    return true;
  for (const auto& b : inflight_)
    if (!b.undo.empty())
      return true;
  return false;
}

void group_commit::submit(flush how, on_settled then) {
  std::string bytes = system_ + client_;
  inflight_.push_back(batch{std::move(system_), std::move(undo_)});
  system_.clear();
  client_.clear();
  undo_.clear();
  enqueue(job{std::move(bytes), how, std::move(then)});
}

void group_commit::fail_unwritten(server_state& core) {
  auto undo_all = [&](std::vector<change>& changes) {
    for (auto c = changes.rbegin(); c != changes.rend(); ++c)
      core.undo(*c);
  };
  undo_all(undo_); // newest first
  for (auto b = inflight_.rbegin(); b != inflight_.rend(); ++b)
    undo_all(b->undo);
  undo_.clear();
  client_.clear();
  std::string backlog;
  for (auto& b : inflight_)
    backlog += b.system;
  system_ = backlog + system_;
  inflight_.clear();
  broken_ = true;
}

group_commit::settled group_commit::settle(server_state& core, settle_wait wait) {
  settled out;
  std::optional<failure> failed;
  std::deque<job> undone; // the failed write's batches, then those queued behind it
  {
    std::unique_lock<std::mutex> lock{mtx_};
    if (wait == settle_wait::all_submitted)
      cv_.wait(lock, [this] { return failed_ || written_ >= inflight_.size(); });
    out.durable = std::exchange(written_, 0);
    failed = std::exchange(failed_, std::nullopt);
    if (failed) {
      undone = std::exchange(unwritten_, {});
      for (auto& j : queue_)
        undone.push_back(std::move(j));
      queue_.clear(); // never written: undone below
    }
  }
  inflight_.erase(inflight_.begin(), inflight_.begin() + out.durable);
  if (failed) {
    fail_unwritten(core);
    out.result = std::move(*failed);
    for (auto& j : undone)
      if (j.then)
        j.then(out.result);
  }
  return out;
}

status group_commit::drain(server_state& core, flush how) {
  if (pending())
    submit(how);
  if (!busy())
    return done{};
  return settle(core, settle_wait::all_submitted).result;
}

status group_commit::retry(server_state& core) {
  if (auto result = drain(core, flush::sync); !result)
    return result;
  broken_ = false;
  return done{};
}

std::uint64_t group_commit::log_size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return log_size_;
}

void group_commit::switch_to(std::shared_ptr<change_log> next) {
  std::lock_guard<std::mutex> guard{mtx_};
  log_size_ = next->size();
  log_ = std::move(next);
}

} // namespace chronos
