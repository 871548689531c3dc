#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "../support/calendar.hpp"
#include "chronos/detail/timer_table.hpp"

using namespace chronos;

namespace {

timeout make(std::int64_t deadline_ms, std::uint64_t id, std::string name = "a",
             std::string payload = "", std::int64_t interval_ms = 0) {
  return timeout{from_epoch_ms(deadline_ms), token{1, id}, std::move(name), std::move(payload),
                 millis{interval_ms}};
}

// A payload on every third timeout and a period on every fifth, so that the
// side array for them is exercised along with the plain ones.
timeout make_varied(std::int64_t deadline_ms, std::uint64_t id, std::string name) {
  return make(deadline_ms, id, std::move(name), id % 3 == 0 ? "p" + std::to_string(id) : "",
              id % 5 == 0 ? static_cast<std::int64_t>(id % 1000 + 1) : 0);
}

std::vector<std::uint64_t> ids(const std::vector<timeout>& ts) {
  std::vector<std::uint64_t> out;
  for (const auto& t : ts)
    out.push_back(t.token.random());
  return out;
}

bool by_key(const timeout& a, const timeout& b) {
  return std::tie(a.deadline, a.token) < std::tie(b.deadline, b.token);
}

// What the batch tests remove from: 20,000 varied timeouts of two names, a
// model of them, and their tokens in random order.
struct batch_fixture {
  std::mt19937_64 rng;
  timer_table table;
  std::map<std::pair<timestamp, token>, timeout> model;
  std::vector<token> tokens;

