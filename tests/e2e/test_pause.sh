# Pause and resume from the customer's terminal UI. While paused the
# technician stays connected (the stream is not closed, no grant is
# revoked) but gets no new pixels (a window opening on the customer's
# screen does not reach the viewer, however often it asks) and its click
# and key never reach the customer's display. Resume brings the current
# picture and input back without a second consent question; the ticket
# records both as events and the viewer gets a chat line for each.
. "$(dirname "$0")/lib.sh"

start_xvfb 800 600
draw_pattern

start_relay
new_ticket_code "Pause test"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(cat "$E2E_TMP/helper.log")"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt: $(cat "$HELPER_OUT")"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk" || fail "helper did not start sharing"
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/before.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/before.ppm" >"$E2E_TMP/compare0.out" 2>&1 ||
	fail "before the pause the viewer's picture differs: $(cat "$E2E_TMP/compare0.out")"

# Pause, then change the customer's screen.
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause: $(tail -3 "$HELPER_OUT")"
wait_events 10 "$TICKET" sharing-paused 1 ||
	fail "the ticket did not record the pause"
# The technician is told in the viewer's chat lines.
wait_line 10 "$VIEWER_OUT" "^chat .*the customer paused sharing" || fail "the viewer was not told of the pause: $(tail -3 "$VIEWER_OUT")"
DISPLAY=$XDISPLAY xlogo -geometry 160x160+300+200 >/dev/null 2>&1 &
track $!
# The new window is really there for anyone who grabs the display now.
wait_for 10 sh -c "! DISPLAY=$XDISPLAY '$TOOLS/xprobe' compare '$E2E_TMP/before.ppm' >/dev/null 2>&1" ||
	fail "xlogo never changed the customer's screen"

# However often the viewer asks (each wait-frame asks for the whole
# screen), the picture it gets is the one from before the pause.
for i in 1 2 3 4 5; do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/paused-$i.ppm"
	cmp -s "$E2E_TMP/before.ppm" "$E2E_TMP/paused-$i.ppm" ||
		fail "a new picture reached the viewer while paused (request $i)"
	sleep 0.3 # not a wait: the requests are spread over time, so that a late picture is caught
done
note "paused: 5 full requests over ~2 s all got the picture from before the pause"

# Input while paused never reaches the customer's display: checked after resume, once input
# sent after it has arrived (input keeps its order, so paused input would have come first).
viewer_cmd 10 "click 123 234"
viewer_cmd 10 "key a"
# The helper reads a viewer's messages in order on one thread: once the picture asked for after
# the click and key has come back, both were read while paused (not later, after the resume).
viewer_cmd 10 "wait-frame"
kill -0 "$VIEWER_PID" || fail "the viewer lost its session while paused"

# Resume: the current picture arrives, input works, nobody is asked again.
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume: $(tail -3 "$HELPER_OUT")"
wait_line 10 "$VIEWER_OUT" "^chat .*the customer resumed sharing" || fail "the viewer was not told of the resume"
resumed=no
for i in $(seq 1 20); do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/resumed.ppm"
	if DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/resumed.ppm" >"$E2E_TMP/compare1.out" 2>&1; then
		resumed=yes
		break
	fi
	sleep 0.25
done
[ "$resumed" = yes ] || fail "after resume the viewer's picture is not current: $(cat "$E2E_TMP/compare1.out")"
cmp -s "$E2E_TMP/before.ppm" "$E2E_TMP/resumed.ppm" && fail "after resume the viewer still has the old picture"
note "resumed: the new window arrived pixel-exact"

viewer_cmd 10 "click 111 222"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 111 222" || fail "the click after resume did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
viewer_cmd 10 "key b"
wait_line 10 "$E2E_TMP/xprobe.out" "^key b" || fail "the key after resume did not arrive"
grep -q "^button 1 123 234" "$E2E_TMP/xprobe.out" && fail "the click from the pause arrived"
grep -q "^key a$" "$E2E_TMP/xprobe.out" && fail "the key from the pause arrived"
note "paused: the click and key never arrived, the viewer stayed connected"
[ "$(grep -c '^CONSENT' "$HELPER_OUT")" = 1 ] || fail "resume asked for consent again: $(grep '^CONSENT' "$HELPER_OUT")"
note "resumed: click and key arrive, no second consent question"

[ "$(event_count "$TICKET" sharing-paused)" = 1 ] || fail "sharing-paused events: $(event_count "$TICKET" sharing-paused)"
wait_events 10 "$TICKET" sharing-resumed 1 ||
	fail "the ticket did not record the resume"
[ "$(event_count "$TICKET" consent-granted)" = 1 ] || fail "consent was granted $(event_count "$TICKET" consent-granted) times"

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
echo end >&7
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"
stop_relay
