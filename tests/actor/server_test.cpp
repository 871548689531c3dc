#include "../support/actor_fixture.hpp"

#include <sys/prctl.h>

#include "chronos/net/scheduler_tuning.hpp"
#include "server/internal_messages.hpp"

using namespace chronos;
using namespace std::chrono_literals;
using test::payloads;

namespace {

std::vector<std::int64_t> deadlines_after_start(const test::actor_fixture& fx,
                                                const test::inbox& box) {
  std::vector<std::int64_t> out;
  for (const auto& r : *box)
    out.push_back(fx.ms_since_start(r.msg.deadline_ms));
  return out;
}

void check_never_early(const test::inbox& box) {
  for (const auto& r : *box)
    CHECK(to_epoch_ms(floor_ms(r.at)) >= r.msg.deadline_ms);
}

} // namespace

TEST_CASE_METHOD(test::actor_fixture, "timeouts across minutes and hours arrive in deadline order") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 2 * 3'600'000, "2h");
  schedule(srv, "w", 90'000, "90s");
  schedule(srv, "w", 250, "250ms");
  schedule(srv, "w", 59 * 60'000, "59m");
  advance(59min);
  CHECK(payloads(box) == std::vector<std::string>{"250ms", "90s", "59m"});
  advance(61min);
  CHECK(payloads(box) == std::vector<std::string>{"250ms", "90s", "59m", "2h"});
  CHECK(deadlines_after_start(*this, box)
        == std::vector<std::int64_t>{250, 90'000, 59 * 60'000, 2 * 3'600'000});
  check_never_early(box);
}

TEST_CASE_METHOD(test::actor_fixture, "a timeout never fires before its deadline") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 1000, "x");
  advance(999ms);
  CHECK(box->empty());
  advance(1ms);
  REQUIRE(box->size() == 1);
  CHECK(box->at(0).msg.payload == "x");
  check_never_early(box);
}

TEST_CASE_METHOD(test::actor_fixture, "timeouts with the same deadline all fire, oldest first") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 500, "first");
  schedule(srv, "w", 500, "second");
  schedule(srv, "w", 500, "third");
  advance(500ms);
  CHECK(payloads(box) == std::vector<std::string>{"first", "second", "third"});
}

TEST_CASE_METHOD(test::actor_fixture, "a delivered timeout carries its token, name and payload") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto tok = schedule(srv, "w", 10, "hello");
  advance(10ms);
  REQUIRE(box->size() == 1);
  CHECK(box->at(0).msg.token == tok);
  CHECK(box->at(0).msg.name == "w");
  CHECK(box->at(0).msg.payload == "hello");
  CHECK(ms_since_start(box->at(0).msg.deadline_ms) == 10);
}

TEST_CASE_METHOD(test::actor_fixture, "cancelling the soonest timeout re-arms for the next") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto head = schedule(srv, "w", 100, "head");
  schedule(srv, "w", 200, "next");
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, head));
  advance(150ms);
  CHECK(box->empty());
  advance(50ms);
  CHECK(payloads(box) == std::vector<std::string>{"next"});
}

TEST_CASE_METHOD(test::actor_fixture, "cancelling a later timeout leaves the soonest alone") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 100, "head");
  auto later = schedule(srv, "w", 200, "later");
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, later));
  advance(1s);
  CHECK(payloads(box) == std::vector<std::string>{"head"});
  CHECK(stats(srv).cancelled == 1);
}

TEST_CASE_METHOD(test::actor_fixture, "cancel and reschedule of an unknown token are errors") {
  auto srv = start();
  auto bad = call<caf::ok_atom>(srv, cancel_atom::value, std::string{"nope"});
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == errc::unknown_token);
  CHECK(describe(bad.error()) == "unknown token 'nope'");
  auto tok = schedule(srv, "w", 10);
  advance(10ms); // fired (and parked: nobody holds "w"), then cancelled
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, tok));
  auto gone = call<caf::ok_atom>(srv, reschedule_atom::value, tok, when_spec::in(5));
  REQUIRE_FALSE(gone);
  CHECK(code_of(gone.error()) == errc::unknown_token);
}

