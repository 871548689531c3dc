#include "server/server_actor.hpp"

#include <mutex>

#include "chronos/base/log.hpp"
#include "chronos/server/namespaces.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// -- helpers ------------------------------------------------------------------

// Schedules and lists are refused while more than `max_queued` requests wait:
// they add state or build large replies, and the rest (cancels, acks,
// registrations) is what drains the load. Logged when it starts and ends.
// Counted in the queue CAF fills from the mailbox at every round, a few
// messages behind: `mailbox().size()` would move the mailbox itself, and CAF's
// code for that casts its queue's sentinel node, which UBSan rejects.
std::optional<caf::error> refuse_if_overloaded(server_actor self) {
  auto& st = self->state;
  const auto queued = self->mailbox().queue().total_task_size();
  const auto limit = st.cfg.limits.max_queued;
  if (queued <= limit) {
    if (st.overloaded && queued <= limit / 2) {
      st.overloaded = false;
      log_info("the request queue is down to " + std::to_string(queued)
               + "; accepting schedules and lists again");
    }
    return std::nullopt;
  }
  if (!st.overloaded) {
    st.overloaded = true;
    log_warning(std::to_string(queued) + " requests wait, more than " + std::to_string(limit)
                + ": refusing schedules and lists until they are fewer");
  }
  return make_error(errc::overloaded, "chronosd is overloaded (" + std::to_string(queued)
                                        + " requests wait); try again later");
}

// A standby holds nothing and changes nothing: what the door let in before
// it stepped down is refused here.
std::optional<caf::error> refuse_unless_leading(server_actor self) {
  if (leading(self))
    return std::nullopt;
  return standby_error(self->state.leadership.leader);
}

// A client's change: refused while the journal is broken; else made, the
// wake-up re-armed, and the reply held until durable where that is asked for.
template <class Reply, class Change>
caf::result<Reply> client_change(server_actor self, Change change) {
  if (auto refused = refuse_unless_leading(self))
    return *refused;
  if (auto refused = refuse_if_broken(self))
    return *refused;
  outcome<Reply> reply = change(self->state.core);
  if (!reply)
    return make_error(reply.error());
  arm(self);
  return reply_when_durable(self, std::move(*reply));
}

outcome<caf::ok_atom> ok_or_error(const status& s) {
  if (!s)
    return s.error();
  return caf::ok_atom::value;
}

// A read's value as a reply; a read that can fail answers its error.
template <class T>
caf::result<T> replied(T value) {
  return value;
}

template <class T>
caf::result<T> replied(outcome<T> value) {
  if (!value)
    return make_error(value.error());
  return std::move(*value);
}

// Selector requests that only read: a bad selector is an error reply.
template <class Read>
auto read_selected(const name_selector& sel, const server_config& cfg, Read read)
  -> decltype(replied(read(sel.text))) {
  if (auto ok = check_selector(sel.text, cfg.limits); !ok)
    return make_error(ok.error());
  return replied(read(sel.text));
}

// A list of what `selector` covers (everything, if empty), unless it holds
// more than the limit.
caf::result<timeout_list> listed(server_actor self, const std::string& selector) {
  if (auto refused = refuse_unless_leading(self))
    return *refused;
  if (auto refused = refuse_if_overloaded(self))
    return *refused;
  const auto& core = self->state.core;
  return read_selected(name_selector{selector}, self->state.cfg,
                       [&](const std::string& text) -> outcome<timeout_list> {
                         if (auto ok = core.check_list(text); !ok)
                           return ok.error();
                         return core.list(text);
                       });
}

// Adds the live names of each namespace to the state's gauges.
std::vector<namespace_info> with_registered(std::vector<namespace_info> gauges,
                                            const server_actor_state& st,
                                            const std::string& selector) {
  std::map<std::string, namespace_info> by_name;
  for (auto& info : gauges)
    by_name.emplace(info.name, std::move(info));
  st.delivery.directory.for_each_name([&](const std::string& name) {
    if (!covers(selector, name))
      return;
    auto& info = by_name[std::string{namespace_of(name)}];
    info.name = namespace_of(name);
    ++info.registered;
  });
  std::vector<namespace_info> out;
  out.reserve(by_name.size());
  for (auto& [name, info] : by_name)
    out.push_back(std::move(info));
  return out;
}

// Clock requests need a manual clock: the system's is not chronos's to move.
std::optional<caf::error> refuse_unless_manual(server_actor self) {
  if (self->state.wakeup.manual)
    return std::nullopt;
  return make_error(errc::invalid_argument,
                    "this server runs on the system clock, which no request moves "
                    "(chronosd --clock manual runs one on a clock that requests move)");
}

