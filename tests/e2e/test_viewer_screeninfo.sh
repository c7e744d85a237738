# The viewer's side of the helper's screen description (protocol/screeninfo.h),
# against a scripted customer (tests/tools/rfbevil's monitors modes, reached
# through the real relay by tests/tools/fakehelper): a 320x240 screen split
# into LEFT (red, its last column yellow) and RIGHT (blue, its first column
# white). The viewer asks for the description in SetEncodings; headless, it
# prints the "info" line, crops snapshots to the monitor picked and takes
# click coordinates from its corner; the window shows the monitor picked
# (--monitor, F8 m), clicks land on it, the frame and title follow what the
# customer granted (view only: nothing is sent), and a pause shows a banner.
# A malformed description ends the session with a clear message
# (test_hostile.sh). The same with the real helper: test_viewer_monitors.sh.
. "$(dirname "$0")/lib.sh"

start_relay
start_rfbevil monitors "Two monitors"

# ppm_pixel FILE X Y: the RGB hex of one pixel of a binary PPM with a 3-line header.
ppm_pixel() {
	local w hdr
	w=$(sed -n 2p "$1" | cut -d' ' -f1)
	hdr=$(head -3 "$1" | wc -c)
	od -An -tx1 -j $((hdr + ($3 * w + $2) * 3)) -N3 "$1" | tr -d ' \n'
}
pointer_count() {
	grep -c "^pointer" "$E2E_TMP/evil.out" || true
}

# Headless: the description as a line, then the monitor as the whole screen.
start_viewer "$TICKET"
wait_line 15 "$VIEWER_OUT" "^info control=yes paused=no monitors=2 1:LEFT:160x240+0+0 2:RIGHT:160x240+160+0\$" ||
	fail "no info line: $(cat "$VIEWER_OUT")"
grep -q "^screeninfo asked" "$E2E_TMP/evil.out" || fail "the viewer did not ask for the description in SetEncodings"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "monitor 2"
grep -q "^ok monitor 2/2 RIGHT 160x240\$" "$VIEWER_OUT" || fail "monitor 2: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "snapshot $E2E_TMP/right.ppm"
[ "$(head -2 "$E2E_TMP/right.ppm" | tail -1)" = "160 240" ] || fail "the snapshot of monitor 2 is $(sed -n 2p "$E2E_TMP/right.ppm")"
[ "$(ppm_pixel "$E2E_TMP/right.ppm" 0 0)" = ffffff ] && [ "$(ppm_pixel "$E2E_TMP/right.ppm" 1 100)" = 0000ff ] &&
	[ "$(ppm_pixel "$E2E_TMP/right.ppm" 159 239)" = 0000ff ] ||
	fail "the snapshot of monitor 2 is not the right half: $(ppm_pixel "$E2E_TMP/right.ppm" 0 0) $(ppm_pixel "$E2E_TMP/right.ppm" 1 100)"
viewer_cmd 10 "click 10 20"
wait_line 10 "$E2E_TMP/evil.out" "^pointer 170 20 1\$" || fail "click 10 20 on monitor 2 did not land on 170,20: $(grep ^pointer "$E2E_TMP/evil.out" | tail -2)"
echo "click 200 10" >&8
wait_line 10 "$VIEWER_OUT" "^error 200,10 is outside the 160x240 screen" || fail "a click beyond monitor 2 was not refused"
echo "monitor 3" >&8
wait_line 10 "$VIEWER_OUT" "^error monitor 3 is not shared (2 monitors)" || fail "monitor 3 was not refused: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "monitor all"
grep -q "^ok all monitors (2)\$" "$VIEWER_OUT" || fail "monitor all: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "snapshot $E2E_TMP/all.ppm"
[ "$(ppm_pixel "$E2E_TMP/all.ppm" 159 0)" = ffff00 ] && [ "$(ppm_pixel "$E2E_TMP/all.ppm" 160 0)" = ffffff ] ||
	fail "the whole screen is not both halves"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" || fail "the headless viewer exited non-zero"