  explicit batch_fixture(std::uint64_t seed) : rng{seed} {
    for (std::uint64_t id = 1; id <= 20'000; ++id) {
      auto t = make_varied(static_cast<std::int64_t>(rng() % 100'000), id, id % 2 ? "a" : "b");
      tokens.push_back(t.token);
      model.emplace(std::pair{t.deadline, t.token}, t);
      REQUIRE(table.insert(t));
    }
    std::shuffle(tokens.begin(), tokens.end(), rng);
  }

  std::vector<timeout> expected() const {
    std::vector<timeout> out;
    for (const auto& kv : model)
      out.push_back(kv.second);
    return out;
  }
};

} // namespace

TEST_CASE("an empty table has no next deadline and nothing due") {
  timer_table table;
  CHECK(table.empty());
  CHECK_FALSE(table.next_deadline());
  CHECK(table.pop_due(from_epoch_ms(max_deadline_ms)).empty());
}

TEST_CASE("timeouts pop in deadline order, only when due") {
  timer_table table;
  table.insert(make(300, 3));
  table.insert(make(100, 1));
  table.insert(make(200, 2));
  CHECK(table.next_deadline() == from_epoch_ms(100));
  CHECK(table.pop_due(from_epoch_ms(99)).empty());
  CHECK(ids(table.pop_due(from_epoch_ms(200))) == std::vector<std::uint64_t>{1, 2});
  CHECK(table.size() == 1);
  CHECK(table.next_deadline() == from_epoch_ms(300));
}

TEST_CASE("a limited pop takes the soonest due timeouts and leaves the rest") {
  timer_table table;
  for (std::uint64_t id : {5, 3, 1, 4, 2})
    table.insert(make(static_cast<std::int64_t>(100 * id), id));
  CHECK(ids(table.pop_due(from_epoch_ms(400), 2)) == std::vector<std::uint64_t>{1, 2});
  CHECK(table.size() == 3);
  CHECK(table.next_deadline() == from_epoch_ms(300));
  CHECK(ids(table.pop_due(from_epoch_ms(400), 2)) == std::vector<std::uint64_t>{3, 4});
  CHECK(table.pop_due(from_epoch_ms(400), 2).empty());
  CHECK(table.pop_due(from_epoch_ms(500), 0).empty());
  CHECK(ids(table.pop_due(from_epoch_ms(500), 2)) == std::vector<std::uint64_t>{5});
}

TEST_CASE("a streaming pop hands each due timeout over as it leaves the table") {
  timer_table table;
  for (std::uint64_t id = 1; id <= 6; ++id)
    table.insert(make_varied(static_cast<std::int64_t>(100 * id), id, "a"));
  std::vector<timeout> handed;
  table.pop_due(from_epoch_ms(500), 4, [&](timeout& t) {
    // Gone already, and the rest still there: nothing waits for the last pop.
    CHECK_FALSE(table.contains(t.token));
    CHECK(table.size() == 6 - handed.size() - 1);
    handed.push_back(t);
    t.payload = "taken"; // the receiver may take or spoil the strings
    t.name.clear();
  });
  REQUIRE(ids(handed) == std::vector<std::uint64_t>{1, 2, 3, 4});
  for (std::uint64_t id = 1; id <= 4; ++id)
    CHECK(handed[id - 1] == make_varied(static_cast<std::int64_t>(100 * id), id, "a"));
  CHECK(ids(table.pop_due(from_epoch_ms(500))) == std::vector<std::uint64_t>{5});
  CHECK(table.size() == 1);
}

TEST_CASE("two timeouts with the same deadline are both kept and fire in token order") {
  timer_table table;
  table.insert(make(100, 9));
  table.insert(make(100, 4));
  CHECK(table.size() == 2);
  CHECK(ids(table.pop_due(from_epoch_ms(100))) == std::vector<std::uint64_t>{4, 9});
}

// The heap keeps ties apart by how long before its deadline each token was
// made (coarsely), and falls back on the tokens where that is equal: tokens
// made anything from a day before their deadline to after it, many sharing
// a deadline, some sharing a lead, must still come out in token order.
TEST_CASE("equal deadlines fire in token order, whatever the tokens' ages") {
  std::mt19937_64 rng{20261128};
  const std::int64_t base = 1'800'000'000'000;
  auto made = [&] { // leads of every magnitude, and a few negative ones
    const auto spread = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << (rng() % 28)));
    return static_cast<std::uint64_t>(base + 2000 - spread);
  };
  auto deadline = [&] { return base + static_cast<std::int64_t>(rng() % 8) * 1000; };
  timer_table table;
  std::map<token, std::int64_t> model; // token -> deadline
  std::uint64_t stamp = 0;
  for (int i = 0; i < 20'000; ++i) {
    // One in four shares its stamp with the one before: equal leads.
    stamp = i % 4 == 3 ? stamp : made();
    const token tok{stamp, rng()};
    const auto d = deadline();
    REQUIRE(table.insert({from_epoch_ms(d), tok, "a", "", millis{0}}));
    model[tok] = d;
  }
  for (int i = 0; i < 5'000; ++i) { // moves change the lead, too
    auto it = model.begin();
    std::advance(it, static_cast<long>(rng() % model.size()));
    it->second = deadline();
    REQUIRE(table.reschedule(it->first, from_epoch_ms(it->second)));
  }
  std::vector<std::pair<std::int64_t, token>> expected;
  for (const auto& [tok, d] : model)
    expected.emplace_back(d, tok);
  std::sort(expected.begin(), expected.end());
  auto as_pairs = [](const std::vector<timeout>& ts) {
    std::vector<std::pair<std::int64_t, token>> out;
    for (const auto& t : ts)
      out.emplace_back(to_epoch_ms(t.deadline), t.token);
    return out;
  };
  REQUIRE(as_pairs(table.entries()) == expected);
  std::vector<timeout> popped;
  for (auto slice = table.pop_due(from_epoch_ms(base + 8000), 100); !slice.empty();
       slice = table.pop_due(from_epoch_ms(base + 8000), 100))
    popped.insert(popped.end(), slice.begin(), slice.end());
  REQUIRE(as_pairs(popped) == expected);
}

TEST_CASE("inserting a token twice is refused and keeps the first") {
  timer_table table;
  CHECK(table.insert(make(100, 1)));
  CHECK_FALSE(table.insert(make(50, 1)));
  CHECK(table.find(token{1, 1})->deadline == from_epoch_ms(100));
  CHECK(table.size() == 1);
}

TEST_CASE("a copy inserted from a view keeps its texts when theirs are gone") {
  timer_table table;
  {
    std::string name = "a name longer than the short-string buffer";
    std::string payload = "a payload";
    CHECK(table.insert_copy({from_epoch_ms(100), token{1, 1}, name, payload, millis{0}}));
    CHECK(table.insert_copy({from_epoch_ms(200), token{1, 2}, name, "", millis{50},
                             misfire_policy::skip}));
    CHECK_FALSE(table.insert_copy({from_epoch_ms(50), token{1, 1}, "b", "", millis{0}}));
    name.assign(name.size(), 'x');
    payload.assign(payload.size(), 'x');
  }
  CHECK(table.size() == 2);
  CHECK(table.payload_bytes() == 9);
  CHECK(*table.find(token{1, 1})
        == make(100, 1, "a name longer than the short-string buffer", "a payload"));
  timeout recurring = make(200, 2, "a name longer than the short-string buffer", "", 50);
  recurring.misfire = misfire_policy::skip;
  CHECK(*table.find(token{1, 2}) == recurring);
}

