#!/usr/bin/env bash
# ThreadSanitizer run: builds into build-tsan (or $1) and runs the tests that
# put CAF's threaded scheduler to work: the actor tests, the integration tests
# (chronosd, chronosctl and the examples they start are TSan builds too) and
# the short soak. Why reports with a CAF library frame are suppressed:
# tools/tsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-tsan}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHRONOS_WARNINGS_AS_ERRORS=ON \
  -DCHRONOS_TSAN=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" --target chronos-actor-tests chronos-integration-tests chronos-soak
# Child processes inherit these: a race in chronosd makes it exit 66, which the tests see.
# The longest history (4M accesses a thread): a report whose earlier access has
# left it names no CAF frame, so the suppressions cannot match it (a large list
# reply, decoded long before chronosctl frees it).
export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp exitcode=66 second_deadlock_stack=1 \
history_size=7"
cd "$dir"
ctest --output-on-failure -j "$(nproc)" -L '^(actor|integration)$'
# The soak alone: under TSan everything runs several times slower, and beside
# other tests its clients' request timeouts would be what is tested.
ctest --output-on-failure -L '^soak$'
