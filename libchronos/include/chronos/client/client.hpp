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
//
// Single schedules (and single cancels) that reach the client together go to
// chronosd as one batch request, and each is answered with its own reply:
// remote, a request is a round trip through both middlemen, and batches carry
// several times as many a second. Any other request sends the queued ones
// first, so chronosd sees the client's order. A batch is all or none: one that
// chronosd refuses for a request's fault (invalid, unknown token, a limit)
// goes again one request at a time, after what the client sent meanwhile, so
// each fails or not by itself.
//
// Several chronosd on one shared store (chronosd --store): give them all in
// `servers`. The client tries them in turn and stays with the one that leads;
// a standby it reaches names the leader, which it tries next. When the
// leader goes (it is lost, or it answers `standby`), the client moves to the
// new one and registers its names there. Meanwhile requests wait for a
// leader, up to their timeout, instead of failing at once; one that a
// standby refused goes again to the new leader (a standby changes nothing).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "chronos/base/outcome.hpp"
#include "chronos/net/peer_timeout.hpp"
#include "chronos/server/messages.hpp"

namespace chronos {

/// Where one chronosd listens.
struct server_address {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const server_address& a, const server_address& b) {
    return a.host == b.host && a.port == b.port;
  }
};

std::string to_string(const server_address& a);

/// "HOST:PORT,HOST:PORT,..." (chronosctl --servers, CHRONOS_SERVERS); the
/// error names the entry it cannot read.
outcome<std::vector<server_address>> parse_servers(std::string_view text);

struct client_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4242;
  /// Several chronosd on one shared store, tried in turn (see above); when
  /// given, `host` and `port` are not used.
  std::vector<server_address> servers;
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
  /// Single schedules (or single cancels) that reach the client together go
  /// to chronosd as one batch request of at most this many; 1 sends each
  /// alone. Remote, each request is a round trip through both middlemen.
  std::size_t max_coalesced = 1000;
};

/// What a client sent: requests forwarded as they came, and single schedules
/// and cancels it coalesced into batch requests (those chronosd refused as a
/// batch went again one by one). Reply to `client_stats_atom`.
struct client_stats {
  std::uint64_t forwarded = 0;
  std::uint64_t batches = 0;
  std::uint64_t coalesced = 0;
  std::uint64_t resent_alone = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_stats& x) {
  return f(caf::meta::type_name("chronos_client_stats"), x.forwarded, x.batches, x.coalesced,
           x.resent_alone);
}

/// The chronos actor published at host:port, or an error (errc::unavailable)
/// within `timeout`: "cannot reach chronosd at HOST:PORT: ...". The
/// connection gets `peer_timeout`, as with client_config.
caf::expected<chronos_api> connect(caf::actor_system& sys, const std::string& host,
                                   std::uint16_t port, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds peer_timeout = default_peer_timeout);

/// The chronosd among `servers` that serves (leads a shared store, or
/// stands alone), asking each in turn and following a standby's word on
/// who leads, until `timeout` has passed; else errc::unavailable saying why
/// each one would not do.
caf::expected<chronos_api> connect_leader(caf::actor_system& sys,
                                          const std::vector<server_address>& servers,
                                          std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds peer_timeout
                                          = default_peer_timeout);

/// An actor that accepts the chronos_api requests and forwards them to the
/// chronosd of `cfg`, reconnecting and re-registering as described above.
/// Reply to `status_atom`: true while connected.
caf::actor spawn_client(caf::actor_system& sys, client_config cfg);

using status_atom = caf::atom_constant<caf::atom("status")>;
using client_stats_atom = caf::atom_constant<caf::atom("clistats")>;

} // namespace chronos
