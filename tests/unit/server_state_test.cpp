#include <catch2/catch.hpp>

#include "../support/server_state_helpers.hpp"

using namespace chronos;
using namespace chronos::test;

namespace {

schedule_request in(std::string name, std::int64_t delay_ms, std::string payload = "",
                    std::int64_t interval_ms = 0) {
  return {std::move(name), when_spec::in(delay_ms), std::move(payload), interval_ms};
}

} // namespace

TEST_CASE("a relative schedule is due its delay after now") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 250), t0));
  CHECK(st.next_deadline() == at(250));
  CHECK(st.take_due(at(249)).empty());
  CHECK(deadlines(st.take_due(at(250))) == std::vector<std::int64_t>{250});
}

TEST_CASE("an absolute deadline in the past is accepted and due at once") {
  server_state st{token_generator{1}};
  schedule_request req{"a", when_spec::at(to_epoch_ms(t0) - 5000), "", 0};
  must(st.schedule(req, t0));
  CHECK(st.take_due(t0).size() == 1);
}

TEST_CASE("bad schedule requests are refused with a reason and change nothing") {
  server_state st{token_generator{1}, server_limits{8, 4, 2}};
  struct bad_case {
    schedule_request req;
    const char* why;
  };
  const std::vector<bad_case> cases{
    {in("", 1), "empty name"},
    {in("much-too-long", 1), "name longer"},
    {in("a\xff", 1), "name is not valid UTF-8"},
    {in("a\nb", 1), "control character at byte 1"},
    {in("a", 1, "12345"), "payload larger"},
    {in("a", 1, "\xc3"), "payload is not valid UTF-8"},
    {in("a", -1), "negative delay"},
    {in("a", max_deadline_ms), "after 9999"},
    {in("a", 1, "", -5), "negative repeat interval"},
    {{"a", when_spec::at(-1), "", 0}, "before 1970"},
  };
  for (const auto& c : cases) {
    auto tok = st.schedule(c.req, t0);
    INFO(c.why);
    REQUIRE_FALSE(tok);
    CHECK(tok.error().code == errc::invalid_argument);
    CHECK(tok.error().detail.find(c.why) != std::string::npos);
  }
  CHECK(st.stats().pending == 0);
  must(st.schedule(in("a", 1), t0));
  must(st.schedule(in("a", 1), t0));
  auto full = st.schedule(in("a", 1), t0);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == errc::limit_exceeded);
}

TEST_CASE("a new token that a timeout holds already is drawn again and both are kept") {
  for (const auto list : {snapshot_list::pending, snapshot_list::parked}) {
    INFO((list == snapshot_list::parked ? "held parked" : "held pending"));
    token_generator same{7};
    const token held = same.next(t0);
    const token fresh = same.next(t0);
    server_state st{token_generator{7}};
    REQUIRE(st.add(timeout{at(500), held, "held", "p"}, list));
    st.record_changes();
    CHECK(must(st.schedule(in("new", 250), t0)) == fresh.str());
    const auto changes = st.take_changes();
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].token == fresh);
    CHECK(changes[0].entry.token == fresh);
    const auto all = st.list();
    REQUIRE(all.size() == 2);
    CHECK(all[0].token == fresh.str());
    CHECK(all[0].name == "new");
    CHECK(all[1].token == held.str());
    CHECK(all[1].name == "held");
    CHECK(all[1].deadline_ms == to_epoch_ms(at(500)));
    CHECK(all[1].parked == (list == snapshot_list::parked));
  }
}

TEST_CASE("cancelling removes a pending timeout, an unknown token is an error") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 100), t0));
  REQUIRE(st.cancel(tok));
  CHECK_FALSE(st.next_deadline());
  CHECK(st.stats().cancelled == 1);
  auto again = st.cancel(tok);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::unknown_token);
  CHECK(st.cancel("not-a-token").error().code == errc::unknown_token);
}

TEST_CASE("a fired one-shot timeout is gone") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 10), t0));
  REQUIRE(st.take_due(at(10)).size() == 1);
  CHECK(st.cancel(tok).error().code == errc::unknown_token);
  CHECK(st.reschedule(tok, when_spec::in(5), at(10)).error().code == errc::unknown_token);
}

