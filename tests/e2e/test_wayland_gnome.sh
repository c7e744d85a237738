# The helper on GNOME: mutter headless (no GPU) with xdg-desktop-portal-gnome,
# on a private D-Bus session with PipeWire and WirePlumber. The portal's own
# dialog is answered the way a person would, through the accessibility bus
# (tests/tools/portal_dialog.py): Cancel first, which the customer reads as a
# refusal in plain words; then Share, and the technician's viewer sees the
# test client's picture pixel for pixel through the PipeWire stream, and a
# change to it. Then a second session with the restore token is not asked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_gnome 800 600
start_wlpattern 800x600
start_relay

# dialog share|cancel: presses the portal's button once its dialog is up; its line in dialog.out.
dialog() {
	wl_as python3 "$WL_PORTAL_DIALOG" "$1" 30 >>"$E2E_TMP/dialog.out" 2>"$E2E_TMP/dialog.err" ||
		fail "could not $1 the portal's dialog: $(tail -1 "$E2E_TMP/dialog.out") $(tail -3 "$E2E_TMP/dialog.err")"
}

# The customer says no at the desktop's dialog: the helper says so in plain words, before any code is used.
new_ticket_code "GNOME refusal"
start_wl_helper "$CODE"
dialog cancel
wait_for 20 sh -c "! kill -0 $HELPER_PID" || fail "the helper went on after the refusal"
wait "$HELPER_PID" && fail "the helper shared after Cancel"
grep -q "This desktop (Wayland) did not let the helper see the screen.*refused at the desktop's own question" \
	"$E2E_TMP/helper.log" || fail "no plain-words refusal: $(tail -3 "$E2E_TMP/helper.log")"
note "Cancel at GNOME's dialog: $(tail -1 "$E2E_TMP/dialog.out"); the customer read the refusal"

# Share: the code of the refusal was not used, the same one connects. No --capture: mutter has no
# wlroots screen copy, so the helper asks the portal.
start_wl_helper "$CODE" --verbose
dialog share
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
grep -q "the desktop shares its screen as PipeWire node [0-9]* (ScreenCast version 4, cursor as metadata)" \
	"$E2E_TMP/helper.log" || fail "not the portal's stream: $(grep -i portal "$E2E_TMP/helper.log")"
grep -q "capturing Wayland display $WL_DISPLAY (800x600)" "$E2E_TMP/helper.log" ||
	fail "the helper did not share 800x600: $(grep capturing "$E2E_TMP/helper.log")"
note "Share at GNOME's dialog: $(tail -1 "$E2E_TMP/dialog.out")"

start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt: $(cat "$HELPER_OUT")"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk" || fail "helper did not start sharing"
viewer_cmd 20 "wait-frame"
grep -q "^ok 800x600" "$VIEWER_OUT" || fail "frame size: $(grep '^ok' "$VIEWER_OUT")"
wait_line 10 "$E2E_TMP/helper.log" "resumed: a viewer watches" || fail "the stream was not resumed for the viewer"

# snapshot_is VARIANT: asks for frames until the viewer's picture is wlpattern's VARIANT.
snapshot_is() {
	local i
	for i in $(seq 1 50); do
		viewer_cmd 10 "wait-frame"
		viewer_cmd 10 "snapshot $E2E_TMP/seen-$1.ppm"
		"$TOOLS/wlpattern" check "$E2E_TMP/seen-$1.ppm" "$1" >"$E2E_TMP/check-$1.out" 2>&1 && return 0
		sleep 0.2 # a retry pause, not a wait: the loop waits for the picture
	done
	return 1
}
snapshot_is 0 || fail "the viewer's picture is not the test client's: $(cat "$E2E_TMP/check-0.out")"
note "pixel-exact through GNOME's portal and PipeWire: $(cat "$E2E_TMP/check-0.out")"

kill -USR1 "$WLP_PID"
wait_line 10 "$WLP_OUT" "^shown 800x600 variant 1" || fail "wlpattern did not redraw"
snapshot_is 1 || fail "the change did not arrive: $(cat "$E2E_TMP/check-1.out")"
note "a change on GNOME's screen arrived pixel-exact"

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper did not notice the viewer left"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"

# Persist mode: GNOME gave a restore token, and the next session shares the same monitor without
# asking again (no dialog is answered here).
wl_as test -s "$WL_DIR/state/handoff/screencast-token" || fail "no restore token was kept"
new_ticket_code "GNOME again"
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" ||
	fail "the second session did not connect without the dialog: $(tail -3 "$E2E_TMP/helper.log")"
grep -q "the desktop shares its screen as PipeWire node" "$E2E_TMP/helper.log" || fail "no stream the second time"
note "a second session with the restore token was not asked again"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "the second helper exited non-zero: $(tail "$E2E_TMP/helper.log")"
stop_relay
