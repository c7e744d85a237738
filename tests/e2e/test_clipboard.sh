# Clipboard text both ways in the viewer's window: SDL's clipboard on the
# technician's display <-> RFB cut text <-> the customer's X clipboard. The
# customer's helper does not speak cut text yet (issue 4), so the customer
# side here is x11vnc on the customer's Xvfb, which does, reached through
# the real relay by a helper stand-in (tests/tools/fakehelper). x11vnc
# 0.9.16 keeps clipboard text in the X cut buffer 0 (it puts text from a
# viewer there and sends changes of it), so that is what the customer's side
# is checked and set through (xprobe cutbuffer / setcutbuffer).
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
CUSTOMER_X=$XDISPLAY
start_xvfb 800 600
TECH_X=$XDISPLAY
VNC_PORT=$(free_port) || fail "no free port"
x11vnc -display "$CUSTOMER_X" -rfbport "$VNC_PORT" -localhost -forever -shared -nopw -quiet \
	>"$E2E_TMP/x11vnc.log" 2>&1 &
track $!
wait_for 15 sh -c "ss -ltn | grep -q '127.0.0.1:$VNC_PORT '" || fail "x11vnc did not listen: $(tail -5 "$E2E_TMP/x11vnc.log")"

start_relay
new_ticket_code "Clipboard"
"$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$VNC_PORT" >"$E2E_TMP/fake.out" 2>&1 &
track $!
wait_line 15 "$E2E_TMP/fake.out" "^live" || fail "fakehelper did not go live: $(cat "$E2E_TMP/fake.out")"

DISPLAY=$TECH_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" \
	--identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" >"$E2E_TMP/window.out" 2>"$E2E_TMP/window.log" &
win=$!
track $win
wait_line 15 "$E2E_TMP/fake.out" "^viewer" || fail "no viewer came"
wait_for 15 sh -c "DISPLAY=$TECH_X xwininfo -root -tree | grep -q 'Handoff.*CONTROL'" || fail "no window"

# cut_is FILE: the customer's cut buffer 0 holds exactly FILE's bytes. x11vnc
# (0.9.16 here) stores text from a viewer there and in no selection.
cut_is() {
	DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" cutbuffer >"$E2E_TMP/clip.now" 2>/dev/null && cmp -s "$E2E_TMP/clip.now" "$1"
}

# clip_is DISPLAY TARGET FILE: the display's CLIPBOARD, asked for as TARGET, holds exactly FILE's bytes.
clip_is() {
	timeout 5 xclip -display "$1" -selection clipboard -t "$2" -o >"$E2E_TMP/clip.now" 2>/dev/null &&
		cmp -s "$E2E_TMP/clip.now" "$3"
}

# Technician -> customer: copied on the technician's display, pasted on the customer's.
printf 'from the technician: caf\xc3\xa9' >"$E2E_TMP/t2c"
# RFB cut text is Latin-1.
iconv -f UTF-8 -t LATIN1 "$E2E_TMP/t2c" >"$E2E_TMP/t2c.latin1"
# The window's title shows a moment before it watches the clipboard: a copy made in between
# goes unseen, so the first one is made again until it arrives.
copy_t2c() {
	xclip -display "$TECH_X" -selection clipboard -i "$E2E_TMP/t2c" || return 1
	wait_for 2 cut_is "$E2E_TMP/t2c.latin1"
}
wait_for 15 copy_t2c ||
	fail "the customer's clipboard holds '$(cat "$E2E_TMP/clip.now")', not '$(cat "$E2E_TMP/t2c")'"
note "technician -> customer: '$(cat "$E2E_TMP/t2c")' arrived"

# Customer -> technician.
printf 'from the customer: na\xc3\xafve \xc3\x9cbung' >"$E2E_TMP/c2t"
# x11vnc sends what lands in the cut buffer (Latin-1) to its viewers.
iconv -f UTF-8 -t LATIN1 "$E2E_TMP/c2t" | DISPLAY=$CUSTOMER_X "$TOOLS/xprobe" setcutbuffer ||
	fail "cannot set the customer's cut buffer"
wait_for 30 clip_is "$TECH_X" UTF8_STRING "$E2E_TMP/c2t" ||
	fail "the technician's clipboard holds '$(cat "$E2E_TMP/clip.now")', not '$(cat "$E2E_TMP/c2t")'"
note "customer -> technician: '$(cat "$E2E_TMP/c2t")' arrived"

# Text RFB cannot carry (beyond Latin-1) becomes '?'.
printf 'kanji \xe6\xbc\xa2 ok' >"$E2E_TMP/cjk"
xclip -display "$TECH_X" -selection clipboard -i "$E2E_TMP/cjk" || fail "xclip cjk failed"
printf 'kanji ? ok' >"$E2E_TMP/cjk.expect"
wait_for 15 cut_is "$E2E_TMP/cjk.expect" ||
	fail "a CJK copy arrived as '$(cat "$E2E_TMP/clip.now")'"
note "beyond Latin-1: 'kanji 漢 ok' arrived as 'kanji ? ok'"

# The size is capped at 256 KiB.
head -c 300000 /dev/zero | tr '\0' 'x' >"$E2E_TMP/big"
xclip -display "$TECH_X" -selection clipboard -i "$E2E_TMP/big" || fail "xclip big failed"
head -c 262144 "$E2E_TMP/big" >"$E2E_TMP/big.cut"
wait_for 20 cut_is "$E2E_TMP/big.cut" ||
	fail "a 300000-byte copy arrived as $(wc -c <"$E2E_TMP/clip.now") bytes, not 262144"
note "a 300000-byte copy arrived cut to 262144 bytes"

kill -TERM "$win"
wait "$win" 2>/dev/null
stop_relay
