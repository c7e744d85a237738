# Multi-monitor viewing and the control indicator, with the real helper on
# a customer's screen of two monitors (Xorg's dummy driver: LEFT 800x600+0+0
# and RIGHT 800x600+800+0, covered by xprobe's pattern, whose every pixel
# depends on its x, so the halves differ). The helper describes the screen
# to the viewer (protocol/screeninfo.h):
# - headless: an "info" line with both monitors and the rights granted;
#   "monitor 2" crops snapshots to the right half, exactly, and a click at
#   10,20 of it lands on the customer's 810,20; a pause and a resume each
#   give a new info line; a viewer granted view only reads control=no;
# - the window with --monitor 2 shows exactly the right half, 1:1; a click
#   lands on the customer's pixel under it; F8 m shows all monitors scaled
#   (a click at a scaled position lands within 2 pixels), then monitor 1;
#   granted view only, its frame is blue and nothing reaches the customer;
#   Japanese clipboard text goes both ways intact (UTF-8 messages);
# - xrandr -s 800x600 takes the right monitor away: a viewer on monitor 2
#   says so once and shows the whole (smaller) screen.
# The viewer alone, against a scripted server: test_viewer_screeninfo.sh.
. "$(dirname "$0")/lib.sh"

start_xorg_monitors
CUSTOMER_X=$XDISPLAY
draw_pattern
# Room for one monitor 1:1 (808x608 with the frame); all of them must be scaled.
start_xvfb 1280 1024
TECH_X=$XDISPLAY
XDISPLAY=$CUSTOMER_X

start_relay
new_ticket_code "Two monitors"

# Headless, granted control.
share_with_viewer
wait_line 15 "$VIEWER_OUT" "^info control=yes paused=no monitors=2 1:LEFT:800x600+0+0 2:RIGHT:800x600+800+0\$" ||
	fail "no info line with two monitors: $(grep -v '^ok' "$VIEWER_OUT" | tail -3)"
viewer_cmd 10 "snapshot $E2E_TMP/all.ppm"
DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" compare "$E2E_TMP/all.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the whole screen differs: $(cat "$E2E_TMP/compare.out")"
viewer_cmd 10 "monitor 2"
grep -q "^ok monitor 2/2 RIGHT 800x600\$" "$VIEWER_OUT" || fail "monitor 2: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "snapshot $E2E_TMP/right.ppm"
# The snapshot of monitor 2 is, byte for byte, the right half of the whole screen's.
ffmpeg -loglevel error -y -i "$E2E_TMP/all.ppm" -vf crop=800:600:800:0 -f rawvideo -pix_fmt rgb24 "$E2E_TMP/right.want" ||
	fail "ffmpeg could not crop"
tail -c $((800 * 600 * 3)) "$E2E_TMP/right.ppm" >"$E2E_TMP/right.got"
[ "$(head -2 "$E2E_TMP/right.ppm" | tail -1)" = "800 600" ] && cmp -s "$E2E_TMP/right.want" "$E2E_TMP/right.got" ||
	fail "the snapshot of monitor 2 is not the right half of the screen"
viewer_cmd 10 "click 10 20"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 810 20\$" ||
	fail "a click at 10,20 of monitor 2 landed on $(grep '^button' "$E2E_TMP/xprobe.out" | tail -1)"
note "headless: info line with LEFT and RIGHT; monitor 2 = the right half exactly; click 10,20 -> 810,20"

echo pause >&7
wait_line 10 "$VIEWER_OUT" "^info control=yes paused=yes monitors=2 " || fail "no info line for the pause: $(grep '^info' "$VIEWER_OUT" | tail -1)"
echo resume >&7
wait_count 10 "$VIEWER_OUT" "^info control=yes paused=no monitors=2 " 2 || fail "no info line for the resume"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" || fail "the headless viewer exited non-zero"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "the helper did not see the viewer go"
note "pause and resume: paused=yes, then paused=no"

