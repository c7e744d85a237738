# The SDL viewer on a technician's display smaller than the customer's:
# the picture is scaled keeping its aspect, a click at a scaled position
# lands on the right remote pixel, and keys typed with a German layout on
# the technician's side, including AltGr-free umlauts, a dead key and a
# Japanese character, arrive on the customer's display as the same
# characters. Then the F8 menu: 1:1 (a click maps 1:1), the figures
# overlay and Ctrl+Alt+Del.
. "$(dirname "$0")/lib.sh"

start_xvfb 1024 768
CUSTOMER_X=$XDISPLAY
# The helper types a keysym only if the customer's keyboard has it (XKeysymToKeycode):
# a German map, plus e-acute and hiragana A on two spare key codes.
setxkbmap -display "$CUSTOMER_X" de || fail "setxkbmap de (customer) failed"
xmodmap -display "$CUSTOMER_X" -e "keycode 248 = eacute" -e "keycode 249 = U3042" ||
	fail "xmodmap on the customer's display failed"
DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" pattern >"$E2E_TMP/xprobe.out" 2>&1 &
track $!
wait_line 10 "$E2E_TMP/xprobe.out" "^ready" || fail "xprobe did not draw"
start_xvfb 800 600
TECH_X=$XDISPLAY
setxkbmap -display "$TECH_X" de || fail "setxkbmap de (technician) failed"
XDISPLAY=$CUSTOMER_X

start_relay
new_ticket_code "Keys"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

# SDL and the X libraries keep allocations until exit that are not ours (see test_window.sh).
# A UTF-8 locale: X input methods compose dead keys only in one.
DISPLAY=$TECH_X LANG=C.UTF-8 LC_ALL=C.UTF-8 ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" \
	--relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" \
	>"$E2E_TMP/window.out" 2>"$E2E_TMP/window.log" &
win=$!
track $win
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice" || fail "helper did not share"

# viewable_window TITLE-PATTERN: sets wid to a mapped window whose title matches;
# the title can be set before the window is mapped, and a closing window may
# still be listed, so every match is asked.
viewable_window() {
	local id
	for id in $(DISPLAY=$TECH_X xwininfo -root -tree | sed -n "s/^ *\(0x[0-9a-f]*\) \"$1.*/\1/p"); do
		if DISPLAY=$TECH_X xwininfo -id "$id" 2>/dev/null | grep -q IsViewable; then
			wid=$id
			return 0
		fi
	done
	return 1
}

# The window: 1024x768 plus a 4-pixel frame, scaled into 800x600 minus room for decorations.
geom() {
	DISPLAY=$TECH_X xwininfo -root -tree | sed -n 's/.*"Handoff.*ticket [0-9]* .* CONTROL".*  \([0-9]*\)x\([0-9]*\)+\([0-9-]*\)+\([0-9-]*\).*/\1 \2 \3 \4/p' | head -1
}
wait_for 10 sh -c "DISPLAY=$TECH_X xwininfo -root -tree | grep -q 'Handoff.*CONTROL'" || fail "no window titled CONTROL"
wait_for 10 viewable_window "Handoff" || fail "the window is never mapped"
# The first full picture is drawn once it arrived; give it that moment.
sleep 1
read -r ww wh wx wy <<<"$(geom)"
[ -n "$ww" ] || fail "cannot read the window's geometry"
# Aspect kept: the picture inside the frame is 4:3 (rounded to a pixel).
iw=$((ww - 8))
ih=$((wh - 8))
[ "$iw" -lt 1024 ] || fail "the window is not scaled down: ${ww}x${wh}"
pw=$((ih * 4 / 3))
[ "$pw" -le "$iw" ] && [ $((iw - pw)) -le 2 ] || pw=$iw
ph=$((pw * 3 / 4))
note "window ${ww}x${wh} at $wx,$wy: picture ${pw}x${ph} (aspect 4:3 kept)"

# The frame says "control": red, just outside the picture.
DISPLAY=$TECH_X "$TOOLS/xprobe" pixel $((wx + (ww - pw) / 2 - 2)) $((wy + wh / 2)) >"$E2E_TMP/frame.out"
grep -q "pixel #e02020" "$E2E_TMP/frame.out" || fail "the control frame is not red: $(cat "$E2E_TMP/frame.out")"
DISPLAY=$TECH_X xwd -root -silent >"$E2E_TMP/shot.xwd" || fail "xwd failed"

# A click at the scaled position of remote (500,400) lands there.
ox=$((wx + (ww - pw) / 2))
oy=$((wy + (wh - ph) / 2))
cx=$((ox + 500 * pw / 1024 + 1))
cy=$((oy + 400 * ph / 768 + 1))
DISPLAY=$TECH_X xdotool mousemove "$cx" "$cy" click 1 || fail "xdotool click failed"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 " || fail "the click did not arrive"
read -r bx by <<<"$(sed -n 's/^button 1 \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$E2E_TMP/xprobe.out" | tail -1)"
dx=$((bx - 500))
dy=$((by - 400))
[ "${dx#-}" -le 2 ] && [ "${dy#-}" -le 2 ] ||
	fail "a click at the scaled (500,400) landed on ($bx,$by)"
