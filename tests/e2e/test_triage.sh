# Triage and the handover checklist (issue 19, part 1), through handoff-tech and a stock ssh:
# impact x urgency gives the priority from relay.conf's matrix (one row changed here), a
# priority that starts higher moves the ticket to that tier's queue, every triage is a
# triaged record; an escalation from L1 is refused while checklist_l1 lacks a field, names
# what is missing, and passes once the fields are filled, or with --force --reason (recorded).
# Bad input changes nothing; verify agrees with every row; typos in relay.conf's triage and
# SLA settings stop serve with their line.
. "$(dirname "$0")/lib.sh"

start_relay "priority_impact_low = P4 P4 P4" "checklist_l1 = error-text, started, impact" "checklist_l2 = cause"
add_user bob tech L2
add_user audrey auditor

expect() { # RC USER COMMAND...: through handoff-tech
	local want=$1 rc=0
	shift
	as "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$E2E_TMP/err" "$E2E_TMP/out")"
}
row() { sqlite3 "$RELAY_DIR/handoff.db" "SELECT priority || ' ' || tier || ' ' || state || ' ' || coalesce(owner_id, '-') FROM tickets WHERE id=$1"; }

# The embedded matrix: high x high is P1, which starts at L2: the ticket leaves alice's hands.
t1=$(as alice ticket new Mail is down for the whole office) || fail "ticket new failed"
[ "$(row "$t1")" = "P3 L1 open 1" ] || fail "a new ticket is not P3 at L1, alice's: $(row "$t1")"
expect 0 alice triage "$t1" --impact high --urgency high --json
grep -q '"priority":"P1","was":"P3","tier":"L2","moved":true' "$E2E_TMP/out" || fail "triage said: $(cat "$E2E_TMP/out")"
[ "$(row "$t1")" = "P1 L2 escalated -" ] || fail "P1 did not move the ticket to the L2 queue: $(row "$t1")"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT actor || '|' || detail FROM events WHERE ticket_id=$t1 AND kind='triaged'")" = \
	"alice|impact high, urgency high: P3 -> P1" ] || fail "the triaged record is wrong"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$t1 AND kind='escalated'" |
	grep -qx "L1 -> L2: triage: P1 starts at L2" || fail "the move to L2 is not an escalation record"
as bob queue | grep -q "Mail is down" || fail "the P1 ticket is not in the L2 queue"
note "triage high x high: P1, and the ticket moved to the L2 queue (start_tier_p1)"

# The operator's row for impact low, and a stock ssh: medium x low stays at L1 and P4.
t2=$(tech_ssh alice ticket new Printer prints faint) || fail "ticket new failed"
tech_ssh alice triage "$t2" --impact medium --urgency low >"$E2E_TMP/out" || fail "triage through ssh failed"
grep -q "is P4 (impact medium, urgency low; was P3)" "$E2E_TMP/out" || fail "triage said: $(cat "$E2E_TMP/out")"
tech_ssh alice triage "$t2" --impact low --urgency high >/dev/null || fail "triage again failed"
[ "$(row "$t2")" = "P4 L1 open 1" ] || fail "low x high is not the configured P4: $(row "$t2")"
events_are "$t2" triaged 2 || fail "each triage is not its own record"
note "the matrix rows come from relay.conf (impact low: P4 P4 P4); every triage is a record"

# Bad input: nothing changed, a clear word.
expect 2 alice triage "$t2" --impact huge --urgency low
grep -q 'impact is high, medium or low, not "huge"' "$E2E_TMP/err" || fail "impact outside the matrix: $(cat "$E2E_TMP/err")"
expect 2 alice triage "$t2" --impact low
grep -q "^usage: triage N --impact" "$E2E_TMP/err" || fail "no usage for a missing --urgency: $(cat "$E2E_TMP/err")"
expect 3 bob triage "$t2" --impact high --urgency high
events_are "$t2" triaged 2 || fail "a refused triage wrote a record"
[ "$(row "$t2")" = "P4 L1 open 1" ] || fail "a refused triage changed the row: $(row "$t2")"
note "an impact outside the matrix, a missing urgency and someone else's ticket: refused, nothing changed"

# The checklist: escalate names what is missing and refuses; note --field fills; triage fills impact.
expect 1 alice escalate "$t2" --to L2 --note printer checked
grep -q "the L1 checklist is not filled: missing error-text, started (note $t2 --field NAME TEXT" "$E2E_TMP/err" ||
	fail "the refusal does not name the missing fields: $(cat "$E2E_TMP/err")"
