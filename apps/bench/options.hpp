#pragma once

// What a run of a workload is told on the command line.

#include <cstddef>
#include <cstdint>

namespace chronos::bench {

struct options {
  std::size_t n = 0; // 0: the workload's default
  std::uint64_t seed = 42;
  double seconds = 10; // W4's duration
};

} // namespace chronos::bench
