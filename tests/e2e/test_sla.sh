# SLA clocks (issue 19, part 2) with the relay's test clock, never a sleep: a customer's own
# ticket (intake, a real helper in the terminal UI) has no response yet, so its response clock
# warns at sla_warning_percent and breaches at the target, once each; queue shows the time
# left and sorts by it; take is the first response; `wait N --for customer` stops the clocks
# (no resolve warning and no automatic escalation while paused, however far the clock moves),
# and the customer's next chat line starts them again; then the resolve clock warns, the
# time-based escalation comes only after the unpaused time, and the resolve clock breaches.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay "sla_p3 = 1200 7200" "sla_p4 = 0 0" "sla_warning_percent = 50" "escalate_after_l1 = 4800" \
	"escalate_after_l2 = 0"
start_xvfb 320 240
add_user audrey auditor
detail() { sqlite3 "$RELAY_DIR/handoff.db" "SELECT group_concat(detail, ' | ') FROM events WHERE ticket_id=$1 AND kind='$2'"; }
# tick SECONDS: the relay's clock at SECONDS, and one more tick after it, so that whatever the
# timer does at SECONDS is done (the clock is taken at the start of a tick, the timer runs after).
tick() {
	relay_clock "$1"
	relay_clock "$(($1 + 1))"
}

"$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/helper.run" --org Acme >/dev/null || fail "bundle failed"
TOKEN=$(tr '\0' '\n' <"$E2E_TMP/helper.run" | grep -a -A1 -x -e '--intake-token' | tail -1)
HELPER_OUT="$E2E_TMP/helper.out"
mkfifo "$E2E_TMP/helper.in"
"$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --intake-token "$TOKEN" \
	--display "$XDISPLAY" --ui tty <"$E2E_TMP/helper.in" >"$HELPER_OUT" 2>"$E2E_TMP/helper.log" &
HELPER_PID=$!
track $HELPER_PID
exec 7>"$E2E_TMP/helper.in"
wait_line 15 "$HELPER_OUT" "^NO CODE" || fail "the helper did not ask for a description: $(cat "$HELPER_OUT")"
echo "Outlook crashes at start" >&7
wait_line 15 "$HELPER_OUT" "^NAME" || fail "the helper did not ask for a name"
echo "Kim" >&7
wait_line 15 "$RELAY_LOG" "customer opened ticket [0-9]* in the L1 queue" || fail "no ticket was opened"
T=$(sed -n 's/.*customer opened ticket \([0-9]*\) in the L1 queue.*/\1/p' "$RELAY_LOG" | tail -1)
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the helper did not connect"
# A second ticket with no target at all (P4: 0 0), to show the order.
t4=$(tech_ssh alice ticket new --priority P4 Wallpaper request) || fail "ticket new failed"
tech_ssh alice escalate "$t4" --to L2 --note not ours >/dev/null || fail "escalate failed"

# The test clock adds to real time, which also passes while the test runs (a few seconds to a
# minute): every step below keeps a margin of 300 s around what it expects.
tick 200
tech_ssh alice queue --json >"$E2E_TMP/q.json" || fail "queue failed"
python3 - "$E2E_TMP/q.json" "$T" <<'PY' || fail "queue --json does not show the response time left: $(cat "$E2E_TMP/q.json")"
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tickets"] if t["ticket"] == int(sys.argv[2])][0]
assert t["sla"]["clock"] == "response" and t["sla"]["target"] == 1200 and not t["sla"]["paused"], t
assert 700 <= t["sla"]["left"] <= 1000, t
PY
tech_ssh alice queue | grep -q "^ *$T  P3 .* resp 1[0-9]m " || fail "queue does not show the time left: $(tech_ssh alice queue)"
events_are "$T" sla-warning 0 || fail "a warning before its time"
tick 700
wait_events 10 "$T" sla-warning 1 || fail "no response warning at 50 %"
detail "$T" sla-warning | grep -Eq "^response: P3 target 1200 s, [0-9]+ s used, -?[0-9]+ s left$" ||
	fail "the warning says: $(detail "$T" sla-warning)"
