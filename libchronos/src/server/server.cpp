#include "server/server_actor.hpp"

#include <mutex>

#include "chronos/base/log.hpp"
#include "chronos/server/namespaces.hpp"

namespace chronos::detail {

using namespace std::chrono;

// Keeps exactly one wake-up pending, for the soonest deadline. CAF 0.17 cannot
// cancel a delayed message: a newer generation makes the old one harmless.
// One already due (the rest of a backlog) is sent at once: it queues behind
// the requests that wait, so they are served between the slices.
void arm(server_actor self) {
  auto& st = self->state;
  auto next = st.core.next_deadline();
  if (next == st.armed_for)
    return;
  st.armed_for = next;
  ++st.generation;
  if (!next)
    return;
  const auto delay = duration_cast<nanoseconds>(*next - now(self));
  if (delay <= nanoseconds{0})
    self->send(self, wakeup_msg{st.generation});
  else
    self->delayed_send(self, delay, wakeup_msg{st.generation});
}

namespace {

// The most timeouts one turn of the actor fires or parks: about a millisecond
// of work, so that a backlog does not keep requests waiting.
constexpr std::size_t max_due_per_turn = 256;

// The longest a group may give a member to acknowledge a delivery: a day.
constexpr std::int64_t max_ack_ms = 86'400'000;

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

// A client's change: refused while the journal is broken; else made, the
// wake-up re-armed, and the reply held until durable where that is asked for.
template <class Reply, class Change>
caf::result<Reply> client_change(server_actor self, Change change) {
  if (auto refused = refuse_if_broken(self))
    return *refused;
  outcome<Reply> reply = change(self->state.core);
  if (!reply)
    return make_error(reply.error());
  arm(self);
  return acknowledge(self, std::move(*reply));
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
  st.directory.for_each_name([&](const std::string& name) {
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

// What register and join check before binding.
std::optional<caf::error> check_binding(server_actor self, const std::string& name,
                                        const caf::actor& who) {
  if (auto ok = check_name(name, self->state.cfg.limits); !ok)
    return make_error(ok.error());
  if (!who)
    return make_error(errc::invalid_argument, "no actor to register");
  return std::nullopt;
}

// The reply to a register or join goes first; then what waited for the name.
caf::result<caf::ok_atom> hand_over_parked(server_actor self, const std::string& name) {
  auto rp = self->make_response_promise<caf::ok_atom>();
  rp.deliver(caf::ok_atom::value);
  commit_client_changes(self);
  const auto at = now(self);
  for (auto& t : self->state.core.take_parked(name))
    deliver(self, std::move(t), at, false);
  stage_own_changes(self);
  return rp;
}

// After leave and unregister: actors that hold no name are not watched.
caf::result<caf::ok_atom> released(server_actor self,
                                   const outcome<std::vector<caf::actor>>& idle) {
  if (!idle)
    return make_error(idle.error());
  for (const auto& who : *idle)
    self->demonitor(who);
  return caf::ok_atom::value;
}

// Collect, then dispatch: take what is due first, then send. A backlog (a
// restart after a long downtime, a storm) goes in slices, one a turn.
void fire_due(server_actor self) {
  commit_client_changes(self);
  const auto at = now(self);
  self->state.core.take_due(floor_ms(at), max_due_per_turn,
                            [&](timeout& t) { deliver(self, std::move(t), at, true); });
  stage_own_changes(self);
}

// -- start-up and shutdown ------------------------------------------------------

// The restored state may hold a backlog: no name is registered yet, so every
// overdue timeout is parked now and delivered, oldest first, on register.
void start(server_actor self) {
  auto& st = self->state;
  if (st.commits)
    st.core.record_changes(true);
  if (st.commits && st.cfg.mode == durability::interval)
    self->delayed_send(self, st.cfg.sync_interval, sync_msg{});
  measure_snapshot(self);
  fire_due(self);
  arm(self);
  if (st.commits)
    compact(self);
}

// Saves the state file; a failed save ends the actor with that error, so
// whoever waits for it (chronosd) can exit non-zero.
void shutdown(server_actor self, const caf::error& reason) {
  auto& st = self->state;
  if (st.cfg.state_path.empty()) {
    self->quit(reason);
    return;
  }
  if (st.compactor.joinable())
    st.compactor.join(); // its snapshot must not land after ours
  drain(self);           // held replies learn their fate first
  const auto saved_at = floor_ms(now(self));
  const auto generation = st.commits ? st.commits->generation() + 1 : 0;
  auto saved = st.commits ? checkpoint(st.cfg.state_path, st.core, saved_at, generation)
                          : save_state(st.cfg.state_path, st.core, saved_at, generation);
  if (!saved) {
    log_error("cannot save state: " + saved.error().detail);
    self->quit(make_error(saved.error()));
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

// The restored journal goes from the spawning thread to the actor's, then to
// the disk thread. CAF orders the first hand-over with atomics inside its
// libraries, which are not instrumented, so ThreadSanitizer would report the
// disk thread's first write; passing this mutex makes the same order visible.
std::mutex restore_handoff;

server_impl_api::behavior_type server_behavior(server_actor self, server_state core,
                                               recovery restored, server_config cfg) {
  self->state.core = std::move(core);
  if (restored.journal) {
    std::lock_guard<std::mutex> received{restore_handoff};
    // The disk thread tells the actor when a batch is written. A weak handle:
    // the actor owns the thread, not the other way round.
    self->state.commits = std::make_unique<group_commit>(
      std::move(restored.journal), [addr = self->address()] {
        if (auto hdl = caf::actor_cast<server_impl_api>(addr))
          caf::anon_send(hdl, written_msg{});
      },
      cfg.io_threads);
  }
  self->state.cfg = std::move(cfg);
  self->state.snapshot_stale = restored.snapshot_stale;
  self->set_default_handler(ignore_unknown);
  self->set_error_handler(ignore_error);
  self->set_exit_handler([=](caf::exit_msg& msg) { shutdown(self, msg.reason); });
  self->set_down_handler([=](caf::down_msg& msg) { forget_actor(self, msg.source); });
  start(self);
  return {
    // Binds a name, then hands over what waited for it, oldest first.
    [=](register_atom, const std::string& name,
        const caf::actor& who) -> caf::result<caf::ok_atom> {
      if (auto refused = check_binding(self, name, who))
        return *refused;
      auto bound = self->state.directory.bind(name, who);
      if (!bound)
        return make_error(bound.error());
      if (*bound)
        self->monitor(who);
      return hand_over_parked(self, name);
    },
    // Adds a member to a group, then hands over what waited for the name.
    [=](join_atom, const std::string& name, const caf::actor& member,
        std::int64_t ack_ms) -> caf::result<caf::ok_atom> {
      if (auto refused = check_binding(self, name, member))
        return *refused;
      if (ack_ms < 0 || ack_ms > max_ack_ms)
        return make_error(errc::invalid_argument,
                          "acknowledgement time must be 0 (none) to " + std::to_string(max_ack_ms) + " ms");
      auto joined = self->state.directory.join(name, member, millis{ack_ms});
      if (!joined)
        return make_error(joined.error());
      if (*joined)
        self->monitor(member);
      return hand_over_parked(self, name);
    },
    // Takes a member out of a group.
    [=](leave_atom, const std::string& name, const caf::actor& member) -> caf::result<caf::ok_atom> {
      return released(self, self->state.directory.leave(name, member));
    },
    // Unbinds a name (a group with all its members); its timeouts stay and park when due.
    [=](unregister_atom, const std::string& name) -> caf::result<caf::ok_atom> {
      return released(self, self->state.directory.unbind(name));
    },
    // A group member took a delivery: it is done.
    [=](ack_atom, const std::string& tok, std::int64_t deadline_ms) {
      return client_change<caf::ok_atom>(self, [&](server_state& core) {
        auto& awaiting = self->state.awaiting_ack;
        auto parsed = token::parse(tok);
        auto waiting = parsed ? awaiting.find(*parsed) : awaiting.end();
        if (waiting == awaiting.end() || waiting->second.deadline_ms != deadline_ms)
          return outcome<caf::ok_atom>{fail(errc::unknown_token,
                                            "no delivery of token '" + tok + "' due at "
                                              + std::to_string(deadline_ms)
                                              + " awaits an acknowledgement")};
        awaiting.erase(waiting);
        return ok_or_error(core.acknowledge(tok, deadline_ms));
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
    [=](count_atom, const name_selector& sel) {
      return read_selected(sel, self->state.cfg,
                           [&](const std::string& text) { return self->state.core.count(text); });
    },
    // Counters and gauges.
    [=](stats_atom) {
      auto s = self->state.core.stats();
      s.names = self->state.directory.size();
      const auto& st = self->state;
      s.unacked = st.awaiting_ack.size();
      s.redelivered = st.redelivered;
      s.journal_bytes = st.commits ? st.commits->journal_size() : 0;
      s.compactions = st.compactions;
      s.last_compaction_ms = st.last_compaction.count();
      s.snapshot_bytes = st.snapshot_bytes;
      s.client_nodes = st.directory.nodes();
      s.writable = !refuse_if_broken(self);
      return s;
    },
    // Gauges per namespace.
    [=](stats_atom, const name_selector& sel) {
      return read_selected(sel, self->state.cfg, [&](const std::string& text) {
        return with_registered(self->state.core.namespaces(text), self->state, text);
      });
    },
    // -- the actor's own messages (internal_messages.hpp) --
    // The one pending wake-up; stale generations are ignored.
    [=](const wakeup_msg& msg) {
      auto& st = self->state;
      if (msg.generation != st.generation)
        return;
      st.armed_for.reset();
      fire_due(self);
      arm(self);
    },
    // An acknowledgement is late.
    [=](const redeliver_msg& msg) { redeliver(self, msg.token, msg.deadline_ms); },
    // The batch of changes made since the last commit goes to the disk thread.
    [=](commit_msg) {
      self->state.commit_requested = false;
      submit(self);
    },
    // The disk thread wrote a batch.
    [=](written_msg) { on_written(self); },
    // A broken journal tries again.
    [=](retry_msg) { retry_journal(self); },
    // `interval` mode: what was written since the last tick is fsynced.
    [=](sync_msg) {
      sync_journal(self);
      self->delayed_send(self, self->state.cfg.sync_interval, sync_msg{});
    },
    // A compaction's snapshot is written (or failed: the journals stay valid).
    [=](const compacted_msg& msg) { on_compacted(self, msg.generation, msg.failed); },
  };
}

} // namespace

server_actor_impl::server_actor_impl(caf::actor_config& cfg, server_state core, recovery restored,
                                     server_config config)
  : super(cfg), core_(std::move(core)), restored_(std::move(restored)),
    config_(std::move(config)) {}

server_actor_impl::behavior_type server_actor_impl::make_behavior() {
  return server_behavior(this, std::move(core_), std::move(restored_), std::move(config_));
}

} // namespace chronos::detail

namespace chronos {

outcome<chronos_api> spawn_server(caf::actor_system& sys, server_config cfg) {
  server_state core{cfg.seed ? token_generator{*cfg.seed} : token_generator{}, cfg.limits};
  recovery restored;
  if (!cfg.state_path.empty()) {
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
  { std::lock_guard<std::mutex> published{detail::restore_handoff}; }
  auto srv = sys.spawn<detail::server_actor_impl>(std::move(core), std::move(restored),
                                                  std::move(cfg));
  return caf::actor_cast<chronos_api>(srv);
}

} // namespace chronos
