# Only the person at the machine answers the helper's questions (issue 13).
# A technician with control sees the customer's window on the shared screen
# and can click anywhere on it; the helper must drop what that viewer
# injects on its own window while the customer's clicks (xdotool on the
# customer's display, which also injects through XTEST) keep working.
#
# A controlling viewer of alice's clicks Allow on a second viewer's consent
# question, clicks into the chat field, types a line, presses Enter and
# clicks Send: the question stays on screen, no consent is given, no chat
# line reaches the transcript, and the ticket gets remote-input-ignored
# events naming alice. The customer denies, and the ticket says who answered
# and where; the customer's Pause, Resume and Stop sharing work while alice
# controls. An escalation then asks for logs (escalating ends the
# technician's own views, so no controlling viewer is left to click it) and
# the customer's Allow is recorded as given at the machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"

start_xvfb 1024 768
start_relay
add_user bob tech L2
T=$(tech_ssh alice ticket new "Origin") || fail "ticket new failed"
C=$(tech_ssh alice invite "$T") || fail "invite failed"
DB="$RELAY_DIR/handoff.db"
SHOTS=$E2E_TMP
LANG_NOW=en

WIN_OUT="$E2E_TMP/window.out"
start_window_helper window.log --code "$C" --lang en --verbose
HELPER=$WIN_PID
wait_state 20 "screen=main"
win_geometry

# The last state the window drew.
last_state() {
	grep '^UI state' "$WIN_OUT" | tail -1
}
# How many presses the ticket recorded as ignored, over all its events.
ignored_total() {
	sqlite3 "$DB" "SELECT detail FROM events WHERE ticket_id=$T AND kind='remote-input-ignored'" |
		awk '{ n += $1 } END { print n + 0 }'
}
ignored_at_least() {
	[ "$(ignored_total)" -ge "$1" ]
}
# viewer_click NAME: the controlling viewer clicks the middle of a window button.
viewer_click() {
	echo "click $(button_xy "$1")" >&8
}

# alice asks for control; the customer allows it with a real click.
mark
start_viewer_as alice "$T" ctl
CTL_PID=$VIEWER_PID
wait_state 15 "screen=main question=consent"
click allow
viewer_cmd 20 "wait-frame"
wait_state 10 "screen=main question=none watching=1"
wait_for 10 sh -c "sqlite3 '$DB' \"SELECT detail FROM events WHERE ticket_id=$T AND kind='answered'\" | grep -q 'granted view and control by the customer at the machine, in the window'" ||
	fail "the ticket does not say the customer granted control at the machine: $(sqlite3 "$DB" "SELECT kind, detail FROM events WHERE ticket_id=$T")"
exec 9>&8 # the controlling viewer's commands, kept while a second viewer takes fd 8

# A second ask (as a second technician's would be): the controlling viewer clicks Allow.
mark
start_viewer_as alice "$T" second
SECOND_PID=$VIEWER_PID
exec 10>&8
exec 8>&9
VIEWER_OUT="$E2E_TMP/ctl.out"
wait_state 15 "screen=main question=consent"
viewer_cmd 10 "click $(button_xy allow)"
wait_for 10 ignored_at_least 1 || fail "the ticket shows no ignored input after the viewer clicked Allow: $(sqlite3 "$DB" "SELECT kind, detail FROM events WHERE ticket_id=$T")"
# The window has drawn everything since; the question is still there and nobody was allowed.
last_state | grep -q "question=consent" || fail "the viewer's click answered the consent question: $(last_state)"
! grep -q '^ok [0-9]*x[0-9]*' "$E2E_TMP/second.out" || fail "the second viewer got a frame from the viewer's click"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE ticket_id=$T AND kind='consent-granted'")" = 1 ] ||
	fail "a consent was granted by the viewer's click"
sqlite3 "$DB" "SELECT actor FROM events WHERE ticket_id=$T AND kind='remote-input-ignored'" | grep -qx alice ||
	fail "the ignored-input event does not name alice"
note "the controlling viewer's Allow on a second consent question was ignored: $(sqlite3 "$DB" "SELECT detail FROM events WHERE ticket_id=$T AND kind='remote-input-ignored'" | head -1)"
# The customer refuses it; the ticket says who answered.
click deny
wait_for 15 sh -c "! kill -0 $SECOND_PID" || fail "the second viewer was not refused"
wait_for 10 sh -c "sqlite3 '$DB' \"SELECT detail FROM events WHERE ticket_id=$T AND kind='answered'\" | grep -q 'refused by the customer at the machine, in the window'" ||
	fail "the refusal is not recorded as the customer's"
exec 10>&-

# The viewer clicks into the chat field, types, presses Enter and clicks Send.
before=$(ignored_total)
read -r fx fy fw fh <<<"$(sed -n 's/^UI field chat \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p' "$WIN_OUT")"
viewer_cmd 10 "click $((WIN_X + fx + 20)) $((WIN_Y + fy + fh / 2))"
viewer_cmd 10 "type I am the customer"
viewer_cmd 10 "key Return"
viewer_cmd 10 "click $(button_xy send)"
# One click, 17 characters, Enter and Send: at least 20 presses.
wait_for 10 ignored_at_least $((before + 20)) || fail "only $(($(ignored_total) - before)) of the viewer's presses were reported"
last_state | grep -q "question=none .* entry=0 " || fail "the viewer's typing reached the chat field: $(last_state)"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'")" = 0 ] ||
	fail "the viewer's words went out as the customer's"
note "the viewer's click, typing, Enter and Send on the chat were ignored ($(($(ignored_total) - before)) presses)"

# While alice still controls, the customer's own Pause, Resume and Stop work.
kill -0 "$CTL_PID" || fail "the controlling viewer is gone"
mark
click pause
wait_state 10 "screen=main question=none watching=1 .* paused=yes"
wait_events 10 "$T" sharing-paused 1 ||
	fail "the customer's Pause was not recorded"
mark
click pause
wait_state 10 "screen=main question=none watching=1 .* paused=no"
mark
click stop
wait_for 10 sh -c "! kill -0 $CTL_PID" || fail "the customer's Stop sharing did not end the controlling viewer"
wait_state 10 "screen=main question=none watching=0"
note "the customer's Pause, Resume and Stop sharing worked while alice controlled"

# Escalation asks for logs. It also ends the escalating technician's views (issue 14: no control
# survives into an unowned ticket), so no controlling viewer can be there to click this question;
# the customer answers it, and the ticket says who did.
mark
as alice escalate "$T" --to L2 --note "Needs a look at the logs" >/dev/null || fail "escalate failed"
wait_state 15 "screen=main question=logs"
click allow
wait_for 15 sh -c "[ \$(sqlite3 '$DB' \"SELECT count(*) FROM attachments WHERE ticket_id=$T AND kind='logs'\") = 1 ]" ||
	fail "the customer's Allow sent no logs"
sqlite3 "$DB" "SELECT detail FROM events WHERE ticket_id=$T AND kind='answered'" |
	grep -q 'log collection request [0-9]* allowed by the customer at the machine, in the window' ||
	fail "the logs answer is not recorded as the customer's: $(sqlite3 "$DB" "SELECT detail FROM events WHERE ticket_id=$T AND kind='answered'")"
note "the customer's Allow of the logs is recorded as given at the machine, in the window"
exec 8>&- 9>&-
kill "$HELPER" 2>/dev/null || true
stop_relay
