#include "../support/chronosd_process.hpp"

using namespace chronos::test;
using namespace std::chrono_literals;

TEST_CASE("the client library receives timeouts in another process, across a chronosd restart") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state);
  const auto port = d.port;
  process client{{CLIENT_EXAMPLE_PATH, "--port", std::to_string(port), "--name", "svc",
                  "--count", "3", "--in", "100ms", "--payload", "self-scheduled"},
                 dir, "client"};
  INFO("client stderr: " << client.err());
  // Scheduled through the client itself, then delivered to it.
  REQUIRE(client.wait_for_output("received", 20s));
  CHECK(client.out().find("self-scheduled") != std::string::npos);

  // Scheduled by another process, delivered across processes.
  ctl_ok(dir, port, {"schedule", "svc", "--in", "100ms", "--payload", "from-ctl"});
  REQUIRE(client.wait_for_output("from-ctl", 20s));

  // Comes due while chronosd is down; the client reconnects and gets it.
  ctl_ok(dir, port, {"schedule", "svc", "--in", "700ms", "--payload", "while-down"});
  CHECK(d.stop() == 0);
  std::this_thread::sleep_for(1s);
  auto again = chronosd_process::start(dir, state, port);
  REQUIRE(client.wait_for_output("while-down", 30s));
  CHECK(client.wait(20s) == 0);
  auto got = lines(client.out());
  REQUIRE(got.size() == 4); // "scheduled TOKEN" + three deliveries
  CHECK(got[0].rfind("scheduled ", 0) == 0);
  CHECK(again.stop() == 0);
}
