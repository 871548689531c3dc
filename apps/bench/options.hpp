#pragma once

// What a run of a workload is told on the command line.

#include <cstddef>
#include <cstdint>
#include <string>

namespace chronos::bench {

struct options {
  std::size_t n = 0; // 0: the workload's default
  std::uint64_t seed = 42;
  double seconds = 10; // W4's duration
  /// A PostgreSQL database that restore, durable and failover use (and
  /// empty) instead of files; empty: files.
  std::string store;
  /// The chronosd the failover workload starts; empty: the one beside.
  std::string chronosd;
};

} // namespace chronos::bench
