#pragma once

// The chronos server's state and every transition of it, with no CAF inside:
// the gen_server's state record and the pure half of its callbacks. The actor
// (server.hpp) owns one, feeds it requests and the current time, and does the
// sending and the waking up.
//
// Two timer tables: `pending_` holds timeouts waiting for their deadline;
// `parked_` holds occurrences that came due while their name had no live actor,
// until the name registers. A recurring timeout can be in both at once (its next
// deadline pending, one missed occurrence parked); a recurring timeout parks at
// most one occurrence, so a client that stays away for a week finds one
// reminder, not ten thousand.
//
// With change recording on, every transition is also written down as a
// `change` (change.hpp): the journal stores them, `apply` replays them after a
// restart, and `undo` takes back a client's change that could not be made
// durable.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chronos/base/outcome.hpp"
#include "chronos/detail/key_index.hpp"
#include "chronos/detail/timer_table.hpp"
#include "chronos/server/limits.hpp"
#include "chronos/server/protocol.hpp"
#include "chronos/store/replayable.hpp"
#include "chronos/store/snapshot.hpp"
#include "chronos/table/change.hpp"
#include "chronos/table/token_list.hpp"

namespace chronos {

/// A client name is 1 to `max_name_bytes` bytes of UTF-8 without control
/// characters, not ending in '/' (which would make it a namespace, see
/// namespaces.hpp).
status check_name(const std::string& name, const server_limits& limits);

/// A selector is a valid name, a valid name followed by '/' (a namespace), or
/// empty (everything).
status check_selector(const std::string& selector, const server_limits& limits);

/// How a delivery went out: fired at its deadline (its lateness measures the
/// server's punctuality), or handed over after waiting, parked, for its name.
enum class delivery_kind { at_deadline, from_parked };

class server_state final : public replayable {
public:
  explicit server_state(token_generator tokens = token_generator{},
                        server_limits limits = server_limits{});

  /// Start-up (snapshot_sink): the state file's timeouts go straight into the
  /// tables. Due timeouts are not fired here; the first `take_due`
  /// fast-forwards over them, in deadline order. A timeout whose name or
  /// payload a request could not have now (the limits in force) is refused,
  /// as are journal records that add one (`apply`).
  void begin(timestamp saved_at, std::uint64_t generation, std::size_t about) override;
  status add(timeout&& t, snapshot_list to) override;
  void clear() override;

  /// Shutdown (snapshot_source): everything needed to continue after a
  /// restart, handed to the state file's writer one timeout at a time.
  void for_each(snapshot_list of, const visitor& each) const override;

  /// Validates and adds a timeout; `now` resolves a relative deadline.
  outcome<token> schedule(const schedule_request& req, timestamp now);

  /// Schedules every request, or none: the first invalid one (named by its
  /// index) fails the lot. Tokens come back in request order.
  outcome<std::vector<token>> schedule_all(const std::vector<schedule_request>& reqs,
                                           timestamp now);

  /// Removes a timeout, pending or parked.
  status cancel(std::string_view token_text);

  /// Removes every timeout of the tokens given, or none: an unknown or
  /// repeated token (named by its index) fails the lot.
  status cancel_each(const std::vector<std::string>& token_texts);
  /// The same for a token list (one refused whole if it ends in part of a token).
  status cancel_each(const token_list& tokens);

  /// Removes every timeout, pending or parked, of the names `selector`
  /// covers; how many. The empty selector is refused: cancelling everything
  /// takes a namespace or a name.
  outcome<std::uint64_t> cancel_all(const std::string& selector);

  /// Moves a timeout to a new deadline; a parked one-shot becomes pending again.
  status reschedule(std::string_view token_text, when_spec when, timestamp now);

  /// Removes the occurrences due at `now`, in deadline order, and re-arms the
  /// recurring ones to their first deadline after `now`: those of the `limit`
  /// soonest timeouts (a backlog can then be taken in slices). A recurring
  /// timeout late by several periods gives the occurrences its misfire policy
  /// asks for (misfire.hpp): one, all (bounded), or, with `skip`, none.
  std::vector<timeout> take_due(timestamp now, std::size_t limit = SIZE_MAX);

  /// The same, handing each occurrence to `f` as it is taken: the actor
  /// sends the first while the rest are still in the heap. `f` may take the
  /// occurrence's strings, and may park occurrences (`park`).
  using occurrence_visitor = std::function<void(timeout&)>;
  void take_due(timestamp now, std::size_t limit, const occurrence_visitor& f);

  /// Keeps an occurrence whose name has no live actor. False when it is not
  /// kept: its token already has a parked occurrence (see above), or its
  /// policy is `skip`.
  bool park(timeout occurrence);