note "click at the scaled position of (500,400) landed on ($bx,$by)"

# Keys, with the technician's German layout: z is where US has y; umlauts and sharp s
# are keys of their own; a dead acute then e composes e-acute; a Japanese character.
key_arrives() {
	wait_line 10 "$E2E_TMP/xprobe.out" "^key $1\$" || fail "key $1 did not arrive: $(tail -4 "$E2E_TMP/xprobe.out")"
}
DISPLAY=$TECH_X xdotool key z || fail "xdotool key z"
key_arrives z
DISPLAY=$TECH_X xdotool key udiaeresis || fail "xdotool key udiaeresis"
key_arrives udiaeresis
DISPLAY=$TECH_X xdotool key ssharp || fail "xdotool key ssharp"
key_arrives ssharp
DISPLAY=$TECH_X xdotool key dead_acute e || fail "xdotool dead key"
key_arrives eacute
# A key that types hiragana A on the technician's side (as a Japanese input method would commit it).
xmodmap -display "$TECH_X" -e "keycode 249 = U3042" || fail "xmodmap on the technician's display failed"
DISPLAY=$TECH_X xdotool key U3042 || fail "xdotool key U3042"
key_arrives U3042
note "German layout: z, ü, ß, dead acute + e = é, and あ arrived as the same characters"

# F8 menu. The key after F8 is ours: its text must not reach the customer.
before=$(grep -c "^key" "$E2E_TMP/xprobe.out")
DISPLAY=$TECH_X xdotool key F8 o || fail "F8 o"
sleep 1.5
DISPLAY=$TECH_X xwd -root -silent >"$E2E_TMP/overlay.xwd" || fail "xwd failed"
cmp -s "$E2E_TMP/shot.xwd" "$E2E_TMP/overlay.xwd" && fail "the overlay did not show"
DISPLAY=$TECH_X xdotool key F8 o || fail "F8 o"
# F8 d: Ctrl+Alt+Del for the customer.
DISPLAY=$TECH_X xdotool key F8 d || fail "F8 d"
key_arrives Delete
grep -q "^key o\$" "$E2E_TMP/xprobe.out" && fail "a menu key reached the customer"
grep -A3 "^key Control_L" "$E2E_TMP/xprobe.out" | grep -q "^key Delete" || fail "no Control before Delete"
note "F8 o showed the overlay; F8 d sent Ctrl+Alt+Del; menu keys stayed local"

# F8 1: 1:1. The picture's corner is at the window's inner corner (4,4): window (104,104) is remote (100,100).
DISPLAY=$TECH_X xdotool key F8 1 || fail "F8 1"
sleep 0.5
DISPLAY=$TECH_X xdotool mousemove $((wx + 104)) $((wy + 104)) click 1 || fail "click 1:1"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 100 100\$" || fail "1:1 click: $(grep '^button' "$E2E_TMP/xprobe.out" | tail -1)"
note "F8 1: 1:1, a click at the window's (100,100) landed on (100,100)"

# F8 f (full screen) needs a window manager: test_viewer_screen.sh runs one.

kill -TERM "$win"
wait "$win" 2>/dev/null
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper did not see the window close"

# --view-only: a blue frame, "VIEW ONLY" in the title, and keys stay on the technician's side.
DISPLAY=$TECH_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" \
	--identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" --view-only \
	>"$E2E_TMP/window2.out" 2>"$E2E_TMP/window2.log" </dev/null &
win=$!
track $win
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 2 || fail "no second consent prompt"
echo v >&7
wait_for 15 sh -c "DISPLAY=$TECH_X xwininfo -root -tree | grep -q 'Handoff.*VIEW ONLY'" || fail "no window titled VIEW ONLY"
wait_for 10 viewable_window "Handoff.*VIEW ONLY" || fail "the view-only window is never mapped"
sleep 1
read -r ww wh wx wy <<<"$(DISPLAY=$TECH_X xwininfo -id "$wid" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF} /Width:/ {w=$NF} /Height:/ {h=$NF} END {print w, h, x, y}')"
DISPLAY=$TECH_X "$TOOLS/xprobe" pixel $((wx + (ww - pw) / 2 - 2)) $((wy + wh / 2)) >"$E2E_TMP/frame2.out"
grep -q "pixel #2060e0" "$E2E_TMP/frame2.out" || fail "the view-only frame is not blue: $(cat "$E2E_TMP/frame2.out")"
before=$(grep -c "^key\|^button" "$E2E_TMP/xprobe.out")
DISPLAY=$TECH_X xdotool mousemove $((wx + 100)) $((wy + 100)) click 1 key z || fail "xdotool failed"
sleep 1
[ "$(grep -c "^key\|^button" "$E2E_TMP/xprobe.out")" = "$before" ] ||
	fail "view-only input reached the customer: $(tail -2 "$E2E_TMP/xprobe.out")"
note "--view-only: blue frame, VIEW ONLY title, click and key stayed local"
kill -TERM "$win"
wait "$win" 2>/dev/null
echo end >&7
stop_relay
