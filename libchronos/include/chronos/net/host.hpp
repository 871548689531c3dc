#pragma once

// One call for a program that runs the chronos actor, made before it
// constructs its actor system: chronos's message types (messages.hpp), CAF's
// scheduler tuned for bursts and its threads' timers made punctual
// (scheduler_tuning.hpp), and the middleman reading every peer's messages in
// order, none larger than the node accepts (transport.hpp). chronosd,
// chronos-demo and chronos-bench configure themselves with it; TLS, when
// wanted, comes after it (use_tls).

#include <caf/actor_system_config.hpp>

#include "chronos/net/peer_timeout.hpp"
#include "chronos/server/limits.hpp"

namespace chronos {

/// Sets all of the above on `cfg` (the timer slack on the calling thread,
/// which the system's threads inherit), a peer's messages bounded as
/// `limits` says and its handshake by `handshake_timeout`
/// (load_serving_middleman). Returns `cfg`.
caf::actor_system_config& configure_host(
  caf::actor_system_config& cfg, const server_limits& limits = {},
  std::chrono::milliseconds handshake_timeout = default_peer_timeout);

} // namespace chronos
