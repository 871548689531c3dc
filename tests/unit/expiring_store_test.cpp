#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "../support/state_text.hpp"
#include "../support/temp_dir.hpp"
#include "chronos/store/expiring_store.hpp"
#include "chronos/store/journal.hpp"
#include "chronos/store/state_file.hpp"

using namespace chronos;

namespace {

const timestamp t0 = from_epoch_ms(1'795'302'000'000);

timestamp at(std::int64_t ms_after_t0) { return t0 + millis{ms_after_t0}; }

expiring_store open_or_fail(const std::string& path, timestamp now) {
  auto s = expiring_store::open(path, now);
  INFO((s ? "" : s.error().detail));
  REQUIRE(s);
  return std::move(*s);
}

} // namespace

TEST_CASE("a key is served until its expiry and not at it") {
  expiring_store store{token_generator{1}};
  REQUIRE(store.set("session-1", "alice", millis{1000}, t0));
  CHECK(store.get("session-1", at(999)) == "alice");
  CHECK(store.expires_at("session-1", at(0)) == at(1000));
  CHECK_FALSE(store.get("session-1", at(1000)));
  CHECK_FALSE(store.expires_at("session-1", at(1000)));
  CHECK_FALSE(store.get("nobody", t0));
  CHECK(store.size() == 1); // expired, but not yet removed by expire()
}

TEST_CASE("expired keys leave in expiry order, and only those") {
  expiring_store store{token_generator{1}};
  REQUIRE(store.set("c", "3", millis{300}, t0));
  REQUIRE(store.set("a", "1", millis{100}, t0));
  REQUIRE(store.set("b", "2", millis{200}, t0));
  CHECK(store.next_expiry() == at(100));
  CHECK(store.expire(at(99))->empty());
  auto gone = store.expire(at(200));
  REQUIRE(gone);
  CHECK(*gone == std::vector<store_entry>{{"a", "1", at(100)}, {"b", "2", at(200)}});
  CHECK(store.size() == 1);
  CHECK(store.next_expiry() == at(300));
  CHECK(store.get("c", at(200)) == "3");
}

TEST_CASE("set replaces a value and its expiry, touch extends, erase removes") {
  expiring_store store{token_generator{1}};
  REQUIRE(store.set("k", "old", millis{100}, t0));
  REQUIRE(store.set("k", "new", millis{500}, at(50)));
  CHECK(store.size() == 1);
  CHECK(store.expire(at(100))->empty()); // the old expiry went with the old value
  CHECK(store.get("k", at(100)) == "new");
  CHECK(*store.touch("k", millis{1000}, at(500 + 49)));
  CHECK(store.expires_at("k", at(549)) == at(1549));
  CHECK_FALSE(*store.touch("k", millis{1000}, at(1549))); // expired: not brought back
  CHECK_FALSE(*store.touch("missing", millis{1000}, t0));
  CHECK(*store.erase("k"));
  CHECK_FALSE(*store.erase("k"));
  CHECK(store.size() == 0);
  CHECK_FALSE(store.next_expiry());
}

TEST_CASE("bad keys, values and times to live are refused and change nothing") {
  expiring_store store{token_generator{1}, store_limits{8, 4}};
  REQUIRE(store.set("kept", "v", millis{10}, t0));
  struct bad_case {
    std::string key, value;
    std::int64_t ttl_ms;
    const char* why;
  };
  const std::vector<bad_case> cases{
    {"", "v", 10, "empty key"},
    {"much-too-long", "v", 10, "key longer than 8 bytes"},
    {"k\xff", "v", 10, "key is not valid UTF-8"},
    {"k", "12345", 10, "value larger than 4 bytes"},
    {"k", "\xc3", 10, "value is not valid UTF-8"},
    {"k", "v", 0, "time to live must be positive"},
    {"k", "v", -5, "time to live must be positive"},
    {"k", "v", max_deadline_ms, "expiry after 9999-12-31"},
  };
  for (const auto& c : cases) {
    INFO(c.why);
    auto ok = store.set(c.key, c.value, millis{c.ttl_ms}, t0);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == errc::invalid_argument);
    CHECK(ok.error().detail == c.why);
  }
  auto touched = store.touch("kept", millis{0}, t0);
  REQUIRE_FALSE(touched);
  CHECK(store.size() == 1);
  CHECK(store.expires_at("kept", t0) == at(10));
}

TEST_CASE("10,000 random operations match a naive model") {
  expiring_store store{token_generator{7}};
  std::map<std::string, std::pair<std::string, std::int64_t>> model; // key -> value, expiry
  std::mt19937_64 rng{8};
  std::int64_t now = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto key = "k" + std::to_string(rng() % 300);
    const auto ttl = static_cast<std::int64_t>(rng() % 500 + 1);
    switch (rng() % 5) {
      case 0:
      case 1: {
        const auto value = std::to_string(i);
        REQUIRE(store.set(key, value, millis{ttl}, at(now)));
        model[key] = {value, now + ttl};
        break;
      }
      case 2: {
        auto m = model.find(key);
        const bool live = m != model.end() && m->second.second > now;
        CHECK(*store.touch(key, millis{ttl}, at(now)) == live);
        if (live)
          m->second.second = now + ttl;
        break;
      }
      case 3:
        CHECK(*store.erase(key) == (model.erase(key) > 0));
        break;
      case 4: {
        now += static_cast<std::int64_t>(rng() % 50);
        std::vector<std::pair<std::int64_t, std::string>> due;
        for (auto m = model.begin(); m != model.end();) {
          if (m->second.second <= now) {
            due.emplace_back(m->second.second, m->first);
            m = model.erase(m);
          } else {
            ++m;
          }
        }
        std::sort(due.begin(), due.end());
        auto gone = store.expire(at(now));
        REQUIRE(gone);
        REQUIRE(gone->size() == due.size());
        for (std::size_t j = 0; j < due.size(); ++j)
          CHECK(gone->at(j).expires == at(due[j].first));
        break;
      }
    }
    auto m = model.find(key);
    const bool live = m != model.end() && m->second.second > now;
    REQUIRE(store.get(key, at(now)) == (live ? std::optional{m->second.first} : std::nullopt));
  }
}

