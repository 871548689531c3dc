// Micro-benchmarks of token text: formatting (every schedule's reply) and
// parsing (every cancel and reschedule), per token.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "chronos/table/token.hpp"

using namespace chronos;

namespace {

std::vector<token> tokens(std::size_t n) {
  token_generator gen{43};
  std::vector<token> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(gen.next(from_epoch_ms(1'795'302'000'250)));
  return out;
}

void format(benchmark::State& state) {
  const auto ts = tokens(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    for (auto t : ts)
      benchmark::DoNotOptimize(t.str());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void parse(benchmark::State& state) {
  std::vector<std::string> texts;
  for (auto t : tokens(static_cast<std::size_t>(state.range(0))))
    texts.push_back(t.str());
  for (auto _ : state)
    for (const auto& text : texts)
      benchmark::DoNotOptimize(token::parse(text));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

} // namespace

BENCHMARK(format)->Arg(1'000);
BENCHMARK(parse)->Arg(1'000);
