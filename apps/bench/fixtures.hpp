#pragma once

// What the persistence workloads start from: a scratch folder, and a large
// backlog of timeouts.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "chronos/store/snapshot.hpp"

namespace chronos::bench {

/// A scratch folder under $TMPDIR, removed afterwards.
struct scratch {
  std::filesystem::path dir;
  scratch();
  ~scratch();
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  std::string file(const char* name) const { return (dir / name).string(); }
};

/// Whether a backlog has timeouts that are already due.
enum class overdue_share { none, tenth };

/// `n` timeouts due in 1-2 h, of 100 names, in (deadline, token) order; with
/// `overdue_share::tenth` every tenth is overdue by 1 min-1 h instead, under
/// the name "overdue", and `overdue` says how many.
snapshot backlog(std::size_t n, std::uint64_t seed, std::size_t& overdue,
                 overdue_share late = overdue_share::tenth);

} // namespace chronos::bench