// Moves the manual clock (`move` says how), then answers once the server has
// caught up with it.
template <class Move>
caf::result<clock_info> move_clock(server_actor self, Move move) {
  if (auto refused = refuse_unless_manual(self))
    return *refused;
  if (auto moved = move(*self->state.wakeup.manual); !moved)
    return make_error(moved.error());
  auto rp = self->make_response_promise();
  catch_up(self, rp);
  return rp;
}

// -- start-up and shutdown ------------------------------------------------------

// The restored state may hold a backlog: no name is registered yet, so every
// overdue timeout is parked now and delivered, oldest first, on register.
void start(server_actor self, recovery restored) {
  start_leadership(self);
  start_clock(self);
  open_journal(self, std::move(restored));
  fire_due(self);
  if (self->state.journal.commits)
    compact(self);
}

// Saves the state file; a failed save ends the actor with that error, so
// whoever waits for it (chronosd) can exit non-zero.
void shutdown(server_actor self, const caf::error& reason) {
  auto& st = self->state;
  if (st.cfg.state_path.empty() && !st.journal.commits) {
    self->quit(reason);
    return;
  }
  if (auto saved = save_final_snapshot(self); !saved) {
    log_error("cannot save state: " + saved.error().detail);
    self->quit(make_error(saved.error()));
    return;
  }
  if (st.cfg.state_path.empty()) { // a shared store's leader: all of it committed
    self->quit(reason);
    return;
  }
  const auto saved_count = st.core.count({});
  log_info("saved " + std::to_string(saved_count.pending) + " pending and "
           + std::to_string(saved_count.parked) + " parked timeouts to " + st.cfg.state_path);
  self->quit(reason);
}

// A peer may send anything, as often as it likes: log it (a line a second at
// most), answer unexpected_message, keep serving.
log_throttle ignored_log;

caf::result<caf::message> ignore_unknown(caf::scheduled_actor* self, caf::message_view& msg) {
  ignored_log.log(log_level::warning, [&] {
    auto text = caf::to_string(msg.content());
    if (text.size() > 200)
      text = text.substr(0, 200) + "...";
    return "ignored a message chronos does not understand from "
           + caf::to_string(self->current_sender()) + ": " + text;
  });
  return caf::sec::unexpected_message;
}

// chronos sends no requests, so an error message answers nothing it asked
// (CAF's default handler would end the actor).
void ignore_error(caf::scheduled_actor*, caf::error& err) {
  ignored_log.log(log_level::warning, [&] { return "ignored an error message: " + caf::to_string(err); });
}

// -- behavior -------------------------------------------------------------------

// The restored journal, and the actor object itself (the mailbox door's
// flags, which other threads read), go from the spawning thread to the
// actor's, then to the disk and compaction threads. CAF orders the first
// hand-over with atomics inside its libraries, which are not instrumented, so
// ThreadSanitizer would report the other threads' first accesses; passing
// this mutex (released at the end of the constructor, taken at start-up)
// makes the same order visible.
std::mutex restore_handoff;

