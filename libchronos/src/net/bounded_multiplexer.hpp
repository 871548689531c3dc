#pragma once

// CAF's network backend with bounds on what a peer can make the node
// allocate for reading its messages. Private to libchronos; transport.hpp
// loads it.
//
// A BASP header says how long the payload after it is, and CAF 0.17 sizes the
// connection's read buffer to that (zero-filled, up to 4 GiB) before it reads
// a byte of the payload, and keeps the buffer that large while the connection
// lasts. So 32 bytes from anyone who can open a connection would make the
// node allocate gigabytes, and under a memory limit die of it. The broker
// asks its connection for each read's size (`configure_read`); the
// connections this backend makes refuse a size past a bound by shutting the
// socket, which CAF then handles as the peer having closed it (its proxies
// go down, its names are freed). The bounds:
// - a connection's first message is its handshake: 64 KiB at most;
// - any later message: `max-message-bytes`;
// - what the read buffers of all connections hold beyond 64 KiB each:
//   `max-message-total`. A connection that never sent more than that keeps
//   its own 64 KiB, so clients with everyday requests are never refused
//   because others hold large buffers;
// - a connection that has not completed its handshake within
//   `handshake-timeout-ms` is closed when the next connection arrives: the
//   moment more connections could exhaust the process's descriptors.
// And with no descriptor left, CAF's acceptor fails to accept and tries again
// at once, for ever, at 100% of a core: this backend's listening sockets keep
// a spare descriptor, give it up to accept the waiting connection and close
// it at once, so the peer is told and the loop goes on.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include <caf/io/network/default_multiplexer.hpp>

namespace chronos::detail {

/// The configuration entries (bytes) of the two bounds; without them, or at
/// 0, the backend is CAF's own.
constexpr const char* max_message_bytes_key = "chronos.max-message-bytes";
constexpr const char* max_message_total_key = "chronos.max-message-total";
constexpr const char* handshake_timeout_key = "chronos.handshake-timeout-ms";

/// What every connection may read without the budget of large messages,
/// and what its first message, the handshake, may take at most (a node id,
/// application ids and the published interface fit in a few kilobytes).
constexpr std::size_t small_message_bytes = 64 * 1024;

class bounded_scribe;

class bounded_multiplexer : public caf::io::network::default_multiplexer {
public:
  explicit bounded_multiplexer(caf::actor_system* sys);

  caf::io::scribe_ptr new_scribe(caf::io::network::native_socket fd) override;

  caf::io::doorman_ptr new_doorman(caf::io::network::native_socket fd) override;

  std::size_t max_message_bytes() const { return max_message_; }

  /// Takes `bytes` more of the large messages' budget; false if it has not
  /// that much left.
  bool reserve(std::size_t bytes);

  /// Gives back what a connection reserved, when it is gone.
  void release(std::size_t bytes);

  /// A connection has completed its handshake, or is gone.
  void unwatch(const bounded_scribe* connection);

private:
  using deadline = std::chrono::steady_clock::time_point;

  // Closes the connections whose handshake is overdue.
  void sweep();

  std::size_t max_message_;
  std::size_t budget_;
  std::chrono::milliseconds handshake_timeout_;
  // Connections still in their handshake; a scribe may be destroyed on
  // another thread than the multiplexer's.
  std::mutex watched_mutex_;
  std::vector<std::pair<bounded_scribe*, deadline>> watched_;
  // Scribes may be destroyed on other threads than the multiplexer's.
  std::atomic<std::size_t> reserved_{0};
};

} // namespace chronos::detail
