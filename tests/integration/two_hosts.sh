#!/usr/bin/env bash
# Two hosts on one machine: chronosd in one network namespace, chronosctl in
# another, joined by a veth pair on a private /24 that exists only between the
# two namespaces this script creates (and removes). Checks that a client on
# another host schedules and receives timeouts over TLS (and, when allowed, over
# plain TCP), that a client without the CA's certificate is refused, that plain
# TCP beyond loopback needs --plain-tcp any, and that chronosd without --bind is
# not reachable from another host.
#
# usage: two_hosts.sh CHRONOSD CHRONOSCTL     exit 77 = skipped (no root / no netns)
set -u
chronosd=$1
chronosctl=$2

skip() { echo "skipped: $*"; exit 77; }
fail() {
  echo "FAILED: $*"
  for f in "$tmp"/*.err; do echo "--- $f"; cat "$f"; done
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "creating network namespaces needs root"
command -v ip >/dev/null || skip "iproute2 (the ip command) is not installed"

id=$$
server=chronos-srv-$id
client=chronos-cli-$id
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$server" 2>/dev/null
  ip netns del "$client" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$server" 2>"$tmp/netns.err" || skip "cannot create network namespaces here: $(cat "$tmp/netns.err")"
ip netns add "$client" || fail "second namespace"
ip link add "vs$id" type veth peer name "vc$id" || skip "cannot create a veth pair here"
ip link set "vs$id" netns "$server" && ip link set "vc$id" netns "$client" || fail "moving veth ends"
ip -n "$server" addr add 10.201.0.1/24 dev "vs$id" || fail "server address"
ip -n "$client" addr add 10.201.0.2/24 dev "vc$id" || fail "client address"
for ns in "$server" "$client"; do
  ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$server" link set "vs$id" up && ip -n "$client" link set "vc$id" up || fail "veth up"

# A throwaway CA, and certificates for the server and the client host.
source "$(dirname "$0")/test_ca.sh"

# Starts chronosd on the server host with the given options; waits for "listening on".
start_daemon() {
  local out=$1
  shift
  ip netns exec "$server" "$chronosd" "$@" >"$tmp/$out.out" 2>"$tmp/$out.err" &
  daemon=$!
  pids+=("$daemon")
  for _ in $(seq 200); do
    grep -q "listening on" "$tmp/$out.out" && return
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.05
  done
  fail "chronosd ($out) did not start"
}
stop_daemon() {
  kill -TERM "$daemon"
  wait "$daemon"
  local status=$?
  [ "$status" -eq 0 ] || fail "chronosd exited $status after SIGTERM"
}
ctl() { ip netns exec "$client" timeout 60 "$chronosctl" --host 10.201.0.1 --port 4242 "$@" 2>>"$tmp/ctl.err"; }

# Schedules two timeouts from the client host and watches them arrive, in order.
# Absolute deadlines: their order does not depend on how fast chronosctl is.
round_trip() {
  local now
  now=$(date +%s%3N)
  second=$(ctl "$@" schedule remote --at $((now + 600)) --payload second) || fail "schedule from the client host ($*)"
  first=$(ctl "$@" schedule remote --at $((now + 300)) --payload first) || fail "schedule from the client host ($*)"
  got=$(ctl "$@" watch remote --count 2) || fail "watch from the client host ($*)"
  expected=$(printf '%s first\n%s second' "$first" "$second")
  [ "$got" = "$expected" ] || fail "watch printed '$got', expected '$expected'"
}

# Plain TCP on the veth address: refused unless allowed.
ip netns exec "$server" "$chronosd" --bind 10.201.0.1 --port 4242 --state "$tmp/state.json" \
  >"$tmp/plain-refused.out" 2>"$tmp/plain-refused.err"
status=$?
[ "$status" -eq 2 ] && grep -q "without TLS" "$tmp/plain-refused.err" ||
  fail "chronosd listened on another host's reach in plain TCP (status $status)"

# TLS across the hosts: the client with a certificate from the CA gets in, one without does not.
start_daemon tls --bind 10.201.0.1 --port 4242 --state "$tmp/state.json" $(tls server)
round_trip $(tls client)
ctl stats >/dev/null
status=$?
[ "$status" -eq 3 ] || fail "a client without a certificate reached the TLS chronosd (status $status)"
stop_daemon

# Plain TCP when explicitly allowed.
start_daemon plain --bind 10.201.0.1 --port 4242 --state "$tmp/state.json" --plain-tcp any
round_trip
stop_daemon

# Without --bind, chronosd listens on loopback only: not reachable from the client host.
ip netns exec "$server" "$chronosd" --port 4243 --state "$tmp/local.json" \
  >"$tmp/local.out" 2>"$tmp/local.err" &
pids+=("$!")
for _ in $(seq 200); do grep -q "listening on 127.0.0.1:4243" "$tmp/local.out" && break; sleep 0.05; done
grep -q "listening on 127.0.0.1:4243" "$tmp/local.out" || fail "loopback chronosd did not start"
ip netns exec "$client" timeout 30 "$chronosctl" --host 10.201.0.1 --port 4243 stats 2>"$tmp/refused.err"
status=$?
[ "$status" -eq 3 ] || fail "a loopback-only chronosd answered another host (status $status)"

echo "two hosts: TLS and allowed plain TCP across a veth pair work; no certificate, no entry;"
echo "plain TCP beyond loopback needs --plain-tcp any; loopback-only is not reachable"
