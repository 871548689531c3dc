#pragma once

// The Erlang baseline: what an Erlang user writes instead of chronos,
// erlang:send_after per timeout and erlang:cancel_timer to cancel
// (erlang/send_after.escript), run by `escript` in a process of its own and
// reported as the system "erlang_send_after" next to chronos's figures of
// the same run.

#include <string>

#include "options.hpp"
#include "report.hpp"

namespace chronos::bench {

/// Runs the script's `workload` (w1, w2, w3, w4_single, w4_batched) with `n`
/// timeouts (W4: schedules a second) and adds its figures to `out`. `note`
/// goes to the one figure of the workload that carries one (w3's
/// scheduling_s, w4's cpu_pct), as chronos's own does: a ratio pairs
/// figures of the same note. Without `escript` on PATH (Debian's
/// erlang-base) it says so on standard error, once, and adds nothing; a
/// script that fails throws std::runtime_error.
void erlang_baseline(const std::string& workload, std::size_t n, const options& opts,
                     report& out, const std::string& note = {});

} // namespace chronos::bench
