#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "chronos/table/token_list.hpp"

using chronos::token;
using chronos::token_list;

TEST_CASE("a token list holds its tokens' texts in order") {
  const token a{0x0192f3a1b2c3, 0x9f3c4d2e1a0b7c6dULL};
  const token b{0x000000000001, 0x0000000000000002ULL};
  token_list list;
  CHECK(list.empty());
  list.push_back(a);
  list.push_back(b.str());
  list.push_back(a);
  REQUIRE(list.size() == 3);
  CHECK_FALSE(list.empty());
  CHECK(list[0] == a.str());
  CHECK(list[1] == b.str());
  CHECK(list[2] == a.str());
  CHECK(list.strings() == std::vector<std::string>{a.str(), b.str(), a.str()});
  std::vector<std::string> seen;
  for (auto text : list)
    seen.emplace_back(text);
  CHECK(seen == list.strings());
  CHECK(list.whole());
}

TEST_CASE("a token list made of strings gives them back and compares by its texts") {
  const std::vector<std::string> texts{"0192f3a1b2c3-9f3c4d2e1a0b7c6d",
                                       "000000000001-0000000000000002"};
  const token_list list{texts};
  CHECK(list.strings() == texts);
  CHECK(list == token_list{texts});
  CHECK(list != token_list{{texts[1], texts[0]}});
  CHECK(list != token_list{});
  CHECK(token_list{std::vector<std::string>{}}.empty());
}

TEST_CASE("a text that is not a token's width is refused and leaves the list as it was") {
  token_list list;
  list.push_back(token{1, 2});
  for (const std::string bad : {"", "junk", "0192f3a1b2c3-9f3c4d2e1a0b7c6", // one short
                                "0192f3a1b2c3-9f3c4d2e1a0b7c6d0"}) {
    INFO(bad);
    CHECK_THROWS_AS(list.push_back(bad), std::invalid_argument);
    CHECK_THROWS_AS((token_list{{token{3, 4}.str(), bad}}), std::invalid_argument);
  }
  CHECK(list.strings() == std::vector<std::string>{token{1, 2}.str()});
}
