// Micro-benchmarks of the server's state transitions, without the actor:
// what chronos itself spends on W1's and W2's requests, apart from CAF and
// the client.
//   build/apps/chronos-microbench --benchmark_filter='batches|one_by_one'

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "chronos/detail/server_state.hpp"
#include "chronos/store/state_file.hpp"

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

// W2: every timeout W1 scheduled cancelled, in random order. `requests`
// makes the requests of the shuffled texts, which it moves, so that they lie
// scattered on the heap as a client's stored tokens do; `cancel` sends one.
// Only the sending is timed.
template <class Requests, class Cancel>
void cancel_everything(benchmark::State& state, Requests requests, Cancel cancel) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    server_state st{token_generator{43}};
    auto texts = scheduled(st, reqs);
    std::shuffle(texts.begin(), texts.end(), std::mt19937_64{44});
    auto cancels = requests(std::move(texts));
    state.ResumeTiming();
    for (const auto& one : cancels)
      if (!cancel(st, one))
        state.SkipWithError("a cancel was refused");
    state.PauseTiming();
    if (st.count({}).pending != 0)
      state.SkipWithError("timeouts left after cancelling all");
    cancels = {}; // freeing the requests is not part of cancelling
    st = server_state{};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void cancel_each_batches(benchmark::State& state) {
  const auto in_batches = [](std::vector<std::string> texts) {
    std::vector<std::vector<std::string>> out((texts.size() + batch - 1) / batch);
    for (std::size_t i = 0; i < texts.size(); ++i)
      out[i / batch].push_back(std::move(texts[i]));
    return out;
  };
  cancel_everything(state, in_batches, [](server_state& st, const std::vector<std::string>& some) {
    return static_cast<bool>(st.cancel_each(some));
  });
}

// W2 one request at a time.
void cancel_one_by_one(benchmark::State& state) {
  const auto one_each = [](std::vector<std::string> texts) { return texts; };
  cancel_everything(state, one_each, [](server_state& st, const std::string& text) {
    return static_cast<bool>(st.cancel(text));
  });
}

// What shutdown and compaction do: a state of N timeouts written as the
// state file (encoded, written, fsynced, renamed into place).
void save_state_file(benchmark::State& state) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  server_state st{token_generator{43}};
  scheduled(st, reqs);
  const std::string path = "/tmp/chronos-microbench-state.json";
  for (auto _ : state)
    if (!save_state(path, st, start, 0))
      state.SkipWithError("cannot save the state file");
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// What start-up does first: a state file of N timeouts read into a state.
void load_state_file(benchmark::State& state) {
  const std::string path = "/tmp/chronos-microbench-load.json";
  {
    server_state st{token_generator{43}};
    scheduled(st, schedule_batches(static_cast<std::size_t>(state.range(0))));
    if (!save_state(path, st, start, 0))
      state.SkipWithError("cannot save the state file");
  }
  for (auto _ : state) {
    server_state st;
    if (!load_state(path, st))
      state.SkipWithError("cannot load the state file");
    state.PauseTiming();
    st = server_state{}; // freeing is not part of loading
    state.ResumeTiming();
  }
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// A list request for everything: every timeout as the reply carries it.
void list_everything(benchmark::State& state) {
  const auto reqs = schedule_batches(static_cast<std::size_t>(state.range(0)));
  server_state st{token_generator{43}};
  scheduled(st, reqs);
  for (auto _ : state)
    benchmark::DoNotOptimize(st.list());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK(schedule_all_batches)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(cancel_each_batches)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(cancel_one_by_one)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(save_state_file)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(load_state_file)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(list_everything)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
