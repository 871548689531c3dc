// The wake-up: chronos keeps exactly one delayed message pending, for the
// soonest deadline, and fires what is due when it arrives.

#include "server/server_actor.hpp"

namespace chronos::detail {

using namespace std::chrono;

namespace {

// The most timeouts one turn of the actor fires or parks: about a millisecond
// of work, so that a backlog does not keep requests waiting.
constexpr std::size_t max_due_per_turn = 256;

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
  else
    self->delayed_send(self, delay, wakeup_msg{wake.generation});
}

// Collect, then dispatch: take what is due first, then send. A backlog (a
// restart after a long downtime, a storm) goes in slices, one a turn.
void fire_due(server_actor self) {
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

} // namespace chronos::detail
