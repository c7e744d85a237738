# Driving the customer's SDL window like a person, for the e2e tests that
# use it (sourced after lib.sh). The window prints its button rectangles
# and each state it has drawn when HANDOFF_UI_TRACE=1; WIN_OUT is that
# output, WIN_X/WIN_Y/WIN_W/WIN_H the window's place (win_geometry), SHOTS
# the screenshot folder and LANG_NOW the language in screenshot names.

# win_geometry: reads where the window is from its trace.
win_geometry() {
	read -r WIN_X WIN_Y WIN_W WIN_H <<<"$(sed -n 's/^UI window \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p' "$WIN_OUT")"
	[ -n "$WIN_H" ] || fail "the window did not say where it is"
}

# button NAME: the centre of a button in root coordinates.
button_xy() {
	local x y w h
	read -r x y w h <<<"$(sed -n "s/^UI button $1 \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p" "$WIN_OUT" | head -1)"
	[ -n "$x" ] || fail "the window printed no rectangle for button $1"
	echo "$((WIN_X + x + w / 2)) $((WIN_Y + y + h / 2))"
}

click() {
	local xy
	xy=$(button_xy "$1")
	# shellcheck disable=SC2086
	DISPLAY=$XDISPLAY xdotool mousemove $xy click 1 || fail "xdotool could not click $1"
}

# field NAME: clicks into an entry field (the pointer then keeps the focus there).
field() {
	local x y w h
	read -r x y w h <<<"$(sed -n "s/^UI field $1 \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p" "$WIN_OUT" | head -1)"
	DISPLAY=$XDISPLAY xdotool mousemove $((WIN_X + x + 20)) $((WIN_Y + y + h / 2)) click 1 ||
		fail "xdotool could not click field $1"
}

# mark: later wait_state calls only look at what the window prints from now on.
mark() {
	MARK=$(wc -l <"$WIN_OUT")
}

state_since_mark() {
	tail -n +$((MARK + 1)) "$WIN_OUT" | grep -q "^UI state $1"
}

wait_state() {
	wait_for "$1" state_since_mark "$2" ||
		fail "the window never showed '$2': $(grep '^UI state' "$WIN_OUT" | tail -3)"
}

# The number of chat-pane messages the window last drew.
chat_count() {
	grep '^UI state' "$WIN_OUT" | tail -1 | sed -n 's/.* chat=\([0-9]*\).*/\1/p'
}

# shot NAME: the window as it is on screen now, as PNG.
shot() {
	DISPLAY=$XDISPLAY xwd -root -silent >"$E2E_TMP/root.xwd" || fail "xwd failed"
	ffmpeg -loglevel error -y -i "$E2E_TMP/root.xwd" -vf "crop=$WIN_W:$WIN_H:$WIN_X:$WIN_Y" \
		"$SHOTS/$1-$LANG_NOW.png" || fail "could not convert the screenshot"
	if [ -n "${HANDOFF_SCREENSHOTS:-}" ]; then
		cp "$SHOTS/$1-$LANG_NOW.png" "$HANDOFF_SCREENSHOTS/" || fail "could not keep the screenshot"
	fi
}

# pixel NAME X Y: the RGB hex of one pixel of a screenshot (window coordinates).
pixel() {
	ffmpeg -loglevel error -i "$SHOTS/$1-$LANG_NOW.png" -vf "crop=1:1:$2:$3" -f rawvideo -pix_fmt rgb24 - |
		od -An -tx1 | tr -d ' \n'
}

