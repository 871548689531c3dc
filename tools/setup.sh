#!/usr/bin/env bash
# Installs chronos's build and test dependencies from Debian bookworm, and any
# further packages named as arguments (tools/fuzz.sh adds clang), if missing.
# Needs root (or sudo) only when something is missing.
#   tools/setup.sh [PACKAGE ...]
set -euo pipefail

packages=(build-essential cmake ccache libcaf-dev libssl-dev openssl nlohmann-json3-dev catch2
  libbenchmark-dev libjemalloc-dev prometheus-cpp-dev iproute2 erlang-base libpq-dev postgresql-15
  libcctz-dev tzdata "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
