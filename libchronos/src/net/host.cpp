#include "chronos/net/host.hpp"

#include "chronos/net/scheduler_tuning.hpp"
#include "chronos/net/transport.hpp"
#include "chronos/server/messages.hpp"

namespace chronos {

caf::actor_system_config& configure_host(caf::actor_system_config& cfg,
                                         const server_limits& limits,
                                         std::chrono::milliseconds handshake_timeout) {
  register_types(cfg);
  tune_scheduler(cfg);
  tighten_timer_slack();
  return load_serving_middleman(cfg, limits, handshake_timeout);
}

} // namespace chronos
