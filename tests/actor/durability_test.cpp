#include "../support/actor_fixture.hpp"
#include "../support/temp_dir.hpp"
#include "../support/tiny_disk.hpp"

#include "chronos/store/journal.hpp"
#include "chronos/store/state_file.hpp"

using namespace chronos;
using namespace std::chrono_literals;
using test::payloads;

namespace {

// Ends the actor the way a crash would: no exit handler, no final snapshot.
void crash(test::actor_fixture& fx, const chronos_api& srv) {
  caf::anon_send_exit(srv, caf::exit_reason::kill);
  fx.sched.run();
}

} // namespace

TEST_CASE_METHOD(test::actor_fixture, "acknowledged changes survive a crash") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto srv = start(path);
  auto kept = schedule(srv, "w", 60'000, "kept");
  auto gone = schedule(srv, "w", 30'000, "cancelled");
  auto moved = schedule(srv, "w", 90'000, "moved");
  schedule(srv, "w", 10, "fired-and-parked");
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, gone));
  REQUIRE(call<caf::ok_atom>(srv, reschedule_atom::value, moved, when_spec::in(20'000)));
  advance(10ms);
  crash(*this, srv);

  auto again = start(path);
  auto rows = call<timeout_list>(again, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].payload == "fired-and-parked");
  CHECK((*rows)[0].parked);
  CHECK((*rows)[1].token == moved);
  CHECK(ms_since_start((*rows)[1].deadline_ms) == 20'000);
  CHECK((*rows)[2].token == kept);
}

TEST_CASE_METHOD(test::actor_fixture, "changes that change nothing are answered at once when every change is fsynced") {
  test::temp_dir dir;
  auto srv = start(dir.file("chronos.json"));
  auto kept = schedule(srv, "w", 60'000, "kept");
  auto by_name = reply_by_idle<std::uint64_t>(srv, cancel_atom::value, name_selector{"nobody"});
  REQUIRE(by_name);
  REQUIRE(*by_name);
  CHECK(**by_name == 0);
  auto by_namespace = reply_by_idle<std::uint64_t>(srv, cancel_atom::value, name_selector{"ns/"});
  REQUIRE(by_namespace);
  REQUIRE(*by_namespace);
  CHECK(**by_namespace == 0);
  auto no_tokens = reply_by_idle<caf::ok_atom>(srv, cancel_atom::value, std::vector<std::string>{});
  REQUIRE(no_tokens);
  CHECK(*no_tokens);
  CHECK(stats(srv).pending == 1);
}

TEST_CASE_METHOD(test::actor_fixture, "after a replay chronos serves first, then compacts into a snapshot") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto srv = start(path);
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i)
    tokens.push_back(schedule(srv, "w", 60'000 + i, "p" + std::to_string(i)));
  crash(*this, srv);
  REQUIRE(*list_journals(path) == std::vector<std::uint64_t>{0});

  auto again = start(path); // runs the actor until idle: the compaction too
  CHECK(stats(again).compactions == 1);
  auto gens = list_journals(path);
  REQUIRE(gens->size() == 1);
  auto snap = load_state(path);
  REQUIRE(snap);
  CHECK(snap->generation == gens->front());
  CHECK(snap->pending.size() == 5);
  // The files hold everything after another crash, and nothing is stale now.
  crash(*this, again);
  auto third = start(path);
  CHECK(stats(third).pending == 5);
  CHECK(stats(third).compactions == 0);
}

TEST_CASE_METHOD(test::actor_fixture, "a delivered one-shot stays delivered after a crash") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto srv = start(path);
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 10, "once");
  advance(10ms);
  REQUIRE(payloads(box) == std::vector<std::string>{"once"});
  crash(*this, srv);
  // The fire record is committed right after the delivery; had the crash come
  // between the two, it would be delivered again (at-least-once), never lost.
  auto again = start(path);
  auto s = stats(again);
  CHECK(s.pending == 0);
  CHECK(s.parked == 0);
}

// One turn's records interleave: each timeout's fire (or rearm), then its
// park where its name has no actor, before the next is taken.
TEST_CASE_METHOD(test::actor_fixture, "a turn that delivers and parks by turns replays after a crash") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto srv = start(path);
  auto [client, box] = collector();
  register_name(srv, "here", client);
  schedule(srv, "here", 10, "sent-1");
  schedule(srv, "away", 11, "parked-1");
  schedule(srv, "here", 12, "sent-2");
  auto every = schedule(srv, "away", 13, "parked-recurring", 1000);
  schedule(srv, "away", 14, "parked-2");
  schedule(srv, "here", 5000, "pending");
  advance(20ms); // one turn: all five are due
  REQUIRE(payloads(box) == std::vector<std::string>{"sent-1", "sent-2"});
  crash(*this, srv);

  auto again = start(path);
  auto rows = call<timeout_list>(again, list_atom::value);
  REQUIRE(rows);
  std::vector<std::string> parked, pending;
  for (const auto& row : *rows)
    (row.parked ? parked : pending).push_back(row.payload);
  CHECK(parked == std::vector<std::string>{"parked-1", "parked-recurring", "parked-2"});
  CHECK(pending == std::vector<std::string>{"parked-recurring", "pending"});
  for (const auto& row : *rows)
    if (row.token == every && !row.parked)
      CHECK(ms_since_start(row.deadline_ms) == 1013);
}

TEST_CASE_METHOD(test::actor_fixture, "in shutdown mode there is no journal") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto c = config(path);
  c.mode = durability::shutdown;
  auto srv = spawn_server(sys, c);
  REQUIRE(srv);
  spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
  sched.run();
  schedule(*srv, "w", 1000);
  CHECK(list_journals(path)->empty());
}

