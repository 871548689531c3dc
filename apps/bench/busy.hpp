#pragma once

// Other work on the machine while a workload runs: processes of normal
// priority that keep a CPU busy each, as users' machines rarely are quiet.

#include <chrono>
#include <vector>

#include <sys/types.h>

namespace chronos::bench {

class busy_neighbours {
public:
  /// Starts `n` processes that spin until they are stopped, the benchmark
  /// ends, or `bound` has passed, whichever comes first.
  busy_neighbours(int n, std::chrono::seconds bound);
  /// Stops them.
  ~busy_neighbours();

  busy_neighbours(const busy_neighbours&) = delete;
  busy_neighbours& operator=(const busy_neighbours&) = delete;

private:
  std::vector<pid_t> pids_;
};

} // namespace chronos::bench
