#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <thread>
#include <vector>

#include "../support/loopback.hpp"
#include "chronos/net/peer_timeout.hpp"

using namespace chronos;
using namespace chronos::test;
using namespace std::chrono_literals;

namespace {

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  ::getsockopt(fd, level, name, &value, &size);
  return value;
}

// A socket listening on 127.0.0.1 at a port the system chose.
struct listener {
  socket_fd sock = bind_loopback(8);
  std::uint16_t port = local_port(sock);

  socket_fd accept() const { return socket_fd{::accept(sock.get(), nullptr, nullptr)}; }
};

void check_timeout_set(int fd, int ms) {
  CHECK(option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT) == ms);
  CHECK(option(fd, SOL_SOCKET, SO_KEEPALIVE) == 1);
  CHECK(option(fd, IPPROTO_TCP, TCP_KEEPIDLE) == ms / 1000);
}

} // namespace

TEST_CASE("the peer timeout is set on the listener and on what it accepts, before or after") {
  listener server;
  listener elsewhere;
  auto early_client = connect_loopback(server.port);
  auto early = server.accept();

  auto changed = set_peer_timeout(server.port, 6s);
  REQUIRE(changed);
  CHECK(*changed == 2); // the listener and the connection it had accepted
  check_timeout_set(server.sock.get(), 6000);
  check_timeout_set(early.get(), 6000);

  auto late_client = connect_loopback(server.port);
  auto late = server.accept();
  check_timeout_set(late.get(), 6000);
  CHECK(option(late.get(), IPPROTO_TCP, TCP_KEEPINTVL) == 2);

  // Neither the clients' ends nor another listener are touched.
  CHECK(option(early_client.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);
  CHECK(option(elsewhere.sock.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);
}

TEST_CASE("a client's peer timeout is set on its connections to the port, nothing else") {
  listener server;
  listener elsewhere;
  auto client = connect_loopback(server.port);
  auto accepted = server.accept();
  auto other_client = connect_loopback(elsewhere.port);

  auto changed = set_peer_timeout_to(server.port, 3s);
  REQUIRE(changed);
  CHECK(*changed == 1);
  check_timeout_set(client.get(), 3000);
  // The listener and what it accepted have the port as their local one.
  CHECK(option(server.sock.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);
  CHECK(option(accepted.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);
  CHECK(option(other_client.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);

  listener unused;
  auto none = set_peer_timeout_to(unused.port, 3s);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::unavailable);
  CHECK(none.error().detail.find(std::to_string(unused.port)) != std::string::npos);
  auto refused = set_peer_timeout_to(server.port, 500ms);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::invalid_argument);
}

TEST_CASE("a peer timeout needs a listener on the port and lies between 1s and 1h") {
  std::uint16_t closed_port = 0;
  {
    listener closed;
    closed_port = closed.port;
  }
  auto none = set_peer_timeout(closed_port, 5s);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::unavailable);
  CHECK(none.error().detail.find(std::to_string(closed_port)) != std::string::npos);

  listener server;
  for (auto bad : {0ms, 999ms, 3'600'001ms}) {
    auto refused = set_peer_timeout(server.port, bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == errc::invalid_argument);
  }
  CHECK(option(server.sock.get(), IPPROTO_TCP, TCP_USER_TIMEOUT) == 0);
}

namespace {

// Writes to `fd` as fast as the peer takes it, for at most `limit`: the error
// that ended the connection, or 0 if it lasted.
int write_until_cut(int fd, std::chrono::seconds limit) {
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  std::vector<char> block(64 * 1024, 'x');
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (::send(fd, block.data(), block.size(), MSG_NOSIGNAL) < 0) {
      if (errno != EAGAIN)
        return errno;
      std::this_thread::sleep_for(5ms);
    }
  }
  return 0;
}

} // namespace

TEST_CASE("a peer that takes no data is cut off after the timeout, a slow reader is not") {
  listener server;
  REQUIRE(set_peer_timeout(server.port, 2s));

  auto stalled_client = connect_loopback(server.port);
  auto stalled = server.accept();
  const auto start = std::chrono::steady_clock::now();
  CHECK(write_until_cut(stalled.get(), 60s) == ETIMEDOUT);
  CHECK(std::chrono::steady_clock::now() - start < 30s);

  auto slow_client = connect_loopback(server.port);
  auto slow = server.accept();
  std::atomic<bool> reading{true};
  std::thread reader{[&] {
    std::vector<char> block(64 * 1024);
    while (reading) {
      ::recv(slow_client.get(), block.data(), block.size(), MSG_DONTWAIT);
      std::this_thread::sleep_for(20ms);
    }
  }};
  CHECK(write_until_cut(slow.get(), 6s) == 0);
  reading = false;
  reader.join();
}