# Headless, granted view only.
start_viewer_as alice "$TICKET" viewer-v
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 2 || fail "no second consent prompt"
echo v >&7
wait_line 15 "$VIEWER_OUT" "^info control=no paused=no monitors=2 " || fail "view only: $(grep '^info' "$VIEWER_OUT" | tail -1)"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" || fail "the view-only headless viewer exited non-zero"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 2 || fail "the helper did not see the second viewer go"
note "granted view only: control=no"

# shows X0: the window shows the customer's 800x600 from x=X0, 1:1, inside its frame.
shows() {
	DISPLAY=$TECH_X "$TOOLS/xprobe" find 800 600 "$1" 0 >"$E2E_TMP/find.out"
	grep -q "^found 800x600 at $((wx + 4)),$((wy + 4))\$" "$E2E_TMP/find.out"
}
button_count() {
	grep -c "^button" "$E2E_TMP/xprobe.out" || true
}

start_tech_window --monitor 2
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 3 || fail "no consent prompt for the window"
echo y >&7
wait_tech_window CONTROL 808 608
wait_for 10 shows 800 || fail "the window does not show monitor 2 exactly: $(cat "$E2E_TMP/find.out")"
[ "$(tech_px $((wx + 2)) $((wy + 300)))" = e02020 ] || fail "the control frame is not red"
DISPLAY=$TECH_X xdotool mousemove $((wx + 4 + 100)) $((wy + 4 + 200)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 900 200\$" ||
	fail "a click at 100,200 of monitor 2 landed on $(grep '^button' "$E2E_TMP/xprobe.out" | tail -1)"
note "window --monitor 2: 808x608, exactly the right half 1:1, red frame; click -> 900,200"

# F8 m: all monitors, scaled to the display; a click at the scaled position of 1200,300.
DISPLAY=$TECH_X xdotool key F8 m || fail "F8 m"
wait_for 10 sh -c "[ \$(DISPLAY=$TECH_X xwininfo -root -tree | sed -n 's/.*\"Handoff.*CONTROL\".*  \([0-9]*\)x[0-9]*+.*/\1/p' | head -1) -gt 808 ]" ||
	fail "F8 m did not widen the window: $(tech_window_geom CONTROL)"
sleep 1
read -r ww wh wx wy <<<"$(tech_window_geom CONTROL)"
click_scaled 1600 600 1200 300
[ "$pw" -lt 1600 ] || fail "all monitors are not scaled down: ${ww}x${wh}"
note "F8 m: all monitors in ${ww}x${wh} (picture ${pw}x${ph}); the scaled click landed on $bx,$by"

DISPLAY=$TECH_X xdotool key F8 m || fail "F8 m"
wait_tech_window CONTROL 808 608
wait_for 10 shows 0 || fail "the second F8 m does not show monitor 1: $(cat "$E2E_TMP/find.out")"
grep -q "^key m\$" "$E2E_TMP/xprobe.out" && fail "the menu key m reached the customer"
note "F8 m again: monitor 1, exactly the left half"

# Clipboard text as UTF-8 both ways (the helper's SCREENINFO_CUT_MSG_TYPE, not Latin-1 cut text).
clip_is() {
	timeout 5 xclip -display "$1" -selection clipboard -o >"$E2E_TMP/clip.now" 2>/dev/null && cmp -s "$E2E_TMP/clip.now" "$2"
}
printf '技術者から: 日本語 \xe2\x82\xac' >"$E2E_TMP/t2c"
xclip -display "$TECH_X" -selection clipboard -i "$E2E_TMP/t2c" || fail "xclip (technician) failed"
wait_for 15 clip_is "$CUSTOMER_X" "$E2E_TMP/t2c" || fail "the customer's clipboard holds '$(cat "$E2E_TMP/clip.now")'"
printf 'お客様から: コピー' >"$E2E_TMP/c2t"
xclip -display "$CUSTOMER_X" -selection clipboard -i "$E2E_TMP/c2t" || fail "xclip (customer) failed"
wait_for 15 clip_is "$TECH_X" "$E2E_TMP/c2t" || fail "the technician's clipboard holds '$(cat "$E2E_TMP/clip.now")'"
note "clipboard as UTF-8: '$(cat "$E2E_TMP/t2c")' to the customer, '$(cat "$E2E_TMP/c2t")' back"
kill -TERM "$win"
wait "$win" 2>/dev/null
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 3 || fail "the helper did not see the window go"

# Granted view only: a blue frame, VIEW ONLY in the title, nothing sent.
start_tech_window --monitor 1
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 4 || fail "no consent prompt for the second window"
echo v >&7
wait_tech_window "VIEW ONLY" 808 608
wait_for 10 shows 0 || fail "the view-only window does not show monitor 1"
[ "$(tech_px $((wx + 2)) $((wy + 300)))" = 2060e0 ] || fail "the view-only frame is not blue: $(tech_px $((wx + 2)) $((wy + 300)))"
before=$(button_count)
DISPLAY=$TECH_X xdotool mousemove $((wx + 104)) $((wy + 104)) click 1 key z || fail "xdotool failed"
sleep 1
[ "$(button_count)" = "$before" ] || fail "a click from a view-only window reached the customer"
grep -q "^key z\$" "$E2E_TMP/xprobe.out" && fail "a key from a view-only window reached the customer"
note "granted view only: blue frame, VIEW ONLY title, the click and key stayed local"

# Paused: the banner is drawn over the picture, overlay or not.
before_px=$(tech_px $((wx + 4 + 400)) $((wy + 4 + 300 - 9 - 5 + 2)))
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
wait_for 10 sh -c "[ \"\$(DISPLAY=$TECH_X '$TOOLS/xprobe' pixel $((wx + 4 + 400)) $((wy + 4 + 300 - 9 - 5 + 2)))\" != 'pixel #$before_px' ]" ||
	fail "no pause banner over the picture"
echo resume >&7
wait_for 10 sh -c "[ \"\$(DISPLAY=$TECH_X '$TOOLS/xprobe' pixel $((wx + 4 + 400)) $((wy + 4 + 300 - 9 - 5 + 2)))\" = 'pixel #$before_px' ]" ||
	fail "the pause banner stayed after the resume"
note "pause: the banner came and went"
kill -TERM "$win"
wait "$win" 2>/dev/null
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 4 || fail "the helper did not see the second window go"

# The right monitor goes away under a viewer showing it.
start_viewer_as alice "$TICKET" viewer-r
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 5 || fail "no consent prompt for the last viewer"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "monitor 2"
DISPLAY=$CUSTOMER_X xrandr -s 800x600 || fail "xrandr -s 800x600 failed"
wait_count 15 "$VIEWER_OUT" "^info " 2 || fail "no info line after the screen shrank"
viewer_cmd 20 "wait-frame"
grep -q "^ok 800x600\$" "$VIEWER_OUT" || fail "the framebuffer did not shrink: $(grep '^ok [0-9]' "$VIEWER_OUT" | tail -1)"
viewer_cmd 10 "snapshot $E2E_TMP/shrunk.ppm"
[ "$(head -2 "$E2E_TMP/shrunk.ppm" | tail -1)" = "800 600" ] || fail "the snapshot after the shrink is $(sed -n 2p "$E2E_TMP/shrunk.ppm")"
wait_line 5 "$E2E_TMP/viewer-r.log" "monitor 2 is not shared; showing all" || fail "the viewer did not say monitor 2 went away"
[ "$(grep -c "not shared" "$E2E_TMP/viewer-r.log")" = 1 ] || fail "the note came more than once"
viewer_cmd 10 "quit"
note "xrandr -s 800x600: $(grep '^info' "$VIEWER_OUT" | tail -1); monitor 2 gone, said once, whole screen shown"

grep -q "Sanitizer\|runtime error" "$E2E_TMP/window.log" && fail "the window crashed: $(head -20 "$E2E_TMP/window.log")"
echo end >&7
stop_relay