TEST_CASE_METHOD(test::actor_fixture, "rescheduling earlier and later moves the wake-up") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto a = schedule(srv, "w", 1000, "a");
  auto b = schedule(srv, "w", 2000, "b");
  REQUIRE(call<caf::ok_atom>(srv, reschedule_atom::value, b, when_spec::in(100)));
  REQUIRE(call<caf::ok_atom>(srv, reschedule_atom::value, a, when_spec::in(3000)));
  advance(100ms);
  CHECK(payloads(box) == std::vector<std::string>{"b"});
  advance(2800ms);
  CHECK(payloads(box) == std::vector<std::string>{"b"});
  advance(100ms);
  CHECK(payloads(box) == std::vector<std::string>{"b", "a"});
  check_never_early(box);
}

TEST_CASE_METHOD(test::actor_fixture, "a recurring timeout keeps its token and repeats") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  auto tok = schedule(srv, "w", 100, "tick", 100);
  for (int i = 0; i < 5; ++i)
    advance(100ms);
  REQUIRE(box->size() == 5);
  for (const auto& r : *box)
    CHECK(r.msg.token == tok);
  CHECK(deadlines_after_start(*this, box) == std::vector<std::int64_t>{100, 200, 300, 400, 500});
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, tok));
  advance(1s);
  CHECK(box->size() == 5);
}

TEST_CASE_METHOD(test::actor_fixture, "a timeout for an unregistered name is parked, then delivered on register") {
  auto srv = start();
  schedule(srv, "late", 200, "second");
  schedule(srv, "late", 100, "first");
  advance(1s);
  auto s = stats(srv);
  CHECK(s.parked == 2);
  CHECK(s.fired == 2);
  CHECK(s.delivered == 0);
  auto [client, box] = collector();
  register_name(srv, "late", client);
  sched.run();
  CHECK(payloads(box) == std::vector<std::string>{"first", "second"});
  CHECK(stats(srv).parked == 0);
}

TEST_CASE_METHOD(test::actor_fixture, "a name held by a live actor is refused") {
  auto srv = start();
  auto [first, box1] = collector();
  auto [second, box2] = collector();
  register_name(srv, "w", first);
  register_name(srv, "w", first); // the same actor again: fine
  auto taken = call<caf::ok_atom>(srv, register_atom::value, std::string{"w"}, second);
  REQUIRE_FALSE(taken);
  CHECK(code_of(taken.error()) == errc::name_in_use);
  auto empty = call<caf::ok_atom>(srv, register_atom::value, std::string{}, second);
  REQUIRE_FALSE(empty);
  CHECK(code_of(empty.error()) == errc::invalid_argument);
}

TEST_CASE_METHOD(test::actor_fixture, "when a registered actor dies its name is freed and its timeouts wait") {
  auto srv = start();
  auto [first, box1] = collector();
  register_name(srv, "w", first);
  schedule(srv, "w", 100, "while-down");
  caf::anon_send_exit(first, caf::exit_reason::kill);
  sched.run();
  advance(100ms);
  CHECK(box1->empty());
  CHECK(stats(srv).parked == 1);
  CHECK(stats(srv).names == 0);
  auto [second, box2] = collector();
  register_name(srv, "w", second);
  sched.run();
  CHECK(payloads(box2) == std::vector<std::string>{"while-down"});
}

TEST_CASE_METHOD(test::actor_fixture, "an unregistered name parks its timeouts, unknown names are errors") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  REQUIRE(call<caf::ok_atom>(srv, unregister_atom::value, std::string{"w"}));
  schedule(srv, "w", 10, "x");
  advance(10ms);
  CHECK(box->empty());
  CHECK(stats(srv).parked == 1);
  auto again = call<caf::ok_atom>(srv, unregister_atom::value, std::string{"w"});
  REQUIRE_FALSE(again);
  CHECK(code_of(again.error()) == errc::unknown_name);
}

