#pragma once

// What the workloads measure with: resident memory, CPU time, percentiles.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace chronos::bench {

/// Resident set size of this process, in bytes.
inline std::int64_t rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

/// User + system CPU time of this process, in seconds.
inline double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The p-th percentile (0..100) of `xs`, nearest rank.
inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(rank, xs.size() - 1)];
}

} // namespace chronos::bench
