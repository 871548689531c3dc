#pragma once

// A wall clock that moves only when told: what the tests of a system built on
// chronos run it on, so that a 30-day timeout comes due in a millisecond of
// real time (server_config::manual). It never goes back, since a deadline
// that has passed must stay passed. Thread-safe: a test moves it while the
// server reads it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>

#include "chronos/base/clock.hpp"
#include "chronos/base/outcome.hpp"

namespace chronos {

class manual_clock {
public:
  /// Shows `start` until moved.
  explicit manual_clock(timestamp start);

  manual_clock(const manual_clock&) = delete;
  manual_clock& operator=(const manual_clock&) = delete;

  std::chrono::system_clock::time_point now() const;

  /// Moves the clock forward by `d`, which must not be negative, up to the
  /// latest deadline chronos accepts.
  status advance(millis d);

  /// Moves the clock to `t`, which must not be before what it shows.
  status set(timestamp t);

  /// Runs `f` after each move, on the thread that moved the clock: how a
  /// server learns that time went on. Returns what `ignore` takes.
  using listener = std::function<void()>;
  std::size_t listen(listener f);
  void ignore(std::size_t id);

private:
  template <class Target>
  status move(Target target);

  mutable std::mutex mtx_;
  timestamp now_;
  std::map<std::size_t, listener> listeners_;
  std::size_t next_id_ = 0;
};

} // namespace chronos
