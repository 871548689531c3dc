#include <catch2/catch.hpp>

#include <string>

#include "chronos/utf8.hpp"

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
