#include "chronos/group_commit.hpp"

namespace chronos {

group_commit::group_commit(std::shared_ptr<journal_writer> journal, std::function<void()> notify,
                           bool disk_thread)
  : journal_(std::move(journal)), notify_(std::move(notify)) {
  if (disk_thread)
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

status group_commit::write(const std::string& bytes, bool sync) {
  status result = bytes.empty() ? status{done{}} : journal_->append(bytes);
  if (result && sync)
    result = journal_->sync();
  return result;
}

// The disk thread: one job at a time.
void group_commit::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || (job_ && !job_->finished); });
    if (stopping_)
      return;
    const std::string bytes = std::move(job_->bytes);
    const bool sync = job_->sync;
    lock.unlock();
    status result = write(bytes, sync);
    lock.lock();
    job_->result = std::move(result);
    job_->finished = true;
    cv_.notify_all();
    if (notify_) {
      lock.unlock();
      notify_();
      lock.lock();
    }
  }
}

void group_commit::stage(server_state& core, bool by_client) {
  for (auto& c : core.take_changes()) {
    append_record(by_client ? client_ : system_, c);
    if (by_client)
      undo_.push_back(std::move(c));
  }
}

void group_commit::start_job(std::string bytes, bool sync) {
  busy_ = true;
  if (!disk_.joinable()) {
    job_ = job{std::string{}, sync, true, write(bytes, sync)};
    if (notify_)
      notify_();
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    job_ = job{std::move(bytes), sync};
  }
  cv_.notify_all();
}

status group_commit::wait_for_job() {
  status result = done{};
  {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait(lock, [this] { return job_ && job_->finished; });
    result = std::move(job_->result);
    job_.reset();
  }
  busy_ = false;
  return result;
}

void group_commit::submit(bool sync) {
  inflight_system_ = std::move(system_);
  inflight_undo_ = std::move(undo_);
  system_.clear();
  undo_.clear();
  start_job(inflight_system_ + client_, sync);
  client_.clear();
}

void group_commit::undo_all(server_state& core, std::vector<change>& batch) {
  for (auto c = batch.rbegin(); c != batch.rend(); ++c)
    core.undo(*c);
  batch.clear();
}

status group_commit::settle(server_state& core) {
  auto result = wait_for_job();
  if (result) {
    inflight_system_.clear();
    inflight_undo_.clear();
    return result;
  }
  // Nothing of the batch reached the file (the writer cuts partial records).
  undo_all(core, undo_); // newer than the failed batch
  undo_all(core, inflight_undo_);
  client_.clear();
  system_ = inflight_system_ + system_;
  inflight_system_.clear();
  broken_ = true;
  return result;
}

status group_commit::drain(server_state& core, bool sync) {
  if (busy_)
    if (auto ok = settle(core); !ok)
      return ok;
  if (!pending())
    return done{};
  submit(sync);
  return settle(core);
}

status group_commit::retry() {
  if (!system_.empty()) {
    std::string backlog = std::move(system_);
    system_.clear();
    start_job(backlog, true);
    if (auto result = wait_for_job(); !result) {
      system_ = std::move(backlog);
      return result;
    }
  }
  broken_ = false;
  return done{};
}

} // namespace chronos
