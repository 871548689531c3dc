// chronosctl's bulk commands against a real chronosd: list, count, cancel and
// gauge by name or namespace, cancel many tokens, and the bulk cancel's
// durability across a SIGKILL.

#include "../support/cli_fixture.hpp"

#include <nlohmann/json.hpp>

using namespace chronos::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> names_in(const std::string& list_json) {
  std::vector<std::string> out;
  for (const auto& row : json::parse(list_json))
    out.push_back(row["name"]);
  return out;
}

} // namespace

TEST_CASE_METHOD(cli_fixture, "list, count and namespaces take a name or a namespace") {
  schedule("billing/a", {"--in", "1h"});
  schedule("billing/eu/b", {"--in", "2h"});
  schedule("billing/eu/b", {"--in", "3h"});
  schedule("billingx", {"--in", "4h"});
  CHECK(names_in(ctl_ok(dir, d.port, {"list", "billing/", "--json"}))
        == std::vector<std::string>{"billing/a", "billing/eu/b", "billing/eu/b"});
  CHECK(trim(ctl_ok(dir, d.port, {"count", "billing/"})) == "3");
  CHECK(trim(ctl_ok(dir, d.port, {"count", "billing/eu/b"})) == "2");
  CHECK(trim(ctl_ok(dir, d.port, {"count"})) == "4");
  CHECK(json::parse(ctl_ok(dir, d.port, {"count", "--json"}))
        == json{{"pending", 4}, {"parked", 0}, {"total", 4}});
  auto gauges = json::parse(ctl_ok(dir, d.port, {"namespaces", "--json"}));
  REQUIRE(gauges.size() == 3);
  CHECK(gauges[0] == json{{"namespace", ""}, {"names", 1}, {"registered", 0}, {"pending", 1},
                          {"parked", 0}});
  CHECK(gauges[2]["namespace"] == "billing/eu");
  CHECK(gauges[2]["pending"] == 2);
  auto table = lines(ctl_ok(dir, d.port, {"namespaces", "billing/"}));
  REQUIRE(table.size() == 3);
  CHECK(table[0].find("namespace") == 0);
  CHECK(table[1].find("billing ") == 0);
  CHECK(table[2].find("billing/eu ") == 0);
}

TEST_CASE_METHOD(cli_fixture, "cancel takes many tokens, all or none, or a whole namespace") {
  auto a = schedule("jobs/a", {"--in", "1h"});
  auto b = schedule("jobs/b", {"--in", "1h"});
  auto c = schedule("mail", {"--in", "1h"});
  auto refused = fails({"cancel", a, "0123456789ab-0123456789abcdef"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("request 1: unknown token") != std::string::npos);
  CHECK(trim(ctl_ok(dir, d.port, {"count"})) == "3");
  ctl_ok(dir, d.port, {"cancel", a, c});
  CHECK(names_in(ctl_ok(dir, d.port, {"list", "--json"})) == std::vector<std::string>{"jobs/b"});
  schedule("jobs/eu/c", {"--in", "1h"});
  CHECK(trim(ctl_ok(dir, d.port, {"cancel", "--name", "jobs/"})) == "2");
  CHECK(trim(ctl_ok(dir, d.port, {"count"})) == "0");
  CHECK(fails({"cancel", b}).status == 1);
}

TEST_CASE_METHOD(cli_fixture, "bad selectors are refused and change nothing") {
  schedule("jobs/a", {"--in", "1h"});
  struct bad_case {
    std::vector<std::string> args;
    int status;
    const char* message;
  };
  const std::vector<bad_case> cases{
    {{"cancel", "--name", ""}, 2, "empty name"},
    {{"cancel", "--name", "/"}, 1, "namespace '/': empty name"},
    {{"cancel", "--name", "jobs/", "extra"}, 2, "usage: chronosctl cancel"},
    {{"count", "a//"}, 1, "namespace 'a//'"},
    {{"list", "/"}, 1, "namespace '/'"},
    {{"namespaces", "x", "y"}, 2, "usage: chronosctl namespaces"},
    {{"schedule", "jobs/", "--in", "1s"}, 1, "ends in '/'"},
  };
  for (const auto& c : cases) {
    auto r = fails(c.args);
    INFO("args: " << ::Catch::Detail::stringify(c.args) << " stderr: " << r.err);
    CHECK(r.status == c.status);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  CHECK(trim(ctl_ok(dir, d.port, {"count"})) == "1");
}

TEST_CASE("an acknowledged bulk cancel survives SIGKILL") {
  temp_dir dir;
  const auto state = dir.file("chronos.json");
  auto d = chronosd_process::start(dir, state);
  for (int i = 0; i < 20; ++i)
    ctl_ok(dir, d.port, {"schedule", "jobs/" + std::to_string(i % 4), "--in", "1h"});
  ctl_ok(dir, d.port, {"schedule", "kept", "--in", "1h"});
  CHECK(trim(ctl_ok(dir, d.port, {"cancel", "--name", "jobs/"})) == "20");
  d.proc->signal(SIGKILL);
  REQUIRE(d.proc->wait(10s) == 128 + SIGKILL);
  auto again = chronosd_process::start(dir, state, d.port);
  CHECK(names_in(ctl_ok(dir, again.port, {"list", "--json"})) == std::vector<std::string>{"kept"});
  CHECK(again.stop() == 0);
}
