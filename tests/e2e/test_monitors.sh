# The customer's monitors (issue 4: "all monitors or one chosen monitor
# (XRandR), screen-size changes while connected"), on a real Xorg with the
# dummy driver split into two RandR monitors, LEFT and RIGHT (Xvfb can do
# neither monitors nor size changes).
#   - --monitor 2 shares RIGHT alone: the viewer's picture is RIGHT's pixels,
#     a click at the viewer's (100,50) lands on the display's (900,50);
#   - --monitor 3 is refused before anything connects, naming what exists;
#   - RIGHT removed while shared: the picture goes black and clicks are not
#     replayed (the area may now be someone else's); back, it shows again;
#   - all monitors, then `xrandr -s 800x600` while a viewer watches: the
#     viewer gets the new size and the right pixels, without reconnecting.
. "$(dirname "$0")/lib.sh"

start_xorg_monitors
draw_pattern
start_relay

# A monitor that does not exist: a clear refusal, and the code is not spent on it.
new_ticket_code "Monitors"
try_helper nomonitor "$CODE" --monitor 3
[ "$HELPER_RC" = 1 ] || fail "--monitor 3 exited $HELPER_RC, not 1"
grep -q "there is no monitor 3: this display has 2" "$E2E_TMP/nomonitor.err" ||
	fail "--monitor 3 said: $(cat "$E2E_TMP/nomonitor.err")"
note "--monitor 3: $(grep -o 'there is no monitor.*' "$E2E_TMP/nomonitor.err")"

# RIGHT alone.
start_helper "$CODE" helper --monitor 2
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/right.ppm"
head -2 "$E2E_TMP/right.ppm" | tr '\n' ' ' | grep -q "^P6 800 600" ||
	fail "monitor 2 is not 800x600: $(head -2 "$E2E_TMP/right.ppm" | tr '\n' ' ')"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/right.ppm" 800 0 >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the viewer's picture is not monitor RIGHT: $(cat "$E2E_TMP/compare.out")"
note "--monitor 2: the viewer sees $(cat "$E2E_TMP/compare.out")"

viewer_cmd 10 "click 100 50"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 " || fail "the click did not arrive"
read -r _ _ bx by < <(grep "^button 1 " "$E2E_TMP/xprobe.out" | tail -1)
[ "$bx" = 900 ] && [ "$by" = 50 ] || fail "a click at monitor 2's (100,50) landed on the display's ($bx,$by)"
note "click at monitor 2's (100,50) landed on the display's ($bx,$by)"

# RIGHT goes away: black, and input is not replayed anywhere.
DISPLAY=$XDISPLAY xrandr --delmonitor RIGHT >/dev/null || fail "xrandr --delmonitor failed"
wait_line 10 "$E2E_TMP/helper.log" "the chosen monitor is gone" || fail "the helper did not notice RIGHT leave"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/gone.ppm"
nonzero=$(tail -c +16 "$E2E_TMP/gone.ppm" | tr -d '\0' | wc -c)
[ "$nonzero" = 0 ] || fail "with monitor RIGHT gone the viewer still sees $nonzero non-black bytes"
clicks=$(grep -c "^button 1 " "$E2E_TMP/xprobe.out")
viewer_cmd 10 "click 10 10"
sleep 1 # not a wait: shows that the click reaches nothing
[ "$(grep -c "^button 1 " "$E2E_TMP/xprobe.out")" = "$clicks" ] ||
	fail "a click was replayed while the chosen monitor was gone"
note "RIGHT removed: the picture is black and a click 1 s later reached nothing"

DISPLAY=$XDISPLAY xrandr --setmonitor RIGHT 800/211x600/159+800+0 none >/dev/null || fail "xrandr --setmonitor"
wait_count 10 "$E2E_TMP/helper.log" "shared area now 800x600 at +800+0$" 1 ||
	fail "the helper did not follow RIGHT back: $(grep 'shared area' "$E2E_TMP/helper.log")"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/back.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/back.ppm" 800 0 >"$E2E_TMP/compare.out" 2>&1 ||
	fail "RIGHT back, but the picture is not it: $(cat "$E2E_TMP/compare.out")"
note "RIGHT back: $(cat "$E2E_TMP/compare.out")"
echo end >&7
wait_line 15 "$HELPER_OUT" "^SESSION ENDED" || fail "helper did not end"
wait "$HELPER_PID" 2>/dev/null || true
# The viewer may be gone with the session: a write to its fifo could then kill this script.
kill "$VIEWER_PID" 2>/dev/null || true
exec 8>&-

# All monitors, then the display shrinks while a viewer watches.
new_ticket_code "Resize"
start_helper "$CODE" helper2
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "second helper did not connect"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt for the second viewer"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/wide.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/wide.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "all monitors: $(cat "$E2E_TMP/compare.out")"
note "all monitors: $(cat "$E2E_TMP/compare.out")"

DISPLAY=$XDISPLAY xrandr -s 800x600 || fail "xrandr -s 800x600 failed"
wait_line 10 "$E2E_TMP/helper2.log" "screen size changed to 800x600" || fail "the helper did not see the resize"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/narrow.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/narrow.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "after the resize: $(cat "$E2E_TMP/compare.out")"
note "resized while watched: $(cat "$E2E_TMP/compare.out")"
DISPLAY=$XDISPLAY xrandr -s 1600x600 || fail "xrandr -s 1600x600 failed"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/wide2.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/wide2.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "back to 1600x600: $(cat "$E2E_TMP/compare.out")"
note "and back: $(cat "$E2E_TMP/compare.out")"
grep -q "lost the session\|session ended" "$VIEWER_OUT" "$E2E_TMP/viewer.log" 2>/dev/null &&
	fail "the viewer reconnected or ended during the resizes"
echo end >&7
wait_line 15 "$HELPER_OUT" "^SESSION ENDED" || fail "second helper did not end"
stop_relay
