#pragma once

// The messages the chronos actor sends itself, and that its disk thread and
// its compaction thread send it. Private to libchronos.
//
// They are C++ types that no node ever registers with CAF: BASP refuses to
// deserialize a type it has no factory for, so no peer can produce one, even
// with a struct of the same name and layout. The `inspect` overloads are
// there only so that CAF can print them; they do not make them deserializable.

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>

#include "chronos/server/messages.hpp"

namespace chronos::detail {

/// The one pending wake-up; older generations are stale.
struct wakeup_msg {
  std::uint64_t generation = 0;
};

/// A group member did not acknowledge the delivery of `token` due at
/// `deadline_ms` in time.
struct redeliver_msg {
  std::string token;
  std::int64_t deadline_ms = 0;
};

/// A manual clock moved: deliver what came due.
struct clock_moved_msg {};

/// Auto-skip's look at whether the server is idle (real time).
struct auto_skip_msg {};

/// Hands the batch of changes that filled up to the disk thread.
struct commit_msg {};

/// The disk thread wrote a batch.
struct written_msg {};

/// A broken journal tries again.
struct retry_msg {};

/// `interval` mode's tick: fsync what was written since the last one.
struct sync_msg {};

/// A compaction's snapshot of journal `generation` is written (`failed` empty)
/// or failed.
struct compacted_msg {
  std::uint64_t generation = 0;
  std::string failed;
};

/// From the lease keeper (lease_keeper.hpp): the lease is ours, with a new
/// epoch, or renewed; valid until the steady clock shows `valid_until_ns`.
struct lead_msg {
  std::uint64_t epoch = 0;
  std::int64_t valid_until_ns = 0;
  std::int64_t expires_ms = 0;
};
struct renewed_msg {
  std::uint64_t epoch = 0;
  std::int64_t valid_until_ns = 0;
  std::int64_t expires_ms = 0;
};
/// The lease of `epoch` is lost.
struct lost_msg {
  std::uint64_t epoch = 0;
  std::string why;
};
/// Another holds the lease (or none does).
struct standing_by_msg {
  std::string leader;
  std::uint64_t epoch = 0;
  std::int64_t expires_ms = 0;
};
/// Where clients reach this server (chronos::advertise).
struct advertise_msg {
  std::string address;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertise_msg& x) {
  return f(caf::meta::type_name("chronos_internal_advertise"), x.address);
}

/// The leader looks whether its lease is still valid.
struct lease_check_msg {
  std::uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lead_msg& x) {
  return f(caf::meta::type_name("chronos_internal_lead"), x.epoch, x.valid_until_ns, x.expires_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, renewed_msg& x) {
  return f(caf::meta::type_name("chronos_internal_renewed"), x.epoch, x.valid_until_ns,
           x.expires_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lost_msg& x) {
  return f(caf::meta::type_name("chronos_internal_lost"), x.epoch, x.why);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, standing_by_msg& x) {
  return f(caf::meta::type_name("chronos_internal_standing_by"), x.leader, x.epoch, x.expires_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_check_msg& x) {
  return f(caf::meta::type_name("chronos_internal_lease_check"), x.epoch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wakeup_msg& x) {
  return f(caf::meta::type_name("chronos_internal_wakeup"), x.generation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, redeliver_msg& x) {
  return f(caf::meta::type_name("chronos_internal_redeliver"), x.token, x.deadline_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, clock_moved_msg&) {
  return f(caf::meta::type_name("chronos_internal_clock_moved"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auto_skip_msg&) {
  return f(caf::meta::type_name("chronos_internal_auto_skip"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_msg&) {
  return f(caf::meta::type_name("chronos_internal_commit"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, written_msg&) {
  return f(caf::meta::type_name("chronos_internal_written"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_msg&) {
  return f(caf::meta::type_name("chronos_internal_retry"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_msg&) {
  return f(caf::meta::type_name("chronos_internal_sync"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compacted_msg& x) {
  return f(caf::meta::type_name("chronos_internal_compacted"), x.generation, x.failed);
}

/// The chronos actor as it is spawned: the published protocol plus its own
/// messages. Only `chronos_api` handles leave libchronos.
using server_impl_api = chronos_api::extend<
  caf::reacts_to<wakeup_msg>, caf::reacts_to<redeliver_msg>, caf::reacts_to<commit_msg>,
  caf::reacts_to<written_msg>, caf::reacts_to<retry_msg>, caf::reacts_to<sync_msg>,
  caf::reacts_to<compacted_msg>, caf::reacts_to<clock_moved_msg>,
  caf::reacts_to<auto_skip_msg>, caf::reacts_to<lead_msg>, caf::reacts_to<renewed_msg>,
  caf::reacts_to<lost_msg>, caf::reacts_to<standing_by_msg>, caf::reacts_to<lease_check_msg>,
  caf::reacts_to<advertise_msg>>;

} // namespace chronos::detail
