#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "chronos/timer_table.hpp"

using namespace chronos;

namespace {

timeout make(std::int64_t deadline_ms, std::uint64_t id, std::string name = "a") {
  return timeout{from_epoch_ms(deadline_ms), token{1, id}, std::move(name), "", millis{0}};
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

TEST_CASE("two timeouts with the same deadline are both kept and fire in token order") {
  timer_table table;
  table.insert(make(100, 9));
  table.insert(make(100, 4));
  CHECK(table.size() == 2);
  CHECK(ids(table.pop_due(from_epoch_ms(100))) == std::vector<std::uint64_t>{4, 9});
}

TEST_CASE("inserting a token twice is refused and keeps the first") {
  timer_table table;
  CHECK(table.insert(make(100, 1)));
  CHECK_FALSE(table.insert(make(50, 1)));
  CHECK(table.find(token{1, 1})->deadline == from_epoch_ms(100));
  CHECK(table.size() == 1);
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
      auto t = make(now + static_cast<std::int64_t>(pick(500)), next_id++, names[pick(4)]);
      model.push_back(t);
      REQUIRE(table.insert(t));
    } else if (op < 60) { // cancel an existing or an unknown token
      std::uint64_t id = model.empty() || pick(4) == 0 ? next_id + 1000
                                                        : model[pick(model.size())].token.random();
      auto it = model_find(id);
      auto erased = table.erase(token{1, id});
      REQUIRE(erased.has_value() == (it != model.end()));
      if (it != model.end()) {
        REQUIRE(*erased == *it);
        model.erase(it);
      }
    } else if (op < 75) { // reschedule
      std::uint64_t id = model.empty() ? 0 : model[pick(model.size())].token.random();
      auto deadline = from_epoch_ms(now + static_cast<std::int64_t>(pick(500)));
      auto it = model_find(id);
      REQUIRE(table.reschedule(token{1, id}, deadline) == (it != model.end()));
      if (it != model.end())
        it->deadline = deadline;
    } else if (op < 95) { // advance time and pop
      now += static_cast<std::int64_t>(pick(20));
      std::sort(model.begin(), model.end(), by_key);
      auto split = std::partition_point(model.begin(), model.end(), [&](const timeout& t) {
        return t.deadline <= from_epoch_ms(now);
      });
      std::vector<timeout> expected(model.begin(), split);
      model.erase(model.begin(), split);
      REQUIRE(table.pop_due(from_epoch_ms(now)) == expected);
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