TEST_CASE_METHOD(test::actor_fixture, "a full disk refuses changes, keeps reads, and recovers") {
  test::tiny_disk disk{"256k"};
  if (!disk.mounted()) {
    WARN("needs root to mount a tiny tmpfs; skipped");
    return;
  }
  const auto path = disk.file("chronos.json");
  auto srv = start(path);
  auto kept = schedule(srv, "w", 60'000, "kept");
  disk.fill();
  const std::string big(8000, 'x');
  auto refused = call<std::string>(srv, schedule_atom::value,
                                   schedule_request{"w", when_spec::in(1000), big, 0});
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == errc::storage_failure);
  // Reads go on; the refused change is not there; further changes are refused at once.
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].token == kept);
  auto cancel = call<caf::ok_atom>(srv, cancel_atom::value, kept);
  REQUIRE_FALSE(cancel);
  CHECK(code_of(cancel.error()) == errc::storage_failure);
  CHECK_FALSE(stats(srv).writable); // what `chronosctl health` reports

  disk.free();
  advance(1s); // the retry timer
  auto accepted = call<std::string>(srv, schedule_atom::value,
                                    schedule_request{"w", when_spec::in(1000), big, 0});
  CHECK(accepted);
  CHECK(stats(srv).writable);
  crash(*this, srv);
  auto again = start(path);
  CHECK(stats(again).pending == 2);
}

TEST_CASE_METHOD(test::actor_fixture, "a compacted journal leaves a snapshot that holds everything") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  auto c = config(path);
  c.compact_bytes = 2000; // a handful of records
  auto srv = spawn_server(sys, c);
  REQUIRE(srv);
  spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
  sched.run();
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i)
    tokens.push_back(schedule(*srv, "w", 60'000 + i, "p" + std::to_string(i)));
  REQUIRE(call<caf::ok_atom>(*srv, cancel_atom::value, tokens[3]));
  sched.run(); // the compaction's report (written on the actor's thread here)
  auto gens = list_journals(path);
  REQUIRE(gens->size() == 1);
  CHECK(gens->front() >= 1); // the start-up journal was 0
  auto snap = load_state(path);
  REQUIRE(snap);
  CHECK(snap->generation == gens->front());
  CHECK(snap->pending.size() > 0);
  crash(*this, *srv);
  auto again = start(path);
  auto rows = call<timeout_list>(again, list_atom::value);
  REQUIRE(rows);
  CHECK(rows->size() == 39);
}

TEST_CASE_METHOD(test::actor_fixture, "a durable reply follows the request's forwarding stages") {
  test::temp_dir dir;
  auto srv = start(dir.file("chronos.json"));
  // The reply goes out from the disk thread in a real system, not through
  // response_promise::deliver: it must still go to the next stage, with the
  // original sender and request id.
  auto seen = std::make_shared<std::vector<std::pair<std::string, caf::message_id>>>();
  auto relay = sys.spawn([](caf::event_based_actor* relay_self, decltype(seen) into) -> caf::behavior {
    return {[relay_self, into](const std::string& token) {
      into->emplace_back(token, relay_self->current_message_id());
    }};
  }, seen);
  spawned.push_back(relay.address());
  const auto id = self->new_request_id(caf::message_priority::normal);
  caf::actor_cast<caf::strong_actor_ptr>(srv)->enqueue(
    caf::make_mailbox_element(self->ctrl(), id, {caf::actor_cast<caf::strong_actor_ptr>(relay)},
                              schedule_atom::value,
                              schedule_request{"w", when_spec::in(60'000), "staged", 0}),
    nullptr);
  sched.run();
  REQUIRE(seen->size() == 1);
  CHECK(seen->front().second == id);
  auto rows = call<timeout_list>(srv, list_atom::value);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].token == seen->front().first);
}
