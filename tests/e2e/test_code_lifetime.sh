# Support codes die when their purpose does: a second invite cancels the
# first code; resolving a ticket cancels its codes, ends the customer's
# session (the helper says why), ends the technicians' views, and the
# ticket stays resolved: no code logs in to it, no event makes it live, it
# is in no queue.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
start_relay

# Stale codes are tried from sources of their own (a refused code makes its source wait).
hostile_code() { # SRC CODE: prints accepted or refused
	"$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" "$1" "$2" 2>>"$E2E_TMP/hostile.err" || true
}

# A second invite cancels the first code.
TICKET=$(as alice ticket new "Scanner does not scan") || fail "ticket new failed"
first=$(as alice invite "$TICKET") || fail "first invite failed"
CODE=$(as alice invite "$TICKET") || fail "second invite failed"
[ "$(event_count "$TICKET" code-cancelled)" = 1 ] || fail "the second invite wrote no code-cancelled event"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='code-cancelled'" |
	grep -q "replaced by a new code" || fail "code-cancelled does not say the code was replaced"
[ "$(hostile_code 127.0.0.2 "$first")" = refused ] || fail "the first code still logged in after a second invite"
grep -q "support code refused: cancelled" "$RELAY_LOG" || fail "the relay did not log the cancelled code"
[ "$(event_count "$TICKET" customer-connected)" = 0 ] || fail "the cancelled code connected a customer"
note "a second invite cancels the first code"

# The second code works; the customer shares with alice's viewer.
share_with_viewer
note "the second code works"

# Resolving ends the customer's session (tty UI says why) and alice's view.
as alice resolve "$TICKET" --note "driver reinstalled" >/dev/null || fail "resolve failed"
wait_line 15 "$HELPER_OUT" "^SESSION ENDED: your technician marked your request as resolved$" ||
	fail "the helper did not say the ticket was resolved: $(tail -3 "$HELPER_OUT")"
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper outlived the resolved ticket"
rc=0
wait "$HELPER_PID" || rc=$?
[ "$rc" = 0 ] || fail "the helper exited $rc after the ticket was resolved"
wait_for 15 sh -c "! kill -0 $VIEWER_PID" || fail "alice's view outlived the resolved ticket"
grep -q "viewer [0-9]*: the ticket was resolved" "$RELAY_LOG" || fail "the relay did not end the view for the resolution"
wait_events 10 "$TICKET" customer-disconnected 1 ||
	fail "the customer's connection did not end"
note "resolve ends the customer's session and the view"

# The helper words the end in the customer's language.
TICKET_JA=$(as alice ticket new "プリンター") || fail "ticket new failed"
CODE_JA=$(as alice invite "$TICKET_JA") || fail "invite failed"
start_helper "$CODE_JA" helper-ja --lang ja
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the Japanese helper did not connect"
as alice resolve "$TICKET_JA" --note "解決" >/dev/null || fail "resolve failed"
wait_line 15 "$HELPER_OUT" "^SESSION ENDED: 担当者がお問い合わせを解決済みにしました\$" ||
	fail "the Japanese helper did not say the ticket was resolved: $(tail -3 "$HELPER_OUT")"
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the Japanese helper outlived the resolved ticket"
note "the end is told in the customer's language"

# Codes of a resolved ticket are dead: the one in use and a fresh one alike.
[ "$(hostile_code 127.0.0.3 "$CODE")" = refused ] || fail "the spent code of the resolved ticket logged in"
CODE3=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM codes WHERE ticket_id=$TICKET AND cancelled_at IS NULL AND used_at IS NULL")
[ "$CODE3" = 0 ] || fail "the resolved ticket still has $CODE3 live codes"
rc=0
as alice invite "$TICKET" >/dev/null 2>"$E2E_TMP/invite.err" || rc=$?
[ "$rc" = 3 ] || fail "invite on a resolved ticket exited $rc"
grep -q "is resolved" "$E2E_TMP/invite.err" || fail "invite on a resolved ticket gave no reason"

# A code issued before the resolution that was never cancelled (an older relay's) is refused too.
TICKET2=$(as alice ticket new "Mouse is slow") || fail "ticket new failed"
CODE2=$(as alice invite "$TICKET2") || fail "invite failed"
as alice resolve "$TICKET2" --note "new batteries" >/dev/null || fail "resolve failed"
[ "$(event_count "$TICKET2" code-cancelled)" = 1 ] || fail "resolve wrote no code-cancelled event"
# Changed under the running relay: a restart would cancel it again, and with the key it was
# hashed under gone (SECURITY.md, a stolen relay home) the right code could not even be told.
sqlite3 "$RELAY_DIR/handoff.db" "UPDATE codes SET cancelled_at = NULL WHERE ticket_id = $TICKET2"
[ "$(hostile_code 127.0.0.4 "$CODE2")" = refused ] || fail "a live code of a resolved ticket logged in"
try_helper older "$CODE2"
[ "$HELPER_RC" != 0 ] || fail "the helper logged in with a code of a resolved ticket"
grep -q "support code refused: the ticket is resolved" "$RELAY_LOG" || fail "the relay did not say the ticket is resolved"

for t in "$TICKET" "$TICKET2"; do
	[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT state FROM tickets WHERE id=$t")" = resolved ] ||
		fail "ticket $t is no longer resolved"
	after=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$t AND kind IN
		('customer-connected', 'ticket-opened-by-customer', 'taken', 'consent-asked')
		AND id > (SELECT max(id) FROM events WHERE ticket_id=$t AND kind='resolved')")
	[ "$after" = 0 ] || fail "ticket $t came alive after it was resolved"
	[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$t AND kind='code-refused'")" -ge 1 ] ||
		fail "ticket $t does not record the refused code"
done
[ "$(event_count "$TICKET" customer-connected)" = 1 ] || fail "the resolved ticket was connected again"
[ "$(event_count "$TICKET2" customer-connected)" = 0 ] || fail "the second resolved ticket was connected"
as alice queue --json | grep -q '"tickets":\[\]' || fail "a resolved ticket is in a queue: $(as alice queue)"
as alice ticket show "$TICKET" | grep -q "customer connected" && fail "the resolved ticket shows a customer connected"
note "resolved tickets take no connection and stay resolved"

stop_relay