note "headless: info line, monitor 2 cropped to 160x240 from x=160, click 10,20 landed on 170,20"

# --monitor: the first pick; one the customer does not have shows all, with a note.
start_viewer_monitor() {
	VIEWER_OUT="$E2E_TMP/$2.out"
	rm -f "$E2E_TMP/$2.in"
	mkfifo "$E2E_TMP/$2.in"
	tech view "$TICKET" --headless --monitor "$1" <"$E2E_TMP/$2.in" >"$VIEWER_OUT" 2>"$E2E_TMP/$2.log" &
	VIEWER_PID=$!
	track $VIEWER_PID
	exec 8>"$E2E_TMP/$2.in"
}
start_viewer_monitor 1 viewer-m1
viewer_cmd 15 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/left.ppm"
[ "$(head -2 "$E2E_TMP/left.ppm" | tail -1)" = "160 240" ] && [ "$(ppm_pixel "$E2E_TMP/left.ppm" 159 0)" = ffff00 ] ||
	fail "--monitor 1 did not crop to the left half"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" || fail "the --monitor 1 viewer exited non-zero"
start_viewer_monitor 3 viewer-m3
viewer_cmd 15 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/m3.ppm"
[ "$(head -2 "$E2E_TMP/m3.ppm" | tail -1)" = "320 240" ] || fail "--monitor 3 did not fall back to the whole screen"
grep -q "monitor 3 is not shared; showing all" "$E2E_TMP/viewer-m3.log" || fail "--monitor 3 said nothing"
[ "$(grep -c "not shared" "$E2E_TMP/viewer-m3.log")" = 1 ] || fail "the note about monitor 3 came more than once"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" || fail "the --monitor 3 viewer exited non-zero"
note "--monitor 1 cropped to the left half; --monitor 3: whole screen and one note"
exec 8>&-

# The window, on a technician's display with room for the picture 1:1.
start_xvfb 800 600
TECH_X=$XDISPLAY
stop_window() {
	kill -TERM "$win"
	wait "$win" 2>/dev/null
}

# px_is X Y RRGGBB, px_neither X Y RRGGBB...: the technician's display at X,Y is (not) that colour;
# waited for, since the window draws the picture some time after it has its size.
px_is() {
	[ "$(tech_px "$1" "$2")" = "$3" ]
}
px_neither() {
	local c o x=$1 y=$2
	c=$(tech_px "$x" "$y")
	shift 2
	for o in "$@"; do
		[ "$c" != "$o" ] || return 1
	done
}

start_tech_window --monitor 2
# 160x240 plus the 4-pixel frame on each side: the monitor, 1:1.
wait_tech_window CONTROL 168 248
wait_for 10 px_is $((wx + 2)) $((wy + 100)) e02020 || fail "the control frame is not red: $(tech_px $((wx + 2)) $((wy + 100)))"
wait_for 10 px_is $((wx + 4)) $((wy + 50)) ffffff && wait_for 10 px_is $((wx + 60)) $((wy + 50)) 0000ff ||
	fail "the window does not show monitor 2: $(tech_px $((wx + 4)) $((wy + 50))) $(tech_px $((wx + 60)) $((wy + 50)))"