  /// An acknowledged group delivery is done: its parked occurrence, due at
  /// `deadline_ms`, leaves. False if there is none (cancelled meanwhile).
  /// Which deliveries await an acknowledgement the caller knows.
  bool finish_delivery(token tok, std::int64_t deadline_ms);

  /// The parked occurrence of `tok`, if any.
  std::optional<timeout> parked(token tok) const { return parked_.find(tok); }

  /// Removes the parked occurrences of `name`, in deadline order. A parked
  /// timeout with policy `all` stands for every period it missed until its
  /// pending deadline, and comes back as that many occurrences.
  std::vector<timeout> take_parked(const std::string& name);

  /// Pending and parked timeouts of the names `selector` covers (all, one
  /// name's or a namespace's), in (deadline, token) order.
  timeout_list list(const std::string& selector = {}) const;

  /// Refuses a list of more than `max_list` timeouts, saying how many match.
  status check_list(const std::string& selector = {}) const;

  /// How many timeouts the names `selector` covers hold.
  timeout_count count(const std::string& selector) const;

  /// Entries of the idempotency key index, the swept-out ones not counted.
  std::size_t key_count() const { return keys_.size(); }

  /// Gauges of each namespace that holds a name `selector` covers, by
  /// namespace name; `registered` is left to the caller, which knows the
  /// live actors. Visits every name: an inspection, not a hot path.
  std::vector<namespace_info> namespaces(const std::string& selector) const;

  std::optional<timestamp> next_deadline() const { return pending_.next_deadline(); }

  /// Counts a delivery and, for one at its deadline, its lateness.
  void record_delivery(std::chrono::microseconds lateness, delivery_kind kind);

  stats_info stats() const;

  // -- changes: journal, replay, undo ------------------------------------------

  /// From now on, records every transition as a `change`.
  void record_changes() { recording_ = true; }

  /// The changes recorded since the last call, oldest first.
  std::vector<change> take_changes() { return std::exchange(changes_, {}); }

  /// Replays one journaled change. A change that does not fit the state (an
  /// unknown token, a duplicate) means the files disagree: an error.
  status apply(change c) override;

  /// Takes back a client's change (schedule, cancel, reschedule). Changes must
  /// be undone newest first.
  void undo(const change& c);

private:
  // What every request is checked for, for a timeout read from a file.
  status check_stored(const timeout& t) const;
  outcome<timestamp> resolve(when_spec when, timestamp now) const;
  /// A request's own fields; check_room is the state's side.
  status check(const schedule_request& req) const;
  /// A new timeout's first deadline, and its calendar if it has one.
  struct occurrence {
    timestamp deadline;
    std::shared_ptr<const cron_schedule> calendar;
  };
  outcome<occurrence> first_occurrence(const schedule_request& req, timestamp now) const;
  /// Adds a checked request, first due as `first` says, under token `tok`
  /// (or a fresh one if `tok` is taken); returns the token used.
  token add(const schedule_request& req, occurrence first, timestamp now, token tok);
  /// Room for `timeouts` more timeouts holding `payload` more bytes?
  status check_room(std::size_t timeouts, std::size_t payload) const;
  bool known(token tok) const;
  /// cancel_each of the `n` texts `text_at(i)` gives.
  template <class TextAt>
  status cancel_texts(std::size_t n, TextAt text_at);
  std::optional<token> find_token(std::string_view text) const;
  void catch_up(const timeout& t, timestamp until, const occurrence_visitor& f);
  std::vector<std::string> names_covered(const std::string& selector) const;
  /// Where a token's timeout is pending and where parked, if anywhere.
  struct places {
    std::optional<timer_table::location> pending, parked;
  };
  places locate(token tok) const;
  /// Cancels `tok` (pending, parked or both); false if it held neither.
  bool remove(token tok);
  /// Cancels `tok`, found at `at` (one of them set), without packing the
  /// tables: the other locations of a batch stay valid until they settle.
  void remove(token tok, places at);
  bool move_to_pending(token tok, timestamp deadline, millis delay);
  /// A fresh draw of an occurrence's delay for `jitter`.
  millis delay_for(millis jitter, timestamp deadline);
  void note(change c) {
    if (recording_)
      changes_.push_back(std::move(c));
  }

  /// Undo data of a client's change: what the tables held before it, keys
  /// included.
  std::shared_ptr<const change::before> before(std::optional<timeout> pending,
                                               std::optional<timeout> parked) const;

  /// Inserts `t` into `table` and notes its key, after the insert, so that
  /// a sweep of the keys sees it held (restore, replay).
  bool insert_keyed(timer_table& table, timeout&& t);

  timer_table pending_;
  timer_table parked_;
  detail::key_index keys_;
  token_generator tokens_;
  server_limits limits_;
  stats_info counters_;
  bool recording_ = false;
  std::vector<change> changes_;
};

} // namespace chronos
