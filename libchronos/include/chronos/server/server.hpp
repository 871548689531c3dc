#pragma once

// The chronos actor: a gen_server in CAF clothes. Its state (server_state plus
// the name directory and the one pending wake-up) lives in a struct; its
// behavior is the message handlers of messages.hpp. Start-up restores the
// state file and its journal and fast-forwards over the downtime; every change
// goes to the journal (group_commit.hpp) as the durability mode says; an exit
// message (orderly shutdown) writes a final snapshot atomically, then the actor
// quits.

#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>

#include "chronos/base/clock.hpp"
#include "chronos/base/manual_clock.hpp"
#include "chronos/base/outcome.hpp"
#include "chronos/server/limits.hpp"
#include "chronos/server/messages.hpp"
#include "chronos/store/durability.hpp"
#include "chronos/store/postgres_store.hpp"

namespace chronos {

struct server_config {
  /// Where the state is restored from and saved to; empty keeps it in memory.
  std::string state_path;
  /// A shared PostgreSQL store instead (postgres_store.hpp; `state_path`
  /// must be empty): the server leads while it holds the store's lease and
  /// stands by otherwise, answering every request but `stats` with the
  /// error `standby`. Its `mode` is this config's.
  std::optional<postgres_options> postgres;
  /// When an acknowledged change is on disk (durability.hpp).
  durability mode = durability::always;
  /// `interval` mode: how often the journal is fsynced.
  millis sync_interval{100};
  /// A journal this large is compacted into a fresh snapshot.
  std::uint64_t compact_bytes = std::uint64_t{64} << 20;
  /// The wall clock deadlines are measured on. Tests inject a simulated one
  /// that moves with CAF's test clock.
  wall_clock clock = [] { return std::chrono::system_clock::now(); };
  /// A clock the caller drives instead (time-skipping, for the tests of a
  /// system built on chronos; docs/testing.md): `clock` is then unused, and
  /// timeouts and acknowledgement deadlines come due as it moves. Such a
  /// server keeps nothing on disk (`state_path` must be empty).
  std::shared_ptr<manual_clock> manual;
  server_limits limits;
  /// Journal batches and compaction snapshots are written on threads of
  /// their own while the actor goes on. Tests on CAF's test coordinator turn
  /// them off: it is single-threaded, and a message sent to an actor from
  /// another thread races with it (a lost wake-up hung a test under TSan).
  bool io_threads = true;
  /// Seeds the token generator (tests); random when absent.
  std::optional<std::uint64_t> seed;
};

/// Loads the state file and spawns the chronos actor. Fails, without spawning
/// or touching the file, when the state file exists but cannot be used, or
/// when the PostgreSQL store cannot be reached or holds a newer schema.
outcome<chronos_api> spawn_server(caf::actor_system& sys, server_config cfg);

/// A server on a shared store whose `postgres->address` was left empty (its
/// port was not known yet) takes part in the lease once told where clients
/// reach it: the address standbys name to clients.
void advertise(const chronos_api& server, std::string address);

} // namespace chronos