TEST_CASE("reschedule moves a timeout, bad deadlines are refused") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 1000), t0));
  REQUIRE(st.reschedule(tok, when_spec::in(100), t0));
  CHECK(st.next_deadline() == at(100));
  REQUIRE(st.reschedule(tok, when_spec::at(to_epoch_ms(at(5000))), t0));
  CHECK(st.next_deadline() == at(5000));
  CHECK(st.reschedule(tok, when_spec::in(-1), t0).error().code == errc::invalid_argument);
  CHECK(st.next_deadline() == at(5000));
}

TEST_CASE("a recurring timeout keeps its token and re-arms at deadline + interval") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 100, "tick", 100), t0));
  auto first = st.take_due(at(100));
  REQUIRE(first.size() == 1);
  CHECK(first[0].token.str() == tok);
  CHECK(st.next_deadline() == at(200));
  auto second = st.take_due(at(230)); // a little late: the period does not drift
  REQUIRE(second.size() == 1);
  CHECK(second[0].deadline == at(200));
  CHECK(st.next_deadline() == at(300));
  CHECK(st.list().at(0).prev_ms == to_epoch_ms(at(200)));
}

TEST_CASE("a recurring timeout late by several periods fires once and skips to the future") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 100, "", 100), t0));
  auto due = st.take_due(at(1050));
  CHECK(deadlines(due) == std::vector<std::int64_t>{100});
  CHECK(st.next_deadline() == at(1100));
}

TEST_CASE("a recurring deadline near the end of time is clamped, not overflowed") {
  server_state st{token_generator{1}};
  schedule_request req{"a", when_spec::at(max_deadline_ms - 10), "", max_deadline_ms};
  must(st.schedule(req, t0));
  REQUIRE(st.take_due(from_epoch_ms(max_deadline_ms - 10)).size() == 1);
  CHECK(st.next_deadline() == from_epoch_ms(max_deadline_ms));
}

TEST_CASE("parked occurrences are taken per name in deadline order") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 30), t0));
  must(st.schedule(in("b", 20), t0));
  must(st.schedule(in("a", 10), t0));
  for (auto& t : st.take_due(at(100)))
    REQUIRE(st.park(t));
  CHECK(st.stats().parked == 3);
  CHECK(deadlines(st.take_parked("a")) == std::vector<std::int64_t>{10, 30});
  CHECK(st.take_parked("a").empty());
  CHECK(st.stats().parked == 1);
}

// As the actor delivers: each occurrence goes out (or is parked) before the
// next is taken, and may be taken apart on the way.
TEST_CASE("due occurrences are handed over one at a time and may be parked on the way") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 10, "one"), t0));
  must(st.schedule(in("b", 20, "two", 15), t0)); // due at 20 and 35: once by default
  must(st.schedule(in("a", 30, "three"), t0));
  std::vector<std::string> payloads;
  st.take_due(at(40), SIZE_MAX, [&](timeout& t) {
    payloads.push_back(t.payload);
    CHECK(st.stats().pending == 3 - payloads.size()); // the recurring one is back after the turn
    CHECK(st.stats().parked == payloads.size() - 1);
    CHECK(st.park(std::move(t)));
  });
  CHECK(payloads == std::vector<std::string>{"one", "two", "three"});
  CHECK(st.stats().pending == 1);
  CHECK(st.next_deadline() == at(50));
  const auto parked = st.take_parked("a");
  REQUIRE(parked.size() == 2);
  CHECK(parked[0].payload == "one");
  CHECK(parked[1].payload == "three");
  CHECK(st.stats().fired == 3);
}

TEST_CASE("a recurring timeout parks at most one occurrence") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 10, "", 10), t0));
  CHECK(st.park(st.take_due(at(10)).at(0)));
  CHECK_FALSE(st.park(st.take_due(at(20)).at(0)));
  CHECK(st.stats().parked == 1);
  CHECK(st.stats().pending == 1);
}

TEST_CASE("cancel removes a parked occurrence too") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 10, "", 10), t0));
  st.park(st.take_due(at(10)).at(0));
  REQUIRE(st.cancel(tok));
  CHECK(st.stats().parked == 0);
  CHECK(st.stats().pending == 0);
}

TEST_CASE("rescheduling a parked one-shot makes it pending again") {
  server_state st{token_generator{1}};
  auto tok = must(st.schedule(in("a", 10), t0));
  st.park(st.take_due(at(10)).at(0));
  REQUIRE(st.reschedule(tok, when_spec::in(500), at(10)));
  CHECK(st.stats().parked == 0);
  CHECK(st.next_deadline() == at(510));
}

