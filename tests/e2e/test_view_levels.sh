# Consent at the level the technician asked for, control asked for later,
# and a view that ends saying why (issue 13).
# - `view N --view-only` (and a stock ssh -L to ticket-N:5901) asks the
#   customer to VIEW only: the helper's question and the consent-asked
#   event say so; the viewer's terminal says what the customer allowed.
# - `control` asks again while the picture goes on, worded as what it is
#   (they already see the screen, now ask to control it; y or n): the
#   customer's no keeps view only (a click does not arrive), their yes gives
#   control (it does).
# - The viewer says why it ended: the customer stopped sharing, ended the
#   session, the ticket was escalated (its views end), the customer is not
#   connected (with the invite hint).
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
start_relay
add_user bob tech L2
new_ticket_code "Levels of consent"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

asked() {
	sqlite3 "$RELAY_DIR/handoff.db" \
		"SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='consent-asked' ORDER BY id DESC LIMIT 1"
}

# View only, asked as such.
start_viewer_as alice "$TICKET" viewer --view-only
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks to view your screen" ||
	fail "the customer was not asked to view only: $(grep CONSENT "$HELPER_OUT")"
grep -q "view and control" <<<"$(grep CONSENT "$HELPER_OUT")" && fail "a view-only viewer asked for control"
[ "$(asked)" = view ] || fail "consent-asked says '$(asked)', not view"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk: view only" || fail "the helper did not share view only"
wait_line 10 "$E2E_TMP/viewer.log" "the customer allowed view only at [0-9][0-9]:[0-9][0-9]" ||
	fail "the viewer's terminal did not say the level: $(cat "$E2E_TMP/viewer.log")"
viewer_cmd 20 "wait-frame"
note "view only asked, allowed and said in the technician's terminal"

# Control asked for later: the customer says no, the view goes on without input.
viewer_cmd 10 "control"
grep -q "^ok asked the customer for control" "$VIEWER_OUT" || fail "control: $(grep '^ok\|^error' "$VIEWER_OUT" | tail -1)"
REASK="alice from the help desk, who can already see your screen, asks to also control it (use your mouse and keyboard). Allow? [y = allow control, n = keep view only]"
wait_line 10 "$HELPER_OUT" "^CONSENT alice from the help desk, who can already see" ||
	fail "the customer was not asked again for control: $(grep CONSENT "$HELPER_OUT" | tail -1)"
grep -qxF "CONSENT $REASK" "$HELPER_OUT" || fail "the re-ask is not worded as one: $(grep CONSENT "$HELPER_OUT" | tail -1)"
grep CONSENT "$HELPER_OUT" | tail -1 | grep -q "asks to view and control\|v = view only\|n = deny" &&
	fail "the re-ask reads as a first question: $(grep CONSENT "$HELPER_OUT" | tail -1)"
[ "$(asked)" = view,control ] || fail "the second consent-asked says '$(asked)'"
# Only y and n answer it now.
echo maybe >&7
wait_line 10 "$HELPER_OUT" "^Please answer y or n\.$" || fail "a wrong answer to the re-ask was not corrected"
echo n >&7
wait_line 10 "$E2E_TMP/viewer.log" "the customer kept it to view only" ||
	fail "the viewer did not hear the no: $(cat "$E2E_TMP/viewer.log")"
[ "$(event_count "$TICKET" consent-denied)" = 1 ] || fail "the no to control was not recorded"
viewer_cmd 10 "click 31 41"
viewer_cmd 10 "wait-frame"
grep -q "^button 1 31 41" "$E2E_TMP/xprobe.out" && fail "a click arrived after the customer said no to control"
note "a no to control keeps view only: the picture goes on, the click is dropped"

# And again: yes gives control on the same stream.
viewer_cmd 10 "control"
wait_count 10 "$HELPER_OUT" "who can already see your screen, asks to also control it" 2 ||
	fail "the customer was not asked a third time"
echo y >&7
wait_line 10 "$HELPER_OUT" "^SHARING with alice from the help desk: view and control" || fail "the helper did not give control"
wait_line 10 "$E2E_TMP/viewer.log" "the customer allowed view and control at" ||
	fail "the viewer's terminal did not say control: $(cat "$E2E_TMP/viewer.log")"
wait_line 10 "$VIEWER_OUT" "^info control=yes" || fail "the viewer was not told it controls"
viewer_cmd 10 "click 123 234"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 123 234" || fail "the click did not arrive after a yes to control"
grep -q "reconnected" "$E2E_TMP/viewer.log" && fail "the viewer reconnected to get control"
[ "$(event_count "$TICKET" technician-joined)" = 1 ] || fail "control took a new stream"
note "a yes to control: the click arrives, on the same stream"

# The customer stops sharing: the viewer says so.
echo stop >&7
wait_line 10 "$E2E_TMP/viewer.log" "session ended: the customer stopped sharing" ||
	fail "the viewer did not say why: $(tail -3 "$E2E_TMP/viewer.log")"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer did not exit"