server_impl_api::behavior_type server_behavior(server_actor self, server_state core,
                                               recovery restored, server_config cfg,
                                               std::unique_ptr<postgres_store> store) {
  self->state.core = std::move(core);
  self->state.cfg = std::move(cfg);
  self->state.leadership.store = std::move(store);
  {
    std::lock_guard<std::mutex> received{restore_handoff};
    start(self, std::move(restored));
  }
  self->set_default_handler(ignore_unknown);
  self->set_error_handler(ignore_error);
  self->set_exit_handler([=](caf::exit_msg& msg) { shutdown(self, msg.reason); });
  self->set_down_handler([=](caf::down_msg& msg) { forget_actor(self, msg.source); });
  return {
    // Binds a name, then hands over what waited for it, oldest first.
    [=](register_atom, const std::string& name,
        const caf::actor& who) -> caf::result<caf::ok_atom> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return bind_name(self, name, who);
    },
    // Adds a member to a group, then hands over what waited for the name.
    [=](join_atom, const std::string& name, const caf::actor& member,
        std::int64_t ack_ms) -> caf::result<caf::ok_atom> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return join_group(self, name, member, ack_ms);
    },
    // Takes a member out of a group; the group's timeouts stay.
    [=](leave_atom, const std::string& name,
        const caf::actor& member) -> caf::result<caf::ok_atom> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return leave_group(self, name, member);
    },
    // Unbinds a name (a group with all its members); its timeouts stay and park when due.
    [=](unregister_atom, const std::string& name) -> caf::result<caf::ok_atom> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return unbind_name(self, name);
    },
    // A group member took a delivery: it is done.
    [=](ack_atom, const std::string& tok, std::int64_t deadline_ms) {
      return client_change<caf::ok_atom>(self, [&](server_state&) {
        return ok_or_error(acknowledge_delivery(self, tok, deadline_ms));
      });
    },
    // Adds a timeout and answers its token.
    [=](schedule_atom, const schedule_request& req) -> caf::result<std::string> {
      if (auto refused = refuse_if_overloaded(self))
        return *refused;
      return client_change<std::string>(self, [&](server_state& core) -> outcome<std::string> {
        auto tok = core.schedule(req, ceil_ms(now(self)));
        if (!tok)
          return tok.error();
        return tok->str();
      });
    },
    // Adds many timeouts at once, all or none; answers their tokens in order.
    [=](schedule_atom, const std::vector<schedule_request>& reqs) -> caf::result<token_list> {
      if (auto refused = refuse_if_overloaded(self))
        return *refused;
      return client_change<token_list>(self, [&](server_state& core) -> outcome<token_list> {
        auto toks = core.schedule_all(reqs, ceil_ms(now(self)));
        if (!toks)
          return toks.error();
        token_list out;
        out.reserve(toks->size());
        for (auto tok : *toks)
          out.push_back(tok);
        return out;
      });
    },
    // Removes a timeout, pending or parked.
    [=](cancel_atom, const std::string& tok) {
      return client_change<caf::ok_atom>(
        self, [&](server_state& core) { return ok_or_error(core.cancel(tok)); });
    },
    // Removes many timeouts at once, all or none.
    [=](cancel_atom, const std::vector<std::string>& toks) {
      return client_change<caf::ok_atom>(
        self, [&](server_state& core) { return ok_or_error(core.cancel_each(toks)); });
    },
    [=](cancel_atom, const token_list& toks) {
      return client_change<caf::ok_atom>(
        self, [&](server_state& core) { return ok_or_error(core.cancel_each(toks)); });
    },
    // Removes every timeout of a name or a namespace; answers how many.
    [=](cancel_atom, const name_selector& sel) {
      return client_change<std::uint64_t>(
        self, [&](server_state& core) { return core.cancel_all(sel.text); });
    },
    // Moves a timeout to a new deadline.
    [=](reschedule_atom, const std::string& tok, when_spec when) {
      return client_change<caf::ok_atom>(self, [&](server_state& core) {
        return ok_or_error(core.reschedule(tok, when, ceil_ms(now(self))));
      });
    },
    // Every timeout, pending and parked, in deadline order.
    [=](list_atom) { return listed(self, {}); },
    // One name's or one namespace's timeouts in deadline order.
    [=](list_atom, const std::string& selector) { return listed(self, selector); },
    // How many timeouts a name or a namespace holds.
    [=](count_atom, const name_selector& sel) -> caf::result<timeout_count> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return read_selected(sel, self->state.cfg,
                           [&](const std::string& text) { return self->state.core.count(text); });
    },
    // Counters and gauges.
    [=](stats_atom) {
      const auto& st = self->state;
      auto s = st.core.stats();
      s.names = st.delivery.directory.size();
      s.unacked = st.delivery.awaiting_ack.size();
      s.redelivered = st.delivery.redelivered;
      s.journal_bytes = st.journal.commits ? st.journal.commits->log_size() : 0;
      s.compactions = st.journal.compactions;
      s.last_compaction_ms = st.journal.last_compaction.count();
      s.snapshot_bytes = st.journal.snapshot_bytes;
      s.client_nodes = st.delivery.directory.nodes();
      s.writable = !refuse_if_broken(self);
      const auto clock = clock_shown(self);
      s.manual_clock = clock.manual;
      s.clock_ms = clock.now_ms;
      show_leadership(self, s);
      return s;
    },
    // Gauges per namespace.
    [=](stats_atom, const name_selector& sel) -> caf::result<std::vector<namespace_info>> {
      if (auto refused = refuse_unless_leading(self))
        return *refused;
      return read_selected(sel, self->state.cfg, [&](const std::string& text) {
        return with_registered(self->state.core.namespaces(text), self->state, text);
      });
    },
    // What the clock shows.
    [=](clock_atom) { return clock_shown(self); },
    // Moves a manual clock; answers once everything that came due is delivered.
    [=](clock_atom, advance_atom, std::int64_t ms) -> caf::result<clock_info> {
      return move_clock(self, [&](manual_clock& clock) { return clock.advance(millis{ms}); });
    },
    [=](clock_atom, set_atom, std::int64_t epoch_ms) -> caf::result<clock_info> {
      return move_clock(self,
                        [&](manual_clock& clock) { return clock.set(from_epoch_ms(epoch_ms)); });
    },
    // Auto-skip: the clock jumps to the next deadline when the server is idle.
    [=](clock_atom, auto_skip_atom, bool on) -> caf::result<clock_info> {
      if (auto refused = refuse_unless_manual(self))
        return *refused;
      set_auto_skip(self, on);
      return clock_shown(self);
    },
    // -- the actor's own messages (internal_messages.hpp) --
    // The one pending wake-up; stale generations are ignored.
    [=](const wakeup_msg& msg) { on_wakeup(self, msg.generation); },
    // An acknowledgement is late.
    [=](const redeliver_msg& msg) { redeliver(self, msg.token, msg.deadline_ms); },
    // The batch of changes made since the last commit goes to the disk thread.
    [=](commit_msg) { submit(self); },
    // The disk thread wrote a batch.
    [=](written_msg) { on_written(self); },
    // A broken journal tries again.
    [=](retry_msg) { retry_journal(self); },
    // `interval` mode: what was written since the last tick is fsynced.
    [=](sync_msg) { on_sync_tick(self); },
    // A manual clock moved.
    [=](clock_moved_msg) { catch_up(self); },
    // Auto-skip looks whether the server is idle.
    [=](auto_skip_msg) { look_for_idle(self); },
    // A compaction's snapshot is written (or failed: the journals stay valid).
    [=](const compacted_msg& msg) { on_compacted(self, msg.generation, msg.failed); },
    // The lease keeper: the lease is taken, renewed, lost, or held by another.
    [=](const lead_msg& msg) { on_lead(self, msg); },
    [=](const renewed_msg& msg) { on_renewed(self, msg); },
    [=](const lost_msg& msg) { on_lost(self, msg); },
    [=](const standing_by_msg& msg) { on_standing_by(self, msg); },
    // A leader's lease should end now, unless it was renewed.
    [=](const lease_check_msg& msg) { on_lease_check(self, msg.epoch); },
    // Where clients reach this server: it takes part in the lease from now.
    [=](advertise_msg& msg) { on_advertise(self, std::move(msg.address)); },
  };
}

} // namespace

