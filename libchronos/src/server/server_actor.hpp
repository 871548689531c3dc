#pragma once

// The chronos actor's state and the parts of its implementation shared by
// server.cpp (behavior, start-up, shutdown, delivery) and server_journal.cpp
// (the journal: group commit, retries, compaction). Private to libchronos.

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "chronos/server/server.hpp"
#include "chronos/store/persistence.hpp"
#include "server/group_commit.hpp"
#include "server/internal_messages.hpp"
#include "server/lease_keeper.hpp"
#include "server/name_directory.hpp"

namespace chronos::detail {

using std::chrono::system_clock;

// -- state ------------------------------------------------------------------
// Grouped by concern; each group is changed only by the file named with it.

/// Delivery (server_delivery.cpp): who receives each name's timeouts, and the
/// group deliveries that wait for an acknowledgement.
struct delivery_state {
  /// One actor per name, or a group's members in turn.
  name_directory directory;
  /// A group delivery waiting for its acknowledgement (its occurrence is
  /// parked meanwhile): the deadline sent and the member it went to.
  struct unacked {
    std::int64_t deadline_ms;
    caf::actor_addr member;
    /// When the acknowledgement is late, on a manual clock (a system clock
    /// sends the server a delayed message instead).
    system_clock::time_point late_at;
  };
  std::unordered_map<token, unacked> awaiting_ack;
  std::uint64_t redelivered = 0;
};

/// The one pending wake-up, and a manual clock's time (server_wakeup.cpp).
struct wakeup_state {
  /// Only the wake-up carrying this generation counts; older ones are stale.
  std::uint64_t generation = 0;
  /// The deadline the pending wake-up is for, if one is pending.
  std::optional<timestamp> armed_for;

  /// A manual clock, if the server runs on one; then `now` is the instant
  /// the server has caught up to, which steps from one due event to the next
  /// when the clock moves, so that each comes due at its own time.
  std::shared_ptr<manual_clock> manual;
  std::size_t listener = 0;
  system_clock::time_point now;
  /// Clock requests waiting for a catch-up to finish.
  std::vector<caf::response_promise> moved_replies;
  bool catching_up = false;
  bool auto_skip = false;
  bool auto_skip_looking = false;
  /// When a request from outside last arrived (steady clock, ns): the
  /// actor's mailbox writes it on the senders' threads.
  const std::atomic<std::int64_t>* last_request_ns = nullptr;

  wakeup_state() = default;
  wakeup_state(const wakeup_state&) = delete;
  wakeup_state& operator=(const wakeup_state&) = delete;
  ~wakeup_state() {
    if (manual)
      manual->ignore(listener);
  }
};

/// The journal (server_journal.cpp): batches, held replies, compaction.
struct journal_state {
  /// The journal's batches (none without a state file or in `shutdown` mode).
  std::unique_ptr<group_commit> commits;
  /// The journal file `commits` writes (a file store's).
  std::uint64_t generation = 0;
  /// Replies of client changes in the batch filling up, held until it is
  /// durable (then they go with the batch to the disk thread).
  using replies = std::vector<std::pair<caf::response_promise, caf::message>>;
  replies staged_replies;
  bool commit_requested = false;
  bool retry_scheduled = false;
  /// `interval` mode's sync ticks are running.
  bool sync_ticking = false;
  /// Writes the snapshot of a compaction off the actor's thread.
  std::thread compactor;
  std::optional<std::uint64_t> compacting;
  /// The state file is behind its journals (start-up replayed them): compact
  /// as soon as nothing is being written.
  bool snapshot_stale = false;
  std::chrono::steady_clock::time_point compaction_started;
  std::chrono::milliseconds last_compaction{0};
  std::uint64_t compactions = 0;
  /// Size of the state file (the snapshot) when it was last read or written.
  std::uint64_t snapshot_bytes = 0;

