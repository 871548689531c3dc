#pragma once

// What the unit tests of the server state share: a fixed "now", and short ways
// to schedule and to look at what came out.

#include <catch2/catch.hpp>

#include "chronos/detail/server_state.hpp"

namespace chronos::test {

/// 2026-11-21T23:00:00Z: every test's "now".
inline const timestamp t0 = from_epoch_ms(1'795'302'000'000);

inline timestamp at(std::int64_t ms_after_t0) { return t0 + millis{ms_after_t0}; }

/// The token's text; fails the test with the reason if there is none.
inline std::string must(outcome<token> tok) {
  INFO((tok ? "" : tok.error().detail));
  REQUIRE(tok);
  return tok->str();
}

/// The deadlines of `ts`, in ms after t0.
inline std::vector<std::int64_t> deadlines(const std::vector<timeout>& ts) {
  std::vector<std::int64_t> out;
  for (const auto& t : ts)
    out.push_back((t.deadline - t0).count());
  return out;
}

} // namespace chronos::test
