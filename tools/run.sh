#!/usr/bin/env bash
# Sets everything up, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# The main job needs only the daemon and its CLI; tools/test.sh builds the rest.
CHRONOS_TARGETS="chronosd chronosctl" bash tools/build.sh build
# chronosd on 127.0.0.1:4242 with its state in state/ (SIGTERM or Ctrl-C saves and exits).
exec build/apps/chronosd --state state/chronos.json "$@"
