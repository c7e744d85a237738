#!/bin/bash
# Issue 14, item 3: a pre-authentication flood from 300 loopback addresses
# at 50 connections a second (one each, re-opened when the relay drops it; tests/tools/
# hostile.c: silent, banner only, half a packet, trickled, key exchange and
# no login), while a technician on a slow link (tests/tools/slowproxy: 150 ms
# each way) logs in 5 times with OpenSSH. Before, the relay made room by
# dropping the oldest connection, which with one connection per address was
# the slow technician's: 0 of 5 got in. Now it drops what has done least
# and penalises addresses that hold slots idle; at least 4 of 5 must succeed
# (the count is printed). No timing is asserted.
. "$(dirname "$0")/lib.sh"

start_relay
base_fds=$(open_fds "$RELAY_PID")
PROXY_PORT=$(free_port) || fail "no free port"
"$TOOLS/slowproxy" "$PROXY_PORT" "$RELAY_PORT" 150 >"$E2E_TMP/proxy.out" 2>&1 &
track $!
wait_line 10 "$E2E_TMP/proxy.out" "^listening" || fail "slowproxy did not start"

srcs=""
for a in $(seq 1 3); do
	for b in $(seq 1 100); do srcs="$srcs 127.3.$a.$b"; done
done
# shellcheck disable=SC2086
"$TOOLS/hostile" flood-rate 127.0.0.1 "$RELAY_PORT" 120 300 50 $srcs >"$E2E_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
track $FLOOD_PID
wait_line 30 "$RELAY_LOG" "^.* 64 unauthenticated connections" || fail "the flood never filled the relay"
note "flood: 300 addresses, one connection each; the relay is full"

ok=0
for i in 1 2 3 4 5; do
	# shellcheck disable=SC2046
	if out=$(timeout 60 ssh $(ssh_opts | sed "s/-p $RELAY_PORT/-p $PROXY_PORT/") -o ConnectTimeout=40 \
		-i "$E2E_TMP/alice" handoff@127.0.0.1 whoami 2>"$E2E_TMP/slow$i.err") && echo "$out" | grep -q alice; then
		ok=$((ok + 1))
	else
		note "login $i failed: $(tail -2 "$E2E_TMP/slow$i.err")"
	fi
done
kill -0 "$FLOOD_PID" 2>/dev/null || fail "the flood ended before the logins: $(cat "$E2E_TMP/flood.out")"
note "a technician behind 150 ms got $ok of 5 logins through the flood"
note "relay: $(grep "refused from penalised addresses" "$RELAY_LOG" | tail -1 | sed 's/.*info: //')"
[ "$ok" -ge 4 ] || fail "only $ok of 5 slow logins got through the flood"
grep -q "penalising 127.3." "$RELAY_LOG" || fail "no flooding address was penalised"

kill "$FLOOD_PID"
wait "$FLOOD_PID" 2>/dev/null
wait_for 40 fds_at_most "$RELAY_PID" "$((base_fds + 1))" ||
	fail "relay holds $(open_fds "$RELAY_PID") descriptors after the flood, $base_fds before"
stop_relay
echo "  ok"
