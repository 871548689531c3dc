#include "fixtures.hpp"

#include <algorithm>
#include <random>
#include <stdlib.h>
#include <tuple>

#include "chronos/table/token.hpp"

namespace chronos::bench {

scratch::scratch() {
  auto pattern = (std::filesystem::temp_directory_path() / "chronos-bench-XXXXXX").string();
  dir = ::mkdtemp(pattern.data());
}

scratch::~scratch() { std::filesystem::remove_all(dir); }

snapshot backlog(std::size_t n, std::uint64_t seed, std::size_t& overdue, overdue_share late) {
  std::mt19937_64 rng{seed};
  token_generator tokens{seed};
  const auto now = floor_ms(std::chrono::system_clock::now());
  std::uniform_int_distribution<std::int64_t> past{60'000, 3'600'000};
  std::uniform_int_distribution<std::int64_t> future{3'600'000, 7'200'000};
  snapshot s;
  s.pending.reserve(n);
  overdue = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool is_late = late == overdue_share::tenth && i % 10 == 0;
    overdue += is_late;
    s.pending.push_back({now + millis{is_late ? -past(rng) : future(rng)}, tokens.next(now),
                         is_late ? "overdue" : "client-" + std::to_string(i % 100), "", millis{0}});
  }
  std::sort(s.pending.begin(), s.pending.end(), [](const timeout& a, const timeout& b) {
    return std::tie(a.deadline, a.token) < std::tie(b.deadline, b.token);
  });
  return s;
}

} // namespace chronos::bench