server_actor_impl::server_actor_impl(caf::actor_config& cfg, server_state core, recovery restored,
                                     server_config config, std::unique_ptr<postgres_store> store)
  : super(cfg), core_(std::move(core)), restored_(std::move(restored)),
    config_(std::move(config)), store_(std::move(store)) {
  std::lock_guard<std::mutex> published{restore_handoff};
}

server_actor_impl::behavior_type server_actor_impl::make_behavior() {
  state.wakeup.last_request_ns = &last_request_ns_;
  return server_behavior(this, std::move(core_), std::move(restored_), std::move(config_),
                         std::move(store_));
}

} // namespace chronos::detail

namespace chronos {

outcome<chronos_api> spawn_server(caf::actor_system& sys, server_config cfg) {
  server_state core{cfg.seed ? token_generator{*cfg.seed} : token_generator{}, cfg.limits};
  if (cfg.manual && !cfg.state_path.empty())
    return fail(errc::invalid_argument, "a server on a manual clock keeps nothing on disk: "
                                        "give it no state file");
  recovery restored;
  std::unique_ptr<postgres_store> store;
  if (cfg.postgres) {
    if (!cfg.state_path.empty() || cfg.manual)
      return fail(errc::invalid_argument, "a server on a PostgreSQL store keeps no state file "
                                          "and runs on the system clock");
    if (cfg.mode == durability::shutdown)
      return fail(errc::invalid_argument, "the PostgreSQL store writes every change: give it "
                                          "durability always or interval");
    cfg.postgres->mode = cfg.mode;
    auto opened = postgres_store::open(*cfg.postgres);
    if (!opened)
      return opened.error();
    store = std::make_unique<postgres_store>(std::move(*opened));
  } else if (!cfg.state_path.empty()) {
    auto resolved = resolve_state_path(cfg.state_path);
    if (!resolved)
      return resolved.error();
    if (*resolved != cfg.state_path)
      log_info("state file " + cfg.state_path + " is a link to " + *resolved + ": using that");
    cfg.state_path = std::move(*resolved);
    // Serving first; the snapshot a replay calls for is a compaction's job.
    auto recovered = recover(cfg.state_path, core, cfg.mode, start_snapshot::later);
    if (!recovered)
      return recovered.error();
    restored = std::move(*recovered);
    if (restored.replayed > 0)
      log_info("replayed " + std::to_string(restored.replayed) + " journal records");
  }
  auto srv = sys.spawn<detail::server_actor_impl>(std::move(core), std::move(restored),
                                                  std::move(cfg), std::move(store));
  return caf::actor_cast<chronos_api>(srv);
}

void advertise(const chronos_api& server, std::string address) {
  caf::anon_send(caf::actor_cast<detail::server_impl_api>(server),
                 detail::advertise_msg{std::move(address)});
}

} // namespace chronos
