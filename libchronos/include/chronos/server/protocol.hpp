#pragma once

// The data that travels between clients and chronos, as plain structs with no
// CAF inside (messages.hpp adds the atoms, `inspect` overloads and the typed
// interface). Times are integer milliseconds since the Unix epoch and
// durations integer milliseconds, so every node reads them the same way.

#include <cstdint>
#include <string>
#include <vector>

#include "chronos/table/misfire.hpp"

namespace chronos {

/// When a timeout is due: an absolute deadline, or a delay from the moment
/// chronos receives the request.
struct when_spec {
  bool relative = true;
  std::int64_t ms = 0;

  static when_spec at(std::int64_t epoch_ms) { return {false, epoch_ms}; }
  static when_spec in(std::int64_t delay_ms) { return {true, delay_ms}; }
};

struct schedule_request {
  std::string name;
  when_spec when;
  std::string payload;
  /// Zero for a one-shot timeout, else the repeat period in ms.
  std::int64_t interval_ms = 0;
  /// What a recurring timeout does about missed periods (misfire.hpp).
  misfire_policy misfire = misfire_policy::once;
  /// Empty, or an idempotency key: a second schedule of the same name and
  /// key, while the first is pending or parked, answers the first one's
  /// token and schedules nothing (so a request sent again is made once).
  std::string key{};
  /// Empty, or a calendar schedule: a cron expression (base/cron.hpp) in the
  /// IANA zone `tz` (UTC when empty). The timeout then recurs at the instants
  /// the expression names, the first of them at or after `when`;
  /// `interval_ms` must be zero.
  std::string cron{};
  std::string tz{};
  /// Zero, or a bound in ms (at most `max_jitter`, 30 days): each occurrence fires
  /// at its deadline plus a random delay in [0, jitter_ms), drawn when it
  /// is armed and kept with it. Never before the deadline.
  std::int64_t jitter_ms = 0;
};



/// What chronos sends to the actor registered under `name` when a timeout is due.
/// `token` and `deadline_ms` together identify one occurrence of a timeout, so a
/// client can drop a duplicate delivery. `deadline_ms` is the instant this
/// occurrence was due: a late delivery (after a restart, or parked while the
/// name was away) shows how late it is against the receiver's clock.
struct chronos_timeout {
  std::string token;
  std::string payload;
  std::string name;
  std::int64_t deadline_ms = 0;

  friend bool operator==(const chronos_timeout& a, const chronos_timeout& b) {
    return a.token == b.token && a.payload == b.payload && a.name == b.name
           && a.deadline_ms == b.deadline_ms;
  }
};

/// One row of a `list` reply.
struct timeout_info {
  std::string token;
  std::string name;
  std::int64_t deadline_ms = 0;
  std::string payload;
  std::int64_t interval_ms = 0;
  /// Came due while its name had no live actor; waits for the name to register.
  bool parked = false;
  misfire_policy misfire = misfire_policy::once;
  /// A calendar timeout's expression and zone; empty for the others.
  std::string cron{};
  std::string tz{};
  /// The timeout's jitter bound, and this occurrence's draw: it fires at
  /// deadline_ms + delay_ms.
  std::int64_t jitter_ms = 0;
  std::int64_t delay_ms = 0;
  /// A recurring timeout's previous deadline: its last occurrence that came
  /// due (delivered, parked, or dropped by its misfire policy); 0 while none
  /// has.
  std::int64_t prev_ms = 0;

  friend bool operator==(const timeout_info& a, const timeout_info& b) {
    return a.token == b.token && a.name == b.name && a.deadline_ms == b.deadline_ms
           && a.payload == b.payload && a.interval_ms == b.interval_ms && a.parked == b.parked
           && a.misfire == b.misfire && a.cron == b.cron && a.tz == b.tz
           && a.jitter_ms == b.jitter_ms && a.delay_ms == b.delay_ms && a.prev_ms == b.prev_ms;
  }
};

using timeout_list = std::vector<timeout_info>;

/// The names a bulk request covers (namespaces.hpp): one name
/// ("billing/invoice-42"), or a namespace with everything in it ("billing/",
/// with the trailing '/'). A type of its own, so that a selector is never
/// mistaken for a token or a name.
struct name_selector {
  std::string text;
};

/// How many timeouts some names hold.
struct timeout_count {
  std::uint64_t pending = 0;
  std::uint64_t parked = 0;

