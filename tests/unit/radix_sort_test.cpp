#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "table/radix_sort.hpp"

using chronos::detail::radix_sort;

namespace {

// A key and where the item started, to see that equal keys keep their order.
struct item {
  std::uint64_t key;
  std::size_t was;
  friend bool operator==(const item& a, const item& b) { return a.key == b.key && a.was == b.was; }
};

std::vector<item> items_of(const std::vector<std::uint64_t>& keys) {
  std::vector<item> out;
  for (std::size_t i = 0; i < keys.size(); ++i)
    out.push_back({keys[i], i});
  return out;
}

// What radix_sort must give: std::stable_sort by key.
void check_sorts(const std::vector<std::uint64_t>& keys) {
  auto sorted = items_of(keys);
  radix_sort(sorted, [](const item& i) { return i.key; });
  auto expected = items_of(keys);
  std::stable_sort(expected.begin(), expected.end(),
                   [](const item& a, const item& b) { return a.key < b.key; });
  REQUIRE(sorted == expected);
}

} // namespace

TEST_CASE("radix sort orders keys of every magnitude") {
  std::mt19937_64 rng{11};
  std::vector<std::uint64_t> keys(50'000);
  for (auto& k : keys)
    k = rng() >> (rng() % 64); // from 0 to 2^64 - 1
  keys.push_back(0);
  keys.push_back(~std::uint64_t{0});
  check_sorts(keys);
}

TEST_CASE("radix sort keeps the order of equal keys") {
  std::mt19937_64 rng{12};
  std::vector<std::uint64_t> keys(20'000);
  for (auto& k : keys)
    k = rng() % 50 << 40; // few keys, each many times, differing in high bits only
  check_sorts(keys);
}

// The timer table's shape: deadlines close together share their high bits,
// so some passes are skipped; a pass skipped wrongly would show.
TEST_CASE("radix sort orders keys that share their high digits") {
  std::mt19937_64 rng{13};
  std::vector<std::uint64_t> keys(30'000);
  const std::uint64_t base = std::uint64_t{1'800'000'000'000} << 16;
  for (auto& k : keys)
    k = base + rng() % (std::uint64_t{3'600'000} << 16);
  check_sorts(keys);
  check_sorts({7, 7, 7});
  check_sorts({});
  check_sorts({42});
}
