#include "chronos/client/local_timers.hpp"

#include <exception>

#include <caf/actor_cast.hpp>

#include "chronos/base/log.hpp"

namespace chronos {

local_timers::local_timers()
  : local_timers([](timer_handle h, const std::string& what) {
      log_error("local timer " + std::to_string(h.id) + " threw: " + what);
    }) {
}

local_timers::local_timers(error_reporter on_error) : on_error_(std::move(on_error)) {
}

local_timers& local_timers::attach(caf::event_based_actor* self) {
  self_ = self;
  return *this;
}

caf::message_handler local_timers::handler() {
  return {[this](local_timer_atom, std::uint64_t id, std::uint64_t generation) {
    fire(id, generation);
  }};
}

timer_handle local_timers::after(duration delay, callback f) {
  return add(delay, duration{0}, std::move(f));
}

timer_handle local_timers::every(duration period, callback f) {
  return every(period, period, std::move(f));
}

timer_handle local_timers::every(duration first, duration period, callback f) {
  if (period <= duration{0})
    return {}; // a zero period would spin the actor
  return add(first, period, std::move(f));
}

bool local_timers::cancel(timer_handle h) { return timers_.erase(h.id) > 0; }

bool local_timers::reschedule(timer_handle h, duration delay) {
  auto it = timers_.find(h.id);
  if (it == timers_.end())
    return false;
  it->second.due = now() + std::max(delay, duration{0});
  arm(h.id, it->second);
  return true;
}

timer_handle local_timers::add(duration delay, duration period, callback f) {
  if (!self_ || !f)
    return {};
  const auto id = next_id_++;
  auto& t = timers_[id];
  t.run = std::make_shared<callback>(std::move(f));
  t.due = now() + std::max(delay, duration{0});
  t.period = period;
  arm(id, t);
  return {id};
}

// One delayed message per arming; a newer generation makes older ones stale,
// since CAF 0.17 cannot take a delayed message back.
void local_timers::arm(std::uint64_t id, timer& t) {
  ++t.generation;
  self_->scheduled_send(caf::actor_cast<caf::actor>(self_), t.due, local_timer_atom::value, id,
                        t.generation);
}

void local_timers::fire(std::uint64_t id, std::uint64_t generation) {
  auto it = timers_.find(id);
  if (it == timers_.end() || it->second.generation != generation)
    return; // cancelled or rescheduled since
  auto run = it->second.run;
  if (it->second.period > duration{0}) {
    // Re-armed before running, so the callback sees (and may change) its next run.
    auto& t = it->second;
    const auto late = now() - t.due;
    t.due += t.period * (late / t.period + 1);
    arm(id, t);
  } else {
    timers_.erase(it);
  }
  try {
    (*run)();
  } catch (const std::exception& e) {
    on_error_({id}, e.what());
  } catch (...) {
    on_error_({id}, "an exception not derived from std::exception");
  }
}

local_timers::time_point local_timers::now() const { return self_->clock().now(); }

} // namespace chronos
