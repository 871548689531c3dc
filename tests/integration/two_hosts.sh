#!/usr/bin/env bash
# Two hosts on one machine: chronosd in one network namespace, chronosctl in
# another, joined by a veth pair on a private /24 that exists only between the
# two namespaces this script creates (and removes). Checks that a client on
# another host schedules and receives timeouts, and that chronosd without
# --bind is not reachable from another host.
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

# chronosd on the server host, bound to its veth address.
ip netns exec "$server" "$chronosd" --bind 10.201.0.1 --port 4242 --state "$tmp/state.json" \
  >"$tmp/chronosd.out" 2>"$tmp/chronosd.err" &
daemon=$!
pids+=("$daemon")
for _ in $(seq 200); do
  grep -q "listening on 10.201.0.1:4242" "$tmp/chronosd.out" && break
  sleep 0.05
done
grep -q "listening on 10.201.0.1:4242" "$tmp/chronosd.out" || fail "chronosd did not start"

ctl() { ip netns exec "$client" timeout 60 "$chronosctl" --host 10.201.0.1 --port 4242 "$@" 2>>"$tmp/ctl.err"; }

second=$(ctl schedule remote --in 600ms --payload second) || fail "schedule from the client host"
first=$(ctl schedule remote --in 300ms --payload first) || fail "schedule from the client host"
got=$(ctl watch remote --count 2) || fail "watch from the client host"
expected=$(printf '%s first\n%s second' "$first" "$second")
[ "$got" = "$expected" ] || fail "watch printed '$got', expected '$expected'"

# Without --bind, chronosd listens on loopback only: not reachable from the client host.
ip netns exec "$server" "$chronosd" --port 4243 --state "$tmp/local.json" \
  >"$tmp/local.out" 2>"$tmp/local.err" &
pids+=("$!")
for _ in $(seq 200); do grep -q "listening on 127.0.0.1:4243" "$tmp/local.out" && break; sleep 0.05; done
grep -q "listening on 127.0.0.1:4243" "$tmp/local.out" || fail "loopback chronosd did not start"
ip netns exec "$client" timeout 30 "$chronosctl" --host 10.201.0.1 --port 4243 stats 2>"$tmp/refused.err"
status=$?
[ "$status" -eq 3 ] || fail "a loopback-only chronosd answered another host (status $status)"

kill -TERM "$daemon"
wait "$daemon"
status=$?
[ "$status" -eq 0 ] || fail "chronosd exited $status after SIGTERM"
echo "two hosts: schedule and watch across a veth pair work; loopback-only is not reachable"
