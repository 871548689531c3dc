#include "../support/actor_fixture.hpp"
#include "../support/temp_dir.hpp"

#include <map>
#include <tuple>

#include "chronos/store/state_file.hpp"

using namespace chronos;
using namespace std::chrono_literals;
using test::payloads;

namespace {

timeout at_offset(const test::actor_fixture& fx, std::int64_t ms, std::uint64_t id,
                  std::string name, std::string payload, std::int64_t interval_ms = 0) {
  return timeout{floor_ms(fx.wall_start) + millis{ms}, token{1, id}, std::move(name),
                 std::move(payload), millis{interval_ms}};
}

} // namespace

TEST_CASE_METHOD(test::actor_fixture, "a restored backlog is delivered in deadline order on register") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  snapshot s;
  s.pending = {at_offset(*this, -3'600'000, 3, "w", "an hour ago"),
               at_offset(*this, -60'000, 1, "w", "a minute ago"),
               at_offset(*this, -60'000, 2, "w", "a minute ago, too"),
               at_offset(*this, 500, 4, "w", "soon"),
               at_offset(*this, -10, 5, "other", "not mine")};
  s.parked = {at_offset(*this, -7'200'000, 6, "w", "parked two hours ago")};
  REQUIRE(save_state(path, s));
  auto srv = start(path);
  CHECK(stats(srv).parked == 5);
  auto [client, box] = collector();
  register_name(srv, "w", client);
  sched.run();
  CHECK(payloads(box) == std::vector<std::string>{"parked two hours ago", "an hour ago",
                                                  "a minute ago", "a minute ago, too"});
  advance(500ms);
  CHECK(payloads(box).back() == "soon");
  CHECK(stats(srv).parked == 1);
}

TEST_CASE_METHOD(test::actor_fixture,
                 "a large backlog is taken in slices: requests are served before it is through") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  constexpr int backlog = 5000;
  snapshot s;
  std::vector<std::string> expected;
  for (int i = 0; i < backlog; ++i) {
    s.pending.push_back(at_offset(*this, -1'000'000 + i, static_cast<std::uint64_t>(i) + 1, "w",
                                  std::to_string(i)));
    expected.push_back(std::to_string(i));
  }
  REQUIRE(save_state(path, s));
  auto srv = spawn_server(sys, config(path));
  REQUIRE(srv);
  spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
  // Both wait in the mailbox while the actor starts on the backlog.
  auto [client, box] = collector();
  auto asked = self->request(*srv, caf::infinite, stats_atom::value);
  auto registered = self->request(*srv, caf::infinite, register_atom::value, std::string{"w"}, client);
  sched.run();
  asked.receive(
    [&](const stats_info& during) {
      CHECK(during.parked > 0);
      CHECK(during.pending > 0);
      CHECK(during.parked + during.pending == backlog);
    },
    [](const caf::error& e) { FAIL(caf::to_string(e)); });
  registered.receive([](caf::ok_atom) {}, [](const caf::error& e) { FAIL(caf::to_string(e)); });
  // What was parked before the name came, then the rest: oldest first.
  CHECK(payloads(box) == expected);
  const auto after = stats(*srv);
  CHECK(after.pending == 0);
  CHECK(after.parked == 0);
}

TEST_CASE_METHOD(test::actor_fixture, "a recurring timeout overdue by many periods fires once after restore") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  snapshot s;
  s.pending = {at_offset(*this, -10'500, 1, "w", "tick", 1000)};
  REQUIRE(save_state(path, s));
  auto srv = start(path);
  auto [client, box] = collector();
  register_name(srv, "w", client);
  sched.run();
  REQUIRE(box->size() == 1);
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(ms_since_start(rows->at(0).deadline_ms) == 500);
  advance(500ms);
  CHECK(box->size() == 2);
}

TEST_CASE_METHOD(test::actor_fixture, "an orderly shutdown saves the state and a restart continues it") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  auto srv = start(path);
  auto tok = schedule(srv, "w", 60'000, "later", 0);
  schedule(srv, "w", 10, "parked");
  advance(10ms);
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  sched.run();
  auto saved = load_state(path);
  REQUIRE(saved);
  REQUIRE(saved->pending.size() == 1);
  CHECK(saved->pending[0].token.str() == tok);
  REQUIRE(saved->parked.size() == 1);
  CHECK(saved->parked[0].payload == "parked");

  auto again = start(path);
  auto [client, box] = collector();
  register_name(again, "w", client);
  sched.run();
  CHECK(payloads(box) == std::vector<std::string>{"parked"});
  advance(60s);
  CHECK(payloads(box) == std::vector<std::string>{"parked", "later"});
  CHECK_FALSE(call<caf::ok_atom>(again, cancel_atom::value, tok)); // fired: gone
}

TEST_CASE_METHOD(test::actor_fixture, "a corrupt state file stops the start and stays unchanged") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  for (std::string bad : {std::string{"{\"format\": \"chronos-state\", \"version\": 1, \"timeo"},
                          std::string{"{\"format\": \"chronos-state\", \"version\": 9, "
                                      "\"timeouts\": [], \"parked\": []}"},
                          std::string{"\x00\x01garbage", 9}}) {
    test::spit(path, bad);
    auto srv = spawn_server(sys, config(path));
    REQUIRE_FALSE(srv);
    CHECK(srv.error().code == errc::storage_failure);
    CHECK(srv.error().detail.find(path) != std::string::npos);
    CHECK(test::slurp(path) == bad);
  }
}

TEST_CASE_METHOD(test::actor_fixture, "a missing state file is an empty start") {
  test::temp_dir dir;
  auto srv = start(dir.file("chronos.json"));
  CHECK(stats(srv).pending == 0);
}

TEST_CASE_METHOD(test::actor_fixture, "after a restart each misfire policy catches up as it says") {
  test::temp_dir dir;
  auto path = dir.file("chronos.json");
  snapshot s;
  for (auto [id, name, policy] : {std::tuple{1, "once", misfire_policy::once},
                                  std::tuple{2, "all", misfire_policy::all},
                                  std::tuple{3, "skip", misfire_policy::skip}}) {
    s.pending.push_back(at_offset(*this, -10'500, static_cast<std::uint64_t>(id), name, name, 1000));
    s.pending.back().misfire = policy;
  }
  REQUIRE(save_state(path, s));
  auto srv = start(path);
  std::map<std::string, test::inbox> boxes;
  for (const std::string name : {"once", "all", "skip"}) {
    auto [client, box] = collector();
    register_name(srv, name, client);
    boxes[name] = box;
  }
  sched.run();
  CHECK(boxes["once"]->size() == 1);
  CHECK(boxes["skip"]->empty());
  REQUIRE(boxes["all"]->size() == 11); // -10.5 s, -9.5 s, ... -0.5 s
  for (std::size_t i = 0; i < 11; ++i)
    CHECK(ms_since_start(boxes["all"]->at(i).msg.deadline_ms) == -10'500 + 1000 * std::int64_t(i));
  CHECK(stats(srv).skipped == 10 + 11);
  advance(500ms); // back on schedule: every policy delivers
  for (const std::string name : {"once", "all", "skip"})
    CHECK(ms_since_start(boxes[name]->back().msg.deadline_ms) == 500);
}
