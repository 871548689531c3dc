#pragma once

// Talking to a chronosd from a CAF program on any host.
//
// `connect` reaches a chronosd once, with a finite timeout: what a command-line
// tool wants. `spawn_client` makes an actor that stands in for chronosd: it takes
// the requests of messages.hpp, forwards them, and keeps the connection alive.
// When chronosd restarts it reconnects by itself and registers its names again,
// so timeouts that came due meanwhile (parked by chronosd) arrive without any
// user code.
//
//   disconnected --connect ok--> connected --server down--> disconnected
//        ^   |                     (registers every          (retries with
//        |   +--connect failed--+   remembered name)          backoff)
//        +----- retry after ----+
//
// While disconnected, `register` is remembered and answered ok (it takes effect
// on connect); every other request is answered with errc::unavailable. Every
// forwarded request has a finite timeout, so a reply always comes.

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "chronos/messages.hpp"
#include "chronos/peer_timeout.hpp"

namespace chronos {

struct client_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4242;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{5000};
  /// First reconnect delay; doubles after each failure up to `retry_max`.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{2000};
  /// How long the connection may have data unacknowledged, or go unanswered
  /// by keepalive probes when idle, before it counts as lost (peer_timeout.hpp):
  /// a chronosd whose host vanished is then noticed within this, not after
  /// TCP's ~15 minutes. 0 leaves TCP's own limits.
  std::chrono::milliseconds peer_timeout = default_peer_timeout;
};

/// The chronos actor published at host:port, or an error (errc::unavailable)
/// within `timeout`: "cannot reach chronosd at HOST:PORT: ...". The
/// connection gets `peer_timeout`, as with client_config.
caf::expected<chronos_api> connect(caf::actor_system& sys, const std::string& host,
                                   std::uint16_t port, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds peer_timeout = default_peer_timeout);

/// An actor that accepts the chronos_api requests and forwards them to the
/// chronosd of `cfg`, reconnecting and re-registering as described above.
/// Reply to `status_atom`: true while connected.
caf::actor spawn_client(caf::actor_system& sys, client_config cfg);

using status_atom = caf::atom_constant<caf::atom("status")>;

} // namespace chronos
