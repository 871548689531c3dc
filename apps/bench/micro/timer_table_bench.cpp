// Micro-benchmarks (Google Benchmark) of the pure timer table, without the
// actor: what one operation costs and what one pending timeout weighs.
//   build/apps/chronos-microbench [--benchmark_filter=...]
// Each benchmark reports items/s (operations) and, where it holds a full
// table, bytes_per_timer (timer_table::memory_bytes() / size).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "chronos/detail/timer_table.hpp"

using namespace chronos;

namespace {

constexpr std::int64_t hour_ms = 3'600'000;

// W1's timeouts: deadlines uniform in [1 h, 2 h], 100 names, no payload.
std::vector<timeout> workload(std::size_t n) {
  std::mt19937_64 rng{42};
  token_generator tokens{43};
  std::uniform_int_distribution<std::int64_t> deadline{hour_ms, 2 * hour_ms};
  std::vector<timeout> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({from_epoch_ms(deadline(rng)), tokens.next(from_epoch_ms(0)),
                   "client-" + std::to_string(i % 100), "", millis{0}});
  return out;
}

timer_table filled(const std::vector<timeout>& ts) {
  timer_table table;
  for (const auto& t : ts)
    table.insert(t);
  return table;
}

void insert(benchmark::State& state) {
  const auto ts = workload(static_cast<std::size_t>(state.range(0)));
  double bytes = 0;
  for (auto _ : state) {
    auto table = filled(ts);
    bytes = double(table.memory_bytes()) / double(table.size());
    state.PauseTiming();
    table = timer_table{}; // freeing is not part of inserting
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_timer"] = bytes;
}

void erase_random(benchmark::State& state) {
  const auto ts = workload(static_cast<std::size_t>(state.range(0)));
  std::vector<token> order;
  for (const auto& t : ts)
    order.push_back(t.token);
  std::shuffle(order.begin(), order.end(), std::mt19937_64{44});
  for (auto _ : state) {
    state.PauseTiming();
    auto table = filled(ts);
    state.ResumeTiming();
    for (auto tok : order)
      benchmark::DoNotOptimize(table.erase(tok));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void pop_due(benchmark::State& state) {
  const auto ts = workload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    auto table = filled(ts);
    state.ResumeTiming();
    // A millisecond at a time, as the actor's wake-ups do, each timeout
    // handed over as it leaves (the actor sends it then).
    std::size_t popped = 0;
    for (auto now = hour_ms; now <= 2 * hour_ms; now += 1)
      table.pop_due(from_epoch_ms(now), SIZE_MAX, [&popped](timeout& t) {
        benchmark::DoNotOptimize(t);
        ++popped;
      });
    if (popped != ts.size())
      state.SkipWithError("not every timeout came due");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void reschedule(benchmark::State& state) {
  const auto ts = workload(static_cast<std::size_t>(state.range(0)));
  auto table = filled(ts);
  std::mt19937_64 rng{45};
  std::uniform_int_distribution<std::int64_t> deadline{hour_ms, 2 * hour_ms};
  std::size_t i = 0;
  for (auto _ : state) {
    table.reschedule(ts[i].token, from_epoch_ms(deadline(rng)));
    i = (i + 1) % ts.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// Every timeout in (deadline, token) order, as a state file is written.
void in_order(benchmark::State& state) {
  const auto table = filled(workload(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) {
    std::size_t seen = 0;
    table.for_each_in_order([&](const timeout& t) { seen += t.name.size(); });
    benchmark::DoNotOptimize(seen);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK(insert)->Arg(1'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(erase_random)->Arg(1'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(pop_due)->Arg(1'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(reschedule)->Arg(1'000)->Arg(1'000'000);
BENCHMARK(in_order)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
