// The wake-up: chronos keeps exactly one delayed message pending, for the
// soonest deadline, and fires what is due when it arrives. On a manual clock
// there is nothing to wait for: when the clock moves, the server steps from
// one due event (a deadline, a late acknowledgement) to the next, so that each
// comes due at its own instant, as if that time had passed.

#include "server/server_actor.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// The most timeouts one turn of the actor fires or parks: about a millisecond
// of work, so that a backlog does not keep requests waiting.
constexpr std::size_t max_due_per_turn = 256;

// Auto-skip jumps once the server has had no request for this long.
constexpr milliseconds auto_skip_idle{50};

using time_point = system_clock::time_point;

std::optional<time_point> earliest(std::optional<time_point> a, std::optional<time_point> b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return std::min(*a, *b);
}

// The next instant something comes due on a manual clock.
std::optional<time_point> next_event(server_actor self) {
  std::optional<time_point> deadline;
  if (auto next = self->state.core.next_deadline())
    deadline = *next;
  return earliest(deadline, next_late_ack(self));
}

// One slice of a catch-up: events in the order of their time, up to what
// the clock shows, at most max_due_per_turn deliveries. The rest follows in
// the next turn, so that a long advance does not stop the server; clock
// requests are answered once it is done.
void step(server_actor self) {
  auto& st = self->state;
  auto& wake = st.wakeup;
  const time_point target = wake.manual->now();
  std::size_t budget = max_due_per_turn;
  bool done = false;
  commit_client_changes(self);
  while (!done && budget > 0) {
    auto next = next_event(self);
    if (!next || *next > target) {
      wake.now = std::max(wake.now, target);
      done = true;
      break;
    }
    wake.now = std::max(wake.now, *next);
    const auto at = wake.now;
    st.core.take_due(floor_ms(at), budget, [&](timeout& t) {
      --budget;
      deliver(self, std::move(t), at, delivery_kind::at_deadline);
    });
    redeliver_late(self);
  }
  stage_own_changes(self);
  if (!done) {
    self->send(self, clock_moved_msg{});
    return;
  }
  const auto shown = clock_shown(self);
  for (auto& rp : std::exchange(wake.moved_replies, {}))
    rp.deliver(shown);
  arm(self);
}

} // namespace

// CAF 0.17 cannot cancel a delayed message: a newer generation makes the old
// one harmless. One already due (the rest of a backlog) is sent at once: it
// queues behind the requests that wait, so they are served between slices.
void arm(server_actor self) {
  auto& wake = self->state.wakeup;
  auto next = self->state.core.next_deadline();
  if (next == wake.armed_for)
    return;
  wake.armed_for = next;
  ++wake.generation;
  if (!next)
    return;
  const auto delay = duration_cast<nanoseconds>(*next - now(self));
  if (delay <= nanoseconds{0})
    self->send(self, wakeup_msg{wake.generation});
  else if (!wake.manual) // a manual clock's moves bring what comes due
    self->delayed_send(self, delay, wakeup_msg{wake.generation});
}

// Collect, then dispatch: take what is due first, then send. A backlog (a
// restart after a long downtime, a storm) goes in slices, one a turn.
void fire_due(server_actor self) {
  if (!leading(self))
    return;
  commit_client_changes(self);
  const auto at = now(self);
  self->state.core.take_due(floor_ms(at), max_due_per_turn, [&](timeout& t) {
    deliver(self, std::move(t), at, delivery_kind::at_deadline);
  });
  stage_own_changes(self);
  arm(self);
}

void on_wakeup(server_actor self, std::uint64_t generation) {
  auto& wake = self->state.wakeup;
  if (generation != wake.generation)
    return;
  wake.armed_for.reset();
  fire_due(self);
}

// The listener runs on whichever thread moved the clock: it only posts.
void start_clock(server_actor self) {
  auto& wake = self->state.wakeup;
  wake.manual = self->state.cfg.manual;
  if (!wake.manual)
    return;
  wake.now = wake.manual->now();
  wake.listener = wake.manual->listen([addr = self->address()] {
    if (auto hdl = caf::actor_cast<server_impl_api>(addr))
      caf::anon_send(hdl, clock_moved_msg{});
  });
}

clock_info clock_shown(server_actor self) {
  const auto& wake = self->state.wakeup;
  return {wake.manual != nullptr, to_epoch_ms(floor_ms(now(self))), wake.auto_skip};
}

void catch_up(server_actor self, std::optional<caf::response_promise> reply) {
  auto& wake = self->state.wakeup;
  if (reply)
    wake.moved_replies.push_back(std::move(*reply));
  if (wake.manual)
    step(self);
}

void set_auto_skip(server_actor self, bool on) {
  auto& wake = self->state.wakeup;
  wake.auto_skip = on;
  if (on && !wake.auto_skip_looking) {
    wake.auto_skip_looking = true;
    self->delayed_send(self, auto_skip_idle, auto_skip_msg{});
  }
}

// Real time decides "idle": the point is to stop waiting when the system
// under test has nothing more to do until the next deadline.
void look_for_idle(server_actor self) {
  auto& wake = self->state.wakeup;
  wake.auto_skip_looking = false;
  if (!wake.auto_skip || !wake.manual)
    return;
  const auto steady_ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  const auto quiet = steady_ns.count() - wake.last_request_ns->load(std::memory_order_relaxed)
                     >= duration_cast<nanoseconds>(auto_skip_idle).count();
  if (quiet)
    if (auto next = next_event(self); next && *next > wake.now)
      if (wake.manual->set(std::chrono::time_point_cast<millis>(*next)))
        step(self);
  wake.auto_skip_looking = true;
  self->delayed_send(self, auto_skip_idle, auto_skip_msg{});
}

} // namespace chronos::detail
