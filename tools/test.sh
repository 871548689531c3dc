#!/usr/bin/env bash
# Sets everything up, builds, and runs every test: first the regular build,
# then all of them again under AddressSanitizer + UBSan, the threaded ones under
# ThreadSanitizer, then the fuzz targets.
#   tools/test.sh [--quick]    --quick: the regular build's unit and actor tests only
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh build
if [ "${1:-}" = "--quick" ]; then
  (cd build && ctest --output-on-failure -j "$(nproc)" -L '^(unit|actor)$')
  exit 0
fi
(cd build && ctest --output-on-failure -j "$(nproc)")
bash tools/build.sh build-asan -DCHRONOS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# A callback that outlives the frame whose locals it captured by reference reads
# dead stack, which ASan reports only with fake stacks (children inherit this).
(cd build-asan && ASAN_OPTIONS=detect_stack_use_after_return=1 \
  ctest --output-on-failure -j "$(nproc)")
bash tools/tsan.sh build-tsan
# The parsers of the state file, the journal and durations under libFuzzer, a minute each.
bash tools/fuzz.sh 60