events_are "$T" sla-breach 0 || fail "a breach at the warning"
tick 1300
wait_events 10 "$T" sla-breach 1 || fail "no response breach at its target"
detail "$T" sla-breach | grep -Eq "^response: P3 target 1200 s passed, [0-9]+ s used$" || fail "the breach says: $(detail "$T" sla-breach)"
tick 1310
events_are "$T" sla-breach 1 && events_are "$T" sla-warning 1 || fail "a warning or breach said twice"
tech_ssh alice queue | grep -q "^ *$T  P3 .* resp -[0-9]*m " || fail "queue does not show the breach: $(tech_ssh alice queue)"
note "response clock: a warning at 50 % of its 1200 s, a breach at 1200 s, once each; queue shows the time left"

tech_ssh alice take "$T" >/dev/null || fail "take failed"
r=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT first_response_at - created_at FROM tickets WHERE id=$T")
[ "$r" -ge 1310 ] && [ "$r" -lt 1600 ] || fail "take is not the first response ($r s)"
tick 1400
tech_ssh alice wait "$T" --for customer >"$E2E_TMP/out" || fail "wait failed"
rc=0
tech_ssh alice wait "$T" --for customer 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "already waiting for the customer" "$E2E_TMP/err" || fail "a second wait: $rc $(cat "$E2E_TMP/err")"
rc=0
tech_ssh alice wait "$T" --for godot 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "wait --for godot exited $rc"
events_are "$T" sla-paused 1 || fail "the pause is not one record"
# Paused for 6600 s: unpaused, the resolve clock would have warned (3600 s) and breached (7200 s)
# and L1's 4800 s limit would have escalated the ticket.
tick 8000
events_are "$T" sla-warning 1 && events_are "$T" sla-breach 1 || fail "a paused clock warned or breached"
events_are "$T" escalated 0 || fail "a paused ticket escalated by time"
as alice mine --json | grep -q "\"ticket\":$T" || fail "the paused ticket left alice"
note "wait --for customer: 6600 s later no warning, no breach, no automatic escalation"

echo "Here is the error: 0x800CCC0E" >&7
wait_events 10 "$T" sla-resumed 1 || fail "the customer's chat line did not resume the clocks"
detail "$T" sla-resumed | grep -Eq "^the customer wrote; the clocks were paused 6[0-9]{3} s$" || fail "resumed: $(detail "$T" sla-resumed)"
# Used so far: about 1400 s. The resolve warning is due at 3600 s used, about 2200 s on.
tick 9900
events_are "$T" sla-warning 1 || fail "the resolve warning came early"
tick 10300
wait_events 10 "$T" sla-warning 2 || fail "no resolve warning at 3600 s of unpaused time"
detail "$T" sla-warning | grep -Eq "[|] resolve: P3 target 7200 s, [0-9]+ s used, [0-9]+ s left$" || fail "resolve warning: $(detail "$T" sla-warning)"
# L1's limit counts the ticket's time at L1 without the pause: 4800 s of it near 11400.
tick 11100
events_are "$T" escalated 0 || fail "escalated by time before 4800 s of unpaused time at L1"
tick 11500
wait_events 10 "$T" escalated 1 || fail "no automatic escalation after 4800 s of unpaused time at L1"
events_are "$T" sla-breach 1 || fail "the resolve clock breached early"
tick 13900
wait_events 10 "$T" sla-breach 2 || fail "no resolve breach at 7200 s of unpaused time"
events_are "$t4" sla-warning 0 && events_are "$t4" sla-breach 0 || fail "a ticket without targets warned"
note "the customer's line resumed the clocks; the resolve warning, the time-based escalation and the resolve breach came after the unpaused time"

add_user bob tech L2
as bob queue --json >"$E2E_TMP/q2.json" || fail "L2 queue failed"
python3 - "$E2E_TMP/q2.json" "$T" "$t4" <<'PY' || fail "the L2 queue is not in SLA order: $(cat "$E2E_TMP/q2.json")"
import json, sys
q = json.load(open(sys.argv[1]))
ids = [t["ticket"] for t in q["tickets"]]
assert ids == [int(sys.argv[2]), int(sys.argv[3])], ids
assert q["tickets"][1]["sla"] is None
PY
as audrey verify >"$E2E_TMP/verify.out" || fail "verify failed: $(cat "$E2E_TMP/verify.out")"
grep -q "^chain ok" "$E2E_TMP/verify.out" || fail "verify: $(cat "$E2E_TMP/verify.out")"
note "queue sorts by time left (no target last); verify agrees with the chain"
kill -TERM "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null
exec 7>&-
stop_relay
