# Keysyms the customer's keymap lacks still arrive: a technician's key
# event for U+3042 (あ) and for the Euro sign reaches an X client on the
# customer's display through a borrowed spare keycode, and the customer's
# keymap is as it was once the helper has ended.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
DISPLAY=$XDISPLAY xmodmap -pke >"$E2E_TMP/keymap.before" || fail "xmodmap failed"
grep -qi "U3042\|EuroSign" "$E2E_TMP/keymap.before" && fail "the keymap already has the keysyms this test needs missing"
start_relay
new_ticket_code "Keysym"
share_with_viewer
viewer_cmd 10 "click 100 100"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 100 100" || fail "the click did not arrive"
viewer_cmd 10 "key U3042"
wait_line 10 "$E2E_TMP/xprobe.out" "^key U3042" || fail "U+3042 did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
viewer_cmd 10 "key EuroSign"
wait_line 10 "$E2E_TMP/xprobe.out" "^key EuroSign" || fail "EuroSign did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
viewer_cmd 10 "key a"
wait_line 10 "$E2E_TMP/xprobe.out" "^key a" || fail "an ordinary key stopped working: $(tail -3 "$E2E_TMP/xprobe.out")"
note "U3042 and EuroSign typed through borrowed keycodes; a still works"
viewer_cmd 10 "quit"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
DISPLAY=$XDISPLAY xmodmap -pke >"$E2E_TMP/keymap.after" || fail "xmodmap failed"
cmp -s "$E2E_TMP/keymap.before" "$E2E_TMP/keymap.after" ||
	fail "the keymap was not restored: $(diff "$E2E_TMP/keymap.before" "$E2E_TMP/keymap.after" | head -5)"
note "the customer's keymap is back as it was"
stop_relay
