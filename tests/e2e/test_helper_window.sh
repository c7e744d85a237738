# The customer's SDL2 window, driven as a person would with xdotool on the
# customer's own Xvfb display, once in English and once in Japanese: type
# a wrong code without dashes (the field groups it as 1234-5678-9012; the
# relay refuses it and the window stays on the code entry with the text
# kept and "That code didn't work"), erase it and type the support code,
# deny a technician (no pixels reach the viewer), allow
# one view-only (the red banner names them), chat both ways (a Japanese
# line arrives intact in the technician's chat stream and the ticket's
# transcript), Pause sharing (the viewer stays, the banner turns amber) and
# Resume, Stop sharing (the viewer's stream closes), allow again,
# an escalation's request for information about the computer: "Show what
# will be sent" shows the exact bundle (the same size as the ticket's
# attachment), scrolled, then "Send it"; End session (the viewer and the
# relay see the end; the chat stays on the ended screen), Close. The
# window's WM_CLASS and icon are checked with xprop, the banner and card
# texts name technicians in words ("alice from Acme IT's help desk"), and
# "Nothing is shared until you allow it" is not shown while anyone watches.
#
# Screenshots of each state are taken with xwd and cropped to the window
# with ffmpeg; HANDOFF_SCREENSHOTS=DIR keeps them (docs/screenshots holds
# the committed ones). The window prints its button rectangles and each
# state it has drawn (HANDOFF_UI_TRACE=1), so the clicks land on the
# buttons and the shots show finished frames.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_xvfb 1024 768
# Long enough that the preview of what will be sent has to scroll.
{
	echo "boot ok"
	for i in $(seq 40); do echo "printer: retry $i failed with error 0x12"; done
	echo "printer: queue stalled"
} >"$E2E_TMP/app.log"
start_relay "log_sources = facts, file $E2E_TMP/app.log 41"
SHOTS="$E2E_TMP/shots"
mkdir -p "$SHOTS"

. "$(dirname "$0")/window_lib.sh"

