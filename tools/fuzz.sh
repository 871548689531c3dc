#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan, and runs
# each for SECONDS (default 60) from its seed corpus. Any crash, sanitizer
# report or broken property fails the run; the input that did it is left in
# build-fuzz/artifacts/.
#   tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

bash tools/setup.sh clang libclang-rt-14-dev

cmake -S . -B build-fuzz -DCHRONOS_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j2
mkdir -p build-fuzz/artifacts
for target in state_file journal time cron; do
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  log=build-fuzz/$target.log
  if ! build-fuzz/tests/fuzz/fuzz_$target "$corpus" "tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix=build-fuzz/artifacts/$target- > "$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (input in build-fuzz/artifacts/)"
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE" "$log"
done
