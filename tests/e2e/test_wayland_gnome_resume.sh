# The helper on GNOME, through the desktop portal, survives the loss of its relay (issue 17 with
# issue 18's resume): two relays on one PostgreSQL, the helper started with --also-relay. Relay a
# is killed (kill -9) while the desktop's dialog is up, before any screen is open: the helper comes
# back through b, the dialog stays up, and its Share opens the screen with nobody waiting; alice,
# through b, is asked again (no screen was ever shared with her) and sees the picture. Then b is
# killed with the screen open and alice watching: helper and viewer come back through a
# (restarted), alice is allowed again without a question, and the picture is the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_postgres
start_gnome 800 600
start_wlpattern 800x600
start_relay "store = $PG_URL"
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG
new_relay_home relay-b "store = $PG_URL"
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG
on_a() { RELAY_DIR=$A_DIR RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_LOG=$A_LOG RELAY_PID=$A_PID; }
on_b() { RELAY_DIR=$B_DIR RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_LOG=$B_LOG RELAY_PID=$B_PID; }

on_a
new_ticket_code "GNOME resume"
start_wl_helper "$CODE" --verbose --also-relay "127.0.0.1:$B_PORT=$B_FP"
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
wait_line 10 "$E2E_TMP/helper.log" "the relay gave a resume token" || fail "no resume token: $(tail -3 "$E2E_TMP/helper.log")"

# Relay a dies while the desktop's dialog is up: no screen yet, the question stays.
wl_portal_allow up
kill -9 "$A_PID"
wait_line 30 "$E2E_TMP/helper.log" "the session goes on through relay 2 of 2" ||
	fail "the helper did not come back through relay b: $(tail -5 "$E2E_TMP/helper.log")"
wl_as python3 "$WL_PORTAL_DIALOG" absent >/dev/null 2>&1 && fail "the desktop's dialog went with relay a"
wl_portal_dialog control
wait_line 20 "$E2E_TMP/helper.log" "capturing Wayland display $WL_DISPLAY (800x600)" ||
	fail "Share after the resume opened no screen: $(tail -5 "$E2E_TMP/helper.log")"
kill -0 "$HELPER_PID" || fail "the helper ended: $(tail -3 "$E2E_TMP/helper.log")"
note "relay a killed while the desktop's dialog was up: back through b, the dialog stayed, Share opened the screen"

# alice through b, with the other relay named: asked again, since nothing was shared with her yet.
on_b
asked=$(grep -c "^CONSENT alice from the help desk asks" "$HELPER_OUT")
VIEWER_OUT=$E2E_TMP/viewer2.out VIEWER_IN=$E2E_TMP/viewer2.in
mkfifo "$VIEWER_IN"
"$BIN/handoff-tech" --relay "$RELAY_HOST:$B_PORT" --identity "$E2E_TMP/alice" --host-key "$B_FP" \
	--also-relay "$RELAY_HOST:$A_PORT=$A_FP" view "$TICKET" --headless <"$VIEWER_IN" >"$VIEWER_OUT" \
	2>"$E2E_TMP/viewer2.log" &
VIEWER_PID=$!
track $VIEWER_PID
exec 8>"$VIEWER_IN"
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" $((asked + 1)) ||
	fail "alice was not asked about through b: $(tail -3 "$HELPER_OUT")"
grep -q "allowed again after the reconnection" "$E2E_TMP/helper.log" && fail "alice was let in without a question"
shared=$(grep -c "^SHARING with alice" "$HELPER_OUT")
echo y >&7
wait_count 20 "$HELPER_OUT" "^SHARING with alice from the help desk" $((shared + 1)) || fail "the helper did not share"
wl_snapshot_is 0 || fail "the viewer's picture through b is not the test client's: $(cat "$E2E_TMP/check-0.out")"
note "through b: alice asked again, the screen opened after the resume reaches her pixel for pixel"

# Relay b dies with the screen open and alice watching: both come back through a, restarted.
on_a
restart_relay
A_PID=$RELAY_PID
wait_line 10 "$E2E_TMP/helper.log" "the relay gave a resume token" || fail "no resume token through b"
tokens=$(grep -c "the relay gave a resume token" "$E2E_TMP/helper.log")
[ "$tokens" -ge 2 ] || fail "the helper holds no token of b's: $(grep -c 'resume token' "$E2E_TMP/helper.log")"
kill -9 "$B_PID"
wait_line 30 "$E2E_TMP/helper.log" "the session goes on through relay 1 of 2" ||
	fail "the helper did not come back through relay a: $(tail -5 "$E2E_TMP/helper.log")"
wait_line 60 "$E2E_TMP/viewer2.log" "ticket $TICKET: reconnected" ||
	fail "the viewer did not come back: $(tail -5 "$E2E_TMP/viewer2.log")"
wait_line 10 "$E2E_TMP/helper.log" "allowed again after the reconnection" ||
	fail "alice was not allowed again without a question: $(tail -5 "$E2E_TMP/helper.log")"
[ "$(grep -c "asking the desktop portal for the screen" "$E2E_TMP/helper.log")" = 1 ] ||
	fail "the desktop was asked again after a resume with its screen open"
wl_snapshot_is 0 || fail "the picture after the second resume is not the test client's: $(cat "$E2E_TMP/check-0.out")"
note "relay b killed with the screen open: back through a, alice allowed again without a question, the same picture, the desktop not asked again"

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"
stop_relay
