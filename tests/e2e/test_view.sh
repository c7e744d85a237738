# The main job: a customer's real X display, shared by the real helper
# through the real relay, seen pixel-exact by the headless viewer, with a
# click and a key coming back to the customer's display.
. "$(dirname "$0")/lib.sh"

start_xvfb 800 600
draw_pattern

start_relay
new_ticket_code "Screen test"
t0=$(date +%s%N)
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(cat "$E2E_TMP/helper.log")"
grep -q "Screen test" "$HELPER_OUT" || fail "helper did not show the ticket summary"

# The helper must not listen on any TCP port.
if ss -ltnp | grep -q "pid=$HELPER_PID,"; then
	fail "the helper listens on a TCP port: $(ss -ltnp | grep "pid=$HELPER_PID,")"
fi

start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt: $(cat "$HELPER_OUT")"
# Nothing is shown before consent: the viewer has no frame yet.
sleep 0.5 # not a wait: shows that nothing comes before consent
grep -q '^ok' "$VIEWER_OUT" && fail "the viewer answered before consent"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk" || fail "helper did not start sharing"
viewer_cmd 20 "wait-frame"
t1=$(date +%s%N)
note "first frame $(( (t1 - t0) / 1000000 )) ms after the helper started"
grep -q "^ok 800x600" "$VIEWER_OUT" || fail "frame size: $(grep '^ok' "$VIEWER_OUT")"

viewer_cmd 10 "snapshot $E2E_TMP/seen.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/seen.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the viewer's picture differs from the customer's screen: $(cat "$E2E_TMP/compare.out")"
note "pixel-exact: $(cat "$E2E_TMP/compare.out")"

# A change on the customer's screen (a window opening) reaches the viewer:
# the helper only re-grabs what XDamage reports.
DISPLAY=$XDISPLAY xlogo -geometry 120x120+400+300 >/dev/null 2>&1 &
track $!
wait_for 10 sh -c "! DISPLAY=$XDISPLAY '$TOOLS/xprobe' compare '$E2E_TMP/seen.ppm' >/dev/null 2>&1" ||
	fail "xlogo never changed the customer's screen"
# Asked again until the helper has taken the damage in (a busy machine may need a few tries).
for _ in $(seq 1 50); do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/changed.ppm"
	DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/changed.ppm" >"$E2E_TMP/compare2.out" 2>&1 && break
	sleep 0.2
done
cmp -s "$E2E_TMP/seen.ppm" "$E2E_TMP/changed.ppm" && fail "the viewer did not see the new window"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/changed.ppm" >"$E2E_TMP/compare2.out" 2>&1 ||
	fail "after a change, the viewer's picture differs: $(cat "$E2E_TMP/compare2.out")"
note "a new window on the customer's screen arrived pixel-exact"

viewer_cmd 10 "click 123 234"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 123 234" || fail "the click did not arrive: $(cat "$E2E_TMP/xprobe.out")"
viewer_cmd 10 "key a"
viewer_cmd 10 "key Return"
wait_line 10 "$E2E_TMP/xprobe.out" "^key a" || fail "the key did not arrive: $(cat "$E2E_TMP/xprobe.out")"
wait_line 10 "$E2E_TMP/xprobe.out" "^key Return" || fail "Return did not arrive"
note "click and keys arrived on the customer's display"

viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
# A sanitizer build exits non-zero when LeakSanitizer finds a leak.
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper did not notice the viewer left"

# View only: the customer answers v; the viewer sees the screen, and its click and key never arrive.
start_viewer "$TICKET"
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 2 || fail "no second consent prompt"
echo v >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk: view only" || fail "helper did not share view only"
viewer_cmd 20 "wait-frame"
before=$(grep -c "^button\|^key" "$E2E_TMP/xprobe.out")
viewer_cmd 10 "click 300 300"
viewer_cmd 10 "key b"
sleep 1 # not a wait: shows that nothing arrives
[ "$(grep -c "^button\|^key" "$E2E_TMP/xprobe.out")" = "$before" ] ||
	fail "a view-only viewer's input reached the customer: $(tail -3 "$E2E_TMP/xprobe.out")"
viewer_cmd 10 "quit"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 2 || fail "helper did not notice the second viewer left"
note "view only: the screen arrives, the click and key do not"

# Events went into the ticket.
for kind in code-issued customer-connected consent-asked consent-granted technician-joined technician-left; do
	sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$TICKET AND kind='$kind'" |
		grep -qv '^0$' || fail "no $kind event"
done

echo end >&7
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"
stop_relay
