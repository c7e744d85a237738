# SIGKILL of the viewer or the helper mid-session frees the session on the
# relay: descriptors return to their baseline, and the relay (a sanitizer
# build) exits cleanly with LeakSanitizer finding nothing.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
DISPLAY=$XDISPLAY xclock -update 1 >/dev/null 2>&1 &
track $!
start_relay
baseline=$(settled_fds "$RELAY_PID") || fail "the relay's descriptors never settled"

for round in 1 2 3; do
	new_ticket_code "Kill round $round"
	start_helper "$CODE" "helper$round"
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "round $round: helper did not connect"

	start_viewer "$TICKET"
	wait_count 15 "$HELPER_OUT" "^CONSENT" 1 || fail "round $round: no consent prompt"
	echo y >&7
	viewer_cmd 20 "wait-frame"
	viewer_cmd 20 "wait-frame"
	kill -9 "$VIEWER_PID"
	wait "$VIEWER_PID" 2>/dev/null || true
	wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "round $round: helper did not see the viewer die"
	wait_line 10 "$RELAY_LOG" "alice left ticket $TICKET" || fail "round $round: relay kept the dead viewer"

	start_viewer "$TICKET"
	wait_count 15 "$HELPER_OUT" "^CONSENT" 2 || fail "round $round: no second consent prompt"
	echo y >&7
	viewer_cmd 20 "wait-frame"
	kill -9 "$HELPER_PID"
	wait "$HELPER_PID" 2>/dev/null || true
	wait_for 15 sh -c "! kill -0 $VIEWER_PID" || fail "round $round: viewer did not notice the helper died"
	grep -qi "session ended" "$E2E_TMP/viewer.log" || fail "round $round: viewer said: $(tail -3 "$E2E_TMP/viewer.log")"
	wait_line 10 "$RELAY_LOG" "customer for ticket $TICKET left" || fail "round $round: relay kept the dead helper"
	exec 7>&- 8>&-
	wait_for 10 fds_at_most "$RELAY_PID" "$baseline" ||
		fail "round $round: relay holds $(open_fds "$RELAY_PID") descriptors, baseline $baseline"
	note "round $round: viewer and helper killed, relay back to $baseline descriptors"
done

kill -0 "$RELAY_PID" || fail "relay died"
[ "$(tech_ssh alice whoami)" = "alice tech L1" ] || fail "relay stopped serving"
stop_relay
note "relay exited cleanly (LeakSanitizer: no leak)"
