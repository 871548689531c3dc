#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "chronos/detail/name_pool.hpp"

using namespace chronos;

TEST_CASE("a name is interned once and counted per user") {
  name_pool pool;
  const auto a = pool.acquire("alpha");
  const auto b = pool.acquire("beta");
  CHECK(a != b);
  CHECK(pool.acquire(std::string{"alpha"}) == a);
  CHECK(pool.text(a) == "alpha");
  CHECK(pool.users(a) == 2);
  CHECK(pool.users(b) == 1);
  CHECK(pool.find("alpha") == a);
  CHECK_FALSE(pool.find("gamma"));
  CHECK_FALSE(pool.find("alph")); // a prefix is another name
}

TEST_CASE("a name is forgotten with its last user and its id is reused") {
  name_pool pool;
  const auto a = pool.acquire("alpha");
  pool.acquire("alpha");
  pool.acquire("beta");
  pool.release(a);
  CHECK(pool.find("alpha") == a);
  pool.release(a);
  CHECK_FALSE(pool.find("alpha"));
  const auto c = pool.acquire("gamma");
  CHECK(c == a);
  CHECK(pool.text(c) == "gamma");
  CHECK(pool.users(c) == 1);
  CHECK(pool.id_bound() == 2);
}

TEST_CASE("for_each visits every name in use with its count") {
  name_pool pool;
  pool.acquire("a");
  pool.acquire("b");
  pool.acquire("b");
  pool.release(pool.acquire("gone"));
  pool.acquire(""); // the empty name is a name like any other here
  std::map<std::string, std::uint32_t> seen;
  pool.for_each([&](const std::string& text, std::uint32_t users) { seen[text] += users; });
  CHECK(seen == std::map<std::string, std::uint32_t>{{"", 1}, {"a", 1}, {"b", 2}});
}

TEST_CASE("the name pool agrees with a map through random acquires and releases") {
  name_pool pool;
  std::map<std::string, std::pair<name_pool::id, std::uint32_t>> expected;
  std::mt19937_64 rng{17};
  for (int step = 0; step < 200'000; ++step) {
    // Names of every length around the short-string boundary, a few thousand in all.
    const auto name = std::string(rng() % 24, 'x') + std::to_string(rng() % 3000);
    auto it = expected.find(name);
    if (rng() % 3 != 0 || it == expected.end()) {
      const auto n = pool.acquire(name);
      if (it != expected.end())
        REQUIRE(n == it->second.first);
      auto& e = expected[name];
      e = {n, e.second + 1};
    } else {
      pool.release(it->second.first);
      if (--it->second.second == 0)
        expected.erase(it);
    }
  }
  std::size_t in_use = 0;
  pool.for_each([&](const std::string&, std::uint32_t) { ++in_use; });
  CHECK(in_use == expected.size());
  for (const auto& [name, e] : expected) {
    REQUIRE(pool.find(name) == e.first);
    REQUIRE(pool.text(e.first) == name);
    REQUIRE(pool.users(e.first) == e.second);
  }
}

TEST_CASE("packing renumbers the names in use and gives the rest back") {
  name_pool pool;
  std::vector<name_pool::id> ids;
  for (int i = 0; i < 10'000; ++i)
    ids.push_back(pool.acquire("name-" + std::to_string(i)));
  CHECK(pool.pack().empty()); // all in use: nothing to gain
  const auto full = pool.memory_bytes();
  for (int i = 0; i < 10'000; ++i)
    if (i % 5 != 0)
      pool.release(ids[static_cast<std::size_t>(i)]);
  const auto renumbered = pool.pack();
  REQUIRE(renumbered.size() == 10'000);
  CHECK(pool.id_bound() == 2'000);
  CHECK(pool.memory_bytes() < full / 3);
  for (int i = 0; i < 10'000; ++i) {
    const auto was = ids[static_cast<std::size_t>(i)];
    if (i % 5 != 0) {
      REQUIRE(renumbered[was] == name_pool::none);
      REQUIRE_FALSE(pool.find("name-" + std::to_string(i)));
      continue;
    }
    const auto now = renumbered[was];
    REQUIRE(now < 2'000);
    REQUIRE(pool.find("name-" + std::to_string(i)) == now);
    REQUIRE(pool.text(now) == "name-" + std::to_string(i));
    REQUIRE(pool.users(now) == 1);
  }
  CHECK(pool.acquire("new") == 2'000); // no free ids left: the next one
}
