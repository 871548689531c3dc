// Micro-benchmark of calendar schedules: the next occurrence of a cron
// expression, what each firing of a calendar timeout computes.

#include <benchmark/benchmark.h>

#include <string>

#include "chronos/base/cron.hpp"

using namespace chronos;

namespace {

// Walks `state.range(0)` occurrences one after the other from 2026-12-07.
void next_occurrence(benchmark::State& state, const char* expression, const char* zone) {
  const auto schedule = cron_schedule::parse(expression, zone);
  if (!schedule) {
    state.SkipWithError(schedule.error().detail.c_str());
    return;
  }
  for (auto _ : state) {
    auto at = from_epoch_ms(1'796'601'600'000);
    for (std::int64_t i = 0; i < state.range(0); ++i)
      at = *schedule->next_after(at);
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK_CAPTURE(next_occurrence, every_minute_on_weekdays, "0 * * * * MON-FRI", "")->Arg(1000);
BENCHMARK_CAPTURE(next_occurrence, nine_daily_berlin, "0 0 9 * * *", "Europe/Berlin")->Arg(1000);
BENCHMARK_CAPTURE(next_occurrence, quarter_hours_sydney, "0 */15 * * * *", "Australia/Sydney")
  ->Arg(1000);
