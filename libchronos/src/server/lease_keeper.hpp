#pragma once

// Keeps the lease of a PostgreSQL store on a thread of its own: takes it
// when it is free, renews it every third of its length while held, and
// tells the server what changed. No CAF: the server hands it callbacks that
// post messages to its mailbox.
//
// Safety does not rest on the keeper being on time: the database fences
// every write by epoch. What rests on it is that a leader stops delivering
// before anyone else may start: each renewal makes the lease valid, by this
// host's monotonic clock, until `sent + lease - margin`, where `sent` is
// when the renewal left (the database's expiry is later than that), and the
// server stops at that instant unless a later renewal moved it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "chronos/store/postgres_store.hpp"

namespace chronos {

class lease_keeper {
public:
  using steady_time = std::chrono::steady_clock::time_point;

  struct callbacks {
    /// The lease is ours with a new epoch, valid until the instant given.
    std::function<void(const lease_info&, steady_time valid_until)> lead;
    /// A renewal: still ours, now until the instant given.
    std::function<void(const lease_info&, steady_time valid_until)> renewed;
    /// The lease of `epoch` is lost (taken, expired, or unknown for too long).
    std::function<void(std::uint64_t epoch, std::string why)> lost;
    /// Another holds it (or none): who, as the database shows.
    std::function<void(lease_info)> standing_by;
  };

  /// Starts the thread at once; `store` is used on it alone.
  lease_keeper(postgres_store store, callbacks cb);
  /// Gives the lease up if held (a standby takes over without waiting for
  /// it to expire), then stops the thread.
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  /// The server gives up the lease of `epoch` (it cannot serve under it).
  void step_down(std::uint64_t epoch);

  /// The part of a lease given up for clock drift and late wake-ups.
  static millis margin(millis lease) { return lease / 5; }

private:
  void run();
  /// Each turn says how long to wait before the next.
  millis standby_turn();
  millis leader_turn();

  postgres_store store_;
  const millis lease_;
  callbacks cb_;
  std::mutex mtx_;
  std::condition_variable cv_;
  // Guarded by mtx_:
  bool stopping_ = false;
  std::uint64_t stepped_down_ = 0; // an epoch the server gave up
  // The keeper's thread only:
  std::uint64_t epoch_ = 0; // 0 while standing by
  steady_time valid_until_{};
  std::string last_standby_; // what was last reported, to report changes only
  std::thread thread_;
};

} // namespace chronos