  friend bool operator==(const timeout_count& a, const timeout_count& b) {
    return a.pending == b.pending && a.parked == b.parked;
  }
};

/// One namespace's gauges: the names directly in it ("billing/eu/x" is in
/// "billing/eu", not in "billing"); "" is the root namespace.
struct namespace_info {
  std::string name;
  /// Names that hold timeouts.
  std::uint64_t names = 0;
  /// Names bound to a live actor.
  std::uint64_t registered = 0;
  std::uint64_t pending = 0;
  std::uint64_t parked = 0;

  friend bool operator==(const namespace_info& a, const namespace_info& b) {
    return a.name == b.name && a.names == b.names && a.registered == b.registered
           && a.pending == b.pending && a.parked == b.parked;
  }
};

/// The upper bounds, in microseconds, of the lateness histogram's buckets.
inline constexpr std::int64_t lateness_bounds_us[] = {100,    250,    500,    1'000,  2'500,
                                                      5'000,  10'000, 25'000, 50'000, 100'000,
                                                      250'000, 1'000'000};

struct stats_info {
  std::uint64_t pending = 0;
  std::uint64_t parked = 0;
  std::uint64_t names = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t fired = 0;
  std::uint64_t delivered = 0;
  std::uint64_t cancelled = 0;
  /// Occurrences of recurring timeouts not delivered because of their misfire
  /// policy (misfire.hpp).
  std::uint64_t skipped = 0;
  /// Deliveries to groups that wait for an acknowledgement (they are parked
  /// meanwhile), and deliveries sent again because one was late.
  std::uint64_t unacked = 0;
  std::uint64_t redelivered = 0;
  /// Delivery lateness (delivery time - deadline) of timeouts delivered on
  /// time, i.e. not parked and not from a restore backlog.
  std::uint64_t lateness_count = 0;
  std::int64_t lateness_mean_us = 0;
  std::int64_t lateness_max_us = 0;
  std::int64_t lateness_sum_us = 0;
  /// How many of those fell in each bucket of `lateness_bounds_us` (a
  /// lateness <= the bound, > the one before), and one more for the rest.
  std::vector<std::uint64_t> lateness_buckets;
  /// Journal bytes since the last snapshot (0 without a journal), and the
  /// snapshot's size when it was last read or written.
  std::uint64_t journal_bytes = 0;
  std::uint64_t snapshot_bytes = 0;
  /// Compactions done, and how long the last one took to write its snapshot.
  std::uint64_t compactions = 0;
  std::int64_t last_compaction_ms = 0;
  /// Distinct nodes (this one included) whose actors hold names.
  std::uint64_t client_nodes = 0;
  /// False while the journal cannot be written: changes are refused (reads
  /// go on) until a retry succeeds. What `chronosctl health` checks.
  bool writable = true;
  /// The server's clock: moved only by requests (a manual clock), and what
  /// it shows.
  bool manual_clock = false;
  std::int64_t clock_ms = 0;
  /// "single" for a server of its own (a state file, or memory); with a
  /// shared PostgreSQL store, "leader" or "standby", the lease's epoch, when
  /// it expires by the database's clock (ms since the epoch; 0 if unknown)
  /// and where the leader is reached ("" if unknown).
  std::string role = "single";
  std::uint64_t epoch = 0;
  std::int64_t lease_expires_ms = 0;
  std::string leader;
};

/// What a server's clock shows (`clock_atom` requests).
struct clock_info {
  /// Moved only by `clock_atom` requests and the server's manual_clock;
  /// else the system's clock, which these requests cannot move.
  bool manual = false;
  std::int64_t now_ms = 0;
  /// While on (manual clocks only): when nothing is due and no request has
  /// arrived for a moment, the clock jumps to the next deadline.
  bool auto_skip = false;

  friend bool operator==(const clock_info& a, const clock_info& b) {
    return a.manual == b.manual && a.now_ms == b.now_ms && a.auto_skip == b.auto_skip;
  }
};

} // namespace chronos
