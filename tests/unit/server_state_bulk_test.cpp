// Bulk requests of the server state: cancel many tokens, and list, count,
// cancel or gauge every timeout of a name or a namespace.

#include <catch2/catch.hpp>

#include <algorithm>

#include "../support/server_state_helpers.hpp"

using namespace chronos;
using namespace chronos::test;

namespace {

std::string add(server_state& st, std::string name, std::int64_t delay_ms,
                std::int64_t interval_ms = 0) {
  return must(st.schedule({std::move(name), when_spec::in(delay_ms), "", interval_ms}, t0));
}

std::vector<std::string> names_of(const timeout_list& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    out.push_back(r.name);
  return out;
}

// billing/a, billing/eu/b, billing/eu/c (recurring, one occurrence parked),
// billingx/d, e: the namespace edges the tests look at.
struct fixture {
  server_state st{token_generator{1}};
  std::string a = add(st, "billing/a", 10);
  std::string b = add(st, "billing/eu/b", 20);
  std::string c = add(st, "billing/eu/c", 5, 100);
  std::string d = add(st, "billingx/d", 30);
  std::string e = add(st, "e", 40);

  fixture() {
    for (auto& t : st.take_due(t0 + millis{5}))
      REQUIRE(st.park(t)); // c: parked once, and pending again at +105
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "list and count take a name or a namespace") {
  CHECK(names_of(st.list("billing/"))
        == std::vector<std::string>{"billing/eu/c", "billing/a", "billing/eu/b", "billing/eu/c"});
  CHECK(names_of(st.list("billing/eu/c")) == std::vector<std::string>{"billing/eu/c", "billing/eu/c"});
  CHECK(st.list("billing/eu/c")[0].parked);
  CHECK(st.list("billing").empty());
  CHECK(st.list().size() == 6);
  CHECK(st.count("billing/") == timeout_count{3, 1});
  CHECK(st.count("billing/eu/") == timeout_count{2, 1});
  CHECK(st.count("e") == timeout_count{1, 0});
  CHECK(st.count("nobody") == timeout_count{0, 0});
  CHECK(st.count("") == timeout_count{5, 1});
}

TEST_CASE_METHOD(fixture, "cancelling a namespace removes everything below it, and only that") {
  auto n = st.cancel_all("billing/");
  REQUIRE(n);
  CHECK(*n == 3); // a, b and c; c was pending and parked and counts once
  CHECK(names_of(st.list()) == std::vector<std::string>{"billingx/d", "e"});
  CHECK(st.stats().cancelled == 3);
  CHECK_FALSE(st.cancel(c)); // gone from both tables
  CHECK(*st.cancel_all("billing/") == 0);
  CHECK(*st.cancel_all("e") == 1);
  CHECK(names_of(st.list()) == std::vector<std::string>{"billingx/d"});
}

TEST_CASE_METHOD(fixture, "cancelling by name refuses an empty or malformed selector") {
  for (const std::string bad : {"", "/", "x\xff/"}) {
    INFO(bad);
    auto n = st.cancel_all(bad);
    REQUIRE_FALSE(n);
    CHECK(n.error().code == errc::invalid_argument);
  }
  CHECK(st.list().size() == 6);
}

TEST_CASE_METHOD(fixture, "cancelling many tokens is all or none") {
  auto unknown = st.cancel_each({a, "0123456789abcdef0123456789abcdef", b});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == errc::unknown_token);
  CHECK(unknown.error().detail.find("request 1: unknown token") == 0);
  // The first bad one in request order is named, whether it is a token or not.
  const std::string absent = "000000000001-0000000000000001";
  auto absent_first = st.cancel_each({a, absent, "junk"});
  REQUIRE_FALSE(absent_first);
  CHECK(absent_first.error().detail == "request 1: unknown token '" + absent + "'");
  auto junk_first = st.cancel_each({a, b, "junk", absent});
  REQUIRE_FALSE(junk_first);
  CHECK(junk_first.error().detail == "request 2: unknown token 'junk'");
  auto twice = st.cancel_each({a, b, a});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().detail.find("request 2: token") == 0);
  // Of two repeated tokens, the repeat that comes first is named, whichever
  // token sorts first.
  const auto [lo, hi] = std::minmax(a, b);
  auto both_twice = st.cancel_each({lo, hi, hi, lo});
  REQUIRE_FALSE(both_twice);
  CHECK(both_twice.error().detail == "request 2: token '" + hi + "' given twice");
  CHECK(st.list().size() == 6);
  REQUIRE(st.cancel_each({a, c, e}));
  CHECK(names_of(st.list()) == std::vector<std::string>{"billing/eu/b", "billingx/d"});
  CHECK(st.stats().cancelled == 3);
  REQUIRE(st.cancel_each(std::vector<std::string>{}));
}

