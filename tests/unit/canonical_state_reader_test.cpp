#include <catch2/catch.hpp>

#include "../support/calendar.hpp"
#include "../support/state_text.hpp"
#include "store/canonical_state_reader.hpp"
#include "store/state_reader.hpp"

using namespace chronos;
using detail::read_canonical_snapshot;

namespace {

snapshot sample() {
  snapshot s;
  s.saved_at = from_epoch_ms(1'795'302'000'000);
  s.generation = 7;
  std::string every_escape = "q\" b\\ \b\f\n\r\t \x01\x1f é€😀";
  s.pending.push_back({from_epoch_ms(0), token{0x10, 0xa}, "alice", "", millis{0}});
  s.pending.push_back({from_epoch_ms(max_deadline_ms), token{0x11, 0xb}, "b\"ob", every_escape,
                       millis{5000}, misfire_policy::skip});
  s.parked.push_back({from_epoch_ms(1'795'301'000'000), token{0x09, 0xc}, "carol", "late", millis{0}});
  s.parked.push_back({from_epoch_ms(1'795'301'000'000), token{0x09, 0xd}, "dave", "", millis{0},
                      misfire_policy::all, "k", test::calendar_of("@daily", "Asia/Kolkata"),
                      millis{5000}, millis{4999}});
  return s;
}

} // namespace

TEST_CASE("the fast reader reads what encode writes, as the general reader does") {
  const auto text = *encode(sample());
  auto fast = read_canonical_snapshot(text);
  REQUIRE(fast);
  CHECK(*fast == sample());
  auto general = detail::read_snapshot(text);
  REQUIRE(general);
  CHECK(*fast == *general);
  auto empty = read_canonical_snapshot(*encode(snapshot{}));
  REQUIRE(empty);
  CHECK(*empty == snapshot{});
}

TEST_CASE("the fast reader gives up on valid JSON in any other layout") {
  const auto text = test::without_checksum(*encode(sample()));
  for (auto [from, to] : {std::pair{"\"interval_ms\":0", "\"interval_ms\": 0"},
                          std::pair{"\"payload\":\"late\",", ""},
                          std::pair{"\n]", "]"},
                          std::pair{"\"late\"", "\"l\\u0061te\""},
                          std::pair{"\"late\"", "\"l\\/te\""}}) {
    auto variant = text;
    variant.replace(variant.find(from), std::string{from}.size(), to);
    INFO(variant);
    CHECK_FALSE(read_canonical_snapshot(variant));
    auto general = decode(variant); // and decode still reads it, the slow way
    REQUIRE(general);
    CHECK(general->pending.size() == 2);
  }
}

TEST_CASE("the fast reader never returns part of a cut file") {
  const auto text = *encode(sample());
  for (std::size_t cut = 0; cut < text.size(); ++cut)
    REQUIRE_FALSE(read_canonical_snapshot(text.substr(0, cut)));
}

TEST_CASE("the fast reader leaves every damage to the general reader") {
  const auto text = test::without_checksum(*encode(sample()));
  auto damaged = [&](const std::string& from, const std::string& to) {
    auto variant = text;
    variant.replace(variant.find(from), from.size(), to);
    return variant;
  };
  for (const auto& bad : {
         damaged("000000000011-000000000000000b", "000000000010-000000000000000a"), // duplicate
         damaged("\"deadline_ms\":0", "\"deadline_ms\":-1"),
         damaged("\"deadline_ms\":0", "\"deadline_ms\":00"),
         damaged("\"interval_ms\":5000", "\"interval_ms\":-5"),
         damaged("\"name\":\"alice\"", "\"name\":\"\""),
         damaged("000000000011-000000000000000b", "zz"),
         damaged("\"version\": 1", "\"version\": 2"),
         damaged("\"generation\": 7", "\"generation\": -7"),
         damaged("\"generation\": 7", "\"generation\": -00"), // a fuzzer's find: read as 0
         damaged("\"generation\": 7", "\"generation\": -0"),
         damaged("\"deadline_ms\":0", "\"deadline_ms\":-0"),
         damaged("carol", "car\xc3ol"), // not UTF-8
         damaged("carol", "car\x01ol"), // a raw control character
         text + " ",
       }) {
    INFO(bad);
    CHECK_FALSE(read_canonical_snapshot(bad));
  }
}

