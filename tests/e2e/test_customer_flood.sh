# Issue 14, item 4: a customer's helper that sends chat lines as fast as it
# can (tests/tools/fakehelper, FAKEHELPER_FLOOD) gets its session's budget
# (customer_events_per_minute) into the ticket's record and no more; the
# rest is counted, and said in one customer-events-dropped event when the
# session ends, so that every line is accounted for: recorded + dropped =
# sent. The relay says so in its log once, the chain still verifies, and a
# technician's command is answered during the flood.
. "$(dirname "$0")/lib.sh"

start_relay "customer_events_per_minute = 60"
add_user audrey auditor
new_ticket_code "Flooded by its customer"
SENT=3000
start=$(( ${EPOCHREALTIME/./} / 1000 ))
# No viewer comes, so the forward's target port is never dialled.
FAKEHELPER_FLOOD=$SENT "$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" 9 >"$E2E_TMP/fake.out" 2>&1 &
FAKE=$!
track $FAKE
wait_line 60 "$E2E_TMP/fake.out" "^flooded $SENT" || fail "the flood did not go out: $(cat "$E2E_TMP/fake.out")"
tech_ssh alice ticket show "$TICKET" >/dev/null || fail "a technician's command was not answered after the flood"
# The relay has read every line once it has read the end the helper sent after them: the control
# stream keeps its order.
wait_line 60 "$RELAY_LOG" "the customer ended the session of ticket $TICKET" ||
	fail "the relay did not read the flood to its end: $(tail -3 "$RELAY_LOG")"
grep -q "conn [0-9]*: the customer's helper of ticket $TICKET is over its budget (60 records a minute)" "$RELAY_LOG" ||
	fail "the relay did not say the helper was over its budget: $(tail -3 "$RELAY_LOG")"
kill "$FAKE"
wait "$FAKE" 2>/dev/null
elapsed=$(( ${EPOCHREALTIME/./} / 1000 - start ))
wait_events 20 "$TICKET" customer-events-dropped 1 || fail "the dropped lines were not said in an event"
recorded=$(event_count "$TICKET" chat)
detail=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='customer-events-dropped'")
dropped=$(echo "$detail" | sed -n 's/^\([0-9]*\) chat line(s) and 0 other record(s) .*/\1/p')
[ -n "$dropped" ] || fail "unexpected customer-events-dropped detail: $detail"
[ $((recorded + dropped)) = "$SENT" ] || fail "$recorded recorded + $dropped dropped is not the $SENT sent"
# A full bucket (60) and what it refilled while the flood lasted (1 a second), with a second to spare.
[ "$recorded" -le $((60 + elapsed / 1000 + 2)) ] || fail "$recorded chat lines recorded in $elapsed ms: over the budget"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='chat' ORDER BY id LIMIT 1")" = "flood 1" ] ||
	fail "the first line of the flood is not the first one recorded"
[ "$(grep -c "is over its budget" "$RELAY_LOG")" = 1 ] || fail "the log says it more than once: $(grep -c "is over its budget" "$RELAY_LOG")"
tech_ssh audrey verify >"$E2E_TMP/verify.out" || fail "the chain does not verify: $(cat "$E2E_TMP/verify.out")"
note "$SENT chat lines in $elapsed ms: $recorded recorded, $dropped counted in one event; the log said it once; chain ok"
stop_relay
echo "test_customer_flood: ok"
