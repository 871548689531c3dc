#include "chronos/group_commit.hpp"

namespace chronos {

void group_commit::stage(server_state& core, bool by_client) {
  for (auto& c : core.take_changes()) {
    append_record(by_client ? client_ : system_, c);
    if (by_client)
      undo_.push_back(std::move(c));
  }
}

status group_commit::write(const std::string& bytes, bool sync) {
  if (auto ok = journal_->append(bytes); !ok)
    return ok;
  return sync ? journal_->sync() : status{done{}};
}

status group_commit::flush(server_state& core, bool sync) {
  if (broken_) {
    // The backlog must go first; client changes cannot wait behind it.
    auto ok = retry();
    if (!ok) {
      for (auto c = undo_.rbegin(); c != undo_.rend(); ++c)
        core.undo(*c);
      client_.clear();
      undo_.clear();
      return ok;
    }
  }
  const std::string batch = system_ + client_;
  if (batch.empty())
    return done{};
  auto ok = write(batch, sync);
  if (!ok) {
    for (auto c = undo_.rbegin(); c != undo_.rend(); ++c)
      core.undo(*c);
    broken_ = true;
  } else {
    system_.clear();
  }
  client_.clear();
  undo_.clear();
  return ok;
}

status group_commit::retry() {
  if (system_.empty()) {
    broken_ = false;
    return done{};
  }
  auto ok = write(system_, true);
  if (ok) {
    system_.clear();
    broken_ = false;
  }
  return ok;
}

status group_commit::sync() { return journal_->sync(); }

} // namespace chronos