// Plain characters are passed over eight at a time: a special one must be
// seen wherever it falls against those steps, in names, payloads and tokens.
TEST_CASE("the fast reader finds every escape and control character at every offset") {
  for (const std::string special : {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9"}) {
    for (std::size_t before = 0; before < 18; ++before) {
      snapshot s;
      const auto text = std::string(before, 'a') + special + std::string(before % 9, 'b');
      s.pending.push_back({from_epoch_ms(1000), token{0x10, 0xa}, "n" + text, text, millis{0}});
      const auto encoded = *encode(s);
      INFO("offset " << before << ", special byte " << int(static_cast<unsigned char>(special[0])));
      auto fast = read_canonical_snapshot(encoded);
      REQUIRE(fast);
      CHECK(*fast == s);
      // The same characters raw, where the encoder escapes them, are damage.
      if (static_cast<unsigned char>(special[0]) < 0x20) {
        auto raw = test::without_checksum(encoded);
        const auto escaped = raw.find(special[0] == '\n' ? "\\n" : "\\u00");
        REQUIRE(escaped != std::string::npos);
        raw.replace(escaped, special[0] == '\n' ? 2 : 6, special);
        CHECK_FALSE(read_canonical_snapshot(raw));
      }
    }
  }
  // A token with an escape in it is not what the encoder writes.
  auto text = test::without_checksum(*encode(sample()));
  text.replace(text.find("000000000010-"), 1, "\\u0030");
  CHECK_FALSE(read_canonical_snapshot(text));
  CHECK(decode(text)); // read the slow way, as the same token
}

TEST_CASE("a large list is read whole and in order, and damage anywhere in it is refused") {
  snapshot s;
  s.saved_at = from_epoch_ms(1'795'302'000'000);
  for (std::uint64_t i = 0; i < 60'000; ++i)
    s.pending.push_back({from_epoch_ms(1'795'302'000'000 + static_cast<std::int64_t>(i)),
                         token{0x10, i}, "name-" + std::to_string(i % 7),
                         std::string(100, 'p') + (i % 3 == 0 ? "\n\"" : ""), millis{0}});
  const auto text = *encode(s);
  const auto body = text.find("\"timeouts\": [") + 13;
  const auto body_end = text.find("\n]");
  auto fast = read_canonical_snapshot(text);
  REQUIRE(fast);
  CHECK(*fast == s);

  auto damaged = [&](std::size_t at, std::size_t len, const std::string& by) {
    auto variant = text;
    variant.replace(at, len, by);
    return variant;
  };
  // A line in the middle loses its comma.
  const auto middle = text.find('\n', body + (body_end - body) / 2);
  REQUIRE(text[middle - 1] == ',');
  CHECK_FALSE(read_canonical_snapshot(damaged(middle - 1, 1, "")));
  // A bad entry early, late, and on the last line of the list.
  for (auto at : {body + 1000, body_end - 100000, text.rfind('\n', body_end - 1)}) {
    const auto key = text.find("\"interval_ms\":0", at);
    REQUIRE(key < body_end);
    INFO("at " << key);
    CHECK_FALSE(read_canonical_snapshot(damaged(key, 15, "\"interval_ms\":-5")));
  }
  // The first token again at the end.
  const auto first_token = text.find("\"token\":\"", body) + 9;
  const auto last_token = text.rfind("\"token\":\"", body_end) + 9;
  CHECK_FALSE(read_canonical_snapshot(damaged(last_token, 29, text.substr(first_token, 29))));
}
