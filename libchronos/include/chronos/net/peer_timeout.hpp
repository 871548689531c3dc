#pragma once

// Connections whose peer takes no data are closed by the kernel.
//
// CAF 0.17 buffers without limit what it writes to a peer, and has no hook to
// bound it: the answers to a peer that sends requests but never reads them pile
// up in chronosd's memory. TCP already knows such a peer: its receive window
// stays shut (or, with its host gone, nothing is acknowledged). TCP_USER_TIMEOUT
// makes the kernel abort a connection whose data has waited that long, and
// keepalive probes find a vanished peer on an idle connection; CAF then sees the
// connection fail and frees its buffers. A peer that reads, however slowly,
// keeps its connection. Sockets accepted from a listening socket inherit these
// options, so setting them on chronosd's listening socket covers every
// connection made to it. A client sets them on its connection to chronosd, so
// that a chronosd whose host vanished is noticed within the timeout, not after
// TCP's ~15 minutes of retransmissions. Linux only.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "chronos/base/outcome.hpp"

namespace chronos {

/// Shortest and longest peer timeout (keepalive counts in whole seconds).
constexpr std::chrono::milliseconds min_peer_timeout{1'000};
constexpr std::chrono::milliseconds max_peer_timeout{3'600'000};

/// Gives every TCP socket of this process bound to local `port` (the listening
/// socket, and connections already accepted from it) the peer `timeout`, which
/// must lie within [min_peer_timeout, max_peer_timeout]. The number of sockets
/// changed; a failure if none listens on `port` or one refuses an option.
outcome<std::size_t> set_peer_timeout(std::uint16_t port, std::chrono::milliseconds timeout);

/// The same for every TCP connection of this process to remote `port` (a
/// client's to chronosd); a failure if there is none.
outcome<std::size_t> set_peer_timeout_to(std::uint16_t remote_port,
                                         std::chrono::milliseconds timeout);

/// What chronosd and the client library use unless told otherwise.
constexpr std::chrono::milliseconds default_peer_timeout{10'000};

} // namespace chronos
