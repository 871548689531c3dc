#pragma once

#include <cstddef>

namespace chronos {

/// What one server accepts; requests past these get `invalid_argument` or
/// `limit_exceeded`, never a crash or an unbounded allocation.
struct server_limits {
  std::size_t max_name_bytes = 256;
  std::size_t max_payload_bytes = 64 * 1024;
  std::size_t max_timeouts = 10'000'000;
  std::size_t max_batch = 100'000;
  /// Occurrences a recurring timeout with misfire policy `all` delivers at
  /// most when it catches up (the latest ones).
  std::size_t max_catch_up = 1000;
  /// Payload bytes of all pending and parked timeouts together: with
  /// max_timeouts, what bounds the memory a flood of schedules can take.
  std::size_t max_payload_total = std::size_t{1} << 30;
  /// Timeouts one list reply holds at most: one small request must not make
  /// chronosd build, and CAF buffer, a reply of a gigabyte.
  std::size_t max_list = 100'000;
  /// Requests waiting in chronosd's mailbox beyond which schedules and lists
  /// are refused (`overloaded`): CAF 0.17 does not bound a mailbox, and these
  /// are the requests that add state or build large replies.
  std::size_t max_queued = 100'000;
  /// Bytes one message from a peer may hold (the network's frame, checked
  /// before anything is read or allocated for it; transport.hpp). Large
  /// enough for a batch of 100,000 schedules with short payloads.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  /// Bytes the read buffers of all connections may hold beyond 64 KiB each:
  /// what many peers announcing large messages at once can make the node
  /// allocate. At least max_message_bytes.
  std::size_t max_message_total = std::size_t{256} << 20;
};

} // namespace chronos
