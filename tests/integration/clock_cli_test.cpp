// chronosd --clock manual: a test server whose clock chronosctl moves, so that
// the tests of a system built on chronos need not wait for its timeouts.

#include "../support/cli_fixture.hpp"

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t day = 24 * hour;

struct manual_chronosd {
  temp_dir dir;
  chronosd_process d = chronosd_process::launch(dir, {"--clock", "manual"});

  json clock(std::vector<std::string> args) {
    args.insert(args.begin(), "clock");
    args.push_back("--json");
    return json::parse(ctl_ok(dir, d.port, args));
  }

  int names() {
    return json::parse(ctl_ok(dir, d.port, {"stats", "--json"})).at("names").get<int>();
  }

  std::unique_ptr<process> watcher(const std::string& name, int count) {
    const auto before = names();
    auto w = std::make_unique<process>(
      std::vector<std::string>{CHRONOSCTL_PATH, "--port", std::to_string(d.port), "watch", name,
                               "--count", std::to_string(count), "--json"},
      dir, "watch-" + name);
    // Registered before the clock moves, so that deliveries go to it on time.
    wait_until([&] { return names() > before; }, 30s);
    return w;
  }
};

std::vector<std::int64_t> deadlines_of(const process& watcher) {
  std::vector<std::int64_t> out;
  for (const auto& line : lines(watcher.out()))
    out.push_back(json::parse(line).at("deadline_ms").get<std::int64_t>());
  return out;
}

} // namespace

TEST_CASE_METHOD(manual_chronosd, "a 30-day timeout reaches a watcher when chronosctl advances the clock") {
  const auto start = clock({}).at("now_ms").get<std::int64_t>();
  CHECK(clock({}).at("manual") == true);
  auto w = watcher("trial", 1);
  ctl_ok(dir, d.port, {"schedule", "trial", "--in", "30d", "--payload", "trial over"});
  auto shown = clock({"advance", "29d"});
  CHECK(shown.at("now_ms") == start + 29 * day);
  std::this_thread::sleep_for(300ms);
  CHECK(w->out().empty());
  clock({"advance", "1d"});
  REQUIRE(w->wait(30s) == 0);
  auto got = json::parse(w->out());
  CHECK(got.at("payload") == "trial over");
  CHECK(got.at("deadline_ms") == start + 30 * day);
  auto health = ctl_ok(dir, d.port, {"health"});
  CHECK(health.find("manual clock at") != std::string::npos);
}

TEST_CASE_METHOD(manual_chronosd, "a recurring timeout advanced by ten periods, under each misfire policy") {
  const auto start = clock({}).at("now_ms").get<std::int64_t>();
  std::vector<std::int64_t> ten;
  for (std::int64_t k = 1; k <= 10; ++k)
    ten.push_back(start + k * hour);
  std::vector<std::unique_ptr<process>> live;
  for (const char* policy : {"once", "all", "skip"}) {
    live.push_back(watcher(std::string{"live-"} + policy, 10));
    ctl_ok(dir, d.port, {"schedule", std::string{"live-"} + policy, "--in", "1h", "--every", "1h",
                         "--misfire", policy});
    ctl_ok(dir, d.port, {"schedule", std::string{"away-"} + policy, "--in", "1h", "--every", "1h",
                         "--misfire", policy});
  }
  clock({"advance", "10h"});
  // With its watcher there, every period is on time: ten deliveries each.
  for (auto& w : live) {
    REQUIRE(w->wait(30s) == 0);
    CHECK(deadlines_of(*w) == ten);
  }
  // Away, the policy decides: one parked occurrence (once), one that stands
  // for all ten (all), none (skip).
  auto listed = json::parse(ctl_ok(dir, d.port, {"list", "--json"}));
  std::map<std::string, int> parked;
  for (const auto& t : listed)
    if (t.at("parked") == true)
      ++parked[t.at("name").get<std::string>()];
  CHECK(parked["away-once"] == 1);
  CHECK(parked["away-all"] == 1);
  CHECK(parked["away-skip"] == 0);
  auto all = watcher("away-all", 10);
  REQUIRE(all->wait(30s) == 0);
  CHECK(deadlines_of(*all) == ten);
  auto once = watcher("away-once", 1);
  REQUIRE(once->wait(30s) == 0);
  CHECK(deadlines_of(*once) == std::vector<std::int64_t>{start + hour});
}

TEST_CASE_METHOD(manual_chronosd, "auto-skip jumps to the next deadline while nothing happens") {
  auto w = watcher("sleepy", 2);
  ctl_ok(dir, d.port, {"schedule", "sleepy", "--in", "1d"});
  ctl_ok(dir, d.port, {"schedule", "sleepy", "--in", "365d"});
  CHECK(clock({"auto", "on"}).at("auto_skip") == true);
  REQUIRE(w->wait(30s) == 0);
  CHECK(lines(w->out()).size() == 2);
  clock({"auto", "off"});
}

TEST_CASE("chronosd --clock manual refuses a state file and other hosts, and a real clock will not move") {
  temp_dir dir;
  for (auto args : {std::vector<std::string>{"--clock", "manual", "--state", dir.file("s.json")},
                    std::vector<std::string>{"--clock", "manual", "--durability", "interval"},
                    std::vector<std::string>{"--clock", "manual", "--bind", "0.0.0.0",
                                             "--plain-tcp", "any"},
                    std::vector<std::string>{"--clock", "sundial"}}) {
    args.insert(args.begin(), CHRONOSD_PATH);
    auto r = run(args, dir);
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.err.find("chronosd: ") == 0);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("s.json")));
  auto real = chronosd_process::start(dir, dir.file("chronos.json"));
  auto moved = ctl(dir, real.port, {"clock", "advance", "1h"});
  CHECK(moved.status == 1);
  CHECK(moved.err.find("system clock") != std::string::npos);
  auto shown = ctl_ok(dir, real.port, {"clock"});
  CHECK(shown.find("system clock at") == 0);
  auto bad = ctl(dir, real.port, {"clock", "advance", "5 parsecs"});
  CHECK(bad.status == 2);
}
