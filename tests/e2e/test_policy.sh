# Escalation policy: a ticket left at L1 longer than its limit escalates by
# itself (the test advances the relay's clock instead of waiting), and a P1
# ticket starts in the L2 queue.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay "escalate_after_l1 = 600" "escalate_after_l2 = 0"
add_user bob tech L2

slow=$(as alice ticket new "Laptop is slow") || fail "ticket new failed"
outage=$(as alice ticket new --priority P1 --json "Mail is down for the whole company") || fail "P1 ticket failed"
echo "$outage" | grep -q '"tier":"L2","priority":"P1","owned":false' || fail "a P1 ticket did not start at L2: $outage"
outage=$(echo "$outage" | sed 's/^{"ticket":\([0-9]*\).*/\1/')
as alice queue | grep -q "Mail is down" && fail "the P1 ticket is in the L1 queue"
as bob queue | grep -q "Mail is down" || fail "the P1 ticket is not in the L2 queue"
note "P1 starts in the L2 queue"

sleep 1.5 # not a wait: real time passes, and the ticket must not escalate before its time
as alice ticket show "$slow" --json | grep -q '"tier":"L1"' || fail "escalated before its time"
echo 601 >"$HANDOFF_CLOCK_OFFSET_FILE"
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT tier FROM tickets WHERE id=$slow\") = L2 ]" ||
	fail "the ticket did not escalate by itself"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT actor || '|' || detail FROM events WHERE ticket_id=$slow AND kind='escalated'")" = \
	"policy|L1 -> L2: automatic: unresolved at L1 for more than 600 s" ] || fail "the automatic escalation event is wrong"
[ "$(event_count "$slow" attachment-added)" = 2 ] || fail "the automatic escalation attached no transcript and note"
[ "$(event_count "$slow" logs-unavailable)" = 1 ] || fail "the missing live session was not recorded"
as bob queue | grep -q "Laptop is slow" || fail "the escalated ticket is not in the L2 queue"
[ "$(event_count "$outage" escalated)" = 0 ] || fail "escalate_after_l2 = 0 escalated anyway"
note "a ticket left at L1 past its limit escalated to L2 by itself"
stop_relay