TEST_CASE_METHOD(test::actor_fixture, "stale wake-ups are ignored") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 1000, "x");
  // Make the timeout due by the wall clock alone; CAF's clock has not moved,
  // so only a forged (stale) wake-up could deliver it now.
  skew = 5s;
  for (std::uint64_t generation : {0u, 7u, 1000u})
    caf::anon_send(caf::actor_cast<detail::server_impl_api>(srv), detail::wakeup_msg{generation});
  sched.run();
  CHECK(box->empty());
  advance(1s);
  CHECK(payloads(box) == std::vector<std::string>{"x"});
}

TEST_CASE_METHOD(test::actor_fixture, "a wake-up that finds nothing due after a clock step re-arms") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 1000, "x");
  skew = -500ms; // the wall clock was stepped back
  advance(1s);
  CHECK(box->empty());
  advance(499ms);
  CHECK(box->empty());
  advance(1ms);
  CHECK(payloads(box) == std::vector<std::string>{"x"});
  check_never_early(box);
}

TEST_CASE_METHOD(test::actor_fixture, "bad schedule requests get an error reply and the server keeps going") {
  auto srv = start();
  auto bad = call<std::string>(srv, schedule_atom::value,
                               schedule_request{"w", when_spec::in(-3000), "", 0});
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == errc::invalid_argument);
  CHECK(describe(bad.error()) == "negative delay");
  // A message outside the interface, as a remote peer could send it.
  auto untyped = caf::actor_cast<caf::actor>(srv);
  auto rh = self->request(untyped, caf::infinite, std::string{"not a request"});
  sched.run();
  bool refused = false;
  rh.receive([](caf::message&) {}, [&](caf::error& e) { refused = e == caf::sec::unexpected_message; });
  CHECK(refused);
  schedule(srv, "w", 10);
  CHECK(stats(srv).pending == 1);
}

TEST_CASE_METHOD(test::actor_fixture, "list shows pending and parked timeouts in deadline order") {
  auto srv = start();
  auto a = schedule(srv, "a", 300, "pa", 1000);
  auto b = schedule(srv, "b", 100, "pb");
  auto c = schedule(srv, "a", 200);
  advance(100ms); // b is due and parked: nobody holds "b"
  auto all = call<timeout_list>(srv, list_atom::value);
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].token == b);
  CHECK((*all)[0].parked);
  CHECK((*all)[1].token == c);
  CHECK((*all)[2].token == a);
  CHECK((*all)[2].interval_ms == 1000);
  CHECK((*all)[2].payload == "pa");
  auto of_a = call<timeout_list>(srv, list_atom::value, std::string{"a"});
  REQUIRE(of_a);
  CHECK(of_a->size() == 2);
}

TEST_CASE_METHOD(test::actor_fixture, "stats count what happened") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  schedule(srv, "w", 10);
  auto tok = schedule(srv, "w", 20);
  schedule(srv, "x", 30);
  REQUIRE(call<caf::ok_atom>(srv, cancel_atom::value, tok));
  advance(100ms);
  auto s = stats(srv);
  CHECK(s.scheduled == 3);
  CHECK(s.cancelled == 1);
  CHECK(s.fired == 2);
  CHECK(s.delivered == 1);
  CHECK(s.parked == 1);
  CHECK(s.pending == 0);
  CHECK(s.names == 1);
  CHECK(s.lateness_count == 1);
}

