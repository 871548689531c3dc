#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <random>
#include <unordered_map>

#include "chronos/detail/slot_index.hpp"
#include "chronos/table/token.hpp"

using namespace chronos;
using token_index = slot_index<token>;
using slot_id = token_index::slot_id;

namespace {

constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ULL;

// The inverse of the index's multiplier modulo 2^64 (Newton's iteration).
constexpr std::uint64_t golden_inverse() {
  std::uint64_t inv = golden;
  for (int i = 0; i < 6; ++i)
    inv *= 2 - golden * inv;
  return inv;
}
static_assert(golden * golden_inverse() == 1);

// A token whose hash, multiplied as the index does, is `product`.
token with_product(std::uint64_t product) {
  const std::uint64_t stamp = 42;
  return token{stamp, product * golden_inverse() ^ (stamp * golden)};
}

// Tokens whose multiplied hashes share their top 16 bits: whatever the table
// size up to 65,536 buckets, they all want the same home bucket, so lookups
// scan one long run and deletion has to shift it.
token crowded(std::uint64_t i) {
  return with_product((std::uint64_t{0xbeef} << 48) | (i * 7919 % (std::uint64_t{1} << 48)));
}

// The index against a map, through random inserts, erases and lookups.
// Slot ids start at `base`: a large base leaves the fingerprints few bits,
// or none.
void check_against_map(slot_id base, bool crowd, std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::unordered_map<slot_id, token> slots;
  auto key_of = [&](slot_id s) { return slots.at(s); };
  std::map<token, slot_id> expected;
  std::vector<slot_id> free;
  const slot_id room = crowd ? 300 : 3000; // a crowd is one long run: lookups scan it
  for (slot_id s = 0; s < room; ++s)
    free.push_back(base + s);
  token_index index;
  std::uint64_t next = 0;
  for (int step = 0; step < 20'000; ++step) {
    const auto op = rng() % 10;
    if (op < 5 && !free.empty()) {
      const auto pick = rng() % free.size();
      const slot_id s = free[pick];
      free[pick] = free.back();
      free.pop_back();
      const token t = crowd ? crowded(next++) : token{rng(), rng()};
      slots[s] = t;
      expected[t] = s;
      index.insert(s, key_of);
    } else if (op < 8 && !expected.empty()) {
      auto it = expected.begin();
      std::advance(it, static_cast<long>(rng() % expected.size()));
      index.erase(it->second, key_of);
      free.push_back(it->second);
      slots.erase(it->second);
      expected.erase(it);
    } else {
      const token absent = crowd ? crowded(next + rng() % 1000) : token{rng(), rng()};
      REQUIRE(index.find(absent, key_of) == (expected.count(absent) ? expected[absent] : token_index::none));
    }
    if (step % 1000 == 0) // every entry is still found where it is
      for (const auto& [t, s] : expected) {
        REQUIRE(index.find(t, key_of) == s);
        REQUIRE(index.likely_slot(t) != token_index::none); // a hint, but never "absent"
      }
  }
  for (const auto& [t, s] : expected)
    REQUIRE(index.find(t, key_of) == s);
}

} // namespace

TEST_CASE("an index of tokens finds what was inserted and nothing that was erased") {
  const bool crowd = GENERATE(false, true);
  // Small ids (16-bit fingerprints), ids that leave 3 bits, and ids that leave none.
  const slot_id base = GENERATE(slot_id{0}, slot_id{1} << 28, slot_id{0xffff0000});
  INFO("base " << base << (crowd ? ", crowded tokens" : ", random tokens"));
  check_against_map(base, crowd, 7 + base + crowd);
}

