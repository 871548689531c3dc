#include <catch2/catch.hpp>

#include "chronos/base/log.hpp"

using namespace chronos;
using namespace std::chrono_literals;

namespace {

struct manual_steady_clock {
  std::chrono::steady_clock::time_point now{std::chrono::hours{1}};
  log_throttle::clock_fn fn() {
    return [this] { return now; };
  }
};

} // namespace

TEST_CASE("a log throttle lets the first line through and holds back the rest of the period") {
  manual_steady_clock clock;
  log_throttle throttle{1s, clock.fn()};
  CHECK(throttle.admit() == std::optional<std::uint64_t>{0});
  CHECK_FALSE(throttle.admit());
  clock.now += 999ms;
  CHECK_FALSE(throttle.admit());
}

TEST_CASE("the next line let through counts those held back before it") {
  manual_steady_clock clock;
  log_throttle throttle{1s, clock.fn()};
  REQUIRE(throttle.admit());
  for (int i = 0; i < 1000; ++i)
    REQUIRE_FALSE(throttle.admit());
  clock.now += 1s;
  CHECK(throttle.admit() == std::optional<std::uint64_t>{1000});
  clock.now += 5s;
  CHECK(throttle.admit() == std::optional<std::uint64_t>{0});
}

TEST_CASE("a line held back is never built") {
  manual_steady_clock clock;
  log_throttle throttle{1s, clock.fn()};
  int built = 0;
  auto make = [&] {
    ++built;
    return std::string{"refused"};
  };
  set_log_level(log_level::error); // the one line let through is not printed
  for (int i = 0; i < 100; ++i)
    throttle.log(log_level::warning, make);
  set_log_level(log_level::info);
  CHECK(built == 1);
}
