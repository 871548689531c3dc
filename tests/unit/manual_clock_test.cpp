#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "chronos/base/manual_clock.hpp"

using namespace chronos;

namespace {

const timestamp t0 = from_epoch_ms(1'795'302'000'000);

} // namespace

TEST_CASE("a manual clock shows its start until moved, and moves forward only") {
  manual_clock clock{t0};
  CHECK(floor_ms(clock.now()) == t0);
  REQUIRE(clock.advance(millis{1500}));
  CHECK(floor_ms(clock.now()) == t0 + millis{1500});
  REQUIRE(clock.advance(millis{0}));
  REQUIRE(clock.set(t0 + millis{2000}));
  CHECK(floor_ms(clock.now()) == t0 + millis{2000});
  auto back = clock.set(t0);
  REQUIRE_FALSE(back);
  CHECK(back.error().code == errc::invalid_argument);
  CHECK(back.error().detail.find("never goes back") != std::string::npos);
  CHECK_FALSE(clock.advance(millis{-1}));
  CHECK_FALSE(clock.advance(millis{max_deadline_ms}));
  CHECK_FALSE(clock.set(from_epoch_ms(max_deadline_ms + 1)));
  CHECK(floor_ms(clock.now()) == t0 + millis{2000});
}

TEST_CASE("a manual clock tells its listeners of every move, and of no refused one") {
  manual_clock clock{t0};
  int heard = 0;
  timestamp seen{};
  const auto id = clock.listen([&] {
    ++heard;
    seen = floor_ms(clock.now()); // a listener may read the clock
  });
  REQUIRE(clock.advance(millis{10}));
  CHECK(heard == 1);
  CHECK(seen == t0 + millis{10});
  CHECK_FALSE(clock.set(t0));
  CHECK(heard == 1);
  clock.ignore(id);
  REQUIRE(clock.advance(millis{10}));
  CHECK(heard == 1);
}

TEST_CASE("a manual clock moved from several threads ends where all the moves add up") {
  manual_clock clock{t0};
  std::atomic<int> heard{0};
  std::atomic<int> refused{0};
  clock.listen([&] { ++heard; });
  std::vector<std::thread> movers;
  for (int i = 0; i < 4; ++i)
    movers.emplace_back([&] {
      for (int k = 0; k < 1000; ++k)
        if (!clock.advance(millis{1}))
          ++refused;
    });
  for (auto& m : movers)
    m.join();
  CHECK(refused == 0);
  CHECK(floor_ms(clock.now()) == t0 + millis{4000});
  CHECK(heard == 4000);
}