TEST_CASE("an index of tokens takes slot ids of any size, growing its slot bits as they come") {
  std::unordered_map<slot_id, token> slots;
  auto key_of = [&](slot_id s) { return slots.at(s); };
  token_index index;
  std::vector<slot_id> ids;
  for (unsigned bits = 0; bits < 32; ++bits)
    ids.push_back((slot_id{1} << bits) - 1 + (bits % 2)); // around every power of two
  ids.push_back(0xfffffffe); // the largest slot id there is
  std::mt19937_64 rng{3};
  for (auto s : ids) {
    slots[s] = token{rng(), rng()};
    index.insert(s, key_of);
  }
  for (auto s : ids)
    REQUIRE(index.find(slots[s], key_of) == s);
  for (auto s : ids) {
    index.erase(s, key_of);
    REQUIRE(index.find(slots[s], key_of) == token_index::none);
  }
}

TEST_CASE("an index of dense slot ids grows past 16-bit ids and keeps every entry") {
  // Each doubling widens the ids for the entries to come and re-places the
  // entries through a bitmap of every id the old width allows.
  std::vector<token> slots;
  auto key_of = [&](slot_id s) { return slots.at(s); };
  token_index index;
  std::mt19937_64 rng{13};
  for (slot_id s = 0; s < 300'000; ++s) {
    slots.push_back(token{rng(), rng()});
    index.insert(s, key_of);
  }
  CHECK(index.bucket_count() == 524'288);
  for (slot_id s = 0; s < slots.size(); ++s)
    REQUIRE(index.find(slots[s], key_of) == s);
  for (int i = 0; i < 10'000; ++i)
    REQUIRE(index.find(token{rng(), rng()}, key_of) == token_index::none);
}

TEST_CASE("reserving for a slot count rebuilds once, then inserts move nothing") {
  std::unordered_map<slot_id, token> slots;
  auto key_of = [&](slot_id s) { return slots.at(s); };
  token_index index;
  index.reserve(100'000, key_of);
  const auto buckets = index.bucket_count();
  std::mt19937_64 rng{5};
  for (slot_id s = 0; s < 100'000; ++s) {
    slots[s] = token{rng(), rng()};
    index.insert(s, key_of);
  }
  CHECK(index.bucket_count() == buckets);
  for (slot_id s = 0; s < 100'000; s += 997)
    REQUIRE(index.find(slots[s], key_of) == s);
}

TEST_CASE("the likely slot, found without looking at slots, is nearly always the slot") {
  std::unordered_map<slot_id, token> slots;
  auto key_of = [&](slot_id s) { return slots.at(s); };
  token_index index;
  CHECK(index.likely_slot(token{1, 2}) == token_index::none);
  std::mt19937_64 rng{11};
  for (slot_id s = 0; s < 10'000; ++s) {
    slots[s] = token{rng(), rng()};
    index.insert(s, key_of);
  }
  std::size_t right = 0;
  for (const auto& [s, t] : slots)
    right += index.likely_slot(t) == s;
  CHECK(right >= 9'990); // 16 bits of fingerprint: a wrong match is 1 probe in 65,536
}

TEST_CASE("an erase reads the slots only of the entries after it that are 7 or more from home") {
  std::unordered_map<slot_id, token> slots;
  std::size_t reads = 0;
  auto key_of = [&](slot_id s) {
    ++reads;
    return slots.at(s);
  };
  // One run from bucket 11 of 16: entry s sits s buckets from its home.
  auto same_home = [](std::uint64_t i) { return with_product(std::uint64_t{11} << 60 | (i + 1) << 44); };
  token_index index;
  for (slot_id s = 0; s < 10; ++s) {
    slots[s] = same_home(s);
    index.insert(s, key_of);
  }
  REQUIRE(index.bucket_count() == 16);
  const auto erase = [&](slot_id s) {
    reads = 0;
    index.erase(s, key_of);
    slots.erase(s);
    return reads;
  };
  // Its own key, then those of the entries 7, 8 and 9 from home, which move back.
  CHECK(erase(0) == 1 + 3);
  CHECK(erase(1) == 1 + 2); // the rest moved one closer
  CHECK(erase(9) == 1);     // the run's last entry: nothing after it
  for (const auto& [s, t] : slots)
    CHECK(index.find(t, key_of) == s);
  CHECK(index.find(same_home(0), key_of) == token_index::none);
}