TEST_CASE("erase by token removes the head or any other entry") {
  timer_table table;
  table.insert(make(100, 1));
  table.insert(make(200, 2));
  table.insert(make(300, 3));
  CHECK(table.erase(token{1, 1})->deadline == from_epoch_ms(100));
  CHECK(table.next_deadline() == from_epoch_ms(200));
  CHECK(table.erase(token{1, 3}));
  CHECK_FALSE(table.erase(token{1, 3}));
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{2});
}

// An erased timeout below the root leaves only a marked heap entry behind:
// it must never be what comes due next.
TEST_CASE("a timeout erased below the root never comes up as the next deadline") {
  timer_table table;
  table.insert(make(100, 1));
  table.insert(make(200, 2));
  table.insert(make(300, 3));
  REQUIRE(table.erase(token{1, 2})); // a child of the root, not the last entry
  CHECK(table.size() == 2);
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{1, 3});
  // Moving the root later brings up its least child: the marked 200.
  REQUIRE(table.reschedule(token{1, 1}, from_epoch_ms(400)));
  CHECK(table.next_deadline() == from_epoch_ms(300));
  CHECK(ids(table.pop_due(from_epoch_ms(1000))) == std::vector<std::uint64_t>{3, 1});
  CHECK(table.empty());
  CHECK_FALSE(table.next_deadline());
}

TEST_CASE("erasing under a root that stays keeps the table's memory steady") {
  // The marked entries would pile up under a root that never leaves; once
  // they outnumber the live ones the heap is rebuilt without them.
  timer_table table;
  table.insert(make(0, 1)); // the root throughout
  std::uint64_t id = 1;
  std::size_t after_first = 0;
  std::mt19937_64 rng{7};
  for (int round = 0; round < 200; ++round) {
    std::vector<token> added;
    for (int i = 0; i < 1000; ++i) {
      table.insert(make(static_cast<std::int64_t>(1000 + rng() % 100'000), ++id));
      added.push_back(token{1, id});
    }
    std::shuffle(added.begin(), added.end(), rng);
    for (auto tok : added)
      REQUIRE(table.erase(tok));
    REQUIRE(table.size() == 1);
    if (round == 0)
      after_first = table.memory_bytes();
  }
  CHECK(table.memory_bytes() <= after_first * 2);
  CHECK(ids(table.pop_due(from_epoch_ms(max_deadline_ms))) == std::vector<std::uint64_t>{1});
}

TEST_CASE("names are counted, enumerated and merged for bulk requests") {
  timer_table table;
  table.insert(make(300, 1, "x"));
  table.insert(make(100, 2, "y"));
  table.insert(make(200, 3, "x"));
  table.insert(make(150, 4, "z"));
  CHECK(table.count("x") == 2);
  CHECK(table.count("nobody") == 0);
  CHECK(ids(table.entries(std::vector<std::string>{"x", "y"}))
        == std::vector<std::uint64_t>{2, 3, 1});
  table.erase(token{1, 4});
  std::map<std::string, std::size_t> seen;
  table.for_each_name([&](const std::string& name, std::size_t n) { seen[name] = n; });
  CHECK(seen == std::map<std::string, std::size_t>{{"x", 2}, {"y", 1}});
}

TEST_CASE("reschedule moves a timeout earlier or later") {
  timer_table table;
  table.insert(make(100, 1));
  table.insert(make(200, 2));
  CHECK(table.reschedule(token{1, 2}, from_epoch_ms(50)));
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{2, 1});
  CHECK(table.reschedule(token{1, 2}, from_epoch_ms(500)));
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{1, 2});
  CHECK_FALSE(table.reschedule(token{1, 7}, from_epoch_ms(1)));
}

TEST_CASE("per-name lookup and take return one name's timeouts in order") {
  timer_table table;
  table.insert(make(300, 1, "x"));
  table.insert(make(100, 2, "y"));
  table.insert(make(200, 3, "x"));
  CHECK(ids(table.entries("x")) == std::vector<std::uint64_t>{3, 1});
  CHECK(table.entries("nobody").empty());
  CHECK(ids(table.take("x")) == std::vector<std::uint64_t>{3, 1});
  CHECK(table.entries("x").empty());
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{2});
}