TEST_CASE("list merges pending and parked timeouts in deadline order") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 10, "p"), t0));
  must(st.schedule(in("b", 500), t0));
  must(st.schedule(in("a", 900, "", 1000), t0));
  st.park(st.take_due(at(10)).at(0));
  auto all = st.list();
  REQUIRE(all.size() == 3);
  CHECK(all[0].parked);
  CHECK(all[0].payload == "p");
  CHECK(all[1].name == "b");
  CHECK(all[2].interval_ms == 1000);
  auto a = st.list(std::string{"a"});
  REQUIRE(a.size() == 2);
  CHECK(a[0].deadline_ms == to_epoch_ms(at(10)));
  CHECK(a[1].deadline_ms == to_epoch_ms(at(900)));
}

TEST_CASE("save and restore keep every pending and parked timeout") {
  server_state st{token_generator{1}};
  must(st.schedule(in("a", 10), t0));
  must(st.schedule(in("b", 50, "x", 100), t0));
  st.park(st.take_due(at(10)).at(0));
  auto snap = st.collect(at(20));
  server_state restored{token_generator{2}};
  REQUIRE(restored.restore(snap));
  CHECK(restored.list() == st.list());
}

TEST_CASE("lateness figures count only on-time deliveries") {
  server_state st{token_generator{1}};
  st.record_delivery(std::chrono::microseconds{100}, delivery_kind::at_deadline);
  st.record_delivery(std::chrono::microseconds{300}, delivery_kind::at_deadline);
  st.record_delivery(std::chrono::microseconds{99'000'000}, delivery_kind::from_parked);
  auto s = st.stats();
  CHECK(s.delivered == 3);
  CHECK(s.lateness_count == 2);
  CHECK(s.lateness_mean_us == 200);
  CHECK(s.lateness_max_us == 300);
}

