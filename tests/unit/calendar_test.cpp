// Calendar timeouts in the server state: a cron expression in a zone takes
// the place of a repeat interval, with the same token, misfire policies,
// parking, listing and undo.

#include <catch2/catch.hpp>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <random>

#include "../support/calendar.hpp"
#include "../support/server_state_helpers.hpp"

using namespace chronos;
using namespace chronos::test;

namespace {

std::int64_t utc_ms(int y, int mo, int d, int h, int mi, int s = 0) {
  const auto tp = cctz::convert(cctz::civil_second(y, mo, d, h, mi, s), cctz::utc_time_zone());
  return std::chrono::duration_cast<millis>(tp.time_since_epoch()).count();
}

} // namespace

TEST_CASE("calendar: the first deadline is the expression's next instant, and the token stays") {
  server_state st{token_generator{1}};
  // t0 is 23:00:00 UTC; every ten minutes from then, the first at 23:00 itself.
  const auto tok = must(st.schedule(calendar_request("a", "0 */10 * * * *"), at(1)));
  CHECK(st.next_deadline() == at(10 * 60'000));
  CHECK(st.list().at(0).prev_ms == 0); // 23:00 came before it was made
  auto first = st.take_due(at(10 * 60'000 + 5));
  REQUIRE(first.size() == 1);
  CHECK(first[0].token.str() == tok);
  REQUIRE(first[0].calendar);
  CHECK(first[0].calendar->expression() == "0 */10 * * * *");
  CHECK(st.next_deadline() == at(20 * 60'000));
  auto listed = st.list();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].token == tok);
  CHECK(listed[0].cron == "0 */10 * * * *");
  CHECK(listed[0].tz == "UTC");
  CHECK(listed[0].interval_ms == 0);
  CHECK(listed[0].deadline_ms == to_epoch_ms(at(20 * 60'000)));
  CHECK(listed[0].prev_ms == to_epoch_ms(at(10 * 60'000)));
}

TEST_CASE("calendar: an instant the expression names now is due now, a start delays it") {
  server_state st{token_generator{1}};
  must(st.schedule(calendar_request("a", "@hourly"), t0));
  CHECK(st.next_deadline() == t0);
  auto later = calendar_request("b", "@hourly");
  later.when = when_spec::in(90 * 60'000);
  st.take_due(t0);
  must(st.schedule(later, t0));
  CHECK(st.list("b").at(0).deadline_ms == to_epoch_ms(at(2 * 3600'000)));
  auto past = calendar_request("c", "@hourly");
  past.when = when_spec::at(to_epoch_ms(t0) - 86'400'000);
  must(st.schedule(past, at(1))); // never in the past
  CHECK(st.list("c").at(0).deadline_ms == to_epoch_ms(at(3600'000)));
}

TEST_CASE("calendar: in a zone, across a DST gap and a repeat") {
  server_state st{token_generator{1}};
  const auto before_gap = from_epoch_ms(utc_ms(2027, 3, 27, 12, 0));
  // 02:30 does not exist in Berlin on 2027-03-28: it fires once at 03:00 CEST.
  must(st.schedule(calendar_request("a", "0 30 2 * * *", "Europe/Berlin"), before_gap));
  CHECK(st.next_deadline() == from_epoch_ms(utc_ms(2027, 3, 28, 1, 0)));
  st.take_due(*st.next_deadline());
  CHECK(st.next_deadline() == from_epoch_ms(utc_ms(2027, 3, 29, 0, 30))); // 02:30 CEST
  // 02:30 occurs twice on 2027-10-31: it fires at the first, in CEST.
  const auto before_repeat = from_epoch_ms(utc_ms(2027, 10, 30, 12, 0));
  must(st.schedule(calendar_request("b", "0 30 2 * * *", "Europe/Berlin"), before_repeat));
  CHECK(st.list("b").at(0).deadline_ms == utc_ms(2027, 10, 31, 0, 30));
  st.take_due(from_epoch_ms(utc_ms(2027, 10, 31, 0, 30)));
  CHECK(st.list("b").at(0).deadline_ms == utc_ms(2027, 11, 1, 1, 30)); // 02:30 CET
}

TEST_CASE("calendar: bad calendar requests are refused with a reason and change nothing") {
  server_state st{token_generator{1}};
  struct bad_case {
    schedule_request req;
    const char* why;
  };
  auto both = calendar_request("a", "@daily");
  both.interval_ms = 1000;
  schedule_request zone_alone{"a", when_spec::in(0), "", 0};
  zone_alone.tz = "Europe/Berlin";
  const std::vector<bad_case> cases{
    {both, "not both"},
    {zone_alone, "time zone needs a calendar"},
    {calendar_request("a", "* * * *"), "six fields"},
    {calendar_request("a", "0 0 25 * * *"), "hour"},
    {calendar_request("a", "0 0 0 30 2 *"), "never matches"},
    {calendar_request("a", "@daily", "Mars/Olympus_Mons"), "unknown time zone"},
    {calendar_request("a", "@daily", "../../etc/passwd"), "unknown time zone"},
    {calendar_request("a", std::string(300, '*')), "longer than 256"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto tok = st.schedule(c.req, t0);
    REQUIRE_FALSE(tok);
    CHECK(tok.error().code == errc::invalid_argument);
    CHECK(tok.error().detail.find(c.why) != std::string::npos);
  }
  auto batch = st.schedule_all({calendar_request("a", "@daily"), calendar_request("b", "0 0 0 30 2 *")}, t0);
  REQUIRE_FALSE(batch);
  CHECK(batch.error().detail.find("request 1") != std::string::npos);
  CHECK(st.stats().pending == 0);
  // A misfire policy needs something to recur by: a calendar is enough.
  must(st.schedule(calendar_request("a", "@daily", "", misfire_policy::skip), t0));
}

// Every ten seconds by the calendar is every ten seconds by interval: the
// same occurrences come out, however late the server takes them, under
// every policy.
TEST_CASE("calendar: misfire policies hand out what an equal interval would") {
  std::mt19937_64 rng{7};
  for (auto policy : {misfire_policy::once, misfire_policy::all, misfire_policy::skip}) {
    INFO(to_string(policy));
    server_limits limits;
    limits.max_catch_up = 4;
    server_state by_calendar{token_generator{1}, limits};
    server_state by_interval{token_generator{1}, limits};
    must(by_calendar.schedule(calendar_request("w", "*/10 * * * * *", "", policy), at(1)));
    must(by_interval.schedule({"w", when_spec::in(9'999), "", 10'000, policy}, at(1)));
    REQUIRE(by_calendar.next_deadline() == by_interval.next_deadline());
    auto now = t0;
    for (int step = 0; step < 200; ++step) {
      now += millis{static_cast<std::int64_t>(rng() % 90'000)};
      INFO("at " << (now - t0).count());
      CHECK(deadlines(by_calendar.take_due(now)) == deadlines(by_interval.take_due(now)));
      CHECK(by_calendar.next_deadline() == by_interval.next_deadline());
      CHECK(by_calendar.stats().skipped == by_interval.stats().skipped);
    }
  }
}

TEST_CASE("calendar: all over an irregular calendar delivers its latest missed instants") {
  server_limits limits;
  limits.max_catch_up = 3;
  server_state st{token_generator{1}, limits};
  // Weekdays at 09:00 and 17:00 UTC; t0 is Saturday 2026-11-21, 23:00.
  must(st.schedule(calendar_request("w", "0 0 9,17 * * MON-FRI", "", misfire_policy::all), t0));
  const auto monday_9 = utc_ms(2026, 11, 23, 9, 0);
  CHECK(st.next_deadline() == from_epoch_ms(monday_9));
  // Taken on Thursday at noon: Mon 9, Mon 17, Tue 9, Tue 17, Wed 9, Wed 17, Thu 9 missed.
  const auto thursday_noon = from_epoch_ms(utc_ms(2026, 11, 26, 12, 0));
  const std::vector<std::int64_t> latest{utc_ms(2026, 11, 25, 9, 0), utc_ms(2026, 11, 25, 17, 0),
                                         utc_ms(2026, 11, 26, 9, 0)};
  std::vector<std::int64_t> got;
  for (const auto& t : st.take_due(thursday_noon))
    got.push_back(to_epoch_ms(t.deadline));
  CHECK(got == latest);
  CHECK(st.stats().skipped == 4);
  CHECK(st.next_deadline() == from_epoch_ms(utc_ms(2026, 11, 26, 17, 0)));
}

TEST_CASE("calendar: a long outage is counted, up to a bound, not walked to its end") {
  server_state st{token_generator{1}};
  must(st.schedule(calendar_request("w", "* * * * * *"), at(1)));
  // A year of seconds missed: one delivered, the count stops at its bound.
  const auto due = st.take_due(at(365LL * 86'400'000));
  CHECK(due.size() == 1);
  CHECK(st.stats().skipped == 10'000);
  CHECK(st.next_deadline() == at(365LL * 86'400'000 + 1000));
}

TEST_CASE("calendar: a parked occurrence with policy all comes back as each missed instant") {
  server_state st{token_generator{1}};
  must(st.schedule(calendar_request("w", "0 * * * * *", "", misfire_policy::all), at(1)));
  REQUIRE(st.park(st.take_due(at(60'000)).at(0)));
  for (auto& t : st.take_due(at(120'000)))
    CHECK_FALSE(st.park(t)); // stands for the later ones
  st.take_due(at(180'000));
  CHECK(deadlines(st.take_parked("w")) == std::vector<std::int64_t>{60'000, 120'000, 180'000});
}

TEST_CASE("calendar: a rescheduled calendar timeout returns to its calendar after firing") {
  server_state st{token_generator{1}};
  const auto tok = must(st.schedule(calendar_request("w", "@daily"), at(1)));
  REQUIRE(st.reschedule(tok, when_spec::in(5'000), t0));
  CHECK(deadlines(st.take_due(at(5'000))) == std::vector<std::int64_t>{5'000});
  CHECK(st.next_deadline() == at(3600'000)); // midnight UTC
  CHECK(st.stats().skipped == 0);
}

TEST_CASE("calendar: a change is journaled with its calendar, replayed and undone") {
  server_state st{token_generator{1}};
  st.record_changes();
  const auto tok = must(st.schedule(calendar_request("w", "0 0 12 * * *", "Asia/Kolkata"), t0));
  st.take_due(at(86'400'000 * 2));
  auto changes = st.take_changes();
  REQUIRE(changes.size() == 2);
  REQUIRE(changes[0].entry.calendar);
  CHECK(changes[0].entry.calendar->zone() == "Asia/Kolkata");
  server_state replica{token_generator{2}};
  for (auto& c : changes)
    REQUIRE(replica.apply(c));
  CHECK(replica.list() == st.list());
  REQUIRE(st.cancel(tok));
  auto cancel = st.take_changes();
  REQUIRE(cancel.size() == 1);
  st.undo(cancel[0]);
  CHECK(st.list() == replica.list());
}
