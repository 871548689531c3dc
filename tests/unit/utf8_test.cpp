#include <catch2/catch.hpp>

#include <string>

#include "base/utf8.hpp"

using chronos::find_control_character;
using chronos::valid_utf8;

TEST_CASE("well-formed UTF-8 is accepted") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("caf\xc3\xa9"));               // é
  CHECK(valid_utf8("\xe2\x82\xac"));              // €
  CHECK(valid_utf8("\xf0\x9f\x98\x80"));          // U+1F600
  CHECK(valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF
  CHECK(valid_utf8(std::string("nul\0inside", 10)));
}

TEST_CASE("malformed UTF-8 is rejected") {
  CHECK_FALSE(valid_utf8("\xc3"));                // truncated
  CHECK_FALSE(valid_utf8("\x80"));                // lone continuation
  CHECK_FALSE(valid_utf8("\xc0\xaf"));            // overlong
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));        // overlong
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));        // surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));    // past U+10FFFF
  CHECK_FALSE(valid_utf8("\xe2\x82"));            // truncated
  CHECK_FALSE(valid_utf8("\xe2\x28\xa1"));        // bad continuation
  CHECK_FALSE(valid_utf8("\xff"));
}

// ASCII goes eight bytes at a time: every sequence, good or bad, must be read
// the same wherever it falls against those eight-byte steps.
TEST_CASE("UTF-8 is judged the same at every offset in ASCII") {
  const char* good[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
  const char* bad[] = {"\xc3", "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                       "\xf4\x90\x80\x80", "\xe2\x82", "\xe2\x28\xa1", "\xff"};
  for (std::size_t before = 0; before < 17; ++before)
    for (std::size_t after = 0; after < 17; after += 4) {
      const std::string pad_before(before, 'a');
      const std::string pad_after(after, 'z');
      INFO("offset " << before << ", " << after << " bytes after");
      for (const char* g : good)
        CHECK(valid_utf8(pad_before + g + pad_after));
      for (const char* b : bad)
        CHECK_FALSE(valid_utf8(pad_before + b + pad_after));
    }
}

TEST_CASE("control characters are found where they are, C0, DEL and C1 alike") {
  using namespace std::string_literals;
  CHECK_FALSE(find_control_character("plain name/with parts"));
  CHECK_FALSE(find_control_character("caf\xc3\xa9 \xc2\xa0 \xe2\x80\xa8"));
  CHECK(find_control_character("a\0b"s) == std::optional<std::size_t>{1});
  CHECK(find_control_character("line\nbreak") == std::optional<std::size_t>{4});
  CHECK(find_control_character("\x1b[2J") == std::optional<std::size_t>{0});
  CHECK(find_control_character("tab\t") == std::optional<std::size_t>{3});
  CHECK(find_control_character("del\x7f") == std::optional<std::size_t>{3});
  CHECK(find_control_character("c1 \xc2\x85") == std::optional<std::size_t>{3});
  CHECK(find_control_character("c1 \xc2\x9f") == std::optional<std::size_t>{3});
  CHECK_FALSE(find_control_character("\x20~"));
}
