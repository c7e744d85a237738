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

# field NAME: clicks into an entry field (the pointer then keeps the focus there) and waits
# until the window has drawn that field as the one the keyboard types into.
field() {
	local x y w h
	read -r x y w h <<<"$(sed -n "s/^UI field $1 \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p" "$WIN_OUT" | head -1)"
	DISPLAY=$XDISPLAY xdotool mousemove $((WIN_X + x + 20)) $((WIN_Y + y + h / 2)) click 1 ||
		fail "xdotool could not click field $1"
	wait_for 10 last_state_has " typing=$1 " ||
		fail "the keyboard did not go to field $1: $(grep '^UI state' "$WIN_OUT" | tail -1)"
}

last_state_has() {
	grep '^UI state' "$WIN_OUT" | tail -1 | grep -q -- "$1"
}

# typed_len: the length in bytes of the field the keyboard types into, as last drawn.
typed_len() {
	grep '^UI state' "$WIN_OUT" | tail -1 | sed -n 's/.* typed=\([0-9]*\) .*/\1/p'
}

# type_text TEXT: types TEXT into the field that has the keyboard (see field), one character
# at a time, each waited for in the window's trace. `xdotool type` gives a character the
# keymap lacks a spare keycode, presses it and takes the keycode back at once; the window
# looks the key up in a keymap it refreshes later, and so may read the key as nothing or as
# the next character (「プリンター動動きん」 arrived for 「プリンターが動きません」). Here the
# spare keycode is bound with xmodmap and stays bound until the window has taken the
# character, so nothing can be lost, and a character that did not arrive fails the test.
type_text() {
	local LC_ALL=C.UTF-8 # characters, not bytes, whatever the machine's locale
	local text=$1 i c bytes want spare
	spare=$(DISPLAY=$XDISPLAY xmodmap -pke | awk '$1 == "keycode" && NF == 3 && $2 > 8 {print $2; exit}')
	[ -n "$spare" ] || fail "the keymap of $XDISPLAY has no spare keycode"
	want=$(typed_len)
	[ -n "$want" ] || fail "the window printed no field length"
	for ((i = 0; i < ${#text}; i++)); do
		c=${text:i:1}
		bytes=$(printf %s "$c" | LC_ALL=C wc -c)
		want=$((want + bytes))
		if [ "$bytes" -gt 1 ]; then
			DISPLAY=$XDISPLAY xmodmap -e "keycode $spare = $(printf 'U%04X' "'$c")" ||
				fail "xmodmap could not bind $c"
		fi
		DISPLAY=$XDISPLAY xdotool type "$c" || fail "xdotool type failed"
		wait_for 10 last_state_has " typed=$want " ||
			fail "typing '$text': '$c' did not arrive (want $want bytes): $(grep '^UI state' "$WIN_OUT" | tail -1)"
	done
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


# start_window_helper LOG ARGS...: the customer's helper with its window on $XDISPLAY, tracing
# into $WIN_OUT, stderr into $E2E_TMP/LOG; ARGS say the rest (--code, --lang, --org, ...).
# Sets WIN_PID and MARK=0. SDL and the X libraries keep allocations until exit that are not
# ours, so this process is not leak-checked.
start_window_helper() {
	local log=$1
	shift
	HANDOFF_UI_TRACE=1 ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" \
		--host-key "$RELAY_FP" --display "$XDISPLAY" "$@" </dev/null >"$WIN_OUT" 2>"$E2E_TMP/$log" &
	WIN_PID=$!
	track $WIN_PID
	MARK=0
}
