#!/bin/bash
# The desk's own ticket system opens a Handoff ticket and gets its support
# code (the inbound API): a desk account signs in with its key and runs
# `ticket new --invite --json`, through a stock OpenSSH client as a desk's
# integration script would. The code works for the customer; the ticket
# waits unowned in its tier's queue with its first-response clock running;
# an L1 technician takes it and is asked for consent as usual. The desk
# account can do nothing else: no ticket, queue or article read, no invite,
# no chat, no view through ssh -L. Its tickets a minute are capped
# (desk_tickets_per_minute) with a refusal that says when to try again, and
# a disabled desk account is turned away.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
start_relay "desk_tickets_per_minute = 3"
add_user deskbot desk

note "user list names the desk account's role"
"$BIN/handoff-relay" user list "$RELAY_DIR" >"$E2E_TMP/users.out" || fail "user list failed"
grep -q "^deskbot  *desk  *-  *active " "$E2E_TMP/users.out" || fail "user list does not show deskbot as desk: $(cat "$E2E_TMP/users.out")"

note "the desk opens a ticket and gets its code in one command"
tech_ssh deskbot ticket new --invite --json --priority P2 --customer "Ann Lee" --contact "ext 4411" \
	"Outlook keeps asking for the password" >"$E2E_TMP/new.json" 2>"$E2E_TMP/new.err" ||
	fail "desk ticket new failed: $(cat "$E2E_TMP/new.err")"
TICKET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ticket"])' "$E2E_TMP/new.json") ||
	fail "no ticket in $(cat "$E2E_TMP/new.json")"
CODE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"])' "$E2E_TMP/new.json") ||
	fail "no code in $(cat "$E2E_TMP/new.json")"
python3 - "$E2E_TMP/new.json" <<'PY' || fail "the desk's answer is wrong: $(cat "$E2E_TMP/new.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["owned"] is False and j["tier"] == "L1" and j["priority"] == "P2", j
assert j["expires_in"] > 0, j
PY
[ "$(db_query "SELECT owner_id IS NULL, first_response_at IS NULL FROM tickets WHERE id = $TICKET")" = "1|1" ] ||
	fail "the desk's ticket is owned or counts as answered: $(db_query "SELECT owner_id, first_response_at FROM tickets WHERE id = $TICKET")"
[ "$(db_query "SELECT actor || ' ' || role FROM events WHERE ticket_id = $TICKET AND kind = 'created'")" = "deskbot desk" ] ||
	fail "the created record does not name the desk: $(db_query "SELECT kind, actor, role FROM events WHERE ticket_id = $TICKET")"
[ "$(event_count "$TICKET" code-issued)" = 1 ] || fail "no code-issued record for the desk's code"
grep -q "$CODE" "$RELAY_LOG" && fail "the support code is in the relay's log"
as alice queue | grep -q "^ *$TICKET " || fail "the desk's ticket is not in the L1 queue: $(as alice queue)"

note "the code works; the technician who takes the ticket is asked for consent"
as alice take "$TICKET" >/dev/null || fail "alice could not take the desk's ticket"
share_with_viewer
kill "$VIEWER_PID" "$HELPER_PID" 2>/dev/null
wait "$VIEWER_PID" "$HELPER_PID" 2>/dev/null

note "the desk account reads nothing and views nothing"
for cmd in "ticket show $TICKET" "queue" "mine" "kb list" "invite $TICKET" "chat $TICKET hello" "tickets"; do
	# shellcheck disable=SC2086
	if tech_ssh deskbot $cmd >"$E2E_TMP/refused.out" 2>"$E2E_TMP/refused.err"; then
		fail "the desk account ran '$cmd': $(cat "$E2E_TMP/refused.out")"
	fi
	grep -q "desk systems open tickets\|only auditors" "$E2E_TMP/refused.err" ||
		fail "'$cmd' was refused without saying why: $(cat "$E2E_TMP/refused.err")"
done
grep -q "Outlook" "$E2E_TMP/refused.out" && fail "a refused command printed the ticket"
# ssh -W opens its direct-tcpip channel at once, as -L would at the first connection.
# shellcheck disable=SC2046
if ssh $(ssh_opts) -i "$E2E_TMP/deskbot" -W "ticket-$TICKET:5900" "handoff@$RELAY_HOST" </dev/null \
	>/dev/null 2>"$E2E_TMP/fwd.err"; then
	fail "the desk's ssh -W to ticket-$TICKET:5900 was let through"
fi
wait_line 10 "$RELAY_LOG" "direct-tcpip refused: desk system may not view screens" ||
	fail "the relay did not refuse the desk's forward: $(cat "$E2E_TMP/fwd.err")"

note "a technician's --invite works on a ticket that stays theirs, and says why not on one that does not"
out=$(as alice ticket new --invite "Printer offline") || fail "alice's ticket new --invite failed"
[ "$(echo "$out" | wc -l)" = 2 ] || fail "ticket new --invite printed '$out', not a number and a code"
if as alice ticket new --invite --priority P1 "Server room on fire" >/dev/null 2>"$E2E_TMP/p1.err"; then
	fail "an L1 got a code for a ticket that went to another tier's queue"
fi
grep -q "went to the L[23] queue; whoever takes it sends the code" "$E2E_TMP/p1.err" ||
	fail "the refusal does not say why: $(cat "$E2E_TMP/p1.err")"

note "desk_tickets_per_minute caps the desk, and the refusal says when to try again"
tech_ssh deskbot ticket new "second" >/dev/null || fail "the desk's second ticket was refused"
tech_ssh deskbot ticket new "third" >/dev/null || fail "the desk's third ticket was refused"
if tech_ssh deskbot ticket new "fourth" 2>"$E2E_TMP/cap.err"; then
	fail "the desk opened a fourth ticket within the minute"
fi
grep -q "deskbot may open 3 tickets a minute; try again in [0-9]* s" "$E2E_TMP/cap.err" ||
	fail "the cap's refusal is unclear: $(cat "$E2E_TMP/cap.err")"
[ "$(db_query "SELECT count(*) FROM tickets WHERE summary = 'fourth'")" = 0 ] || fail "the refused ticket exists"

note "a disabled desk account is turned away"
"$BIN/handoff-relay" user disable "$RELAY_DIR" deskbot >/dev/null || fail "user disable failed"
if tech_ssh deskbot ticket new "after disable" 2>/dev/null; then
	fail "a disabled desk account opened a ticket"
fi

stop_relay
note "ok"
