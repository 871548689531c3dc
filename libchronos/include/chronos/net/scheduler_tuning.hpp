#pragma once

// How CAF's scheduler should treat idle worker threads in a process that runs
// chronos (chronosd, or a program with the chronos actor in it), and how
// punctually its timers should wake (tighten_timer_slack, below).
//
// CAF 0.17's work-stealing workers, once out of work, poll 100 times without
// pausing, then 500 times with a 50 us sleep in between, and only then wait on
// a condition variable that new work signals. A sleeping poller is not woken
// by new work: on a VM such a sleep lasts ~140 us, so work that arrives in
// bursts (timeouts falling due, clients asking one request at a time) waits
// for it, and an idle server with a request every few milliseconds never gets
// past polling and burns CPU on it. Without the sleeping polls a worker spins
// briefly, then waits to be signalled (chronos-bench shows the effect on
// single requests, steady load and fire storms: docs/performance.md).

#include <caf/actor_system_config.hpp>

namespace chronos {

/// Sets the scheduler options above on `cfg`; call before constructing the
/// actor system. Returns `cfg`.
caf::actor_system_config& tune_scheduler(caf::actor_system_config& cfg);

/// Linux lets a sleeping thread's timer expire up to its "timer slack" late
/// (50 us by default), to batch wake-ups. CAF's clock thread, which sends
/// every delayed message (and so wakes chronos for each deadline), sleeps
/// that way. Sets the calling thread's slack to 1 ns; threads started
/// afterwards inherit it, so call it before constructing the actor system.
/// Measured (chronos-bench w3, 2 cores): fire-storm lateness p50 260-275 ->
/// 221-245 us, and 227 -> 175-196 us for CAF's own delayed_send.
void tighten_timer_slack();

} // namespace chronos
