#include "chronos/net/peer_timeout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <vector>

#include "chronos/base/duration.hpp"

namespace chronos {
namespace {

struct tcp_socket {
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0; // 0 if not connected
  bool listening = false;
};

int int_option(int fd, int level, int name) {
  int value = 0;
  socklen_t size = sizeof value;
  return ::getsockopt(fd, level, name, &value, &size) == 0 ? value : -1;
}

// What `fd` is, if it is a TCP socket over IPv4 or IPv6.
bool inspect_socket(int fd, tcp_socket& out) {
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode))
    return false;
  const int domain = int_option(fd, SOL_SOCKET, SO_DOMAIN);
  if ((domain != AF_INET && domain != AF_INET6)
      || int_option(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP)
    return false;
  const auto port_of = [domain](const sockaddr_storage& address) {
    return ntohs(domain == AF_INET ? reinterpret_cast<const sockaddr_in&>(address).sin_port
                                   : reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  };
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    return false;
  out.local_port = port_of(address);
  size = sizeof address;
  out.remote_port = ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0
                      ? port_of(address)
                      : 0;
  out.listening = int_option(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1;
  return true;
}

// Keepalive probes an idle connection after `seconds` and again a third of
// that later; with TCP_USER_TIMEOUT set, the kernel gives up once the timeout
// has passed without an answer.
bool apply(int fd, std::chrono::milliseconds timeout) {
  const auto ms = static_cast<unsigned>(timeout.count());
  const int seconds = static_cast<int>(timeout.count() / 1000);
  const int interval = seconds / 3 > 0 ? seconds / 3 : 1;
  const int on = 1;
  const int probes = 3;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms) == 0
         && ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0
         && ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds) == 0
         && ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) == 0
         && ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes) == 0;
}

std::string errno_text() { return std::strerror(errno); }

// Applies `timeout` to every TCP socket of this process that `wanted`; the
// sockets changed. CAF does not show its sockets: they are found among the
// process's descriptors.
template <class Wanted>
outcome<std::vector<tcp_socket>> apply_where(Wanted wanted, std::chrono::milliseconds timeout) {
  if (timeout < min_peer_timeout || timeout > max_peer_timeout)
    return fail(errc::invalid_argument, "a peer timeout lies between "
                                          + format_duration(min_peer_timeout) + " and "
                                          + format_duration(max_peer_timeout) + ", not "
                                          + format_duration(timeout));
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr)
    return fail(errc::unavailable, "cannot list /proc/self/fd: " + errno_text());
  const int own = ::dirfd(fds);
  std::vector<tcp_socket> changed;
  std::string refused;
  while (const dirent* entry = ::readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    tcp_socket sock;
    if (*end != '\0' || end == entry->d_name || fd == own
        || !inspect_socket(static_cast<int>(fd), sock) || !wanted(sock))
      continue;
    if (!apply(static_cast<int>(fd), timeout)) {
      refused = errno_text();
      break;
    }
    changed.push_back(sock);
  }
  ::closedir(fds);
  if (!refused.empty())
    return fail(errc::unavailable, "cannot set the peer timeout: " + refused);
  return changed;
}

} // namespace

outcome<std::size_t> set_peer_timeout(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto changed = apply_where([port](const tcp_socket& s) { return s.local_port == port; }, timeout);
  if (!changed)
    return changed.error();
  if (std::none_of(changed->begin(), changed->end(), [](const tcp_socket& s) { return s.listening; }))
    return fail(errc::unavailable, "no socket of this process listens on TCP port "
                                     + std::to_string(port));
  return changed->size();
}

outcome<std::size_t> set_peer_timeout_to(std::uint16_t remote_port,
                                         std::chrono::milliseconds timeout) {
  auto changed = apply_where(
    [remote_port](const tcp_socket& s) { return !s.listening && s.remote_port == remote_port; },
    timeout);
  if (!changed)
    return changed.error();
  if (changed->empty())
    return fail(errc::unavailable, "this process has no connection to TCP port "
                                     + std::to_string(remote_port));
  return changed->size();
}

} // namespace chronos