TEST_CASE_METHOD(test::actor_fixture, "a batch of schedules answers its tokens in request order") {
  auto srv = start();
  auto [client, box] = collector();
  register_name(srv, "w", client);
  std::vector<schedule_request> batch{{"w", when_spec::in(300), "c", 0},
                                      {"w", when_spec::in(100), "a", 0},
                                      {"w", when_spec::in(200), "b", 0}};
  auto toks = call<token_list>(srv, schedule_atom::value, batch);
  REQUIRE(toks);
  REQUIRE(toks->size() == 3);
  advance(300ms);
  CHECK(payloads(box) == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(box->size() == 3);
  CHECK(box->at(0).msg.token == (*toks)[1]);
  batch.push_back({"w", when_spec::in(-1), "bad", 0});
  auto refused = call<token_list>(srv, schedule_atom::value, batch);
  REQUIRE_FALSE(refused);
  CHECK(describe(refused.error()) == "request 3: negative delay");
  CHECK(stats(srv).pending == 0);
}

TEST_CASE_METHOD(test::actor_fixture,
                 "while more requests wait than max_queued, schedules and lists are refused as overloaded") {
  auto cfg = config();
  cfg.limits.max_queued = 3;
  auto srv = spawn_server(sys, cfg);
  REQUIRE(srv);
  spawned.push_back(caf::actor_cast<caf::actor_addr>(*srv));
  sched.run();
  const auto req = schedule_request{"a", when_spec::in(1000), "", 0};
  // Six schedules queued at once: the first two find more than three behind them.
  std::vector<caf::expected<std::string>> replies;
  std::vector<decltype(self->request(*srv, caf::infinite, schedule_atom::value, req))> pending;
  for (int i = 0; i < 6; ++i)
    pending.push_back(self->request(*srv, caf::infinite, schedule_atom::value, req));
  sched.run();
  for (auto& rh : pending)
    rh.receive([&](std::string& tok) { replies.emplace_back(std::move(tok)); },
               [&](caf::error& e) { replies.emplace_back(std::move(e)); });
  REQUIRE(replies.size() == 6);
  for (int i = 0; i < 2; ++i) {
    REQUIRE_FALSE(replies[i]);
    CHECK(code_of(replies[i].error()) == errc::overloaded);
    CHECK(describe(replies[i].error()).find("try again later") != std::string::npos);
  }
  for (int i = 2; i < 6; ++i)
    CHECK(replies[i]);
  // Lists too; a cancel is served (it drains the load).
  std::vector<decltype(self->request(*srv, caf::infinite, list_atom::value))> lists;
  for (int i = 0; i < 4; ++i)
    lists.push_back(self->request(*srv, caf::infinite, list_atom::value));
  auto cancel = self->request(*srv, caf::infinite, cancel_atom::value, *replies[2]);
  sched.run();
  bool refused_list = false;
  lists[0].receive([](timeout_list&) {},
                   [&](caf::error& e) { refused_list = code_of(e) == errc::overloaded; });
  CHECK(refused_list);
  for (std::size_t i = 1; i < lists.size(); ++i)
    lists[i].receive([](timeout_list& l) { CHECK(l.size() == 4); }, // the cancel comes after
                     [](caf::error& e) { FAIL(describe(e)); });
  cancel.receive([](caf::ok_atom) {}, [](caf::error& e) { FAIL(describe(e)); });
  // Nothing refused was half done.
  CHECK(stats(*srv).pending == 3);
}

TEST_CASE("tighten_timer_slack gives the actor system's threads a slack of 1 ns") {
  CHECK(::prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL) > 1); // Linux's default: 50 us
  tighten_timer_slack();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // A CAF worker thread, started after the call, reports its own slack.
  auto probe = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {[](int) { return static_cast<int>(::prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL)); }};
  }, 0);
  caf::scoped_actor self{sys};
  self->request(probe, caf::infinite, 0)
    .receive([](int slack) { CHECK(slack == 1); }, [](const caf::error& e) { FAIL(caf::to_string(e)); });
}

TEST_CASE("tune_scheduler leaves idle CAF workers no sleeping polls, and chronos serves on it") {
  caf::actor_system_config cfg;
  register_types(cfg);
  const std::string key = "work-stealing.moderate-poll-attempts";
  CHECK(caf::get_or(cfg, key, std::int64_t{-1}) == -1); // CAF's default: 500
  tune_scheduler(cfg);
  caf::actor_system sys{cfg};
  CHECK(caf::get_or(sys.config(), key, std::int64_t{-1}) == 0);
  auto srv = spawn_server(sys, server_config{});
  REQUIRE(srv);
  caf::scoped_actor self{sys};
  self->request(*srv, caf::infinite, schedule_atom::value,
                schedule_request{"w", when_spec::in(60'000), "", 0})
    .receive([](const std::string& tok) { CHECK_FALSE(tok.empty()); },
             [](const caf::error& e) { FAIL(caf::to_string(e)); });
  caf::anon_send_exit(*srv, caf::exit_reason::user_shutdown);
}