TEST_CASE("a store on a file keeps every change across a reopen, without a close") {
  test::temp_dir dir;
  const auto path = dir.file("sessions.json");
  {
    auto store = open_or_fail(path, t0);
    REQUIRE(store.set("a", "alice", millis{60'000}, t0));
    REQUIRE(store.set("b", "bob", millis{1000}, t0));
    REQUIRE(store.set("c", "carol", millis{60'000}, t0));
    REQUIRE(*store.touch("b", millis{120'000}, at(500)));
    REQUIRE(*store.erase("c"));
  } // dropped as a crash would: no snapshot at the end
  auto again = open_or_fail(path, at(1000));
  CHECK(again.size() == 2);
  CHECK(again.get("a", at(1000)) == "alice");
  CHECK(again.expires_at("b", at(1000)) == at(120'500));
  CHECK_FALSE(again.get("c", at(1000)));
}

TEST_CASE("what expired while the store was closed is gone at open") {
  test::temp_dir dir;
  const auto path = dir.file("sessions.json");
  {
    auto store = open_or_fail(path, t0);
    REQUIRE(store.set("short", "x", millis{100}, t0));
    REQUIRE(store.set("long", "y", millis{10'000}, t0));
  }
  auto again = open_or_fail(path, at(5000));
  CHECK(again.size() == 1);
  CHECK_FALSE(again.get("short", at(5000)));
  CHECK(again.get("long", at(5000)) == "y");
  // The removal was journaled: a later open agrees even with an earlier clock.
  auto third = open_or_fail(path, at(50));
  CHECK(third.size() == 1);
}

TEST_CASE("a long journal is folded into the snapshot, and nothing is lost") {
  test::temp_dir dir;
  const auto path = dir.file("sessions.json");
  {
    auto store = open_or_fail(path, t0);
    for (int i = 0; i < 3000; ++i)
      REQUIRE(store.set("k" + std::to_string(i % 10), std::to_string(i), millis{60'000}, at(i)));
  }
  auto gens = list_journals(path);
  REQUIRE(gens);
  REQUIRE(gens->size() == 1);
  CHECK(gens->front() >= 2); // compacted at least twice (about 1,024 records each)
  auto again = open_or_fail(path, at(3000));
  CHECK(again.size() == 10);
  CHECK(again.get("k9", at(3000)) == "2999");
}

TEST_CASE("a damaged store file stops the open and stays as it was") {
  test::temp_dir dir;
  const auto path = dir.file("sessions.json");
  {
    auto store = open_or_fail(path, t0);
    REQUIRE(store.set("a", "alice", millis{60'000}, t0));
    REQUIRE(store.compact(t0));
  }
  auto text = test::slurp(path);
  const auto damaged = text.substr(0, text.size() / 2);
  test::spit(path, damaged);
  auto store = expiring_store::open(path, t0);
  REQUIRE_FALSE(store);
  CHECK(store.error().code == errc::storage_failure);
  CHECK(store.error().detail.find(path) != std::string::npos);
  CHECK(test::slurp(path) == damaged);
}

TEST_CASE("a hand-edited store file opens whole: what the fast reader took is dropped first") {
  test::temp_dir dir;
  const auto path = dir.file("sessions.json");
  {
    auto store = open_or_fail(path, t0);
    REQUIRE(store.set("a", "alice", millis{60'000}, t0));
    REQUIRE(store.set("b", "bob", millis{60'000}, t0));
    REQUIRE(store.compact(t0));
  }
  // Valid JSON in another layout on the last line: the fast reader has
  // handed over the first key when it gives up.
  auto text = test::without_checksum(test::slurp(path));
  text.replace(text.rfind("\"payload\":"), 10, "\"payload\": ");
  test::spit(path, text);
  auto store = open_or_fail(path, t0);
  CHECK(store.size() == 2);
  CHECK(store.get("a", t0) == std::optional<std::string>{"alice"});
  CHECK(store.get("b", t0) == std::optional<std::string>{"bob"});
}

TEST_CASE("a chronos state file with parked or recurring timeouts is not a store") {
  test::temp_dir dir;
  const auto path = dir.file("chronos.json");
  snapshot s;
  s.pending.push_back({at(100), token{1, 2}, "w", "", millis{1000}});
  REQUIRE(save_state(path, s));
  auto store = expiring_store::open(path, t0);
  REQUIRE_FALSE(store);
  CHECK(store.error().detail.find(path) != std::string::npos);
}
