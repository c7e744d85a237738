#!/bin/bash
# bench/helper_idle.sh [BUILD]: CPU the customer's helper uses over 10 s with
# a viewer connected and nothing changing on screen, for the window UI and
# for the terminal UI, read from /proc/PID/stat (utime + stime) before and
# after. A figure for the notes, not an assertion: XDamage reports nothing
# on an idle screen, so the helper should sleep in poll() the whole time.
set -u
BUILD=${1:-build}
ROOT=$(pwd)
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests" E2E_KEEP=0
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/window_lib.sh"
SECONDS_IDLE=${IDLE_SECONDS:-10}
HZ=$(getconf CLK_TCK)

cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

start_xvfb 1024 768
start_relay

# measure UI: one helper, one viewer allowed, SECONDS_IDLE seconds of nothing.
measure() {
	local ui=$1 pid before after
	new_ticket_code "idle $ui"
	if [ "$ui" = tty ]; then
		start_helper "$CODE" "idle-$ui"
		pid=$HELPER_PID
		wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
		start_viewer "$TICKET"
		wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
		echo y >&7
	else
		WIN_OUT="$E2E_TMP/idle-$ui.out"
		MARK=0
		HANDOFF_UI_TRACE=1 "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" \
			--code "$CODE" --display "$XDISPLAY" </dev/null >"$WIN_OUT" 2>"$E2E_TMP/idle-$ui.log" &
		pid=$!
		track $pid
		wait_state 15 "screen=main"
		win_geometry
		start_viewer "$TICKET"
		wait_state 15 "screen=main question=consent"
		click allow
	fi
	viewer_cmd 20 "wait-frame"
	sleep 1 # the first full frame and the banner redraw settle
	before=$(cpu_ticks "$pid")
	sleep "$SECONDS_IDLE"
	after=$(cpu_ticks "$pid")
	echo "helper idle ($ui UI, viewer connected, ${SECONDS_IDLE} s): $((after - before)) ticks of 1/$HZ s =" \
		"$(awk -v t=$((after - before)) -v hz="$HZ" -v s="$SECONDS_IDLE" 'BEGIN {printf "%.2f %% of one core", 100 * t / hz / s}')"
	echo quit >&8
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

measure sdl
measure tty
stop_relay
