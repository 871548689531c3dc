#include "server/lease_keeper.hpp"

#include <algorithm>

#include "chronos/base/log.hpp"

namespace chronos {

using std::chrono::steady_clock;

lease_keeper::lease_keeper(postgres_store store, callbacks cb)
  : store_(std::move(store)), lease_(store_.options().lease), cb_(std::move(cb)) {
  thread_ = std::thread{[this] { run(); }};
}

lease_keeper::~lease_keeper() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (epoch_ != 0)
    if (auto ok = store_.release(epoch_); !ok)
      log_warning("cannot give the lease up (it expires by itself): " + ok.error().detail);
}

void lease_keeper::step_down(std::uint64_t epoch) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stepped_down_ = epoch;
  }
  cv_.notify_all();
}

void lease_keeper::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stopping_) {
    const auto given_up = std::exchange(stepped_down_, 0);
    lock.unlock();
    if (given_up != 0 && given_up == epoch_) {
      if (auto ok = store_.release(epoch_); !ok)
        log_warning("cannot give the lease up (it expires by itself): " + ok.error().detail);
      epoch_ = 0;
    }
    const auto pause = epoch_ == 0 ? standby_turn() : leader_turn();
    lock.lock();
    cv_.wait_for(lock, pause, [this] { return stopping_ || stepped_down_ != 0; });
  }
}

millis lease_keeper::standby_turn() {
  const auto sent = steady_clock::now();
  auto seen = store_.try_acquire();
  if (!seen) {
    const auto why = "cannot reach the store: " + seen.error().detail;
    if (why != last_standby_)
      log_warning(why);
    last_standby_ = why;
    return lease_ / 3;
  }
  if (seen->held) {
    epoch_ = seen->epoch;
    valid_until_ = sent + lease_ - margin(lease_);
    last_standby_.clear();
    cb_.lead(*seen, valid_until_);
    return lease_ / 3;
  }
  const auto who = seen->holder + "@" + seen->address + "#" + std::to_string(seen->epoch);
  if (who != last_standby_)
    cb_.standing_by(*seen);
  last_standby_ = who;
  // Try again as soon as the lease can have expired (a millisecond after, by
  // the database's clock as read), not up to a third of a lease later:
  // a failover is that much shorter. A renewal meanwhile is seen then.
  return std::clamp(seen->remaining + millis{1}, millis{5}, lease_ / 3);
}

millis lease_keeper::leader_turn() {
  const auto sent = steady_clock::now();
  auto renewed = store_.renew(epoch_);
  if (renewed && renewed->held) {
    valid_until_ = sent + lease_ - margin(lease_);
    cb_.renewed(*renewed, valid_until_);
    return lease_ / 3;
  }
  std::string why;
  if (renewed)
    why = renewed->epoch == epoch_ ? "the lease expired before it was renewed"
                                   : "another chronosd took the lease (epoch "
                                       + std::to_string(renewed->epoch) + ")";
  else if (steady_clock::now() >= valid_until_)
    why = "the lease could not be renewed in time: " + renewed.error().detail;
  else
    return lease_ / 3; // try again; the lease is still valid
  cb_.lost(std::exchange(epoch_, 0), why);
  return lease_ / 3;
}

} // namespace chronos
