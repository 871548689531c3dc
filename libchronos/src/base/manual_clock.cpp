#include "chronos/base/manual_clock.hpp"

#include <string>
#include <vector>

#include "chronos/base/duration.hpp"

namespace chronos {

manual_clock::manual_clock(timestamp start) : now_(start) {}

std::chrono::system_clock::time_point manual_clock::now() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return now_;
}

status manual_clock::advance(millis d) {
  if (d.count() < 0)
    return fail(errc::invalid_argument,
                "the clock moves forward only, not by " + std::to_string(d.count()) + " ms");
  return move([d](timestamp now) -> outcome<timestamp> {
    if (d.count() > max_deadline_ms - to_epoch_ms(now))
      return fail(errc::invalid_argument,
                  "the clock cannot go past " + format_time(from_epoch_ms(max_deadline_ms)));
    return now + d;
  });
}

status manual_clock::set(timestamp t) {
  if (to_epoch_ms(t) < 0 || to_epoch_ms(t) > max_deadline_ms)
    return fail(errc::invalid_argument, "the clock cannot show " + std::to_string(to_epoch_ms(t))
                                          + " ms: deadlines are 1970 to 9999");
  return move([t](timestamp now) -> outcome<timestamp> {
    if (t < now)
      return fail(errc::invalid_argument, "the clock never goes back: it shows "
                                            + format_time(now) + ", not " + format_time(t));
    return t;
  });
}

// Where to is decided under the lock, so that moves from several threads add up.
template <class Target>
status manual_clock::move(Target target) {
  std::vector<listener> notify;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto to = target(now_);
    if (!to)
      return to.error();
    now_ = *to;
    for (const auto& [id, f] : listeners_)
      notify.push_back(f);
  }
  // Outside the lock: a listener may read the clock.
  for (const auto& f : notify)
    f();
  return done{};
}

std::size_t manual_clock::listen(listener f) {
  std::lock_guard<std::mutex> guard{mtx_};
  listeners_.emplace(next_id_, std::move(f));
  return next_id_++;
}

void manual_clock::ignore(std::size_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  listeners_.erase(id);
}

} // namespace chronos