note "stopped sharing: said"

# A stock ssh -L to the view-only port asks to view only too.
lport=$(free_port) || fail "no free port"
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$E2E_TMP/alice" -N -L "127.0.0.1:$lport:ticket-$TICKET:5901" handoff@127.0.0.1 \
	2>"$E2E_TMP/ssh-L.log" &
SSH_L_PID=$!
track $SSH_L_PID
wait_for 10 sh -c "ss -ltn 'sport = :$lport' | grep -q $lport" || fail "ssh -L did not listen"
exec 9<>"/dev/tcp/127.0.0.1/$lport"
wait_count 10 "$HELPER_OUT" "^CONSENT alice from the help desk asks to view your screen" 2 ||
	fail "ssh -L to ticket-N:5901 did not ask to view only: $(grep CONSENT "$HELPER_OUT" | tail -1)"
[ "$(asked)" = view ] || fail "ssh -L: consent-asked says '$(asked)'"
echo n >&7
timeout 10 cat <&9 >"$E2E_TMP/rfb-declined.out" || true
exec 9<&-
grep -q "the customer declined" "$E2E_TMP/rfb-declined.out" || fail "ssh -L got no RFB reason: $(cat "$E2E_TMP/rfb-declined.out")"
note "a stock ssh -L to ticket-N:5901 asks to view only; a refusal reaches it as an RFB reason"

# A stream through ssh -L that started, then ended by the customer: the relay's
# exit-signal on the forwarding channel must not upset OpenSSH.
shared=$(grep -c "^SHARING with alice from the help desk: view only" "$HELPER_OUT")
exec 9<>"/dev/tcp/127.0.0.1/$lport"
wait_count 10 "$HELPER_OUT" "^CONSENT alice from the help desk asks to view your screen" 3 || fail "no third ask"
echo y >&7
wait_count 10 "$HELPER_OUT" "^SHARING with alice from the help desk: view only" $((shared + 1)) || fail "ssh -L was not shared with"
head -c 12 <&9 | grep -q "^RFB 003" || fail "no RFB greeting through ssh -L"
echo stop >&7
timeout 10 cat <&9 >/dev/null || fail "the ssh -L stream did not end"
exec 9<&-
kill -0 "$SSH_L_PID" 2>/dev/null || fail "ssh -L died at the end of a stream: $(cat "$E2E_TMP/ssh-L.log")"
[ -s "$E2E_TMP/ssh-L.log" ] && fail "ssh -L complained: $(cat "$E2E_TMP/ssh-L.log")"
note "ssh -L: a stream the customer stopped just closes; OpenSSH ignores the exit-signal"

# An escalation leaves the ticket unowned: the view (with control) ends at once, saying why.
start_viewer_as alice "$TICKET" viewer2
wait_count 10 "$HELPER_OUT" "^CONSENT alice from the help desk asks to view and control" 1 ||
	fail "no consent prompt for the second view"
echo y >&7
viewer_cmd 20 "wait-frame"
as alice escalate "$TICKET" --to L2 --note "Needs L2" >/dev/null || fail "escalate failed"
wait_line 10 "$E2E_TMP/viewer2.log" "session ended: ticket $TICKET was escalated to L2; views end until the next tier takes it" ||
	fail "the viewer did not say the ticket was escalated: $(tail -3 "$E2E_TMP/viewer2.log")"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk" || fail "no log prompt"
echo n >&7
as bob take "$TICKET" >/dev/null || fail "bob could not take the ticket"
note "escalation: the view ends, the viewer says 'ticket N was escalated to L2'"

# The customer ends the session: bob's view says so.
start_viewer_as bob "$TICKET" viewer3
wait_line 15 "$HELPER_OUT" "^CONSENT bob from the technical support team" || fail "no consent prompt for bob"
echo y >&7
viewer_cmd 20 "wait-frame"
echo end >&7
wait_line 10 "$E2E_TMP/viewer3.log" "session ended: the customer ended the session" ||
	fail "the viewer did not say the customer ended: $(tail -3 "$E2E_TMP/viewer3.log")"
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
rc=0
wait "$HELPER_PID" || rc=$?
[ "$rc" = 0 ] || fail "the helper exited $rc: $(tail -5 "$E2E_TMP/helper.log")"
note "the customer ended the session: said"

# Nobody there: the hint says what to do.
rc=0
as bob view "$TICKET" --headless </dev/null >/dev/null 2>"$E2E_TMP/nolive.err" || rc=$?
[ "$rc" = 1 ] || fail "view of an absent customer exited $rc"
grep -q "the customer is not connected" "$E2E_TMP/nolive.err" && grep -q "run \`invite $TICKET\`" "$E2E_TMP/nolive.err" ||
	fail "no invite hint: $(cat "$E2E_TMP/nolive.err")"
note "not connected: 'run invite N'"

stop_relay
