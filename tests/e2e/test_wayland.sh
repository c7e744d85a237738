# The helper on a Wayland desktop: sway on its headless backend shares the
# screen through wlroots' screen copy (its portal, xdg-desktop-portal-wlr,
# refuses without a GPU: checked first); the real helper, chosen
# by itself from the session, shares it through the real relay, and the
# technician's headless viewer sees the test client's picture pixel for pixel,
# then a change to it; so does a viewer that asks for no frame of its own.
# Nothing is copied while nobody watches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_wayland 800 600
start_wlpattern 800x600

start_relay

# The portal alone: xdg-desktop-portal-wlr 0.7.0 refuses Start without DMA-BUF (no GPU here), and
# the customer reads so in plain words. The portal is asked after the customer's yes to the first
# technician (its dialog, where a desktop has one, is the customer's answer); a failure that is no
# person's no is not recorded as a refusal, and the technician reads that the customer left.
new_ticket_code "Wayland portal"
start_wl_helper "$CODE" --capture portal
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "the portal-only helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt: $(cat "$HELPER_OUT")"
echo y >&7
wait_for 20 sh -c "! kill -0 $HELPER_PID" || fail "the portal-only helper went on after the portal failed"
wait "$HELPER_PID" && fail "the portal shared"
grep -q "This desktop (Wayland) did not let the helper see the screen.*started no screen stream" "$E2E_TMP/helper.log" ||
	fail "no plain-words refusal: $(cat "$E2E_TMP/helper.log")"
grep -q "unable to receive a valid format from wlr_screencopy" "$WL_DIR/xdpw.log" ||
	fail "the portal failed for another reason: $(tail -3 "$WL_DIR/xdpw.log")"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer went on after the helper ended"
events_are "$TICKET" customer-connected 1 && events_are "$TICKET" consent-denied 0 &&
	events_are "$TICKET" consent-granted 0 ||
	fail "the portal's failure was recorded as a refusal or a yes, or the helper never signed in"
note "the portal refused (xdpw 0.7.0 needs DMA-BUF) after the customer's yes, said in plain words, no refusal on the ticket"

new_ticket_code "Wayland test"
# No --capture: WAYLAND_DISPLAY and XDG_SESSION_TYPE=wayland choose the backend.
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(cat "$E2E_TMP/helper.log")"
grep -q "capturing Wayland (wlroots screen copy) display $WL_DISPLAY (800x600)" "$E2E_TMP/helper.log" ||
	fail "the helper did not choose Wayland: $(head "$E2E_TMP/helper.log")"

wl_first_frame 800x600
wl_snapshot_is 0 || fail "the viewer's picture is not the test client's: $(cat "$E2E_TMP/check-0.out")"
note "pixel-exact: $(cat "$E2E_TMP/check-0.out")"

# A change on screen: the client draws its next variant.
wl_next_variant 1
wl_snapshot_is 1 || fail "the change did not arrive: $(cat "$E2E_TMP/check-1.out")"
note "a change on the Wayland screen arrived pixel-exact"

# Pause: the screen copies stop (nothing is copied for a paused viewer), a change made meanwhile
# does not reach the viewer, and it does once the customer resumes.
wl_pause_resume 1
note "paused: no copies and the old picture; resumed: the change made meanwhile arrived"

# Control: the viewer's click and keys land in the test client through sway's virtual devices.
viewer_cmd 10 "click 123 234"
wait_line 10 "$WLP_OUT" "^button 1 123 234" || fail "the click did not arrive: $(cat "$WLP_OUT")"
for k in a A Return; do
	viewer_cmd 10 "key $k"
done
# evdev codes: a is 30, Shift 42 (A is Shift with a), Return 28.
wait_line 10 "$WLP_OUT" "^key 28" || fail "the keys did not arrive: $(cat "$WLP_OUT")"
[ "$(grep '^key' "$WLP_OUT" | tr '\n' ' ')" = "key 30 key 42 key 30 key 28 " ] ||
	fail "the keys arrived as $(grep '^key' "$WLP_OUT" | tr '\n' ' ')"
wait_line 10 "$WLP_OUT" "^text A" || fail "A did not type A: $(grep '^text' "$WLP_OUT")"
note "a click and keys (a, A, Return) arrived in the Wayland client"

# Text beyond the keymap: each character is lent a keycode in a keymap of the virtual keyboard's own.
viewer_cmd 10 "type Hi 日本語"
wait_line 10 "$WLP_OUT" "^text 語" || fail "the Japanese text did not arrive: $(grep '^text' "$WLP_OUT" | tr '\n' ' ')"
[ "$(grep '^text' "$WLP_OUT" | tail -6 | sed 's/^text //' | tr -d '\n')" = "Hi 日本語" ] ||
	fail "the text arrived as $(grep '^text' "$WLP_OUT" | tail -6 | tr '\n' ' ')"
note "typed text (Hi 日本語) arrived in the Wayland client"

# Idle while watched: a still screen makes the compositor answer no copy request.
wl_idle_cpu screen

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper did not notice the viewer left"
wait_count 10 "$E2E_TMP/helper.log" "paused: nobody watches" 2 || fail "the stream was not paused after the viewer left"
note "the stream is paused while nobody watches"

# A viewer that only waits: a change must wake the helper by itself (wayland_lib.sh).
wl_waiting_viewer 2
note "two changes reached a viewer that sends no request of its own: $WL_WATCH_UPDATES updates"

echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"
stop_relay