  journal_state() = default;
  journal_state(const journal_state&) = delete;
  journal_state& operator=(const journal_state&) = delete;
  ~journal_state() {
    if (compactor.joinable())
      compactor.join();
  }
};

/// What a server with a shared store is (server_leadership.cpp).
enum class server_role {
  /// Its own state file, or memory: it always serves.
  single,
  /// Holds the store's lease: serves, until the lease's validity ends.
  leader,
  /// Another leads (or none yet): refuses everything but stats.
  standby,
};

const char* to_string(server_role r);

/// Leadership of a shared store (server_leadership.cpp).
struct leadership_state {
  server_role role = server_role::single;
  /// Loads and writes the store on the actor's thread (connections of its own).
  std::unique_ptr<postgres_store> store;
  /// Takes and renews the lease on its thread, with its own store.
  std::unique_ptr<lease_keeper> keeper;
  std::uint64_t epoch = 0;
  /// Leading stops here, by the steady clock, unless a renewal moves it.
  std::chrono::steady_clock::time_point valid_until;
  bool check_pending = false;
  /// The lease as last seen: for stats and for the standby's refusals.
  std::int64_t expires_ms = 0;
  std::string leader;
};

struct server_actor_state {
  server_state core;
  server_config cfg;
  delivery_state delivery;
  wakeup_state wakeup;
  journal_state journal;
  // Declared last: destroyed first, so the keeper gives the lease up before
  // anything else of the state goes.
  leadership_state leadership;
  /// Refusing schedules and lists while too many requests wait (server.cpp;
  /// logged once an episode).
  bool overloaded = false;

