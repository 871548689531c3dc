#pragma once

// One soak worker: a client program that comes and goes. Each session is an
// actor system of its own that connects to chronosd through the reconnecting
// client, binds the worker's name, keeps one recurring timeout, and
// schedules, cancels and reschedules one-shot timeouts at a steady rate; then
// the whole system goes away (a disconnect, as when a process exits), and
// what comes due meanwhile waits parked in chronosd for the next session.
//
// The two ways chronos promises not to lose a delivery (docs/protocol.md):
// - registered: the session unregisters its name and lets its receiver finish
//   what it was sent before it goes (at most once against a dying receiver);
// - group with acknowledgements: the receiver acknowledges each delivery, and
//   the session is killed abruptly; what it had not acknowledged goes to the
//   next session (at least once end to end).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "soak_ledger.hpp"

namespace chronos::soak {

struct worker_config {
  std::string name;          // the name this worker registers
  std::uint16_t port = 0;    // chronosd on 127.0.0.1
  double rate = 500;         // requests per second while connected
  std::uint64_t seed = 1;
  bool group_with_acks = false;
};

/// Runs sessions until `load_over`, then one last session that stays
/// registered (and cancels what recurring timeouts are left) until `drained`.
void run_worker(const worker_config& cfg, ledger& book, const std::atomic<bool>& load_over,
                const std::atomic<bool>& drained);

} // namespace chronos::soak