run_window() {
	LANG_NOW=$1
	local typed=$2
	local T C
	T=$(tech_ssh alice ticket new "Window $LANG_NOW") || fail "ticket new failed"
	C=$(tech_ssh alice invite "$T") || fail "invite failed"
	WIN_OUT="$E2E_TMP/window-$LANG_NOW.out"

	start_window_helper "window-$LANG_NOW.log" --org "Acme IT" --lang "$LANG_NOW"
	local helper=$WIN_PID
	wait_state 15 "screen=code"
	win_geometry
	shot code-entry

	# The window's class and icon: not "ld.so" or whatever started it.
	local wid
	wid=$(DISPLAY=$XDISPLAY xwininfo -root -tree | sed -n 's/^ *\(0x[0-9a-f]*\) .* 760x560+.*/\1/p' | head -1)
	[ -n "$wid" ] || fail "no 760x560 window: $(DISPLAY=$XDISPLAY xwininfo -root -tree | grep 0x)"
	DISPLAY=$XDISPLAY xprop -id "$wid" WM_CLASS | grep -qx 'WM_CLASS(STRING) = "handoff-helper", "handoff-helper"' ||
		fail "the window's class is wrong: $(DISPLAY=$XDISPLAY xprop -id "$wid" WM_CLASS)"
	DISPLAY=$XDISPLAY xprop -id "$wid" _NET_WM_ICON | grep -q "Icon (48 x 48)" ||
		fail "the window has no icon"

	# A wrong code, typed without dashes: the field groups the digits; the relay refuses it and
	# the window stays on the code entry, the code kept for correcting, with a plain message.
	field code
	mark
	DISPLAY=$XDISPLAY xdotool type --delay 20 "111122223333" || fail "xdotool type failed"
	wait_state 10 "screen=code .* code=####-####-####"
	shot code-typed
	mark
	click connect
	wait_state 20 "screen=code .*problem=yes .* code=####-####-####"
	tail -n +$((MARK + 1)) "$WIN_OUT" | grep -q "^UI problem $REFUSED" ||
		fail "the refusal was not said plainly: $(grep '^UI problem' "$WIN_OUT" | tail -1)"
	shot code-refused
	# The relay makes a source wait a little after a wrong code: move its clock past that.
	relay_clock $(($(cat "$HANDOFF_CLOCK_OFFSET_FILE") + 30))
	mark
	# shellcheck disable=SC2046
	DISPLAY=$XDISPLAY xdotool key --delay 20 $(printf 'BackSpace %.0s' $(seq 12)) || fail "xdotool key failed"
	wait_state 10 "screen=code .* code= preview"
	# The right code as the technician gave it, dashes and all.
	mark
	DISPLAY=$XDISPLAY xdotool type --delay 20 "$C" || fail "xdotool type failed"
	wait_state 10 "screen=code .* code=####-####-####"
	click connect
	wait_state 20 "screen=main .* card=nothing-shared"
	wait_events 10 "$T" customer-connected 1 ||
		fail "the relay saw no customer for ticket $T"

	# Deny: the viewer is refused and never gets a frame.
	mark
	start_viewer_as alice "$T" "deny-$LANG_NOW"
	wait_state 15 "screen=main question=consent"
	shot consent
	click deny
	wait_for 15 sh -c "! kill -0 $VIEWER_PID" || fail "the denied viewer kept waiting"
	grep -q "declined" "$E2E_TMP/deny-$LANG_NOW.log" || fail "the viewer was not told it was declined: $(cat "$E2E_TMP/deny-$LANG_NOW.log")"
	! grep -q '^ok [0-9]*x[0-9]*' "$VIEWER_OUT" || fail "the denied viewer got a frame"

	# View only: frames arrive, input does not count, the banner names alice.
	mark
	start_viewer_as alice "$T" "view-$LANG_NOW"
	wait_state 15 "screen=main question=consent"
	mark
	click view
	viewer_cmd 20 "wait-frame"
	wait_state 10 "screen=main question=none watching=1 .* card=sharing-hint"
	shot sharing
	[ "$(pixel sharing 8 60)" = b01e1e ] || fail "the banner is not red while alice watches: $(pixel sharing 8 60)"

	# Chat both ways; the customer's line is typed in the chat field.
	local n
	n=$(chat_count)
	mark
	tech_ssh alice chat "$T" "Hello from Alice, 日本語も大丈夫です" || fail "chat failed"
	wait_state 10 "screen=main question=none watching=1 chat=$((n + 1))"
	field chat
	mark
	type_text "$typed"
	DISPLAY=$XDISPLAY xdotool key Return || fail "xdotool key failed"
	wait_state 10 "screen=main question=none watching=1 chat=$((n + 2)) entry=0"
	shot chat
	wait_for 10 sh -c "sqlite3 '$RELAY_DIR/handoff.db' \"SELECT detail FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'\" | grep -qxF '$typed'" ||
		fail "the typed line is not in the transcript: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='chat'")"
	timeout 10 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" \
		--host-key "$RELAY_FP" chat "$T" </dev/null >"$E2E_TMP/stream-$LANG_NOW.out" 2>&1 || true
	grep -qF "customer: $typed" "$E2E_TMP/stream-$LANG_NOW.out" ||
		fail "the technician's chat stream lacks the line: $(cat "$E2E_TMP/stream-$LANG_NOW.out")"

	# Pause sharing: the viewer stays, the banner turns amber; Resume brings frames back.
	mark
	click pause
	wait_state 10 "screen=main question=none watching=1 .* paused=yes"
	shot paused
	[ "$(pixel paused 8 60)" = 9a5b00 ] || fail "the banner is not amber while paused: $(pixel paused 8 60)"
	wait_events 10 "$T" sharing-paused 1 ||
		fail "the ticket did not record the pause"
	kill -0 "$VIEWER_PID" || fail "the viewer lost its stream when sharing was paused"
	mark
	click pause
	wait_state 10 "screen=main question=none watching=1 .* paused=no"
	wait_events 10 "$T" sharing-resumed 1 ||
		fail "the ticket did not record the resume"
	viewer_cmd 20 "wait-frame"

	# Stop sharing: the stream closes and the banner goes back to grey.
	local before after
	mark
	before=$(date +%s%N)
	click stop
	wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer kept its stream after Stop sharing"
	after=$(date +%s%N)
	note "$LANG_NOW: Stop sharing closed the viewer in $(((after - before) / 1000000)) ms"
	wait_state 10 "screen=main question=none watching=0"
	shot stopped
	[ "$(pixel stopped 8 60)" = e4e4e4 ] || fail "the banner still looks shared: $(pixel stopped 8 60)"

	# A new ask is a new consent; then End session ends it for everyone.
	mark
	start_viewer_as alice "$T" "end-$LANG_NOW"
	wait_state 15 "screen=main question=consent"
	click allow
	viewer_cmd 20 "wait-frame"
	# An escalation asks for information about this computer: the customer reads exactly what
	# would be sent (scrolling through it), then sends it; the ticket gets those bytes.
	mark
	tech_ssh alice escalate "$T" --to L2 --note "Window test" >/dev/null || fail "escalate failed"
	wait_state 15 "screen=main question=logs"
	shot logs
	mark
	click show
	wait_line 15 "$WIN_OUT" "^UI preview bytes=" || fail "no preview"
	wait_state 10 "screen=main question=logs .* preview=yes card=preview scroll=0"
	local shown
	shown=$(sed -n 's/^UI preview bytes=\([0-9]*\) .*/\1/p' "$WIN_OUT" | tail -1)
	shot preview
	# Scrolled with the keys and the wheel, to the last line.
	mark
	DISPLAY=$XDISPLAY xdotool key Page_Down || fail "xdotool key failed"
	wait_state 10 "screen=main question=logs .* card=preview scroll=1[0-9]$"
	DISPLAY=$XDISPLAY xdotool key End || fail "xdotool key failed"
	DISPLAY=$XDISPLAY xdotool click 4 || fail "xdotool click failed"
	wait_state 10 "screen=main question=logs .* card=preview scroll=[1-9][0-9]$"
	shot preview-scrolled
	mark
	click sendlogs
	wait_state 10 "screen=main question=none .* preview=no"
	wait_for 15 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM attachments WHERE ticket_id=$T AND kind='logs'\") = 1 ]" ||
		fail "the logs were not attached"
	local lid
	lid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$T AND kind='logs'")
	tech_ssh alice ticket attachment "$T" "$lid" >"$E2E_TMP/logs-$LANG_NOW.txt" || fail "ticket attachment failed"
	[ "$(wc -c <"$E2E_TMP/logs-$LANG_NOW.txt")" = "$shown" ] ||
		fail "the preview showed $shown bytes, the ticket got $(wc -c <"$E2E_TMP/logs-$LANG_NOW.txt")"
	grep -q "printer: queue stalled" "$E2E_TMP/logs-$LANG_NOW.txt" || fail "the bundle lacks the log file"

	mark
	click end
	wait_state 10 "screen=ended"
	wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer outlived the end of the session"
	wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$T AND kind='customer-disconnected'\") -ge 1 ]" ||
		fail "the relay did not see the customer leave: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT kind FROM events WHERE ticket_id=$T")"
	shot ended
	# The conversation stays readable on the ended screen: the chat pane is still drawn.
	[ "$(pixel ended 30 290)" = f6f6f6 ] || fail "the chat pane is gone after the end: $(pixel ended 30 290)"
	# ... and scrolls back to the start of the conversation with the wheel.
	mark
	DISPLAY=$XDISPLAY xdotool mousemove $((WIN_X + 300)) $((WIN_Y + 380)) click 4 click 4 click 4 click 4 ||
		fail "xdotool click failed"
	wait_state 10 "screen=ended .* scroll=[1-9][0-9]*$"
	shot ended-scrolled
	click close
	local rc=0
	wait_for 10 sh -c "! kill -0 $helper" || fail "the helper did not exit after Close"
	wait "$helper" || rc=$?
	[ "$rc" = 0 ] || fail "the helper exited with $rc: $(tail -5 "$E2E_TMP/window-$LANG_NOW.log")"
	note "$LANG_NOW: code typed, deny, view-only with banner, chat '$typed', pause, resume, stop, allow, end, close"
}

REFUSED="That code didn't work."
run_window en "The printer says error 0x12"
REFUSED="このコードは使えませんでした。"
run_window ja "プリンターが動きません、エラー表示です"
stop_relay