TEST_CASE("lateness falls into histogram buckets by their upper bounds") {
  server_state st{token_generator{1}};
  CHECK(st.stats().lateness_buckets == std::vector<std::uint64_t>(std::size(lateness_bounds_us) + 1));
  for (std::int64_t us : {0, 100, 101, 250, 999'999, 1'000'001, 5'000'000})
    st.record_delivery(std::chrono::microseconds{us}, delivery_kind::at_deadline);
  st.record_delivery(std::chrono::microseconds{-5}, delivery_kind::at_deadline); // a clock step: counted as 0
  auto s = st.stats();
  std::vector<std::uint64_t> expected(std::size(lateness_bounds_us) + 1);
  expected[0] = 3; // 0, 100 and the negative one: <= 100 us
  expected[1] = 2; // 101, 250
  expected[std::size(lateness_bounds_us) - 1] = 1; // 999,999 <= 1 s
  expected.back() = 2;                             // above the last bound
  CHECK(s.lateness_buckets == expected);
  CHECK(s.lateness_sum_us == 0 + 100 + 101 + 250 + 999'999 + 1'000'001 + 5'000'000);
}

TEST_CASE("a batch schedules every request, in order, or none of them") {
  server_state st{token_generator{1}, server_limits{256, 64, 100, 3}};
  auto toks = st.schedule_all({in("a", 30), in("b", 10), in("c", 20)}, t0);
  REQUIRE(toks);
  REQUIRE(toks->size() == 3);
  CHECK(st.list()[0].token == (*toks)[1].str());
  CHECK(st.stats().scheduled == 3);

  auto bad = st.schedule_all({in("d", 5), in("", 5)}, t0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK(bad.error().detail == "request 1: empty name");
  CHECK(st.stats().pending == 3);

  auto too_many = st.schedule_all({in("d", 1), in("e", 1), in("f", 1), in("g", 1)}, t0);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().code == errc::limit_exceeded);
  CHECK(st.schedule_all({}, t0)->empty());
}

TEST_CASE("a batch that would pass the most timeouts held is refused whole") {
  server_limits limits;
  limits.max_timeouts = 5;
  server_state st{token_generator{1}, limits};
  must(st.schedule(in("a", 1000), t0));
  must(st.schedule(in("a", 1000), t0));
  auto over = st.schedule_all({in("b", 1), in("b", 2), in("b", 3), in("b", 4)}, t0);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == errc::limit_exceeded);
  CHECK(over.error().detail == "server holds its maximum of 5 timeouts");
  CHECK(st.stats().pending == 2);
  REQUIRE(st.schedule_all({in("b", 1), in("b", 2), in("b", 3)}, t0));
  CHECK(st.stats().pending == 5);
  auto full = st.schedule(in("c", 1), t0);
  REQUIRE_FALSE(full);
  CHECK(full.error().detail == "server holds its maximum of 5 timeouts");
}

TEST_CASE("a list of more than max_list timeouts is refused, saying how many match") {
  server_limits limits;
  limits.max_list = 3;
  server_state st{token_generator{1}, limits};
  for (const char* name : {"a/x", "a/x", "a/y", "b"})
    must(st.schedule(in(name, 1000), t0));
  auto all = st.check_list();
  REQUIRE_FALSE(all);
  CHECK(all.error().code == errc::limit_exceeded);
  CHECK(all.error().detail
        == "4 timeouts match, more than the 3 a list returns: list a name or a namespace, or count");
  CHECK(st.check_list("a/"));
  CHECK(st.check_list("b"));
  // Parked timeouts count as well.
  for (auto& t : st.take_due(t0 + millis{1000}))
    REQUIRE(st.park(std::move(t)));
  CHECK_FALSE(st.check_list());
  REQUIRE(st.cancel_all("b"));
  CHECK(st.check_list());
}

TEST_CASE("payloads share a byte budget: a schedule past it is refused until room is made") {
  server_limits limits;
  limits.max_payload_total = 10;
  server_state st{token_generator{1}, limits};
  auto first = must(st.schedule(in("a", 1000, "123456"), t0));
  must(st.schedule(in("a", 1000), t0)); // no payload: no bytes
  auto full = st.schedule(in("b", 1000, "12345"), t0);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == errc::limit_exceeded);
  CHECK(full.error().detail == "server holds its maximum of 10 payload bytes");
  auto batch = st.schedule_all({in("b", 1000, "12"), in("c", 1000, "123")}, t0);
  REQUIRE_FALSE(batch);
  CHECK(batch.error().code == errc::limit_exceeded);
  CHECK(st.stats().pending == 2);
  must(st.schedule(in("b", 1000, "1234"), t0)); // exactly at the budget

  // Cancelled, fired or parked: the bytes follow the timeout.
  REQUIRE(st.cancel(first));
  must(st.schedule(in("c", 1000, "abcdef"), t0));
  CHECK_FALSE(st.schedule(in("d", 1000, "x"), t0));
  auto due = st.take_due(t0 + millis{1000});
  REQUIRE(due.size() == 3);
  for (auto& t : due)
    REQUIRE(st.park(std::move(t)));
  CHECK_FALSE(st.schedule(in("d", 1000, "x"), t0)); // parked ones still hold theirs
  st.take_parked("c");
  must(st.schedule(in("d", 1000, "abcdef"), t0));
}

namespace {

schedule_request keyed(std::string name, std::string key, std::int64_t delay_ms = 1000) {
  auto req = in(std::move(name), delay_ms);
  req.key = std::move(key);
  return req;
}

} // namespace

TEST_CASE("a schedule sent again with its key answers the first token and adds nothing") {
  server_state st{token_generator{1}};
  st.record_changes();
  const auto first = must(st.schedule(keyed("orders", "order-7"), t0));
  CHECK(st.take_changes().size() == 1);
  CHECK(must(st.schedule(keyed("orders", "order-7", 5000), at(10))) == first);
  CHECK(st.take_changes().empty()); // nothing to journal: nothing changed
  CHECK(st.count({}).pending == 1);
  CHECK(st.next_deadline() == at(1000)); // the first one's deadline stands
  // Another name or another key is another timeout; no key is never the same.
  CHECK(must(st.schedule(keyed("billing", "order-7"), t0)) != first);
  CHECK(must(st.schedule(keyed("orders", "order-8"), t0)) != first);
  CHECK(must(st.schedule(in("orders", 1000), t0)) != must(st.schedule(in("orders", 1000), t0)));
  CHECK(st.count({}).pending == 5);
}

TEST_CASE("a key holds while its timeout is pending or parked, and is free once it is gone") {
  server_state st{token_generator{1}};
  const auto first = must(st.schedule(keyed("orders", "k"), t0));
  // Due, and parked: no live actor took it.
  for (auto& t : st.take_due(at(1000)))
    REQUIRE(st.park(std::move(t)));
  CHECK(st.count({}).parked == 1);
  CHECK(must(st.schedule(keyed("orders", "k"), at(1000))) == first);
  REQUIRE(st.cancel(first));
  const auto second = must(st.schedule(keyed("orders", "k"), at(1000)));
  CHECK(second != first);
  CHECK(st.count({}).pending == 1);
}

TEST_CASE("a batch with a key twice schedules it once, and both get its token") {
  server_state st{token_generator{1}};
  auto toks = st.schedule_all({keyed("a", "k"), keyed("a", "k"), keyed("a", "j")}, t0);
  REQUIRE(toks);
  CHECK((*toks)[0] == (*toks)[1]);
  CHECK((*toks)[0] != (*toks)[2]);
  CHECK(st.count({}).pending == 2);
}

TEST_CASE("keys go with their timeouts into a snapshot and a journal, and come back") {
  server_state st{token_generator{1}};
  st.record_changes();
  const auto first = must(st.schedule(keyed("orders", "order-7"), t0));
  auto changes = st.take_changes();
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].entry.key == "order-7");
  const auto saved = st.collect(t0);
  REQUIRE(saved.pending.size() == 1);
  CHECK(saved.pending[0].key == "order-7");

  server_state restored{token_generator{2}};
  REQUIRE(restored.restore(saved));
  CHECK(must(restored.schedule(keyed("orders", "order-7"), t0)) == first);

  server_state replayed{token_generator{3}};
  REQUIRE(replayed.apply(changes[0]));
  CHECK(must(replayed.schedule(keyed("orders", "order-7"), t0)) == first);
  CHECK(replayed.count({}).pending == 1);
}

