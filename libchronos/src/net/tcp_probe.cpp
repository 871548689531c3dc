#include "net/tcp_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace chronos::detail {

namespace {

using std::chrono::steady_clock;

int millis_until(steady_clock::time_point end) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// One address: true if it accepted a connection before `end`.
bool accepts(const addrinfo& a, steady_clock::time_point end, std::string& why) {
  const int fd = ::socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a.ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_on_return{fd};
  if (::connect(fd, a.ai_addr, a.ai_addrlen) == 0)
    return true;
  if (errno != EINPROGRESS) {
    why = std::strerror(errno);
    return false;
  }
  pollfd pfd{fd, POLLOUT, 0};
  int n = 0;
  do
    n = ::poll(&pfd, 1, millis_until(end));
  while (n < 0 && errno == EINTR);
  if (n == 0) {
    why = "no answer in time";
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    why = std::strerror(err);
    return false;
  }
  return true;
}

} // namespace

status probe_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds limit) {
  const auto end = steady_clock::now() + limit;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return fail(errc::unavailable, std::string{"cannot resolve the host: "} + gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list{found, &freeaddrinfo};
  std::string why = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next)
    if (accepts(*a, end, why))
      return done{};
  return fail(errc::unavailable, why);
}

} // namespace chronos::detail