  static inline const char* name = "chronos";
};

using server_actor = server_impl_api::stateful_pointer<server_actor_state>;

/// The chronos actor. Its mailbox keeps out what a peer may not send: CAF's
/// system messages (exit, down, error, timeouts, stream traffic) made by a
/// peer would stop the actor, forget a client's names or corrupt its
/// mailbox; chronos takes them only from this process.
class server_actor_impl
  : public caf::stateful_actor<server_actor_state, server_impl_api::base> {
public:
  using super = caf::stateful_actor<server_actor_state, server_impl_api::base>;

  server_actor_impl(caf::actor_config& cfg, server_state core, recovery restored,
                    server_config config, std::unique_ptr<postgres_store> store);

  using super::enqueue;
  void enqueue(caf::mailbox_element_ptr x, caf::execution_unit* eu) override;

  behavior_type make_behavior() override;

  /// What the mailbox door refuses: everything but stats while standing by,
  /// answered at once with the leader's address (`leader`, if known).
  void stand_by(std::string leader);
  void serve();

private:
  bool refuse_standing_by(caf::mailbox_element& x);

  std::atomic<bool> standing_by_{false};
  std::mutex leader_mtx_;
  std::string leader_; // guarded by leader_mtx_
  // Outside the state, which CAF destroys when the actor quits, while
  // other threads may still enqueue.
  std::atomic<std::int64_t> last_request_ns_{0};
  // What the behavior starts from; moved into the state when it is made.
  server_state core_;
  recovery restored_;
  server_config config_;
  std::unique_ptr<postgres_store> store_;
};

// -- shared helpers -------------------------------------------------------------

inline system_clock::time_point now(server_actor self) {
  const auto& st = self->state;
  return st.wakeup.manual ? st.wakeup.now : st.cfg.clock();
}

inline bool always(server_actor self) { return self->state.cfg.mode == durability::always; }

/// Answers the request `request` of `source` (passed on along `stages`, if
/// any) with `msg`, from any thread: what response_promise::deliver does,
/// without the current execution unit, which only the server's own thread
/// may read (server_gate.cpp).
void respond_from_any_thread(const caf::strong_actor_ptr& server,
                             const caf::strong_actor_ptr& source, caf::message_id request,
                             caf::mailbox_element::forwarding_stack stages, caf::message msg);

// -- the wake-up (server_wakeup.cpp) ----------------------------------------------

/// Keeps exactly one wake-up pending, for the soonest deadline.
void arm(server_actor self);

/// Fires what is due (a slice of it, if much is), then re-arms.
void fire_due(server_actor self);

/// A wake-up arrived: fires what is due unless a newer one replaced it.
void on_wakeup(server_actor self, std::uint64_t generation);

/// Start-up: listens to a manual clock, if the server runs on one.
void start_clock(server_actor self);

/// What the clock shows, for `clock_atom` requests.
clock_info clock_shown(server_actor self);

/// A manual clock moved (by anyone): catches up with it, every event in the
/// order of its time, a slice a turn. `reply`, if given, is answered once
/// the server has caught up.
void catch_up(server_actor self, std::optional<caf::response_promise> reply = std::nullopt);

/// Turns auto-skip on or off; its look at whether the server is idle.
void set_auto_skip(server_actor self, bool on);
void look_for_idle(server_actor self);

// -- delivery (server_delivery.cpp) ------------------------------------------------

/// Binds `name` to `who` alone, then hands over what waited for the name.
caf::result<caf::ok_atom> bind_name(server_actor self, const std::string& name,
                                    const caf::actor& who);

/// Adds `member` to the group `name`, then hands over what waited for it.
caf::result<caf::ok_atom> join_group(server_actor self, const std::string& name,
                                     const caf::actor& member, std::int64_t ack_ms);

/// Takes `member` out of the group `name`.
caf::result<caf::ok_atom> leave_group(server_actor self, const std::string& name,
                                      const caf::actor& member);

/// Unbinds `name` (a group with all its members); its timeouts stay.
caf::result<caf::ok_atom> unbind_name(server_actor self, const std::string& name);

/// Sends `t` to its name's actor, or to its group's next member (parked until
/// acknowledged, where the group wants that), or parks it when the name has
/// no live actor. A sent `t` gives its name and payload to the message.
void deliver(server_actor self, timeout&& t, system_clock::time_point at, delivery_kind kind);

/// A group member took the delivery of `tok` due at `deadline_ms`: it is done.
status acknowledge_delivery(server_actor self, const std::string& tok, std::int64_t deadline_ms);

/// An acknowledgement is late: the delivery goes to another member, or waits,
/// parked, for the name to have one.
void redeliver(server_actor self, const std::string& tok, std::int64_t deadline_ms);

/// `who` went down: its names are free, its unacknowledged deliveries go on.
void forget_actor(server_actor self, const caf::actor_addr& who);

/// On a manual clock: the earliest instant an acknowledgement is late, and
/// the redelivery of every one late by `now(self)`.
std::optional<system_clock::time_point> next_late_ack(server_actor self);
void redeliver_late(server_actor self);

// -- leadership of a shared store (server_leadership.cpp) -------------------------

/// Start-up with a shared store: stands by, and starts the lease keeper
/// once the address it advertises is known.
void start_leadership(server_actor self);

/// Where clients reach this server: the lease keeper starts with it.
void on_advertise(server_actor self, std::string address);

/// True while the server may deliver and accept changes: always for a
/// single server, while the lease is valid for a leader. A leader whose
/// lease's validity has ended steps down here.
bool leading(server_actor self);

void on_lead(server_actor self, const lead_msg& msg);
void on_renewed(server_actor self, const renewed_msg& msg);
void on_lost(server_actor self, const lost_msg& msg);
void on_standing_by(server_actor self, const standing_by_msg& msg);
void on_lease_check(server_actor self, std::uint64_t epoch);

/// What a standby answers: the error `standby`, naming the leader's address
/// when it is known.
caf::error standby_error(const std::string& leader);

/// Adds role, epoch, lease expiry and leader to `s`.
void show_leadership(server_actor self, stats_info& s);

// -- the journal (server_journal.cpp) ---------------------------------------------

/// Start-up: takes over the journal `recover` opened (none in `shutdown`
/// mode or without a state file) and starts recording changes for it.
void open_journal(server_actor self, recovery restored);

/// The reply to a client change: at once, or once its batch is durable.
template <class T>
caf::result<T> reply_when_durable(server_actor self, T reply);

/// Client changes are refused while the journal cannot be written; reads go on.
std::optional<caf::error> refuse_if_broken(server_actor self);

/// The commit message: hands the batch that filled up to the disk thread.
void submit(server_actor self);

/// `interval` mode's tick: fsyncs what was written since the last one.
void on_sync_tick(server_actor self);

/// The disk thread finished a batch: answer it, send the next, maybe compact.
void on_written(server_actor self);

/// Compacts if the journal has grown past the threshold or the state file is
/// stale, and nothing is being written (else a later `on_written` does).
void compact(server_actor self);

/// Before the server changes anything itself, client changes must be durable.
void commit_client_changes(server_actor self);

/// Stages what the server changed by itself (fires, parks, deliveries).
void stage_own_changes(server_actor self);

/// The retry timer of a broken journal.
void retry_journal(server_actor self);

/// A compaction's snapshot is written (or failed).
void on_compacted(server_actor self, std::uint64_t generation, const std::string& failed);

/// Shutdown: makes everything durable and writes the final snapshot (a
/// file store's).
status save_final_snapshot(server_actor self);

/// Stepping down: what was submitted learns its fate, held replies get
/// `why`, and nothing more is written.
void close_journal(server_actor self, const failure& why);

/// Stages a client change for the journal; true if its reply must wait
/// for the batch (`always` mode).
bool stage_client_change(server_actor self);

/// Holds `reply` until its batch is durable.
void hold_reply(server_actor self, caf::response_promise rp, caf::message reply);

template <class T>
caf::result<T> reply_when_durable(server_actor self, T reply) {
  if (!stage_client_change(self))
    return reply;
  auto rp = self->make_response_promise();
  hold_reply(self, rp, caf::make_message(std::move(reply)));
  return rp;
}

} // namespace chronos::detail
