// Consumer groups: several actors join one name and share its timeouts; with
// acknowledgements, a delivery not acknowledged in time goes to another member.

#include "../support/actor_fixture.hpp"
#include "../support/temp_dir.hpp"

#include <set>
#include <tuple>

using namespace chronos;
using namespace std::chrono_literals;
using test::payloads;

namespace {

struct groups : test::actor_fixture {
  /// A member that acknowledges each delivery to `srv` (and records it).
  std::pair<caf::actor, test::inbox> acker(const chronos_api& srv) {
    auto box = std::make_shared<std::vector<test::received>>();
    auto a = sys.spawn(
      [](caf::event_based_actor*, test::inbox box, chronos_api srv) -> caf::behavior {
        return {[=](const chronos_timeout& t) {
          box->push_back({t, {}});
          caf::anon_send(srv, ack_atom::value, t.token, t.deadline_ms);
        }};
      },
      box, srv);
    spawned.push_back(a.address());
    return {a, box};
  }

  /// Three recording members of "workers", without acknowledgements.
  std::vector<std::pair<caf::actor, test::inbox>> three_workers(const chronos_api& srv) {
    std::vector<std::pair<caf::actor, test::inbox>> members;
    for (int i = 0; i < 3; ++i) {
      members.push_back(collector());
      join(srv, "workers", members.back().first);
    }
    return members;
  }
};

std::set<std::string> all_payloads(std::initializer_list<test::inbox> boxes) {
  std::set<std::string> out;
  for (const auto& box : boxes)
    for (const auto& p : payloads(box))
      out.insert(p);
  return out;
}

} // namespace

TEST_CASE_METHOD(groups, "a group's members take turns, each timeout going to exactly one") {
  auto srv = start();
  auto members = three_workers(srv);
  auto [box_a, box_b, box_c] = std::tuple{members[0].second, members[1].second, members[2].second};
  for (int i = 0; i < 6; ++i)
    schedule(srv, "workers", 100 + i, "job-" + std::to_string(i));
  advance(1s);
  CHECK(box_a->size() == 2);
  CHECK(box_b->size() == 2);
  CHECK(box_c->size() == 2);
  CHECK(all_payloads({box_a, box_b, box_c}).size() == 6);
  CHECK(stats(srv).names == 1);
}

TEST_CASE_METHOD(groups, "a member that goes down or leaves is skipped") {
  auto srv = start();
  auto members = three_workers(srv);
  auto [box_a, box_b, box_c] = std::tuple{members[0].second, members[1].second, members[2].second};
  const auto c = members[2].first;
  caf::anon_send_exit(members[1].first, caf::exit_reason::kill);
  sched.run();
  REQUIRE(call<caf::ok_atom>(srv, leave_atom::value, std::string{"workers"}, c));
  for (int i = 0; i < 4; ++i)
    schedule(srv, "workers", 100, "job-" + std::to_string(i));
  advance(1s);
  CHECK(box_a->size() == 4);
  CHECK(box_b->empty());
  CHECK(box_c->empty());
  auto again = call<caf::ok_atom>(srv, leave_atom::value, std::string{"workers"}, c);
  REQUIRE_FALSE(again);
  CHECK(code_of(again.error()) == errc::unknown_name);
}

TEST_CASE_METHOD(groups, "a name is one actor's or a group's, and a group has one ack time") {
  auto srv = start();
  auto [a, box_a] = collector();
  auto [b, box_b] = collector();
  register_name(srv, "solo", a);
  auto joined = call<caf::ok_atom>(srv, join_atom::value, std::string{"solo"}, b, std::int64_t{0});
  REQUIRE_FALSE(joined);
  CHECK(code_of(joined.error()) == errc::name_in_use);
  join(srv, "team", a, 500);
  auto registered = call<caf::ok_atom>(srv, register_atom::value, std::string{"team"}, b);
  REQUIRE_FALSE(registered);
  CHECK(code_of(registered.error()) == errc::name_in_use);
  auto other_ack = call<caf::ok_atom>(srv, join_atom::value, std::string{"team"}, b, std::int64_t{900});
  REQUIRE_FALSE(other_ack);
  CHECK(describe(other_ack.error()).find("within 500 ms") != std::string::npos);
  auto bad_ack = call<caf::ok_atom>(srv, join_atom::value, std::string{"x"}, b, std::int64_t{-1});
  REQUIRE_FALSE(bad_ack);
  CHECK(code_of(bad_ack.error()) == errc::invalid_argument);
}

