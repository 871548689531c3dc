// Consumer groups through chronosctl: watchers that join one name share its
// timeouts, each delivered to exactly one of them, and acknowledged.

#include "../support/cli_fixture.hpp"

#include <set>

#include <nlohmann/json.hpp>

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE_METHOD(cli_fixture, "watchers in a group share a name's timeouts, each once") {
  const auto watcher = [&](const std::string& tag) {
    return std::make_unique<process>(
      std::vector<std::string>{CHRONOSCTL_PATH, "--port", std::to_string(d.port), "watch", "jobs",
                               "--group", "--ack", "5s"},
      dir, tag);
  };
  auto first = watcher("first");
  auto second = watcher("second");
  std::set<std::string> tokens;
  for (int i = 0; i < 6; ++i)
    tokens.insert(schedule("jobs", {"--in", "500ms", "--payload", "job" + std::to_string(i)}));
  // Whenever each watcher joined (what came due before waits, parked), every
  // timeout reaches exactly one of them. Turn-taking itself is an actor test.
  const auto received = [&] {
    std::vector<std::string> all;
    for (const auto* p : {first.get(), second.get()})
      for (const auto& l : lines(p->out()))
        all.push_back(l.substr(0, l.find(' ')));
    return all;
  };
  wait_until([&] { return received().size() >= tokens.size(); }, 30s);
  const auto all = received();
  CHECK(all.size() == tokens.size());
  CHECK(std::set<std::string>(all.begin(), all.end()) == tokens);
  // Every delivery is acknowledged: nothing waits, nothing went out twice.
  auto stats = json::parse(ctl_until(dir, d.port, {"stats", "--json"}, [](const std::string& out) {
    return json::parse(out)["unacked"] == 0;
  }));
  CHECK(stats["unacked"] == 0);
  CHECK(stats["parked"] == 0);
  CHECK(stats["redelivered"] == 0);
  for (auto* p : {first.get(), second.get()}) {
    p->signal(SIGTERM);
    CHECK(p->wait(10s) == 0);
  }
}

TEST_CASE_METHOD(cli_fixture, "group options are checked") {
  auto r = fails({"watch", "jobs", "--ack", "1s"});
  CHECK(r.status == 2);
  CHECK(r.err.find("--ack needs --group") != std::string::npos);
  r = fails({"watch", "jobs", "--group", "--ack", "0s"});
  CHECK(r.status == 2);
  process solo{{CHRONOSCTL_PATH, "--port", std::to_string(d.port), "watch", "solo"}, dir, "solo"};
  ctl_until(dir, d.port, {"stats", "--json"},
            [](const std::string& out) { return json::parse(out)["names"] == 1; });
  r = fails({"watch", "solo", "--group", "--count", "1"});
  CHECK(r.status == 1);
  CHECK(r.err.find("registered by one actor") != std::string::npos);
  solo.signal(SIGTERM);
  CHECK(solo.wait(10s) == 0);
}
