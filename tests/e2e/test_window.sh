# The viewer's SDL2 window on a technician's display: it shows the
# customer's screen pixel-exact somewhere on that display, and a click and a
# key typed into the window arrive on the customer's display.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
CUSTOMER_X=$XDISPLAY
DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" pattern >"$E2E_TMP/xprobe.out" 2>&1 &
track $!
wait_line 10 "$E2E_TMP/xprobe.out" "^ready" || fail "xprobe did not draw"
start_xvfb 1024 768
TECH_X=$XDISPLAY
XDISPLAY=$CUSTOMER_X

start_relay
new_ticket_code "Window"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

# SDL and the X libraries it loads keep allocations until exit that are not
# ours; leak checking of this process would only report those.
DISPLAY=$TECH_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" \
	--identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" >"$E2E_TMP/window.out" 2>"$E2E_TMP/window.log" &
win=$!
track $win
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo y >&7
wait_for 20 sh -c "DISPLAY=$TECH_X '$TOOLS/xprobe' find 640 480 >'$E2E_TMP/find.out'" ||
	fail "the window never showed the customer's screen: $(cat "$E2E_TMP/find.out") $(tail -3 "$E2E_TMP/window.log")"
note "window: $(cat "$E2E_TMP/find.out")"
DISPLAY=$TECH_X xwininfo -root -tree | grep -q "Handoff.*ticket $TICKET" || fail "no window titled for ticket $TICKET"

read -r ox oy <<<"$(sed -n 's/^found 640x480 at \([0-9]*\),\([0-9]*\)$/\1 \2/p' "$E2E_TMP/find.out")"
DISPLAY=$TECH_X xdotool mousemove $((ox + 200)) $((oy + 150)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 200 150" || fail "the click did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
DISPLAY=$TECH_X xdotool key x || fail "xdotool key failed"
wait_line 10 "$E2E_TMP/xprobe.out" "^key x" || fail "the key did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
note "click at the window's (200,150) landed on the customer's (200,150); key x arrived"

kill -TERM "$win"
wait "$win" 2>/dev/null
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper did not see the window close"

# Started view only, then F8 c: the customer is asked for control and the same window gets it.
start_tech_window --view-only
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks to view your screen" ||
	fail "--view-only did not ask to view only: $(grep CONSENT "$HELPER_OUT" | tail -1)"
echo y >&7
wait_line 10 "$E2E_TMP/window.log" "the customer allowed view only at" ||
	fail "the terminal did not say the level: $(tail -3 "$E2E_TMP/window.log")"
wait_tech_window "VIEW ONLY" 648 488
DISPLAY=$TECH_X xdotool mousemove $((wx + 100)) $((wy + 100)) || fail "xdotool failed"
DISPLAY=$TECH_X xdotool key F8 c || fail "xdotool F8 c failed"
wait_line 10 "$HELPER_OUT" "^CONSENT alice from the help desk, who can already see your screen, asks to also control it" ||
	fail "F8 c did not ask the customer for control: $(tail -3 "$E2E_TMP/window.log")"
echo y >&7
wait_line 10 "$E2E_TMP/window.log" "the customer allowed view and control at" ||
	fail "the terminal did not say control: $(tail -3 "$E2E_TMP/window.log")"
wait_tech_window CONTROL 648 488
DISPLAY=$TECH_X xdotool mousemove $((wx + 4 + 300)) $((wy + 4 + 200)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 300 200" || fail "the click after F8 c did not arrive: $(tail -3 "$E2E_TMP/xprobe.out")"
note "view only, then F8 c and the customer's yes: the same window controls"
kill -TERM "$win"
wait "$win" 2>/dev/null
echo end >&7
stop_relay
