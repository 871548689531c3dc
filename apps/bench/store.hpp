#pragma once

// The workloads' PostgreSQL store (--store URL): a server that leads it, and
// the tables emptied or filled between runs.

#include <chrono>
#include <string>

#include <caf/fwd.hpp>

#include "chronos/server/messages.hpp"
#include "chronos/store/durability.hpp"
#include "chronos/store/snapshot.hpp"

namespace chronos::bench {

/// The lease the workloads' servers take: the default chronosd's.
std::chrono::milliseconds bench_lease();

/// Asks `srv` for its stats every millisecond until its role (stats_info's
/// "leader", "standby" or "single") is `role`, for at most `within`; the
/// last role seen ("" if none answered).
std::string await_role(caf::actor_system& sys, const chronos_api& srv, const std::string& role,
                       std::chrono::seconds within);

/// A server on the store at `url` that leads it (it waits for the lease and
/// loads what the store holds); throws if it does not lead within `within`.
chronos_api spawn_leader(caf::actor_system& sys, const std::string& url, durability mode,
                         std::chrono::seconds within);

/// Deletes every stored timeout (no chronosd may lead the store meanwhile).
void empty_store(const std::string& url);

/// Empties the store, then stores `from`'s timeouts as `chronosd --import` does.
void fill_store(const std::string& url, const snapshot& from);

} // namespace chronos::bench
