#pragma once

// Figures measured in another process: a run of a workload in a child of its
// own (fresh RSS, fresh allocator), or a baseline in another language's
// runtime. The child writes them to its standard output as JSON lines, in
// `report`'s format.

#include <functional>

#include "report.hpp"

namespace chronos::bench {

/// Forks; the child runs `body` with its standard output on a pipe and exits
/// 0 when `body` returns, 1 when it throws (`body` may also exec or exit).
/// The parent adds each figure the child prints to `out` as it arrives, and
/// returns the child's exit status, or -1 if it could not start or did not
/// exit.
int figures_from_child(const std::function<void()>& body, report& out);

} // namespace chronos::bench
