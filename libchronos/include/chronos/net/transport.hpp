#pragma once

// How chronos nodes reach each other: plain TCP through CAF's I/O middleman,
// or TLS through CAF's OpenSSL module with certificates on both sides.
//
// With TLS every connection the actor system accepts or makes is TLS 1.2, and
// both ends must present a certificate signed by the configured CA: a peer
// without one, or with one from another CA, is dropped during the handshake.
// The choice is made once per actor system (use_tls before constructing it);
// chronosd, chronosctl and spawn_client/connect then publish and connect
// through `transport`, whichever it is.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman_actor.hpp>

#include "chronos/base/errc.hpp"
#include "chronos/server/limits.hpp"
#include "chronos/server/messages.hpp"

namespace chronos {

struct tls_config {
  /// This node's certificate (PEM; may carry the intermediate chain).
  std::string certificate;
  /// Its private key (PEM, unencrypted: protect it with file permissions).
  std::string key;
  /// The CA (PEM) that must have signed every peer's certificate.
  std::string ca;

  /// True when any of the three is set.
  bool requested() const { return !certificate.empty() || !key.empty() || !ca.empty(); }
};

/// Loads CAF's I/O middleman into `cfg` so that a peer's messages are read in
/// the order they arrived, the end of its connection included. CAF 0.17 reads
/// incoming messages on helper threads ("BASP workers") when it can; an actor
/// handle read there after its node's connection was dropped becomes a proxy
/// that never goes down, so chronos would keep that actor's names bound and
/// send their timeouts nowhere. Without the helpers the middleman's own thread
/// reads every message before it handles the drop. Call before use_tls and
/// before constructing the actor system; returns `cfg`.
caf::actor_system_config& load_middleman(caf::actor_system_config& cfg);

/// load_middleman for a node that serves chronos: besides, a peer whose
/// message header announces more than the node accepts is disconnected before
/// anything is allocated for it, and logged (at most a line a second). CAF
/// 0.17 would size its read buffer to whatever a header says, up to 4 GiB,
/// before reading a byte of it. The bounds: a handshake of 64 KiB, a message
/// of `limits.max_message_bytes`, and `limits.max_message_total` for what the
/// buffers of all connections hold beyond 64 KiB each. With TLS a peer meets
/// them only after the TLS handshake, which only holders of a certificate
/// signed by the CA pass; the bounds themselves apply to plain TCP. A
/// connection that has not completed its handshake within `handshake_timeout`
/// (0: no limit) is closed when the next connection arrives.
caf::actor_system_config& load_serving_middleman(caf::actor_system_config& cfg,
                                                 const server_limits& limits,
                                                 std::chrono::milliseconds handshake_timeout);

/// Checks the three files (all given, readable, the key matching the
/// certificate, the CA loadable) and loads CAF's OpenSSL module into `cfg`
/// with them. Call after load_middleman and before constructing
/// the actor system. On a bad file nothing is loaded and the failure names it.
std::optional<failure> use_tls(caf::actor_system_config& cfg, const tls_config& tls);

/// The middleman actor that publishes and connects: CAF's OpenSSL one when
/// use_tls configured the system, else the plain TCP one.
caf::io::middleman_actor transport(caf::actor_system& sys);

/// Publishes `srv` on `address`:`port` (0: any free port) through `transport`;
/// the bound port.
caf::expected<std::uint16_t> publish(caf::actor_system& sys, const chronos_api& srv,
                                     const std::string& address, std::uint16_t port);

/// True for addresses only this host can reach: 127.0.0.0/8, ::1, "localhost".
bool is_loopback(const std::string& address);

} // namespace chronos
