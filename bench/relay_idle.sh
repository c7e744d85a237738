#!/bin/bash
# bench/relay_idle.sh [BUILD]: how often the relay's loop wakes when nothing
# happens, read as the loop thread's voluntary context switches (each sleep
# in ppoll that ends is one) over IDLE_SECONDS (10), first with nobody
# connected, then with a customer's helper and a technician's viewer that
# watch a screen where nothing changes. RELAY_BIN=path measures another
# build's relay (e.g. main's) beside this one. A figure for
# docs/performance.md, not an assertion.
set -u
BUILD=${1:-build}
ROOT=$(pwd)
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests" E2E_KEEP=0
. "$ROOT/tests/e2e/lib.sh"
SECONDS_IDLE=${IDLE_SECONDS:-10}

if [ -n "${RELAY_BIN:-}" ]; then
	mkdir -p "$E2E_TMP/bin"
	for b in "$BIN"/*; do ln -s "$b" "$E2E_TMP/bin/"; done
	ln -sf "$RELAY_BIN" "$E2E_TMP/bin/handoff-relay"
	BIN="$E2E_TMP/bin"
fi

switches() {
	awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$RELAY_PID/task/$RELAY_PID/status"
}

# measure WHAT: wakeups per second of the relay's loop over SECONDS_IDLE.
measure() {
	local before after
	before=$(switches)
	sleep "$SECONDS_IDLE"
	after=$(switches)
	echo "relay idle ($1, ${SECONDS_IDLE} s): $((after - before)) wakeups =" \
		"$(awk -v n=$((after - before)) -v s="$SECONDS_IDLE" 'BEGIN {printf "%.1f", n / s}') wakeups/s"
}

start_xvfb 640 480
start_relay
# The relay's own start (checkpoint, first ticks) is over once it answers a command.
as alice whoami >/dev/null || fail "the relay does not answer"
wait_for 10 sh -c "! ss -tnH state established '( sport = :$RELAY_PORT )' | grep -q ." || fail "connections linger"
measure "nobody connected"
new_ticket_code "idle relay"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
measure "a helper and a viewer, nothing on screen changes"
stop_relay
