// Calendar timeouts in the running actor, on the test coordinator's clock:
// delivered at each instant the calendar names and never before it, with
// one token throughout, across a DST change, and across a restart; and a
// jittered occurrence at its deadline plus the delay it was armed with.

#include "../support/actor_fixture.hpp"
#include "../support/calendar.hpp"
#include "../support/temp_dir.hpp"

#include "chronos/store/state_file.hpp"

using namespace chronos;
using namespace std::chrono_literals;
using test::calendar_request;

namespace {

// 2027-03-27T12:00:00Z, the day before Berlin's clocks go forward.
constexpr std::int64_t before_gap_ms = 1'806'148'800'000;

} // namespace

TEST_CASE_METHOD(test::actor_fixture, "a calendar timeout fires at each of its instants, never before") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto tok = call<std::string>(srv, schedule_atom::value, calendar_request("w", "15,45 * * * * *"));
  REQUIRE(tok);
  advance(14'999ms);
  CHECK(box->empty());
  advance(1ms);
  advance(29'999ms);
  REQUIRE(box->size() == 1);
  advance(1ms);
  REQUIRE(box->size() == 2);
  for (std::size_t i = 0; i < box->size(); ++i) {
    const auto& got = box->at(i);
    CHECK(got.msg.token == *tok);
    CHECK(ms_since_start(got.msg.deadline_ms) == 15'000 + 30'000 * static_cast<std::int64_t>(i));
    CHECK(to_epoch_ms(floor_ms(got.at)) >= got.msg.deadline_ms);
  }
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->at(0).cron == "15,45 * * * * *");
  CHECK(ms_since_start(rows->at(0).deadline_ms) == 75'000);
}

TEST_CASE_METHOD(test::actor_fixture, "a calendar timeout in a zone follows its clocks over a DST gap") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto req = calendar_request("w", "0 30 2 * * *", "Europe/Berlin");
  req.when = when_spec::at(before_gap_ms);
  REQUIRE(call<std::string>(srv, schedule_atom::value, req));
  // Until two days after the gap: 2027-03-28 at the gap's end (03:00 CEST,
  // 01:00Z), then 02:30 CEST on the 29th and the 30th.
  advance(millis{before_gap_ms - to_epoch_ms(floor_ms(wall_now()))});
  for (int hour = 0; hour < 84; ++hour) // on time: each hour's wake-up in its hour
    advance(1h);
  std::vector<std::int64_t> deadlines;
  for (const auto& got : *box) {
    deadlines.push_back(got.msg.deadline_ms);
    CHECK(to_epoch_ms(floor_ms(got.at)) >= got.msg.deadline_ms);
  }
  CHECK(deadlines == std::vector<std::int64_t>{before_gap_ms + 13 * 3'600'000,
                                               before_gap_ms + 36 * 3'600'000 + 1'800'000,
                                               before_gap_ms + 60 * 3'600'000 + 1'800'000});
}

TEST_CASE_METHOD(test::actor_fixture, "a calendar timeout survives a restart and catches up by its policy") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  {
    auto srv = start(path);
    REQUIRE(call<std::string>(srv, schedule_atom::value,
                              calendar_request("all", "0 * * * * *", "Asia/Kolkata", misfire_policy::all)));
    REQUIRE(call<std::string>(srv, schedule_atom::value, calendar_request("once", "0 * * * * *")));
    caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
    sched.run();
  }
  auto saved = load_state(path);
  REQUIRE(saved);
  REQUIRE(saved->pending.size() == 2);
  for (const auto& t : saved->pending) {
    REQUIRE(t.calendar);
    CHECK(t.calendar->expression() == "0 * * * * *");
  }
  // Down for ten and a half minutes: the minutes 0 to 10 were missed.
  skew = 630'000ms;
  auto srv = start(path);
  auto [all_client, all_box] = collector();
  auto [once_client, once_box] = collector();
  register_name(srv, "all", all_client);
  register_name(srv, "once", once_client);
  sched.run();
  REQUIRE(all_box->size() == 11);
  for (std::size_t i = 0; i < all_box->size(); ++i)
    CHECK(ms_since_start(all_box->at(i).msg.deadline_ms) == 60'000 * static_cast<std::int64_t>(i));
  REQUIRE(once_box->size() == 1);
  CHECK(ms_since_start(once_box->at(0).msg.deadline_ms) == 0);
  CHECK(stats(srv).skipped == 10);
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK(ms_since_start(rows->at(0).deadline_ms) == 660'000);
  CHECK(rows->at(0).tz == (rows->at(0).name == "all" ? "Asia/Kolkata" : "UTC"));
}

TEST_CASE_METHOD(test::actor_fixture, "a jittered occurrence keeps its delay across a restart, and is never early") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  auto req = calendar_request("w", "0 * * * * *");
  req.when = when_spec::in(1); // the next minute
  req.jitter_ms = 30'000;
  std::int64_t delay_ms = -1;
  {
    auto srv = start(path);
    REQUIRE(call<std::string>(srv, schedule_atom::value, req));
    auto rows = call<timeout_list>(srv, list_atom::value);
    REQUIRE(rows);
    delay_ms = rows->at(0).delay_ms;
    CHECK(ms_since_start(rows->at(0).deadline_ms) == 60'000);
    caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
    sched.run();
  }
  REQUIRE(delay_ms >= 0);
  REQUIRE(delay_ms < 30'000);
  auto srv = start(path);
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  CHECK(rows->at(0).delay_ms == delay_ms);
  auto [client, box] = collector();
  register_name(srv, "w", client);
  advance(millis{60'000 + delay_ms - 1});
  CHECK(box->empty());
  advance(1ms);
  REQUIRE(box->size() == 1);
  CHECK(ms_since_start(box->at(0).msg.deadline_ms) == 60'000);
  CHECK(to_epoch_ms(floor_ms(box->at(0).at)) == to_epoch_ms(floor_ms(wall_start)) + 60'000 + delay_ms);
  // The next minute's occurrence has a delay of its own, within the jitter.
  rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  CHECK(ms_since_start(rows->at(0).deadline_ms) == 120'000);
  CHECK(rows->at(0).delay_ms < 30'000);
}
