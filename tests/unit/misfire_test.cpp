// Misfire policies of recurring timeouts in the server state: what a timeout
// late by several periods, or parked while its name is away, hands out.

#include <catch2/catch.hpp>

#include "../support/server_state_helpers.hpp"

using namespace chronos;
using namespace chronos::test;

namespace {

std::string every(server_state& st, std::string name, std::int64_t period_ms,
                  misfire_policy policy) {
  return must(st.schedule({std::move(name), when_spec::in(period_ms), "", period_ms, policy}, t0));
}

} // namespace

TEST_CASE("a timeout late by less than a period is delivered under every policy") {
  for (auto policy : {misfire_policy::once, misfire_policy::all, misfire_policy::skip}) {
    INFO(to_string(policy));
    server_state st{token_generator{1}};
    every(st, "w", 100, policy);
    CHECK(deadlines(st.take_due(at(199))) == std::vector<std::int64_t>{100});
    CHECK(st.next_deadline() == at(200));
    CHECK(st.stats().skipped == 0);
  }
}

TEST_CASE("once: one occurrence for several missed periods, the rest counted") {
  server_state st{token_generator{1}};
  every(st, "w", 100, misfire_policy::once);
  CHECK(deadlines(st.take_due(at(450))) == std::vector<std::int64_t>{100});
  CHECK(st.stats().skipped == 3);
  CHECK(st.next_deadline() == at(500));
}

TEST_CASE("all: every missed period in order, at most max_catch_up of them") {
  server_limits limits;
  limits.max_catch_up = 3;
  server_state st{token_generator{1}, limits};
  every(st, "w", 100, misfire_policy::all);
  CHECK(deadlines(st.take_due(at(250))) == std::vector<std::int64_t>{100, 200});
  CHECK(st.stats().skipped == 0);
  // Due at 300 ... 800: six periods, the latest three are kept.
  CHECK(deadlines(st.take_due(at(850))) == std::vector<std::int64_t>{600, 700, 800});
  CHECK(st.stats().skipped == 3);
  CHECK(st.stats().fired == 5);
  CHECK(st.next_deadline() == at(900));
}

TEST_CASE("skip: nothing for missed periods, and never parked") {
  server_state st{token_generator{1}};
  every(st, "w", 100, misfire_policy::skip);
  CHECK(st.take_due(at(450)).empty());
  CHECK(st.stats().skipped == 4);
  CHECK(st.next_deadline() == at(500));
  auto on_time = st.take_due(at(500));
  REQUIRE(on_time.size() == 1);
  CHECK_FALSE(st.park(on_time[0])); // its name is away: dropped, not kept
  CHECK(st.stats().parked == 0);
  CHECK(st.stats().skipped == 5);
}

TEST_CASE("once parks one occurrence, all parks one that stands for every missed period") {
  server_state st{token_generator{1}};
  every(st, "once", 100, misfire_policy::once);
  every(st, "all", 100, misfire_policy::all);
  every(st, "all", 150, misfire_policy::all);
  // Each fire while the names are away: the first occurrence parks.
  for (auto now : {100, 150, 200, 300, 310}) {
    for (auto& t : st.take_due(at(now)))
      st.park(t);
  }
  CHECK(st.stats().parked == 3);
  CHECK(st.stats().skipped == 2); // the once timeout's 200 and 300
  CHECK(deadlines(st.take_parked("once")) == std::vector<std::int64_t>{100});
  // Pending again at 400 and 450: the parked ones expand up to there, interleaved.
  CHECK(deadlines(st.take_parked("all"))
        == std::vector<std::int64_t>{100, 150, 200, 300, 300});
  CHECK(st.stats().parked == 0);
}

TEST_CASE("a misfire policy needs a repeat interval and a known value") {
  server_state st{token_generator{1}};
  auto one_shot = st.schedule({"w", when_spec::in(100), "", 0, misfire_policy::skip}, t0);
  REQUIRE_FALSE(one_shot);
  CHECK(one_shot.error().detail == "a misfire policy needs a repeat interval or a calendar schedule");
  auto unknown = st.schedule({"w", when_spec::in(100), "", 100, static_cast<misfire_policy>(7)}, t0);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().detail == "unknown misfire policy");
  CHECK(st.stats().pending == 0);
}

TEST_CASE("the policy is kept in the snapshot, the journal's replay and the list") {
  server_state st{token_generator{1}};
  st.record_changes();
  every(st, "w", 100, misfire_policy::all);
  CHECK(st.list().at(0).misfire == misfire_policy::all);
  for (auto& t : st.take_due(at(350)))
    st.park(t);
  server_state replayed{token_generator{2}};
  for (const auto& c : st.take_changes())
    REQUIRE(replayed.apply(c));
  CHECK(replayed.list() == st.list());
  server_state restored{token_generator{3}};
  REQUIRE(restored.restore(st.collect(at(350))));
  CHECK(deadlines(restored.take_parked("w")) == std::vector<std::int64_t>{100, 200, 300});
  CHECK(parse_misfire("all") == misfire_policy::all);
  CHECK_FALSE(parse_misfire("sometimes"));
}