TEST_CASE("a parked keyed occurrence keeps its key in the journal") {
  server_state st{token_generator{1}};
  st.record_changes();
  must(st.schedule(keyed("orders", "k"), t0));
  st.take_changes();
  for (auto& t : st.take_due(at(1000)))
    REQUIRE(st.park(std::move(t)));
  bool parked_with_key = false;
  for (const auto& c : st.take_changes())
    parked_with_key = parked_with_key || (c.what == change::op::park && c.entry.key == "k");
  CHECK(parked_with_key);
}

TEST_CASE("keys are checked like names") {
  server_state st{token_generator{1}};
  auto control = st.schedule(keyed("a", "line\nbreak"), t0);
  REQUIRE_FALSE(control);
  CHECK(control.error().detail.find("key holds a control character") != std::string::npos);
  auto invalid = st.schedule(keyed("a", "\xff"), t0);
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().detail.find("key is not valid UTF-8") != std::string::npos);
  auto longer = st.schedule(keyed("a", std::string(257, 'k')), t0);
  REQUIRE_FALSE(longer);
  CHECK(longer.error().detail.find("key longer than 256 bytes") != std::string::npos);
}

TEST_CASE("many keys that came and went do not pile up") {
  server_state st{token_generator{1}};
  // Each keyed timeout fires and is delivered; a later one with a key seen
  // before is new again, whatever the sweeps dropped in between.
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 5000; ++i) {
      const auto tok = must(st.schedule(keyed("n", "k" + std::to_string(i), 0), at(round)));
      CHECK(st.take_due(at(round)).size() == 1);
      CHECK(tok.size() == token::text_size);
    }
  CHECK(st.count({}).pending == 0);
  CHECK(st.key_count() < 1100); // swept as it grew, not 15,000
}

TEST_CASE("a cancel of a keyed timeout undone gives it back its key, sweeps or not") {
  server_state st{token_generator{1}};
  st.record_changes();
  const auto first = must(st.schedule(keyed("orders", "k"), t0));
  st.take_changes();
  REQUIRE(st.cancel(first));
  auto cancelled = st.take_changes();
  REQUIRE(cancelled.size() == 1);
  // Enough other keys, scheduled before the commit failed, to sweep out
  // the entry of the cancelled timeout.
  for (int i = 0; i < 1100; ++i)
    must(st.schedule(keyed("other", "k" + std::to_string(i)), t0));
  auto later = st.take_changes();
  for (auto c = later.rbegin(); c != later.rend(); ++c)
    st.undo(*c);
  st.undo(cancelled[0]);
  CHECK(st.count({}).pending == 1);
  CHECK(must(st.schedule(keyed("orders", "k"), t0)) == first);
  CHECK(st.count({}).pending == 1);
}
