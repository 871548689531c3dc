#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <set>

#include "base/hex.hpp"
#include "chronos/table/token.hpp"

using chronos::token;

TEST_CASE("a token's text is fixed-width lowercase hex that parses back") {
  token t{0x0192f3a1b2c3, 0x9f3c4d2e1a0b7c6dULL};
  CHECK(t.str() == "0192f3a1b2c3-9f3c4d2e1a0b7c6d");
  auto back = token::parse(t.str());
  REQUIRE(back);
  CHECK(*back == t);
}

TEST_CASE("append_to adds the same text str gives, after what is there") {
  token t{0xabcdef012345, 0x0123456789abcdefULL};
  std::string out = "token ";
  t.append_to(out);
  CHECK(out == "token abcdef012345-0123456789abcdef");
}

TEST_CASE("every byte of a token formats as its two digits and parses back") {
  std::mt19937_64 rng{11};
  for (int i = 0; i < 1000; ++i) {
    token t{rng() >> 16, rng()};
    const auto text = t.str();
    INFO(text);
    REQUIRE(text.size() == token::text_size);
    char expected[token::text_size + 1];
    std::snprintf(expected, sizeof expected, "%012llx-%016llx",
                  static_cast<unsigned long long>(t.stamp()),
                  static_cast<unsigned long long>(t.random()));
    CHECK(text == expected);
    CHECK(token::parse(text) == t);
  }
}

TEST_CASE("textual order of tokens is their numeric order") {
  token a{1, 0xffffffffffffffffULL};
  token b{2, 0};
  CHECK(a < b);
  CHECK(a.str() < b.str());
}

TEST_CASE("malformed token text is rejected") {
  for (const char* text : {"", "abc", "0192f3a1b2c3-9f3c4d2e1a0b7c6", "0192f3a1b2c3_9f3c4d2e1a0b7c6d",
                           "0192F3A1B2C3-9F3C4D2E1A0B7C6D", "0192f3a1b2c3-9f3c4d2e1a0b7c6dd",
                           "0192f3a1b2cg-9f3c4d2e1a0b7c6d"}) {
    INFO(text);
    CHECK_FALSE(token::parse(text));
  }
}

TEST_CASE("generated tokens carry the creation time and differ") {
  chronos::token_generator gen{42};
  auto now = chronos::from_epoch_ms(1'795'302'000'250);
  std::set<token> seen;
  for (int i = 0; i < 10'000; ++i) {
    auto t = gen.next(now);
    CHECK(t.stamp() == 1'795'302'000'250u);
    seen.insert(t);
  }
  CHECK(seen.size() == 10'000);
}

TEST_CASE("the same seed gives the same tokens") {
  chronos::token_generator a{7}, b{7};
  auto now = chronos::from_epoch_ms(5);
  CHECK(a.next(now) == b.next(now));
}

TEST_CASE("a token with any byte but a lowercase hex digit in a digit's place is rejected") {
  const std::string good = "0192f3a1b2c3-9f3c4d2e1a0b7c6d";
  const std::string digits = "0123456789abcdef";
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    if (pos == 12)
      continue;
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = good;
      text[pos] = static_cast<char>(byte);
      const bool digit = digits.find(static_cast<char>(byte)) != std::string::npos;
      INFO("position " << pos << ", byte " << byte);
      CHECK(token::parse(text).has_value() == digit);
    }
  }
}

// The eight-at-once parse against the digit loop, on text near the digit
// ranges' edges ('/', ':', '`', 'g'), upper case, and bytes above 0x7f.
TEST_CASE("eight hex digits parse at once as the digit loop parses them") {
  const std::string alphabet = "0123456789abcdef/:`gAF\x7f\x80\xb0\xe6\xff";
  std::mt19937_64 rng{20261203};
  for (int i = 0; i < 200'000; ++i) {
    std::string text(8, '0');
    // Mostly digits, so that a single bad byte among good ones is common.
    for (auto& c : text)
      c = alphabet[rng() % (rng() % 4 == 0 ? alphabet.size() : 16)];
    INFO(text);
    REQUIRE(chronos::detail::parse_lower_hex8(text.data()) == chronos::detail::parse_lower_hex(text));
  }
  for (std::size_t pos = 0; pos < 8; ++pos)
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = "9fa0c3e7";
      text[pos] = static_cast<char>(byte);
      INFO("position " << pos << ", byte " << byte);
      REQUIRE(chronos::detail::parse_lower_hex8(text.data()) == chronos::detail::parse_lower_hex(text));
    }
}
