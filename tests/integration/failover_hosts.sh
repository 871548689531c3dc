#!/usr/bin/env bash
# Failover across hosts: PostgreSQL on one host, two chronosd on two more,
# and a client on a fourth, in network namespaces joined by a bridge on a
# private /24 that exists only between the namespaces this script creates
# (and removes). The chronosd speak TLS to the client. The leader's link is
# taken down: the standby takes over, and the client's watcher, which names
# both servers, gets its timeouts from the new leader.
#
# usage: failover_hosts.sh CHRONOSD CHRONOSCTL     exit 77 = skipped (no root / no netns)
set -u
chronosd=$1
chronosctl=$2

skip() { echo "skipped: $*"; exit 77; }
fail() {
  echo "FAILED: $*"
  for f in "$tmp"/*.err "$tmp"/postgres.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "creating network namespaces needs root"
command -v ip >/dev/null || skip "iproute2 (the ip command) is not installed"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || skip "PostgreSQL's server is not installed (tools/setup.sh installs it)"
id postgres >/dev/null 2>&1 || skip "no postgres user to run PostgreSQL as"

id=$$
switch=chronos-sw-$id
hosts=(db a b cli)
declare -A ns addr
n=1
for h in "${hosts[@]}"; do
  ns[$h]=chronos-$h-$id
  addr[$h]=10.202.0.$n
  n=$((n + 1))
done
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  [ -d "$tmp/data" ] && ip netns exec "${ns[db]}" runuser -u postgres -- \
    "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
  for h in "${hosts[@]}"; do ip netns del "${ns[$h]}" 2>/dev/null; done
  ip netns del "$switch" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$switch" 2>"$tmp/netns.err" || skip "cannot create network namespaces here: $(cat "$tmp/netns.err")"
ip -n "$switch" link add br0 type bridge || skip "cannot create a bridge here"
ip -n "$switch" link set br0 up || fail "bridge up"
for h in "${hosts[@]}"; do
  ip netns add "${ns[$h]}" || fail "namespace for $h"
  ip link add "h$h$id" type veth peer name "s$h$id" || skip "cannot create a veth pair here"
  ip link set "h$h$id" netns "${ns[$h]}" && ip link set "s$h$id" netns "$switch" || fail "moving veth ends of $h"
  ip -n "$switch" link set "s$h$id" master br0 && ip -n "$switch" link set "s$h$id" up || fail "bridge port of $h"
  ip -n "${ns[$h]}" addr add "${addr[$h]}/24" dev "h$h$id" || fail "address of $h"
  ip -n "${ns[$h]}" link set lo up && ip -n "${ns[$h]}" link set "h$h$id" up || fail "links of $h"
done

# A throwaway CA, and certificates for the chronosd hosts and the client host.
source "$(dirname "$0")/test_ca.sh"

# PostgreSQL on the db host, for the chronosd hosts on the bridge.
chown postgres "$tmp" && chmod 755 "$tmp"
runuser -u postgres -- "$pg_bin/initdb" -D "$tmp/data" -A trust -U chronos -E UTF8 --locale=C \
  --no-sync >"$tmp/initdb.out" 2>"$tmp/initdb.err" || fail "initdb"
echo "host all all 10.202.0.0/24 trust" >>"$tmp/data/pg_hba.conf"
ip netns exec "${ns[db]}" runuser -u postgres -- "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w \
  -o "-c listen_addresses=${addr[db]} -p 5432 -c unix_socket_directories=$tmp -c fsync=off" start \
  >"$tmp/pg_ctl.out" 2>"$tmp/pg_ctl.err" || fail "PostgreSQL did not start"
ip netns exec "${ns[db]}" runuser -u postgres -- "$pg_bin/psql" -h "$tmp" -U chronos -d postgres \
  -c "CREATE DATABASE chronos" >"$tmp/psql.out" 2>"$tmp/psql.err" || fail "CREATE DATABASE"
store="postgresql://chronos@${addr[db]}:5432/chronos"

start_chronosd() {
  local h=$1
  ip netns exec "${ns[$h]}" "$chronosd" --store "$store" --lease 2s --bind "${addr[$h]}" --port 4242 \
    $(tls server) >"$tmp/$h.out" 2>"$tmp/$h.err" &
  pids+=("$!")
  for _ in $(seq 200); do
    grep -q "listening on" "$tmp/$h.out" && return
    sleep 0.05
  done
  fail "chronosd on $h did not start"
}
servers="${addr[a]}:4242,${addr[b]}:4242"
ctl() { ip netns exec "${ns[cli]}" timeout 60 "$chronosctl" $(tls client) --timeout 20s "$@" 2>>"$tmp/ctl.err"; }
# Waits until the chronosd on host $1 reports role $2.
await_role() {
  for _ in $(seq 300); do
    ctl --host "${addr[$1]}" --port 4242 stats --json 2>/dev/null | grep -q "\"role\":\"$2\"" && return
    sleep 0.1
  done
  fail "chronosd on $1 never became $2"
}

start_chronosd a
await_role a leader
start_chronosd b
await_role b standby

ip netns exec "${ns[cli]}" timeout 90 "$chronosctl" $(tls client) --timeout 20s --servers "$servers" \
  watch remote --count 2 >"$tmp/watch.out" 2>"$tmp/watch.err" &
watcher=$!
pids+=("$watcher")
for _ in $(seq 200); do
  ctl --servers "$servers" stats --json | grep -q '"names":1' && break
  sleep 0.1
done
now=$(date +%s%3N)
first=$(ctl --servers "$servers" schedule remote --at $((now + 4000)) --payload first) || fail "schedule first"
second=$(ctl --servers "$servers" schedule remote --at $((now + 7000)) --payload second) || fail "schedule second"

# The leader's host drops off the network.
ip -n "$switch" link set "sa$id" down || fail "taking a's link down"
await_role b leader
wait "$watcher"
status=$?
[ "$status" -eq 0 ] || fail "the watcher exited $status"
expected=$(printf '%s first\n%s second' "$first" "$second")
got=$(cat "$tmp/watch.out")
[ "$got" = "$expected" ] || fail "watch printed '$got', expected '$expected'"
ctl --host "${addr[b]}" --port 4242 health | grep -q "leader (epoch 2" || fail "b does not lead in epoch 2"

echo "failover across hosts: with the leader's link down, the standby took over (epoch 2)"
echo "and the client's watcher got both timeouts, in order, from it"