TEST_CASE_METHOD(groups, "a delivery not acknowledged in time goes to another member") {
  auto srv = start();
  auto [silent, box_silent] = collector(); // never acknowledges
  join(srv, "workers", silent, 1000);
  auto [acking, box_acking] = acker(srv);
  join(srv, "workers", acking, 1000);
  schedule(srv, "workers", 100, "job");
  advance(100ms);
  REQUIRE(box_silent->size() == 1); // its turn first
  CHECK(box_acking->empty());
  CHECK(stats(srv).unacked == 1);
  CHECK(stats(srv).parked == 1); // parked while it waits: it survives a restart
  advance(999ms);
  CHECK(box_acking->empty());
  advance(1ms);
  REQUIRE(box_acking->size() == 1);
  CHECK(box_acking->at(0).msg == box_silent->at(0).msg); // the same occurrence
  auto s = stats(srv);
  CHECK(s.unacked == 0);
  CHECK(s.parked == 0);
  CHECK(s.redelivered == 1);
  advance(5s);
  CHECK(box_silent->size() == 1);
  CHECK(box_acking->size() == 1);
}

TEST_CASE_METHOD(groups, "an acknowledgement must match a delivery that waits for one") {
  auto srv = start();
  auto [silent, box] = collector();
  join(srv, "workers", silent, 1000);
  schedule(srv, "workers", 100, "job");
  advance(100ms);
  REQUIRE(box->size() == 1);
  const auto t = box->at(0).msg;
  auto wrong = call<caf::ok_atom>(srv, ack_atom::value, t.token, t.deadline_ms + 1);
  REQUIRE_FALSE(wrong);
  CHECK(code_of(wrong.error()) == errc::unknown_token);
  REQUIRE(call<caf::ok_atom>(srv, ack_atom::value, t.token, t.deadline_ms));
  auto twice = call<caf::ok_atom>(srv, ack_atom::value, t.token, t.deadline_ms);
  REQUIRE_FALSE(twice);
  CHECK(stats(srv).parked == 0);
  // A timeout parked for an absent name is not "acknowledged" away.
  auto tok = schedule(srv, "nobody", 10);
  advance(10ms);
  auto sneaky = call<caf::ok_atom>(srv, ack_atom::value, tok, to_epoch_ms(floor_ms(wall_now())));
  REQUIRE_FALSE(sneaky);
  CHECK(stats(srv).parked == 1);
}

TEST_CASE_METHOD(groups, "a member that goes down hands its unacknowledged delivery on at once") {
  auto srv = start();
  auto [doomed, box_doomed] = collector();
  join(srv, "workers", doomed, 60'000);
  auto [acking, box_acking] = acker(srv);
  join(srv, "workers", acking, 60'000);
  schedule(srv, "workers", 100, "job");
  advance(100ms);
  REQUIRE(box_doomed->size() == 1);
  caf::anon_send_exit(doomed, caf::exit_reason::kill);
  sched.run();
  CHECK(payloads(box_acking) == std::vector<std::string>{"job"});
  CHECK(stats(srv).parked == 0);
}

TEST_CASE_METHOD(groups, "what waits unacknowledged survives a restart and goes to the next member") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  {
    auto srv = start(path);
    auto [silent, box] = collector();
    join(srv, "workers", silent, 1000);
    schedule(srv, "workers", 100, "job");
    advance(100ms);
    REQUIRE(box->size() == 1);
    caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
    sched.run();
  }
  auto srv = start(path);
  auto [acking, box] = acker(srv);
  join(srv, "workers", acking, 1000);
  sched.run();
  CHECK(payloads(box) == std::vector<std::string>{"job"});
  CHECK(stats(srv).parked == 0);
}
