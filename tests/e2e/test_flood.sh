#!/bin/bash
# A pre-authentication flood: 320 connections from 12 loopback addresses
# (in fifths: silent, a banner only, a banner and half a packet, a banner
# trickled a byte a second, a finished key exchange and no login; see
# tests/tools/hostile.c), each re-opened as soon as
# the relay drops them, while a real customer's helper connects (from
# 127.0.0.1) and gets its session, and a technician runs a command. The
# relay holds at most max_unauthenticated (64) of them, at most
# max_unauthenticated_per_source (8) per address, makes room by dropping a
# stalled connection (or refuses the newcomer while all make progress), and
# frees every descriptor afterwards.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
start_relay
new_ticket_code "Flooded"
base_fds=$(open_fds "$RELAY_PID")

# 127.0.0.10 is named 5 times: it tries to hold 100 connections and meets its own cap.
srcs="127.0.0.10 127.0.0.10 127.0.0.10 127.0.0.10"
for i in $(seq 10 21); do srcs="$srcs 127.0.0.$i"; done
# shellcheck disable=SC2086
"$TOOLS/hostile" flood 127.0.0.1 "$RELAY_PORT" 40 320 $srcs >"$E2E_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
track $FLOOD_PID
wait_line 20 "$E2E_TMP/flood.out" "flood: 320 open" || fail "the flood did not get going: $(cat "$E2E_TMP/flood.out")"
wait_line 20 "$RELAY_LOG" "^.* 64 unauthenticated connections" || fail "the relay never filled up"
wait_line 20 "$RELAY_LOG" "refusing a connection from 127.0.0.10: it has 8 unauthenticated connections" ||
	fail "the per-source cap never held"
note "flood: 320 connections from 12 addresses; relay full, dropping stalled connections"

start=$(date +%s%N)
start_helper "$CODE"
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "the customer's helper did not connect during the flood: $(tail -5 "$E2E_TMP/helper.log")"
wait_line 10 "$RELAY_LOG" "ticket $TICKET is live" || fail "no live session during the flood"
note "the helper connected during the flood in $(( ($(date +%s%N) - start) / 1000000 )) ms"
out=$(tech_ssh alice ticket show "$TICKET") || fail "a technician's command failed during the flood"
echo "$out" | grep -q "Flooded" || fail "ticket show printed: $out"
note "a technician's command ran during the flood"
kill -0 "$FLOOD_PID" 2>/dev/null || fail "the flood ended before the checks: $(cat "$E2E_TMP/flood.out")"

kill "$FLOOD_PID"
wait "$FLOOD_PID" 2>/dev/null
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
# The relay lets go of every flood connection (they close, or it drops them at login_grace).
wait_for 20 fds_at_most "$RELAY_PID" "$base_fds" ||
	fail "relay holds $(open_fds "$RELAY_PID") descriptors after the flood, $base_fds before"
note "relay descriptors back to $base_fds"
stop_relay
echo "  ok"
