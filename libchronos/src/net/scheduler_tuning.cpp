#include "chronos/net/scheduler_tuning.hpp"

#include <cstdint>
#include <sys/prctl.h>

namespace chronos {

caf::actor_system_config& tune_scheduler(caf::actor_system_config& cfg) {
  // No sleeping polls: after the short spin, straight to the signalled wait.
  return cfg.set("work-stealing.moderate-poll-attempts", std::int64_t{0});
}

void tighten_timer_slack() { (void)::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

} // namespace chronos
