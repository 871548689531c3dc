#include "../support/chronosd_process.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("timeouts that come due while chronosd is down arrive after restart, in deadline order") {
  temp_dir dir;
  const auto state = dir.file("state/chronos.json"); // the folder is created by chronosd
  auto d = chronosd_process::start(dir, state);
  const auto port = d.port;
  const deadlines t;
  auto b = trim(ctl_ok(dir, port, {"schedule", "w", "--at", t.after(1200ms), "--payload", "b"}));
  auto a = trim(ctl_ok(dir, port, {"schedule", "w", "--at", t.after(800ms), "--payload", "a"}));
  auto later = trim(ctl_ok(dir, port, {"schedule", "w", "--in", "1h", "--payload", "later"}));
  CHECK(d.stop() == 0);
  auto saved = json::parse(slurp(state));
  CHECK(saved["format"] == "chronos-state");
  // Pending, or parked if a slow chronosctl let a deadline pass before the stop.
  CHECK(saved["timeouts"].size() + saved["parked"].size() == 3);

  std::this_thread::sleep_until(std::chrono::system_clock::time_point{
    std::chrono::milliseconds{t.base + 1500}}); // both deadlines pass while chronosd is down
  auto again = chronosd_process::start(dir, state, port);
  auto r = ctl(dir, port, {"watch", "w", "--count", "2"}, 60s);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(lines(r.out) == std::vector<std::string>{a + " a", b + " b"});
  auto rows = json::parse(ctl_ok(dir, port, {"list", "--json"}));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["token"] == later);
  CHECK(again.stop() == 0);
}

TEST_CASE("SIGINT saves the state and exits 0 like SIGTERM") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state);
  ctl_ok(dir, d.port, {"schedule", "w", "--in", "1h"});
  d.proc->signal(SIGINT);
  CHECK(d.proc->wait(20s) == 0);
  CHECK(json::parse(slurp(state))["timeouts"].size() == 1);
}

TEST_CASE("an unreadable state file stops chronosd with a message and stays unchanged") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  const std::string corrupt = "{\"format\": \"chronos-state\", \"version\": 1, \"timeouts\": [{";
  spit(state, corrupt);
  auto r = run({CHRONOSD_PATH, "--port", "0", "--state", state}, dir, 20s);
  CHECK(r.status == 1);
  CHECK(r.err.find(state) != std::string::npos);
  CHECK(r.out.find("listening") == std::string::npos);
  CHECK(slurp(state) == corrupt);
}

TEST_CASE("a state file that is a link to nothing stops chronosd, and the link stays") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  const auto volume = dir.file("unmounted/chronos.json");
  std::filesystem::create_symlink(volume, state);
  auto r = run({CHRONOSD_PATH, "--port", "0", "--state", state}, dir, 20s);
  CHECK(r.status == 1);
  CHECK(r.err.find("symbolic link to '" + volume + "'") != std::string::npos);
  CHECK(r.out.find("listening") == std::string::npos);
  CHECK(std::filesystem::is_symlink(state));
  CHECK_FALSE(std::filesystem::exists(dir.file("chronos.journal.0")));
}

TEST_CASE("a state file behind a link is saved where the link points, and the link stays") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  std::filesystem::create_directory(dir.file("volume"));
  const auto volume = dir.file("volume/chronos.json");
  std::filesystem::create_symlink(volume, state);
  {
    auto d = chronosd_process::start(dir, volume);
    CHECK(d.stop() == 0);
  }
  auto d = chronosd_process::start(dir, state);
  ctl_ok(dir, d.port, {"schedule", "w", "--in", "1h"});
  CHECK(d.stop() == 0);
  CHECK(std::filesystem::is_symlink(state));
  CHECK(json::parse(slurp(volume))["timeouts"].size() == 1);
}

TEST_CASE("a first start says that it starts empty, and where") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state);
  CHECK(d.proc->err().find("no state file at " + state + ": starting empty") != std::string::npos);
  CHECK(d.stop() == 0);
  auto again = chronosd_process::start(dir, state);
  CHECK(again.proc->err().find("starting empty") == std::string::npos);
  CHECK(again.stop() == 0);
}

TEST_CASE("a key holds across a crash and a restart of the file store") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state, 0, {"--durability", "always"});
  const auto port = d.port;
  const auto first = trim(ctl_ok(dir, port, {"schedule", "orders", "--in", "1h", "--key", "o-7"}));
  d.proc->signal(SIGKILL); // the journal alone has it
  REQUIRE(d.proc->wait(20s));
  auto again = chronosd_process::start(dir, state, port, {"--durability", "always"});
  CHECK(trim(ctl_ok(dir, port, {"schedule", "orders", "--in", "2h", "--key", "o-7"})) == first);
  CHECK(again.stop() == 0);
  CHECK(json::parse(slurp(state))["timeouts"][0]["key"] == "o-7"); // and the state file
  auto third = chronosd_process::start(dir, state, port);
  CHECK(trim(ctl_ok(dir, port, {"schedule", "orders", "--in", "2h", "--key", "o-7"})) == first);
  CHECK(trim(ctl_ok(dir, port, {"count", "orders"})) == "1");
  CHECK(third.stop() == 0);
}
