# A hostile or broken "customer": an RFB server (tests/tools/rfbevil) that
# completes the handshake and then sends oversized rectangles, unknown
# encodings, a huge cut-text length, garbage compressed data, a cut-off
# stream, a malformed screen description or over-long UTF-8 clipboard text
# (the helper's private messages), reached through the real relay by a
# helper stand-in (tests/tools/fakehelper). The viewer (sanitizer build,
# headless and window) must end the session with a clear message and exit
# 1, never crash; the relay keeps serving.
. "$(dirname "$0")/lib.sh"

start_relay
start_rfbevil bigrect "Hostile customer"

mkfifo "$E2E_TMP/in"
exec 9<>"$E2E_TMP/in"

# Sanitizer reports exit with codes of their own, so a crash cannot pass for exit 1.
export ASAN_OPTIONS="detect_leaks=1:exitcode=86" UBSAN_OPTIONS="exitcode=87:print_stacktrace=1"

# hostile MODE EXPECTED [window]: one viewer against one kind of bad input.
n=0
hostile() {
	local mode=$1 expect=$2 how=${3:-headless} rc=0
	n=$((n + 1))
	echo "$mode" >"$E2E_TMP/mode"
	if [ "$how" = window ]; then
		DISPLAY=$TECH_X ASAN_OPTIONS="detect_leaks=0:exitcode=86" timeout 30 "$BIN/handoff-tech" \
			--relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" \
			view "$TICKET" </dev/null >/dev/null 2>"$E2E_TMP/v$n.log" || rc=$?
	else
		# Input stays open (fd 9 holds the fifo) so only the bad stream can end the session.
		timeout 30 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" \
			--host-key "$RELAY_FP" view "$TICKET" --headless <"$E2E_TMP/in" >/dev/null 2>"$E2E_TMP/v$n.log" || rc=$?
	fi
	grep -q "Sanitizer\|runtime error" "$E2E_TMP/v$n.log" && fail "$mode ($how): the viewer crashed: $(head -20 "$E2E_TMP/v$n.log")"
	[ "$rc" = 1 ] || fail "$mode ($how): the viewer exited $rc: $(tail -5 "$E2E_TMP/v$n.log")"
	grep -q "session ended: .*$expect" "$E2E_TMP/v$n.log" ||
		fail "$mode ($how): no clear message: $(tail -5 "$E2E_TMP/v$n.log")"
	note "$mode ($how): exit 1, \"$(grep -o 'session ended: .*' "$E2E_TMP/v$n.log" | head -1)\""
}

hostile hugefb "refusing a 65535x65535 framebuffer"
hostile bigrect "Rect too large"
hostile offscreen "Rect too large"
hostile badenc "nknown rect encoding"
hostile hugecut "cut text"
hostile badmsg "nknown message type"
hostile zrlejunk "zlib inflate"
hostile tightjunk "Tight encoding"
hostile truncated "closed \(the stream\|connection\)"
hostile manyrects "closed \(the stream\|connection\)"
hostile infolen "the customer's side sent a malformed screen description"
hostile infojunk "the customer's side sent a malformed screen description"
hostile infocut "the connection closed inside a screen description"
hostile cutlong "clipboard text over 1 MiB"

start_xvfb 800 600
TECH_X=$XDISPLAY
hostile bigrect "Rect too large" window
hostile hugecut "cut text" window
hostile zrlejunk "zlib inflate" window
hostile infojunk "the customer's side sent a malformed screen description" window

# The relay is unharmed: it still serves commands.
tech whoami | grep -q alice || fail "the relay stopped serving"
stop_relay
