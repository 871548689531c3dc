// The restart-safe workflow example against a real chronosd: both are killed
// in the middle, more than once, and the workflow still finishes with every
// step's timeout honoured exactly once, never early.

#include "../support/chronosd_process.hpp"

#include <nlohmann/json.hpp>

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int orders = 4;
constexpr int steps = 3;

std::unique_ptr<process> start_workflow(const temp_dir& dir, std::uint16_t port,
                                        const std::string& tag) {
  return std::make_unique<process>(
    std::vector<std::string>{WORKFLOW_PATH, "--port", std::to_string(port), "--state",
                             dir.file("workflow.json"), "--orders", std::to_string(orders),
                             "--steps", std::to_string(steps), "--step", "600ms"},
    dir, tag);
}

std::size_t steps_done(const process& p) {
  std::size_t n = 0;
  for (const auto& l : lines(p.out()))
    n += l.find(" step ") != std::string::npos && l.find(" done") != std::string::npos;
  return n;
}

// Waits until `p` has logged `n` steps in this run (or gives up after a while).
void wait_for_steps(const process& p, std::size_t n) {
  REQUIRE(wait_until([&] { return steps_done(p) >= n; }, 60s));
}

void kill_hard(process& p) {
  p.signal(SIGKILL);
  REQUIRE(p.wait(10s) == 128 + SIGKILL);
}

} // namespace

TEST_CASE("the workflow finishes with every step timeout honoured once across kills") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state);
  const auto port = d.port;

  auto first = start_workflow(dir, port, "flow1");
  wait_for_steps(*first, 2);
  kill_hard(*first); // the workflow and chronosd die together
  kill_hard(*d.proc);

  auto d2 = chronosd_process::start(dir, state, port);
  auto second = start_workflow(dir, port, "flow2");
  wait_for_steps(*second, 3);
  kill_hard(*second); // the workflow alone, while chronosd goes on

  std::this_thread::sleep_for(700ms); // a step comes due while no workflow runs
  auto third = start_workflow(dir, port, "flow3");
  INFO("workflow stderr: " << third->err());
  REQUIRE(third->wait(90s) == 0);
  CHECK(third->out().find("all orders finished") != std::string::npos);

  auto saved = json::parse(slurp(dir.file("workflow.json")))["orders"];
  REQUIRE(saved.size() == orders);
  for (const auto& [id, o] : saved.items()) {
    INFO(id << ": " << o.dump());
    CHECK(o["step"] == steps);
    REQUIRE(o["log"].size() == steps); // each step once: no step lost, none twice
    for (int s = 0; s < steps; ++s) {
      CHECK(o["log"][s]["step"] == s);
      CHECK(o["log"][s]["at_ms"].get<std::int64_t>() >= o["log"][s]["due_ms"].get<std::int64_t>());
    }
  }
  // The workflow cleans up after itself: nothing is left for its name.
  CHECK(trim(ctl_ok(dir, port, {"count", "workflow"})) == "0");
  CHECK(d2.stop() == 0);
}
