#!/usr/bin/env bash
# Configures and builds chronos into build/ (or $1), passing further arguments to CMake.
# CHRONOS_TARGETS (space-separated) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHRONOS_WARNINGS_AS_ERRORS=ON "$@" >/dev/null
targets=()
for target in ${CHRONOS_TARGETS:-}; do
  targets+=(--target "$target")
done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
