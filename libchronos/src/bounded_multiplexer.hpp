#pragma once

// CAF's network backend with one bound added: a connection that announces a
// message larger than the node accepts is closed before anything is
// allocated for it. Private to libchronos; transport.hpp loads it.
//
// A BASP header says how long the payload after it is, and CAF 0.17 sizes its
// read buffer to that (zero-filled, up to 4 GiB) before it reads a byte of the
// payload: 32 bytes from anyone who can open a connection would make chronosd
// allocate gigabytes, and under a memory limit die of it. The broker asks its
// connection for each read's size (`configure_read`); the connections this
// backend makes refuse a size past the bound by shutting the socket, which
// CAF then handles as the peer having closed it (its proxies go down, its
// names are freed).

#include <cstddef>

#include <caf/io/network/default_multiplexer.hpp>

namespace chronos::detail {

/// The configuration entry (bytes) that bounds what one peer may announce;
/// without it, or at 0, nothing is bounded.
constexpr const char* max_message_bytes_key = "chronos.max-message-bytes";

class bounded_multiplexer : public caf::io::network::default_multiplexer {
public:
  explicit bounded_multiplexer(caf::actor_system* sys);

  caf::io::scribe_ptr new_scribe(caf::io::network::native_socket fd) override;

private:
  std::size_t max_read_;
};

} // namespace chronos::detail
