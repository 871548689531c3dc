#pragma once

// Plain TCP sockets on 127.0.0.1, for tests that talk below chronos' protocol:
// garbage for a listener, an HTTP scrape, a port nothing listens on.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace chronos::test {

/// Owns a file descriptor and closes it.
class socket_fd {
public:
  explicit socket_fd(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
  socket_fd(socket_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_fd& operator=(socket_fd&&) = delete;
  ~socket_fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

inline sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

/// The local port a socket is bound to.
inline std::uint16_t local_port(const socket_fd& sock) {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&address), &size) == 0);
  return ntohs(address.sin_port);
}

/// A socket connected to 127.0.0.1:`port`.
inline socket_fd connect_loopback(std::uint16_t port) {
  socket_fd sock{::socket(AF_INET, SOCK_STREAM, 0)};
  const auto address = loopback_address(port);
  REQUIRE(::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  return sock;
}

/// A socket bound to 127.0.0.1 at a port the system chose; listening if `backlog` > 0.
inline socket_fd bind_loopback(int backlog) {
  socket_fd sock{::socket(AF_INET, SOCK_STREAM, 0)};
  const auto address = loopback_address(0);
  REQUIRE(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  if (backlog > 0)
    REQUIRE(::listen(sock.get(), backlog) == 0);
  return sock;
}

} // namespace chronos::test
