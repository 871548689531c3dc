// A server on a manual clock (time-skipping): timeouts and acknowledgement
// deadlines come due as the clock is moved, each at its own instant, and every
// rule that holds in real time holds in virtual time.

#include "../support/actor_fixture.hpp"

#include <algorithm>

using namespace chronos;
using namespace std::chrono_literals;
using test::payloads;

namespace {

constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t day = 24 * hour;

struct manual : test::actor_fixture {
  std::shared_ptr<manual_clock> clock
    = std::make_shared<manual_clock>(floor_ms(wall_start));

  chronos_api start_manual() {
    auto c = config();
    c.manual = clock;
    auto srv = spawn_server(sys, c);
    INFO((srv ? "" : srv.error().detail));
    REQUIRE(srv);
    spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
    sched.run();
    return *srv;
  }

  std::int64_t start_ms() const { return to_epoch_ms(floor_ms(wall_start)); }

  /// Moves the clock by request; the reply comes once the server caught up.
  clock_info advance_by(const chronos_api& srv, std::int64_t ms) {
    auto shown = call<clock_info>(srv, clock_atom::value, advance_atom::value, ms);
    INFO((shown ? "" : describe(shown.error())));
    REQUIRE(shown);
    return *shown;
  }

  std::string schedule_every(const chronos_api& srv, const std::string& name,
                             std::int64_t period_ms, misfire_policy policy) {
    schedule_request req{name, when_spec::in(period_ms), "tick", period_ms, policy};
    auto tok = call<std::string>(srv, schedule_atom::value, req);
    REQUIRE(tok);
    return *tok;
  }
};

std::vector<std::int64_t> deadlines(const test::inbox& box) {
  std::vector<std::int64_t> out;
  for (const auto& r : *box)
    out.push_back(r.msg.deadline_ms);
  return out;
}

} // namespace

TEST_CASE_METHOD(manual, "a 30-day timeout arrives when the clock is advanced 30 days, not before") {
  auto srv = start_manual();
  auto [w, box] = collector();
  register_name(srv, "trial", w);
  schedule(srv, "trial", 30 * day, "trial over");
  // Real time goes on; the server's does not.
  advance(std::chrono::hours{24});
  CHECK(box->empty());
  auto shown = advance_by(srv, 30 * day - 1);
  CHECK(shown.manual);
  CHECK(shown.now_ms == start_ms() + 30 * day - 1);
  sched.run();
  CHECK(box->empty());
  shown = advance_by(srv, 1);
  sched.run();
  REQUIRE(box->size() == 1);
  CHECK(box->at(0).msg.payload == "trial over");
  CHECK(box->at(0).msg.deadline_ms == start_ms() + 30 * day);
  CHECK(stats(srv).clock_ms == start_ms() + 30 * day);
}

TEST_CASE_METHOD(manual, "an advance delivers in deadline order, and requests see the new time") {
  auto srv = start_manual();
  auto [w, box] = collector();
  register_name(srv, "w", w);
  schedule(srv, "w", 3 * hour, "third");
  schedule(srv, "w", 1 * hour, "first");
  schedule(srv, "w", 2 * hour, "second");
  advance_by(srv, 5 * hour);
  sched.run();
  CHECK(payloads(box) == std::vector<std::string>{"first", "second", "third"});
  // "In 1 hour" now means an hour after the advanced time.
  schedule(srv, "w", hour, "later");
  auto listed = call<timeout_list>(srv, list_atom::value);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK(listed->at(0).deadline_ms == start_ms() + 6 * hour);
}

TEST_CASE_METHOD(manual, "moving the manual_clock itself delivers too") {
  auto srv = start_manual();
  auto [w, box] = collector();
  register_name(srv, "w", w);
  schedule(srv, "w", day, "tomorrow");
  REQUIRE(clock->advance(millis{day}));
  sched.run();
  REQUIRE(box->size() == 1);
  CHECK(box->at(0).msg.deadline_ms == start_ms() + day);
  REQUIRE(clock->set(from_epoch_ms(start_ms() + 2 * day)));
  sched.run();
  CHECK(call<clock_info>(srv, clock_atom::value)->now_ms == start_ms() + 2 * day);
}

TEST_CASE_METHOD(manual, "a recurring timeout advanced by ten periods fires ten times to a live actor") {
  for (auto policy : {misfire_policy::once, misfire_policy::all, misfire_policy::skip}) {
    INFO(to_string(policy));
    clock = std::make_shared<manual_clock>(floor_ms(wall_start));
    auto srv = start_manual();
    auto [w, box] = collector();
    register_name(srv, "r", w);
    schedule_every(srv, "r", hour, policy);
    advance_by(srv, 10 * hour);
    sched.run();
    std::vector<std::int64_t> expected;
    for (std::int64_t k = 1; k <= 10; ++k)
      expected.push_back(start_ms() + k * hour);
    CHECK(deadlines(box) == expected);
    CHECK(stats(srv).skipped == 0);
  }
}

