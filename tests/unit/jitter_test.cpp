// Jitter in the server state: each occurrence fires a random delay below
// the timeout's jitter after its deadline, never before it; the delay is
// drawn when the occurrence is armed and kept with it.

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "../support/calendar.hpp"
#include "../support/server_state_helpers.hpp"

using namespace chronos;
using namespace chronos::test;

namespace {

schedule_request jittered(std::string name, std::int64_t delay_ms, std::int64_t jitter_ms,
                          std::int64_t interval_ms = 0) {
  schedule_request req{std::move(name), when_spec::in(delay_ms), "", interval_ms};
  req.jitter_ms = jitter_ms;
  return req;
}

} // namespace

TEST_CASE("jitter: each occurrence fires within its jitter after its deadline, never before") {
  server_state st{token_generator{1}};
  must(st.schedule(jittered("w", 1000, 400, 1000), t0));
  std::set<std::int64_t> delays;
  for (std::int64_t period = 1; period <= 200; ++period) {
    const auto row = st.list().at(0);
    INFO("period " << period);
    REQUIRE(row.deadline_ms == to_epoch_ms(at(period * 1000)));
    REQUIRE(row.jitter_ms == 400);
    REQUIRE(row.delay_ms >= 0);
    REQUIRE(row.delay_ms < 400);
    delays.insert(row.delay_ms);
    const auto fires = at(period * 1000 + row.delay_ms);
    REQUIRE(st.next_deadline() == fires);
    REQUIRE(st.take_due(fires - millis{1}).empty());
    const auto due = st.take_due(fires);
    REQUIRE(due.size() == 1);
    CHECK(due[0].deadline == at(period * 1000)); // delivered with its deadline
    CHECK(due[0].fires_at() == fires);
  }
  CHECK(delays.size() > 150); // drawn anew for each occurrence
  CHECK(st.stats().skipped == 0);
}

TEST_CASE("jitter: a crowd due at one instant is spread evenly over the jitter") {
  server_state st{token_generator{7}};
  for (int i = 0; i < 10'000; ++i)
    must(st.schedule(jittered("crowd", 60'000, 10'000), t0));
  std::map<std::int64_t, int> per_second;
  for (const auto& t : st.take_due(at(70'000))) {
    REQUIRE(t.fires_at() >= t.deadline);
    REQUIRE(t.fires_at() < t.deadline + millis{10'000});
    ++per_second[(t.fires_at() - t.deadline).count() / 1000];
  }
  REQUIRE(per_second.size() == 10);
  for (const auto& [second, n] : per_second) {
    INFO("second " << second);
    CHECK(n > 850); // 1,000 each; five standard deviations are about 150
    CHECK(n < 1150);
  }
}

TEST_CASE("jitter: a one-shot and a calendar timeout take it too, and a reschedule draws anew") {
  server_state st{token_generator{3}};
  const auto once = must(st.schedule(jittered("once", 5000, 3000), t0));
  auto daily = calendar_request("daily", "@daily");
  daily.jitter_ms = 3'600'000;
  must(st.schedule(daily, t0));
  const auto rows = st.list();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].name == "once");
  CHECK(rows[0].delay_ms < 3000);
  CHECK(rows[1].deadline_ms == to_epoch_ms(at(3'600'000))); // midnight UTC
  CHECK(rows[1].delay_ms < 3'600'000);
  std::set<std::int64_t> drawn{rows[0].delay_ms};
  for (int i = 0; i < 20; ++i) {
    REQUIRE(st.reschedule(once, when_spec::in(9000), t0));
    const auto row = st.list("once").at(0);
    CHECK(row.deadline_ms == to_epoch_ms(at(9000)));
    CHECK(row.delay_ms < 3000);
    drawn.insert(row.delay_ms);
  }
  CHECK(drawn.size() > 10);
}

TEST_CASE("jitter: refused when negative or longer than 30 days") {
  server_state st{token_generator{1}};
  auto negative = st.schedule(jittered("w", 0, -1), t0);
  REQUIRE_FALSE(negative);
  CHECK(negative.error().detail == "negative jitter");
  auto long_one = st.schedule(jittered("w", 0, max_jitter.count() + 1), t0);
  REQUIRE_FALSE(long_one);
  CHECK(long_one.error().detail == "jitter longer than 30 days");
  must(st.schedule(jittered("w", 0, max_jitter.count()), t0));
  // Near the end of time a delay never passes the latest deadline.
  auto at_the_end = jittered("end", 0, max_jitter.count());
  at_the_end.when = when_spec::at(max_deadline_ms - 5);
  must(st.schedule(at_the_end, t0));
  CHECK(st.list("end").at(0).deadline_ms + st.list("end").at(0).delay_ms <= max_deadline_ms);
}

TEST_CASE("jitter: the journal keeps each draw, so a replay fires when the original would") {
  server_state st{token_generator{1}};
  st.record_changes();
  const auto tok = must(st.schedule(jittered("w", 1000, 800, 1000), t0));
  for (int i = 0; i < 5; ++i)
    st.take_due(*st.next_deadline());
  REQUIRE(st.reschedule(tok, when_spec::in(60'000), t0));
  server_state replica{token_generator{99}}; // draws of its own would differ
  for (auto& c : st.take_changes())
    REQUIRE(replica.apply(c));
  CHECK(replica.list() == st.list());
  CHECK(replica.next_deadline() == st.next_deadline());
  // A delay no jitter could have drawn does not fit.
  change bad{change::op::rearm, *token::parse(tok), {}, at(99'000), {}, millis{800}};
  CHECK_FALSE(replica.apply(bad));
}