TEST_CASE("100,000 random operations match a naive reference model") {
  std::mt19937_64 rng{20261122};
  timer_table table;
  std::vector<timeout> model; // unsorted; compared after sorting
  const std::vector<std::string> names{"a", "b", "c", "d"};
  std::int64_t now = 0;
  std::uint64_t next_id = 1;
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  auto model_find = [&](std::uint64_t id) {
    return std::find_if(model.begin(), model.end(),
                        [&](const timeout& t) { return t.token.random() == id; });
  };
  for (int step = 0; step < 100'000; ++step) {
    const auto op = pick(100);
    if (op < 40) { // schedule; small deadline range to force ties
      auto t = make_varied(now + static_cast<std::int64_t>(pick(500)), next_id++, names[pick(4)]);
      model.push_back(t);
      if (pick(2) == 0)
        REQUIRE(table.insert(t));
      else
        REQUIRE(table.insert_copy({t.deadline, t.token, t.name, t.payload, t.interval, t.misfire}));
    } else if (op < 60) { // cancel an existing or an unknown token, copied out or not
      std::uint64_t id = model.empty() || pick(4) == 0 ? next_id + 1000
                                                        : model[pick(model.size())].token.random();
      auto it = model_find(id);
      if (const auto how = pick(3); how == 0) {
        REQUIRE(table.discard(token{1, id}) == (it != model.end()));
      } else if (how == 1) { // located first, as a batch does
        const auto at = table.locate(token{1, id});
        REQUIRE(at.has_value() == (it != model.end()));
        if (at)
          REQUIRE(table.erase(*at) == *it);
        table.shrink_if_sparse();
      } else {
        auto erased = table.erase(token{1, id});
        REQUIRE(erased.has_value() == (it != model.end()));
        if (erased)
          REQUIRE(*erased == *it);
      }
      if (it != model.end())
        model.erase(it);
    } else if (op < 75) { // reschedule
      std::uint64_t id = model.empty() ? 0 : model[pick(model.size())].token.random();
      auto deadline = from_epoch_ms(now + static_cast<std::int64_t>(pick(500)));
      auto it = model_find(id);
      REQUIRE(table.reschedule(token{1, id}, deadline) == (it != model.end()));
      if (it != model.end())
        it->deadline = deadline;
    } else if (op < 95) { // advance time and pop, now and then only a few
      now += static_cast<std::int64_t>(pick(20));
      const std::size_t limit = pick(3) == 0 ? pick(8) : SIZE_MAX;
      std::sort(model.begin(), model.end(), by_key);
      auto split = std::partition_point(model.begin(), model.end(), [&](const timeout& t) {
        return t.deadline <= from_epoch_ms(now);
      });
      if (static_cast<std::size_t>(split - model.begin()) > limit)
        split = model.begin() + static_cast<std::ptrdiff_t>(limit);
      std::vector<timeout> expected(model.begin(), split);
      model.erase(model.begin(), split);
      REQUIRE(table.pop_due(from_epoch_ms(now), limit) == expected);
    } else { // take one name
      const auto& name = names[pick(4)];
      std::vector<timeout> expected;
      std::copy_if(model.begin(), model.end(), std::back_inserter(expected),
                   [&](const timeout& t) { return t.name == name; });
      std::sort(expected.begin(), expected.end(), by_key);
      model.erase(std::remove_if(model.begin(), model.end(),
                                 [&](const timeout& t) { return t.name == name; }),
                  model.end());
      REQUIRE(table.take(name) == expected);
    }
    std::sort(model.begin(), model.end(), by_key);
    REQUIRE(table.size() == model.size());
    if (model.empty())
      REQUIRE_FALSE(table.next_deadline());
    else
      REQUIRE(table.next_deadline() == model.front().deadline);
    if (step % 97 == 0) {
      REQUIRE(table.entries() == model);
      const auto& name = names[pick(4)];
      std::vector<timeout> of_name;
      std::copy_if(model.begin(), model.end(), std::back_inserter(of_name),
                   [&](const timeout& t) { return t.name == name; });
      REQUIRE(table.entries(name) == of_name);
    }
  }
}

