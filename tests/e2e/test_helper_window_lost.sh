# The relay goes away while the customer's window asks for consent: the
# question disappears, the window says plainly that the connection was
# lost, nothing was shared, and the helper exits 1 once the customer
# closes the window. Also a wrong code typed in the window is caught
# before it costs a try at the relay.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"

start_xvfb 1024 768
start_relay
new_ticket_code "Lost"
SHOTS="$E2E_TMP/shots"
mkdir -p "$SHOTS"
LANG_NOW=en
WIN_OUT="$E2E_TMP/window.out"
MARK=0
start_window_helper window.log --lang en
helper=$WIN_PID
wait_state 15 "screen=code"
win_geometry

# Eleven digits: refused in the window, the code entry stays.
field code
mark
DISPLAY=$XDISPLAY xdotool type --delay 20 "1234-5678-901" || fail "xdotool type failed"
click connect
wait_state 10 "screen=code question=none watching=0 chat=0 entry=0 problem=yes"
grep -q "connecting to the relay" "$E2E_TMP/window.log" && fail "a malformed code went to the relay"
shot bad-code
# Clears the field (13 characters) and types the real code.
DISPLAY=$XDISPLAY xdotool key --repeat 13 --delay 10 BackSpace || fail "xdotool key failed"
mark
DISPLAY=$XDISPLAY xdotool type --delay 20 "$CODE" || fail "xdotool type failed"
click connect
wait_state 20 "screen=main"

mark
start_viewer "$TICKET"
wait_state 15 "screen=main question=consent"
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
wait_state 15 "screen=ended"
shot lost
grep -q "connection to the relay lost" "$E2E_TMP/window.log" ||
	fail "the helper did not say the relay was lost: $(tail -3 "$E2E_TMP/window.log")"
grep -q "allowed to view" "$E2E_TMP/window.log" && fail "something was shared"
kill -0 "$helper" || fail "the window closed before the customer could read why"
click close
wait_for 10 sh -c "! kill -0 $helper" || fail "the helper did not exit after Close"
rc=0
wait "$helper" || rc=$?
[ "$rc" = 1 ] || fail "the helper exited with $rc after losing the relay"
note "relay killed mid-consent: the window said so, nothing shared, exit 1 after Close"
