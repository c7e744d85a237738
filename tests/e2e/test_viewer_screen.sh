# The SDL viewer's full screen and its reconnect, on a technician's display
# that runs a window manager (matchbox; without one SDL's full-screen
# request changes nothing):
#   - F8 f covers the whole display, the picture stays in its aspect, and a
#     click at the scaled position of remote (500,400) lands there; F8 f
#     again gives the window back;
#   - a Ctrl held through the viewer is let go on the customer's side when
#     the customer pauses (before, only mouse buttons were);
#   - the relay is killed (-9) while the window shows the customer's screen:
#     the viewer says it lost the session and retries with back-off; once
#     the relay is back and the customer's helper has a new code and says
#     yes, a window shows the customer's screen again, with no command typed.
. "$(dirname "$0")/lib.sh"

start_xvfb 1024 768
draw_pattern
CUSTOMER_X=$XDISPLAY
start_xvfb 800 600
TECH_X=$XDISPLAY
XDISPLAY=$CUSTOMER_X
DISPLAY=$TECH_X matchbox-window-manager -use_titlebar yes >"$E2E_TMP/wm.log" 2>&1 &
track $!
wait_for 10 sh -c "DISPLAY=$TECH_X xprop -root _NET_SUPPORTED | grep -q _NET_WM_STATE_FULLSCREEN" ||
	fail "the window manager does not offer full screen: $(cat "$E2E_TMP/wm.log")"

start_relay
new_ticket_code "Full screen"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

start_tech_window
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice" || fail "helper did not share"

# wid_geometry: "W H X Y" of the mapped viewer window (matchbox reparents it).
wid_geometry() {
	local id
	for id in $(DISPLAY=$TECH_X xwininfo -root -tree | sed -n 's/^ *\(0x[0-9a-f]*\) "Handoff.*/\1/p'); do
		if DISPLAY=$TECH_X xwininfo -id "$id" 2>/dev/null | grep -q IsViewable; then
			DISPLAY=$TECH_X xwininfo -id "$id" | awk '/Absolute upper-left X/ {x=$NF}
				/Absolute upper-left Y/ {y=$NF} /Width:/ {w=$NF} /Height:/ {h=$NF}
				END {print w, h, x, y}'
			return 0
		fi
	done
	return 1
}
is_full_screen() {
	[ "$(wid_geometry)" = "800 600 0 0" ]
}
is_windowed() {
	local g
	g=$(wid_geometry) && [ "$g" != "800 600 0 0" ]
}
wait_for 15 wid_geometry || fail "the viewer window is never mapped"
# Once it has stopped moving: the window manager places it after it is mapped.
windowed=$(steady 10 wid_geometry) || fail "the viewer window keeps moving: $(wid_geometry)"
is_full_screen && fail "the window starts full screen: $windowed"
note "windowed: $windowed (W H X Y)"

DISPLAY=$TECH_X xdotool key F8 f || fail "xdotool F8 f"
wait_for 10 is_full_screen || fail "F8 f did not cover the display: $(wid_geometry)"
read -r ww wh wx wy <<<"$(steady 10 wid_geometry)"
click_scaled 1024 768 500 400
note "F8 f: 800x600 at 0,0, picture ${pw}x${ph}; a click at the scaled (500,400) landed on ($bx,$by)"
DISPLAY=$TECH_X xdotool key F8 f || fail "xdotool F8 f (back)"
wait_for 10 is_windowed || fail "F8 f again did not leave full screen: $(wid_geometry)"
note "F8 f again: $(wid_geometry)"

# A key held through the viewer comes up on the customer's side when the customer pauses.
DISPLAY=$TECH_X xdotool keydown Control_L || fail "xdotool keydown failed"
wait_for 10 sh -c "DISPLAY=$CUSTOMER_X '$TOOLS/xprobe' keysdown | grep -q Control_L" ||
	fail "the held Ctrl did not reach the customer: $(DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" keysdown)"
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
wait_for 10 sh -c "[ \"\$(DISPLAY=$CUSTOMER_X '$TOOLS/xprobe' keysdown)\" = keysdown ]" ||
	fail "a key stayed down on the customer's side after the pause: $(DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" keysdown)"
DISPLAY=$TECH_X xdotool keyup Control_L || fail "xdotool keyup failed"
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
note "Ctrl held through the viewer: down on the customer's side, up again when the customer paused"

# The relay dies under the window.
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
wait_line 15 "$E2E_TMP/window.log" "lost the session; trying again" ||
	fail "the window viewer did not say it lost the session: $(tail -3 "$E2E_TMP/window.log")"
wait_line 15 "$HELPER_OUT" "^SESSION ENDED" || fail "the helper did not see the relay go"
kill -0 "$win" 2>/dev/null || fail "the window viewer gave up: $(tail -3 "$E2E_TMP/window.log")"
restart_relay
CODE=$(tech_ssh alice invite "$TICKET") || fail "invite after the restart failed"
start_helper "$CODE" helper2
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the new helper did not connect"
# The viewer's next try asks the customer again: the consent is per connection.
wait_line 40 "$HELPER_OUT" "^CONSENT alice from the help desk" ||
	fail "the viewer did not come back: $(tail -3 "$E2E_TMP/window.log")"
echo y >&7
wait_line 10 "$E2E_TMP/window.log" "reconnected" || fail "the viewer did not say it reconnected"
wait_for 30 wid_geometry || {
	stacks "$win"
	fail "no window after the reconnect: $(tail -3 "$E2E_TMP/window.log"); windows: $(DISPLAY=$TECH_X xwininfo -root -tree | grep -c Handoff)"
}
steady 10 wid_geometry >/dev/null || fail "the reconnected window keeps moving: $(wid_geometry)"
# 1:1, so the picture's top-left 700x500 is on the technician's display pixel for pixel.
DISPLAY=$TECH_X xdotool key F8 1 || fail "xdotool F8 1"
wait_for 10 sh -c "DISPLAY=$TECH_X '$TOOLS/xprobe' find 700 500 >'$E2E_TMP/find.out'" ||
	fail "the reconnected window does not show the customer's screen: $(cat "$E2E_TMP/find.out")"
note "relay killed and restarted: $(grep -c 'trying again' "$E2E_TMP/window.log") retries, then $(cat "$E2E_TMP/find.out")"
kill -TERM "$win"
wait "$win" 2>/dev/null
echo end >&7
stop_relay
