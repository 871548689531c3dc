#pragma once

// The chronos protocol in one place: atoms, the typed interface, `inspect`
// overloads for the types of protocol.hpp, errors, and type registration.
//
//   sender         message                                   reply
//   ------------   ---------------------------------------   ----------------------------
//   client         register_atom, name, actor                ok_atom, then that name's parked
//                                                            timeouts are delivered to actor
//   client         unregister_atom, name                     ok_atom
//   client         join_atom, name, actor, ack_ms            ok_atom; the actor is one more member
//                                                            of the group `name` (ack_ms 0: no
//                                                            acknowledgements), then parked
//                                                            timeouts are delivered
//   client         leave_atom, name, actor                   ok_atom
//   group member   ack_atom, token, deadline_ms              ok_atom: that delivery is done
//   client         schedule_atom, schedule_request           token (std::string)
//   client         schedule_atom, vector<schedule_request>   token_list, in request order; all
//                                                            or none (an invalid one fails the lot)
//   client         cancel_atom, token                        ok_atom
//   client         cancel_atom, vector<token> or token_list  ok_atom; all or none
//   client         cancel_atom, name_selector                how many were cancelled (uint64)
//   client         reschedule_atom, token, when_spec         ok_atom
//   client         list_atom [, name or namespace/]          timeout_list (deadline order)
//   client         count_atom, name_selector                 timeout_count
//   client         stats_atom                                stats_info
//   client         stats_atom, name_selector                 vector<namespace_info>, by name
//   client         clock_atom                                clock_info
//   client         clock_atom, advance_atom, ms              clock_info, once everything that
//                                                            came due was delivered (manual
//                                                            clocks only)
//   client         clock_atom, set_atom, epoch_ms            the same, to an instant
//   client         clock_atom, auto_skip_atom, bool          clock_info; auto-skip on or off
//   chronos  -->   actor registered under the name:          chronos_timeout
//
// That is all a peer can reach. The actor's own timers and its disk and
// compaction threads speak to it in types no node registers with CAF, so the
// network cannot carry them; and CAF's system messages (exit, down, error,
// stream traffic) that arrive from a peer are dropped before they reach it.
//
// Every failing request is answered with a `caf::error` of category "chronos"
// whose code is a `chronos::errc` and whose context holds a one-line detail.
// Every node that talks to chronos must call `register_types` on its config.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "chronos/base/errc.hpp"
#include "chronos/server/protocol.hpp"
#include "chronos/table/token_list.hpp"

namespace chronos {

using register_atom = caf::atom_constant<caf::atom("register")>;
using unregister_atom = caf::atom_constant<caf::atom("unregister")>;
using schedule_atom = caf::atom_constant<caf::atom("schedule")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using reschedule_atom = caf::atom_constant<caf::atom("reschedule")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using clock_atom = caf::atom_constant<caf::atom("clock")>;
using advance_atom = caf::atom_constant<caf::atom("advance")>;
using set_atom = caf::atom_constant<caf::atom("set")>;
using auto_skip_atom = caf::atom_constant<caf::atom("autoskip")>;

using chronos_api = caf::typed_actor<
  caf::replies_to<register_atom, std::string, caf::actor>::with<caf::ok_atom>,
  caf::replies_to<unregister_atom, std::string>::with<caf::ok_atom>,
  caf::replies_to<join_atom, std::string, caf::actor, std::int64_t>::with<caf::ok_atom>,
  caf::replies_to<leave_atom, std::string, caf::actor>::with<caf::ok_atom>,
  caf::replies_to<ack_atom, std::string, std::int64_t>::with<caf::ok_atom>,
  caf::replies_to<schedule_atom, schedule_request>::with<std::string>,
  caf::replies_to<schedule_atom, std::vector<schedule_request>>::with<token_list>,
  caf::replies_to<cancel_atom, std::string>::with<caf::ok_atom>,
  caf::replies_to<cancel_atom, std::vector<std::string>>::with<caf::ok_atom>,
  caf::replies_to<cancel_atom, token_list>::with<caf::ok_atom>,
  caf::replies_to<cancel_atom, name_selector>::with<std::uint64_t>,
  caf::replies_to<reschedule_atom, std::string, when_spec>::with<caf::ok_atom>,
  caf::replies_to<list_atom>::with<timeout_list>,
  caf::replies_to<list_atom, std::string>::with<timeout_list>,
  caf::replies_to<count_atom, name_selector>::with<timeout_count>,
  caf::replies_to<stats_atom>::with<stats_info>,
  caf::replies_to<stats_atom, name_selector>::with<std::vector<namespace_info>>,
  caf::replies_to<clock_atom>::with<clock_info>,
  caf::replies_to<clock_atom, advance_atom, std::int64_t>::with<clock_info>,
  caf::replies_to<clock_atom, set_atom, std::int64_t>::with<clock_info>,
  caf::replies_to<clock_atom, auto_skip_atom, bool>::with<clock_info>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, when_spec& x) {
  return f(caf::meta::type_name("chronos_when"), x.relative, x.ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_request& x) {
  return f(caf::meta::type_name("chronos_schedule_request"), x.name, x.when, x.payload,
           x.interval_ms, x.misfire, x.key, x.cron, x.tz, x.jitter_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_list& x) {
  return f(caf::meta::type_name("chronos_token_list"), x.text_);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chronos_timeout& x) {
  return f(caf::meta::type_name("chronos_timeout"), x.token, x.payload, x.name,
           x.deadline_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timeout_info& x) {
  return f(caf::meta::type_name("chronos_timeout_info"), x.token, x.name, x.deadline_ms,
           x.payload, x.interval_ms, x.parked, x.misfire, x.cron, x.tz, x.jitter_ms, x.delay_ms,
           x.prev_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats_info& x) {
  return f(caf::meta::type_name("chronos_stats"), x.pending, x.parked, x.names, x.scheduled,
           x.fired, x.delivered, x.cancelled, x.skipped, x.unacked, x.redelivered,
           x.lateness_count, x.lateness_mean_us, x.lateness_max_us, x.lateness_sum_us,
           x.lateness_buckets, x.journal_bytes, x.snapshot_bytes, x.compactions, x.last_compaction_ms,
           x.client_nodes, x.writable, x.manual_clock, x.clock_ms, x.role, x.epoch,
           x.lease_expires_ms, x.leader);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, clock_info& x) {
  return f(caf::meta::type_name("chronos_clock_info"), x.manual, x.now_ms, x.auto_skip);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, name_selector& x) {
  return f(caf::meta::type_name("chronos_name_selector"), x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timeout_count& x) {
  return f(caf::meta::type_name("chronos_timeout_count"), x.pending, x.parked);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, namespace_info& x) {
  return f(caf::meta::type_name("chronos_namespace_info"), x.name, x.names, x.registered,
           x.pending, x.parked);
}

/// The error category of every chronos error.
constexpr caf::atom_value error_category = caf::atom("chronos");

caf::error make_error(const failure& f);
caf::error make_error(errc code, std::string detail);

/// "unknown token: unknown token 'abc'" becomes just the detail for chronos
/// errors; other errors (timeouts, lost connections) are rendered by CAF.
std::string describe(const caf::error& err);

/// The chronos code of `err`, if it is a chronos error.
std::optional<errc> code_of(const caf::error& err);

/// Adds the protocol's types and error category to `cfg`. Call it on every
/// node, before constructing the actor system.
caf::actor_system_config& register_types(caf::actor_system_config& cfg);

} // namespace chronos