TEST_CASE_METHOD(manual, "while its name is away, the misfire policy decides what ten periods leave") {
  struct expectation {
    misfire_policy policy;
    std::size_t delivered;
  };
  for (auto [policy, delivered] : {expectation{misfire_policy::once, 1},
                                   expectation{misfire_policy::all, 10},
                                   expectation{misfire_policy::skip, 0}}) {
    INFO(to_string(policy));
    clock = std::make_shared<manual_clock>(floor_ms(wall_start));
    auto srv = start_manual();
    schedule_every(srv, "away", hour, policy);
    advance_by(srv, 10 * hour);
    auto [w, box] = collector();
    register_name(srv, "away", w);
    sched.run();
    CHECK(box->size() == delivered);
    for (const auto& r : *box)
      CHECK(r.msg.deadline_ms <= start_ms() + 10 * hour);
  }
}

TEST_CASE_METHOD(manual, "an acknowledgement deadline passes when the clock is advanced past it") {
  auto srv = start_manual();
  auto [first, box_first] = collector();
  auto [second, box_second] = collector();
  join(srv, "workers", first, 1000);
  join(srv, "workers", second, 1000);
  schedule(srv, "workers", 100, "job");
  advance_by(srv, 100);
  sched.run();
  REQUIRE(box_first->size() == 1);
  CHECK(stats(srv).unacked == 1);
  // Real time alone changes nothing.
  advance(std::chrono::seconds{5});
  advance_by(srv, 999);
  sched.run();
  CHECK(box_second->empty());
  advance_by(srv, 1);
  sched.run();
  REQUIRE(box_second->size() == 1);
  CHECK(box_second->at(0).msg.deadline_ms == start_ms() + 100);
  CHECK(stats(srv).redelivered == 1);
  // Acknowledged, it stays done however far the clock goes.
  const auto& t = box_second->at(0).msg;
  REQUIRE(call<caf::ok_atom>(srv, ack_atom::value, t.token, t.deadline_ms));
  advance_by(srv, day);
  sched.run();
  CHECK(box_first->size() == 1);
  CHECK(box_second->size() == 1);
  CHECK(stats(srv).unacked == 0);
}

TEST_CASE_METHOD(manual, "a long advance goes in slices and answers once all came due") {
  auto srv = start_manual();
  auto [w, box] = collector();
  register_name(srv, "fast", w);
  schedule_every(srv, "fast", 1, misfire_policy::all);
  // 5,000 deliveries: many slices of the actor's turn.
  auto shown = advance_by(srv, 5000);
  sched.run();
  CHECK(shown.now_ms == start_ms() + 5000);
  REQUIRE(box->size() == 5000);
  CHECK(std::is_sorted(box->begin(), box->end(), [](const auto& a, const auto& b) {
    return a.msg.deadline_ms < b.msg.deadline_ms;
  }));
  CHECK(box->back().msg.deadline_ms == start_ms() + 5000);
}

TEST_CASE_METHOD(manual, "the clock only goes forward, and the system clock is not for moving") {
  auto srv = start_manual();
  auto back = call<clock_info>(srv, clock_atom::value, set_atom::value, start_ms() - 1);
  REQUIRE_FALSE(back);
  CHECK(code_of(back.error()) == errc::invalid_argument);
  auto negative = call<clock_info>(srv, clock_atom::value, advance_atom::value, std::int64_t{-1});
  REQUIRE_FALSE(negative);
  auto past_9999 = call<clock_info>(srv, clock_atom::value, advance_atom::value,
                                    max_deadline_ms);
  REQUIRE_FALSE(past_9999);
  CHECK(call<clock_info>(srv, clock_atom::value)->now_ms == start_ms());

  auto real = start();
  auto shown = call<clock_info>(real, clock_atom::value);
  REQUIRE(shown);
  CHECK_FALSE(shown->manual);
  for (auto refused : {call<clock_info>(real, clock_atom::value, advance_atom::value,
                                        std::int64_t{1000}),
                       call<clock_info>(real, clock_atom::value, auto_skip_atom::value, true)}) {
    REQUIRE_FALSE(refused);
    CHECK(code_of(refused.error()) == errc::invalid_argument);
  }
  CHECK_FALSE(stats(real).manual_clock);
}

TEST_CASE_METHOD(manual, "a server on a manual clock refuses a state file") {
  auto c = config("state/never.json");
  c.manual = clock;
  auto srv = spawn_server(sys, c);
  REQUIRE_FALSE(srv);
  CHECK(srv.error().code == errc::invalid_argument);
}