TEST_CASE("find returns a copy with the payload and the period") {
  timer_table table;
  table.insert(make(100, 1, "a", "hello", 250));
  table.insert(make(100, 2, "a"));
  auto found = table.find(token{1, 1});
  REQUIRE(found);
  CHECK(*found == make(100, 1, "a", "hello", 250));
  CHECK(table.find(token{1, 2})->payload.empty());
  CHECK_FALSE(table.find(token{1, 3}));
}

TEST_CASE("timeouts at the earliest and latest deadlines keep their order") {
  timer_table table;
  table.insert(make(max_deadline_ms, 1));
  table.insert(make(0, 2));
  table.insert(make(std::int64_t{1} << 32, 3)); // crosses the split of a stored deadline
  table.insert(make((std::int64_t{1} << 32) - 1, 4));
  CHECK(ids(table.entries()) == std::vector<std::uint64_t>{2, 4, 3, 1});
  CHECK(table.next_deadline() == from_epoch_ms(0));
  CHECK(table.find(token{1, 1})->deadline == from_epoch_ms(max_deadline_ms));
}

// The shrinking pass only runs on tables of thousands, so the small model
// test above never reaches it: this one swings between 30,000 timeouts and a
// few hundred, many times, and checks every view against a sorted model.
TEST_CASE("growing and shrinking in waves keeps every timeout and its order") {
  std::mt19937_64 rng{7};
  timer_table table;
  std::map<std::pair<timestamp, token>, timeout> model;
  const std::vector<std::string> names{"a", "b", "c"};
  std::uint64_t next_id = 1;
  auto check_all = [&] {
    std::vector<timeout> expected;
    for (const auto& kv : model)
      expected.push_back(kv.second);
    REQUIRE(table.entries() == expected);
    std::vector<timeout> of_b;
    std::copy_if(expected.begin(), expected.end(), std::back_inserter(of_b),
                 [](const timeout& t) { return t.name == "b"; });
    REQUIRE(table.entries("b") == of_b);
    REQUIRE(table.size() == model.size());
  };
  for (int wave = 0; wave < 6; ++wave) {
    while (model.size() < 30'000) {
      auto t = make_varied(static_cast<std::int64_t>(rng() % 100'000), next_id++, names[rng() % 3]);
      model.emplace(std::pair{t.deadline, t.token}, t);
      REQUIRE(table.insert(t));
    }
    check_all();
    std::vector<token> live;
    for (const auto& kv : model)
      live.push_back(kv.second.token);
    std::shuffle(live.begin(), live.end(), rng);
    live.resize(live.size() - 400); // all but 400 go
    for (auto tok : live) {
      const auto t = table.erase(tok);
      REQUIRE(t);
      REQUIRE(model.erase({t->deadline, t->token}) == 1);
    }
    check_all();
    // Reschedules and pops after the pass still see consistent positions.
    const auto first = model.begin()->second;
    REQUIRE(table.reschedule(first.token, from_epoch_ms(200'000)));
    auto moved = first;
    moved.deadline = from_epoch_ms(200'000);
    model.erase(model.begin());
    model.emplace(std::pair{moved.deadline, moved.token}, moved);
    const auto popped = table.pop_due(from_epoch_ms(10'000));
    for (const auto& t : popped)
      REQUIRE(model.erase({t.deadline, t.token}) == 1);
    REQUIRE(std::is_sorted(popped.begin(), popped.end(), by_key));
    check_all();
  }
}

TEST_CASE("cancelling nearly everything gives the table's memory back") {
  timer_table table;
  const auto empty_bytes = table.memory_bytes();
  for (std::uint64_t id = 1; id <= 100'000; ++id)
    table.insert(make(static_cast<std::int64_t>(id % 977), id, "n" + std::to_string(id % 50)));
  const auto full_bytes = table.memory_bytes();
  CHECK(full_bytes > 100'000 * 48);
  for (std::uint64_t id = 1; id <= 99'000; ++id)
    REQUIRE(table.erase(token{1, id}));
  CHECK(table.memory_bytes() < full_bytes / 10);
  REQUIRE(table.size() == 1'000);
  CHECK(table.take("n7").size() == 20);
  while (!table.empty())
    table.pop_due(from_epoch_ms(max_deadline_ms));
  CHECK(table.memory_bytes() <= empty_bytes + 1024);
}

TEST_CASE("timeouts with names of their own give the names' memory back too") {
  timer_table table;
  for (std::uint64_t id = 1; id <= 100'000; ++id)
    table.insert(make(static_cast<std::int64_t>(id % 977), id, "instance-" + std::to_string(id)));
  const auto full_bytes = table.memory_bytes();
  for (std::uint64_t id = 1; id <= 100'000; ++id)
    if (id % 100 != 0)
      REQUIRE(table.erase(token{1, id}));
  CHECK(table.memory_bytes() < full_bytes / 10);
  // The names left are renumbered: each still finds its own timeout.
  for (std::uint64_t id = 100; id <= 100'000; id += 100) {
    const auto name = "instance-" + std::to_string(id);
    REQUIRE(table.count(name) == 1);
    REQUIRE(table.entries(name).at(0).token == token{1, id});
    REQUIRE(table.find(token{1, id})->name == name);
  }
  std::size_t names = 0;
  table.for_each_name([&](const std::string&, std::size_t) { ++names; });
  CHECK(names == 1'000);
  table.insert(make(5, 200'001, "instance-100")); // an existing name, a new one
  table.insert(make(5, 200'002, "another"));
  CHECK(table.count("instance-100") == 2);
  CHECK(table.take("instance-100").size() == 2);
  CHECK(table.count("another") == 1);
}

TEST_CASE("a pending timeout costs at most 64 bytes of table memory at a million") {
  timer_table table;
  for (std::uint64_t id = 1; id <= 1'000'000; ++id)
    table.insert(make(static_cast<std::int64_t>(id * 7919 % 3'600'000), id,
                      "client-" + std::to_string(id % 100)));
  CHECK(table.memory_bytes() / table.size() <= 64);
}

TEST_CASE("the table counts the payload bytes it holds, through every way out") {
  timer_table table;
  std::size_t expected = 0;
  for (std::uint64_t id = 1; id <= 30'000; ++id) {
    auto t = make_varied(static_cast<std::int64_t>(id % 1000), id, "n" + std::to_string(id % 7));
    expected += t.payload.size();
    table.insert(std::move(t));
  }
  REQUIRE(table.payload_bytes() == expected);
  const auto gone = [&](const timeout& t) { expected -= t.payload.size(); };
  for (std::uint64_t id = 1; id <= 20'000; id += 2) // erase half, packing the side array
    gone(*table.erase(token{1, id}));
  CHECK(table.payload_bytes() == expected);
  for (const auto& t : table.take("n3"))
    gone(t);
  CHECK(table.payload_bytes() == expected);
  for (const auto& t : table.pop_due(from_epoch_ms(500)))
    gone(t);
  CHECK(table.payload_bytes() == expected);
  while (!table.empty())
    for (const auto& t : table.pop_due(from_epoch_ms(max_deadline_ms)))
      gone(t);
  CHECK(table.payload_bytes() == 0);
  CHECK(expected == 0);
}

TEST_CASE("reserving room keeps what the table holds, and inserting into it moves nothing") {
  timer_table table;
  for (std::uint64_t id = 1; id <= 100; ++id)
    REQUIRE(table.insert(make_varied(static_cast<std::int64_t>(1000 - id), id, "n")));
  const auto before = ids(table.entries());
  table.reserve(10'000); // rebuilds the token index around the 100 already there
  CHECK(ids(table.entries()) == before);
  for (std::uint64_t id = 1; id <= 100; ++id)
    CHECK(table.contains(token{1, id}));
  CHECK_FALSE(table.insert(make(5, 7))); // still known as a duplicate

  const auto reserved = table.memory_bytes();
  for (std::uint64_t id = 101; id <= 10'000; ++id)
    REQUIRE(table.insert(make(static_cast<std::int64_t>(id), id, "n")));
  CHECK(table.memory_bytes() == reserved); // no array grew, the index was not rebuilt
  CHECK(table.size() == 10'000);
}

TEST_CASE("reserving room counts the heap entries that erasures only marked") {
  timer_table table;
  for (std::uint64_t id = 1; id <= 100; ++id)
    REQUIRE(table.insert(make(static_cast<std::int64_t>(id), id)));
  for (std::uint64_t id = 2; id <= 51; ++id) // below the root: marked, not taken out
    REQUIRE(table.erase(token{1, id}));
  REQUIRE(table.size() == 50);
  table.reserve(table.size() + 1000);
  const auto reserved = table.memory_bytes();
  for (std::uint64_t id = 101; id <= 1100; ++id)
    REQUIRE(table.insert(make(static_cast<std::int64_t>(id), id)));
  CHECK(table.memory_bytes() == reserved); // the heap did not grow
  CHECK(table.size() == 1050);
}

TEST_CASE("a batch with lookahead visits in order, stops at the first false, and may remove as it goes") {
  batch_fixture f{13};
  auto& [rng, table, model, tokens] = f;
  const auto token_at = [&](std::size_t i) { return tokens[i]; };

  std::vector<std::size_t> visited;
  using use = timer_table::batch_use;
  const auto stopped = table.for_each_ahead(tokens.size(), token_at, use::find, [&](std::size_t i) {
    visited.push_back(i);
    return i < 100;
  });
  CHECK(stopped == 100);
  CHECK(visited.size() == 101);
  CHECK(std::is_sorted(visited.begin(), visited.end()));

  // Removing all but 300 packs the table (slots move) while hints are in flight.
  const auto full = table.memory_bytes();
  const auto removed = table.for_each_ahead(tokens.size() - 300, token_at, use::remove, [&](std::size_t i) {
    auto t = table.erase(tokens[i]);
    return t && model.erase({t->deadline, t->token}) == 1;
  });
  CHECK(removed == tokens.size() - 300);
  CHECK(table.entries() == f.expected());
  CHECK(table.memory_bytes() < full / 4); // packed on the way
}

TEST_CASE("a batch located up front is removed by location, each still valid, and settles at the end") {
  batch_fixture f{17};
  auto& [rng, table, model, tokens] = f;
  CHECK_FALSE(table.locate(token{2, 1}));
  tokens.resize(tokens.size() - 300);
  std::vector<timer_table::location> at;
  for (auto tok : tokens)
    at.push_back(table.locate(tok).value());

  const auto full = table.memory_bytes();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto entry = model.find({table.find(tokens[i]).value().deadline, tokens[i]});
    REQUIRE(entry != model.end());
    if (i % 2) {
      table.discard(at[i]);
    } else {
      REQUIRE(table.erase(at[i]) == entry->second); // the right one, though others moved
    }
    model.erase(entry);
  }
  CHECK(table.memory_bytes() >= full); // nothing packed while locations were held
  table.shrink_if_sparse();
  CHECK(table.memory_bytes() < full / 4);
  CHECK(table.entries() == f.expected());
}

// One calendar object per distinct expression and zone, however many
// timeouts use it, and each timeout hands back the calendar it came with.
TEST_CASE("calendars are interned, kept through every way out, and let go with their last timeout") {
  const auto weekdays = test::calendar_of("0 0 9 * * MON-FRI", "Europe/Berlin");
  const auto daily = test::calendar_of("@daily");
  timer_table table;
  for (std::uint64_t id = 1; id <= 300; ++id) {
    auto t = make(static_cast<std::int64_t>(id), id, id % 2 ? "a" : "b", id % 3 ? "" : "p");
    if (id % 5 != 0) // also a few without one, beside them
      t.calendar = test::calendar_of(id % 4 ? "0 0 9 * * MON-FRI" : "@daily",
                                     id % 4 ? "Europe/Berlin" : "");
    REQUIRE(table.insert(std::move(t)));
  }
  // Timeouts of equal calendars share one object.
  const auto held = table.find(token{1, 1})->calendar;
  REQUIRE(held);
  CHECK(same_calendar(held.get(), weekdays.get()));
  CHECK(held == table.find(token{1, 2})->calendar);
  CHECK(table.find(token{1, 5})->calendar == nullptr);
  CHECK(same_calendar(table.find(token{1, 4})->calendar.get(), daily.get()));
  // Out by erase, by name, by pop: each with its calendar.
  auto erased = table.erase(token{1, 3});
  REQUIRE(erased);
  CHECK(same_calendar(erased->calendar.get(), weekdays.get()));
  erased.reset();
  for (const auto& t : table.take("b"))
    CHECK((t.token.random() % 5 == 0) == (t.calendar == nullptr));
  for (const auto& t : table.pop_due(from_epoch_ms(1000)))
    CHECK((t.token.random() % 5 == 0) == (t.calendar == nullptr));
  CHECK(table.size() == 0);
  // With its last timeout gone, the table holds the calendar no more.
  CHECK(held.use_count() == 1);
}
