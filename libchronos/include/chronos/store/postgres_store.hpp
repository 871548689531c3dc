#pragma once

// The PostgreSQL store: the timeouts as rows of a database that outlives any
// one host, and a lease that lets one chronosd lead while others stand by.
//
// Tables (schema version `postgres_schema_version`, created on first use):
//
//   chronos_schema    the version of the tables below; a newer one than this
//                     binary knows is refused
//   chronos_timeouts  one row per timeout: partition, token, parked, name,
//                     deadline_ms, interval_ms, misfire, payload (bytea),
//                     key ('' for none), cron and tz (a calendar
//                     timeout's expression and zone, NULL for the others),
//                     jitter_ms and delay_ms (0 without jitter), prev_ms
//                     (a recurring timeout's previous deadline, 0 for none)
//   chronos_lease     one row per partition: holder, address, epoch,
//                     expires_at, batches
//
// Leadership. The lease is judged by the database's clock alone: a holder
// renews it before `expires_at`; anyone takes it once it has passed, and
// taking it adds one to `epoch`. Fencing: every batch a leader writes goes
// through `chronos_apply`, which checks the leader's epoch in the same
// transaction, under the lease row's lock; once another has taken the lease,
// no write of the old leader can commit, however long it was paused.
//
// Each batch also records its sequence number in the lease row, so that a
// commit whose answer was lost with the connection can be told apart from
// one that never happened.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "chronos/base/clock.hpp"
#include "chronos/base/outcome.hpp"
#include "chronos/store/change_log.hpp"
#include "chronos/store/durability.hpp"
#include "chronos/store/snapshot.hpp"

namespace chronos {

/// The version of the tables this chronosd creates, reads and writes.
inline constexpr int postgres_schema_version = 4;

struct postgres_options {
  /// A libpq connection URI or key=value string; its password (if any) is
  /// never logged.
  std::string url;
  /// How long a lease lasts unless renewed.
  millis lease{5000};
  /// Who takes the lease: shown to others as its holder.
  std::string holder;
  /// Where clients reach the holder: what standbys tell them.
  std::string address;
  /// `interval` commits without waiting for the database's WAL flush and
  /// flushes on `sync`; `always` waits on every commit.
  durability mode = durability::always;
};

/// The lease as the database showed it.
struct lease_info {
  std::string holder;
  std::string address;
  std::uint64_t epoch = 0;
  /// By the database's clock.
  timestamp expires_at{};
  /// How long it had still to run when read, by the database's clock (0
  /// when it had expired, or for the holder, who renews it anyway).
  millis remaining{0};
  /// The caller holds it (it took or renewed it just now).
  bool held = false;
};

/// Not thread-safe: one thread uses a store at a time; `another` makes one
/// for another thread.
class postgres_store {
public:
  /// Connects, then creates the tables or checks their version. Fails when
  /// the database does not answer within 10 s (or the lease, if longer), refuses
  /// the login, or holds a schema newer than this binary's.
  static outcome<postgres_store> open(postgres_options options);

  postgres_store(postgres_store&&) noexcept;
  postgres_store& operator=(postgres_store&&) noexcept;
  ~postgres_store();

  /// Takes the lease if it has expired: `held` then, with the new epoch.
  /// Otherwise who holds it. An error when the database cannot be asked.
  outcome<lease_info> try_acquire();

  /// Extends the lease of `epoch` if it has not expired or been taken;
  /// `held` false otherwise (the lease is lost).
  outcome<lease_info> renew(std::uint64_t epoch);

  /// The lease as it stands, held or not.
  outcome<lease_info> lease();

  /// Gives the lease of `epoch` up at once, if still held: others may take
  /// it without waiting for it to expire.
  status release(std::uint64_t epoch);

  /// Reads every stored timeout into `into` (empty).
  status load(snapshot_sink& into);

  /// How many timeouts are stored.
  outcome<std::uint64_t> count();

  /// Stores everything of `from` into an empty store, in one transaction,
  /// under the lease of `epoch` (import of a state file).
  status import(const snapshot_source& from, std::uint64_t epoch);

  /// A change log writing under the lease of `epoch`, on a connection of
  /// its own (the group commit's thread uses it).
  outcome<std::shared_ptr<change_log>> open_log(std::uint64_t epoch);

  const postgres_options& options() const;

  /// The same database and options, with connections of its own (made when
  /// first needed): for another thread.
  postgres_store another() const;

  /// Sets the address the lease shows to others, before another thread
  /// takes the lease with `another()`.
  void set_address(std::string address);

private:
  struct impl;
  explicit postgres_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// `url` with its password replaced by "***", for log lines.
std::string redacted_url(const std::string& url);

} // namespace chronos