DISPLAY=$TECH_X xdotool mousemove $((wx + 4 + 10)) $((wy + 4 + 20)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/evil.out" "^pointer 170 20 1\$" || fail "a click on monitor 2 at 10,20 landed on $(grep '^pointer .* 1$' "$E2E_TMP/evil.out" | tail -1)"
# Beyond the picture, on the frame: clamped into monitor 2, never onto LEFT.
DISPLAY=$TECH_X xdotool mousemove $((wx + 1)) $((wy + 1)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/evil.out" "^pointer 160 0 1\$" || fail "a click on the frame landed on $(grep '^pointer .* 1$' "$E2E_TMP/evil.out" | tail -1)"
note "--monitor 2: window 168x248, red frame, right half shown; clicks land at 170,20 and clamp to 160,0"

# F8 m: all, then monitor 1; the window is refitted each time.
DISPLAY=$TECH_X xdotool key F8 m || fail "F8 m"
wait_tech_window CONTROL 328 248
wait_for 10 px_is $((wx + 4 + 159)) $((wy + 200)) ffff00 && wait_for 10 px_is $((wx + 4 + 160)) $((wy + 200)) ffffff ||
	fail "F8 m did not show all: $(tech_px $((wx + 4 + 159)) $((wy + 200)))"
DISPLAY=$TECH_X xdotool mousemove $((wx + 4 + 300)) $((wy + 4 + 30)) click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/evil.out" "^pointer 300 30 1\$" || fail "a click on all at 300,30 landed elsewhere"
DISPLAY=$TECH_X xdotool key F8 m || fail "F8 m"
wait_tech_window CONTROL 168 248
wait_for 10 px_is $((wx + 4 + 159)) $((wy + 200)) ffff00 && wait_for 10 px_is $((wx + 4)) $((wy + 200)) ff0000 ||
	fail "the second F8 m did not show monitor 1"
grep -q "^key 0x6d" "$E2E_TMP/evil.out" && fail "the menu key m reached the customer"
note "F8 m: all (328x248, click 300,30 exact), then monitor 1 (168x248)"
stop_window

# View only, as the customer granted it: blue frame, VIEW ONLY title, nothing sent.
echo monitors-viewonly >"$E2E_TMP/mode"
start_tech_window
wait_tech_window "VIEW ONLY" 328 248
before=$(pointer_count)
wait_for 10 px_is $((wx + 2)) $((wy + 100)) 2060e0 || fail "the view-only frame is not blue: $(tech_px $((wx + 2)) $((wy + 100)))"
DISPLAY=$TECH_X xdotool mousemove $((wx + 50)) $((wy + 50)) click 1 key z || fail "xdotool failed"
sleep 1 # not a wait: shows that nothing is sent
[ "$(pointer_count)" = "$before" ] || fail "a view-only window sent the pointer: $(grep ^pointer "$E2E_TMP/evil.out" | tail -1)"
grep -q "^key 0x7a" "$E2E_TMP/evil.out" && fail "a view-only window sent a key"
note "granted view only: blue frame, VIEW ONLY title, no pointer or key sent"
stop_window

# Paused: a banner across the middle of the picture, without the overlay.
echo monitors >"$E2E_TMP/mode"
start_tech_window
wait_tech_window CONTROL 328 248
# The banner's top padding row, between its edge and its text.
wait_for 10 px_is $((wx + 4 + 240)) $((wy + 4 + 120 - 9 - 5 + 2)) 0000ff
plain=$(tech_px $((wx + 4 + 240)) $((wy + 4 + 120 - 9 - 5 + 2)))
stop_window
echo monitors-paused >"$E2E_TMP/mode"
start_tech_window
wait_tech_window CONTROL 328 248
# Until the picture and the pause have arrived the spot is black, then blue, then the banner's.
wait_for 10 px_neither $((wx + 4 + 240)) $((wy + 4 + 120 - 9 - 5 + 2)) 000000 0000ff
banner=$(tech_px $((wx + 4 + 240)) $((wy + 4 + 120 - 9 - 5 + 2)))
[ "$plain" = 0000ff ] || fail "the picture is not blue there without a pause: $plain"
[ "$banner" != "$plain" ] || fail "no pause banner over the picture"
note "paused: the banner covers the middle of the picture ($plain -> $banner)"
stop_window

grep -q "Sanitizer\|runtime error" "$E2E_TMP/window.log" && fail "the window crashed: $(head -20 "$E2E_TMP/window.log")"
stop_relay
