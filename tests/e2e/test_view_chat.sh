# The viewer's terminal as the technician's chat line, and reconnection.
# While `handoff-tech view N` runs, text goes to the customer's chat and the
# customer's lines come back (headless: the `chat` command and "chat" lines;
# window: stdin and stdout), /note and /escalate run from the same place.
# When the relay restarts, the viewer retries with back-off, says so, and
# resumes once the customer is back (asked for consent again: consent
# belongs to a viewer connection).
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
start_relay
new_ticket_code "Chat from the viewer"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"

# Both ways.
viewer_cmd 10 "chat Hello, I see your screen now"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Hello, I see your screen now" || fail "the customer did not get the line"
echo "Great, the printer is the problem" >&7
wait_line 10 "$VIEWER_OUT" "^chat \[.*\] customer: Great, the printer is the problem" ||
	fail "the viewer did not show the customer's line: $(tail -3 "$VIEWER_OUT")"
viewer_cmd 10 "chat 日本語でも大丈夫です"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): 日本語でも大丈夫です" || fail "Japanese did not arrive"
note "chat both ways from the viewer (Japanese included)"

# A note from the same place.
viewer_cmd 10 "chat /note Printer on floor 2, cable checked"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$TICKET AND kind='note' AND detail='Printer on floor 2, cable checked'")" = 1 ] ||
	fail "the note was not stored"
echo "chat /nonsense" >&8
wait_line 10 "$VIEWER_OUT" "^error chat" || fail "an unknown /command was not refused"
note "/note stored; an unknown /command refused"

# The relay restarts under the session.
stop_relay
restart_relay
wait_line 15 "$E2E_TMP/viewer.log" "trying again in 1 s (1 of 8)" || fail "the viewer did not say it retries: $(tail -3 "$E2E_TMP/viewer.log")"
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper outlived its relay"
# The customer comes back with a new code for the same ticket.
CODE=$(tech_ssh alice invite "$TICKET") || fail "invite after the restart failed"
exec 7>&-
start_helper "$CODE" helper2
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the helper did not come back"
wait_line 40 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt after the restart: $(tail -3 "$E2E_TMP/viewer.log")"
echo y >&7
wait_line 15 "$E2E_TMP/viewer.log" "reconnected" || fail "the viewer did not say it reconnected"
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/after.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/after.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "after reconnecting, the picture differs: $(cat "$E2E_TMP/compare.out")"
viewer_cmd 10 "chat Back again"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Back again" || fail "chat after the reconnect did not arrive"
note "relay restarted: the viewer retried ($(grep -c 'trying again' "$E2E_TMP/viewer.log") tries), was asked for consent again, pixel-exact, chat works"

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"

# Window mode: lines typed in the terminal are chat, the customer's lines are printed there,
# and /escalate works from it too.
TECH_X_SAVED=$XDISPLAY
start_xvfb 800 600
TECH_X=$XDISPLAY
mkfifo "$E2E_TMP/term.in"
exec 9<>"$E2E_TMP/term.in"
DISPLAY=$TECH_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" \
	--identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" <"$E2E_TMP/term.in" \
	>"$E2E_TMP/term.out" 2>"$E2E_TMP/term.log" &
win=$!
track $win
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 2 || fail "no consent prompt for the window"
echo y >&7
wait_line 10 "$E2E_TMP/term.out" "customer: Great, the printer is the problem" ||
	fail "the window's terminal did not show the transcript: $(cat "$E2E_TMP/term.out")"
echo "Typed in the terminal of the window" >&9
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Typed in the terminal of the window" || fail "the terminal's line did not arrive"
echo "Thanks from the customer" >&7
wait_line 10 "$E2E_TMP/term.out" "customer: Thanks from the customer" || fail "the terminal did not print the customer's line"
echo "/escalate L2 Printer driver broken; reinstall did not help" >&9
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log consent prompt: $(tail -3 "$E2E_TMP/term.out")"
echo n >&7
wait_for 10 sh -c "[ \"\$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT tier FROM tickets WHERE id=$TICKET\")\" = L2 ]" ||
	fail "the ticket did not move to L2: $(tail -3 "$E2E_TMP/term.out")"
note "window: terminal lines went to the customer, replies were printed, /escalate L2 moved the ticket"
kill -TERM "$win"
wait "$win" 2>/dev/null
XDISPLAY=$TECH_X_SAVED
echo end >&7
stop_relay
