#!/usr/bin/env bash
# Installs this build into a scratch prefix, then builds and runs a separate
# project against it with find_package(chronos).
#   consumer_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
test -f "$scratch/prefix/include/chronos/server/server.hpp"
# chronos's internals stay out of the installed API.
test ! -e "$scratch/prefix/include/chronos/detail"
test -x "$scratch/prefix/bin/chronosd"
test -x "$scratch/prefix/bin/chronosctl"
# The service unit starts the installed daemon with its state in StateDirectory.
grep -q "^ExecStart=$scratch/prefix/bin/chronosd --state \${STATE_DIRECTORY}/chronos.json" \
  "$scratch/prefix/lib/systemd/system/chronosd.service"
cmake -S "$src/tests/package/consumer" -B "$scratch/build" \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > "$scratch/configure.log"
cmake --build "$scratch/build" -j2 > "$scratch/build.log"
"$scratch/build/consumer"