TEST_CASE_METHOD(fixture, "cancelling a token list is all or none and names the first bad token") {
  const std::string absent = "000000000001-0000000000000001";
  auto unknown = st.cancel_each(token_list{{a, absent, b}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == errc::unknown_token);
  CHECK(unknown.error().detail == "request 1: unknown token '" + absent + "'");
  auto twice = st.cancel_each(token_list{{b, a, b}});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().detail == "request 2: token '" + b + "' given twice");
  CHECK(st.list().size() == 6);
  REQUIRE(st.cancel_each(token_list{{a, c, e}}));
  CHECK(names_of(st.list()) == std::vector<std::string>{"billing/eu/b", "billingx/d"});
  CHECK(st.stats().cancelled == 3);
  REQUIRE(st.cancel_each(token_list{}));
}

TEST_CASE("a batch of cancels is bounded like a batch of schedules") {
  server_state st{token_generator{1}, server_limits{256, 1024, 100, 2}};
  auto x = add(st, "x", 1);
  auto y = add(st, "y", 1);
  auto z = add(st, "z", 1);
  auto big = st.cancel_each({x, y, z});
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::limit_exceeded);
  CHECK(st.count("") == timeout_count{3, 0});
}

TEST_CASE_METHOD(fixture, "a bulk cancel is journaled per timeout, replays and undoes") {
  const auto before = st.list();
  st.record_changes();
  REQUIRE(st.cancel_all("billing/eu/b"));
  REQUIRE(st.cancel_each({a, c, e})); // c pending and parked: one change
  CHECK(st.count("") == timeout_count{1, 0});
  auto changes = st.take_changes();
  CHECK(changes.size() == 4);
  CHECK(std::all_of(changes.begin(), changes.end(),
                    [](const change& ch) { return ch.what == change::op::cancel; }));
  // Replayed on a copy of the state before, the changes give the state after.
  fixture replay;
  for (const auto& ch : changes)
    REQUIRE(replay.st.apply(ch));
  CHECK(replay.st.list() == st.list());
  // Undone newest first, they give the state before.
  for (auto ch = changes.rbegin(); ch != changes.rend(); ++ch)
    st.undo(*ch);
  CHECK(st.list() == before);
  CHECK(st.stats().cancelled == 0);
}

TEST_CASE_METHOD(fixture, "namespace gauges count names, pending and parked directly inside") {
  auto all = st.namespaces("");
  REQUIRE(all.size() == 4);
  CHECK(all[0] == namespace_info{"", 1, 0, 1, 0});
  CHECK(all[1] == namespace_info{"billing", 1, 0, 1, 0});
  CHECK(all[2] == namespace_info{"billing/eu", 2, 0, 2, 1});
  CHECK(all[3] == namespace_info{"billingx", 1, 0, 1, 0});
  auto billing = st.namespaces("billing/");
  REQUIRE(billing.size() == 2);
  CHECK(billing[0].name == "billing");
  CHECK(billing[1].name == "billing/eu");
  CHECK(st.namespaces("billing/eu/c") == std::vector<namespace_info>{{"billing/eu", 1, 0, 1, 1}});
  CHECK(st.namespaces("nobody/").empty());
}
