// Micro-benchmarks of the server's state transitions for batches, without the
// actor: what chronos itself spends on W1's and W2's batched requests, apart
// from CAF and the client.
//   build/apps/chronos-microbench --benchmark_filter=batches

#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "chronos/server_state.hpp"

using namespace chronos;

namespace {

constexpr std::size_t batch = 1000;
const timestamp start = from_epoch_ms(1'000'000'000'000);

// W1's requests: due in [1 h, 2 h], 100 names, no payload; `batch` a request.
std::vector<std::vector<schedule_request>> schedule_batches(std::size_t n) {
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<std::int64_t> delay{3'600'000, 7'200'000};
  std::vector<std::vector<schedule_request>> out((n + batch - 1) / batch);
  for (std::size_t i = 0; i < n; ++i)
    out[i / batch].push_back(
      {"client-" + std::to_string(i % 100), when_spec::in(delay(rng)), "", 0});
  return out;
}

std::vector<std::string> scheduled(server_state& st,
                                   const std::vector<std::vector<schedule_request>>& reqs) {
  std::vector<std::string> texts;
  for (const auto& some : reqs) {
    const auto toks = st.schedule_all(some, start);
    for (auto tok : toks.value())
      texts.push_back(tok.str());
  }
  return texts;
}

void schedule_all_batches(benchmark::State& state) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    server_state st{token_generator{43}};
    for (const auto& some : reqs)
      benchmark::DoNotOptimize(st.schedule_all(some, start));
    state.PauseTiming();
    st = server_state{}; // freeing is not part of scheduling
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// W2: every token cancelled, in random order, `batch` a request. The texts
// are moved into the requests, so they lie scattered on the heap as a
// client's stored tokens do.
void cancel_each_batches(benchmark::State& state) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    server_state st{token_generator{43}};
    auto texts = scheduled(st, reqs);
    std::shuffle(texts.begin(), texts.end(), std::mt19937_64{44});
    std::vector<std::vector<std::string>> cancels((texts.size() + batch - 1) / batch);
    for (std::size_t i = 0; i < texts.size(); ++i)
      cancels[i / batch].push_back(std::move(texts[i]));
    state.ResumeTiming();
    for (const auto& some : cancels)
      if (!st.cancel_each(some))
        state.SkipWithError("a batch was refused");
    state.PauseTiming();
    if (st.count({}).pending != 0)
      state.SkipWithError("timeouts left after cancelling all");
    cancels = {}; // freeing the requests is not part of cancelling
    st = server_state{};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// W2 one request at a time: the same tokens, cancelled one by one.
void cancel_one_by_one(benchmark::State& state) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    server_state st{token_generator{43}};
    auto texts = scheduled(st, reqs);
    std::shuffle(texts.begin(), texts.end(), std::mt19937_64{44});
    state.ResumeTiming();
    for (const auto& text : texts)
      if (!st.cancel(text))
        state.SkipWithError("a cancel was refused");
    state.PauseTiming();
    if (st.count({}).pending != 0)
      state.SkipWithError("timeouts left after cancelling all");
    texts = {};
    st = server_state{};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK(schedule_all_batches)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(cancel_each_batches)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(cancel_one_by_one)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