[ "$(row "$t2")" = "P4 L1 open 1" ] || fail "a refused escalation changed the row"
expect 2 alice note "$t2" --field eror-text the toner light blinks
grep -q 'no checklist in relay.conf names the field "eror-text" (checklist_l1: error-text, started, impact; checklist_l2: cause)' \
	"$E2E_TMP/err" || fail "a mistyped field: $(cat "$E2E_TMP/err")"
tech_ssh alice note "$t2" --field error-text "E-13 toner low" || fail "note --field failed"
expect 1 alice escalate "$t2" --to L2 --note printer checked
grep -q "missing started (" "$E2E_TMP/err" || fail "the second refusal: $(cat "$E2E_TMP/err")"
expect 0 alice note "$t2" --field started since Monday morning
expect 0 alice escalate "$t2" --to L2 --note printer checked --json
grep -q '"forced":false' "$E2E_TMP/out" || fail "a filled checklist escalated as forced: $(cat "$E2E_TMP/out")"
[ "$(row "$t2")" = "P4 L2 escalated -" ] || fail "the filled checklist did not escalate: $(row "$t2")"
events_are "$t2" escalation-forced 0 || fail "an unforced escalation was recorded as forced"
note "escalate refused twice naming what was missing, then accepted once note --field filled it"

# --force --reason: recorded in the escalation's transaction, with what was missing.
add_user carol tech L3
t3=$(as bob ticket new --priority P1 VPN drops every hour) || fail "ticket new failed"
expect 1 bob escalate "$t3" --to L3 --note tunnel logs attached
grep -q "the L2 checklist is not filled: missing cause" "$E2E_TMP/err" || fail "L2's checklist: $(cat "$E2E_TMP/err")"
expect 2 bob escalate "$t3" --to L3 --note tunnel logs attached --force
grep -q -- "--force goes with --reason" "$E2E_TMP/err" || fail "--force without a reason: $(cat "$E2E_TMP/err")"
expect 0 bob escalate "$t3" --to L3 --note tunnel logs attached --force --reason the CEO is travelling tonight
grep -q "checklist forced" "$E2E_TMP/out" || fail "a forced escalation did not say so: $(cat "$E2E_TMP/out")"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT actor || '|' || detail FROM events WHERE ticket_id=$t3 AND kind='escalation-forced'")" = \
	"bob|missing cause: the CEO is travelling tonight" ] || fail "the forced escalation's record is wrong"
[ "$(row "$t3")" = "P1 L3 escalated -" ] || fail "the forced escalation did not move the ticket: $(row "$t3")"
note "escalate --force --reason passes the checklist and records who, what was missing and why"

expect 0 audrey verify
grep -q "^chain ok" "$E2E_TMP/out" && grep -q "; 3 tickets match their events" "$E2E_TMP/out" ||
	fail "verify: $(cat "$E2E_TMP/out")"
note "verify: the tickets' rows (priorities from triaged records) match the chain"
stop_relay

# A typo in the matrix or a checklist stops the relay with the line.
nbad=0
for bad in "priority_impact_high = P1 P2" "priority_impact_medium = P2 P3 P9" "checklist_l1 = error text" \
	"sla_p2 = 600" "sla_p1 = 7200 3600" "sla_warning_percent = 100" "priority_impact_hihg = P1 P1 P1"; do
	RELAY_NAME="bad$((++nbad))"
	RELAY_DIR="$E2E_TMP/$RELAY_NAME"
	"$BIN/handoff-relay" init "$RELAY_DIR" --listen "127.0.0.1:1" >/dev/null || fail "init failed"
	echo "$bad" >>"$RELAY_DIR/relay.conf"
	rc=0
	"$BIN/handoff-relay" serve "$RELAY_DIR" >/dev/null 2>"$E2E_TMP/bad.err" || rc=$?
	[ "$rc" != 0 ] || fail "the relay served with '$bad'"
	grep -q "relay.conf:[0-9]*: " "$E2E_TMP/bad.err" || fail "'$bad': no line in $(cat "$E2E_TMP/bad.err")"
done
grep -q "did you mean priority_impact_high" "$E2E_TMP/bad.err" || fail "a mistyped key: $(cat "$E2E_TMP/bad.err")"
note "a short or wrong matrix row, a bad field name, SLA targets that are not two numbers or end before they start, a warning at 100 % and a mistyped key stop serve with their line"
