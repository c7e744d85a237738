# Reviews of major incidents and reopening (issue 19), through handoff-tech and a stock ssh:
# resolving a P1 says what its review lacks, close refuses it until L2 has written a cause
# and a prevention (each a reviewed record; an L1 may not review, nor a P3 be reviewed),
# review lists what awaits one, a closed ticket is final; a new ticket whose description
# matches the reviewed cause gets a recurrence record its technician reads; reopen puts a
# resolved ticket back in its tier's queue, and report counts it, the same from the verified
# exports; verify agrees with every row (reopened and closed states are in the chain).
. "$(dirname "$0")/lib.sh"

start_relay
add_user bob tech L2
add_user audrey auditor
expect() { # RC USER COMMAND...
	local want=$1 rc=0
	shift
	as "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$E2E_TMP/err" "$E2E_TMP/out")"
}
db() { sqlite3 "$RELAY_DIR/handoff.db" "$@"; }

t1=$(as alice ticket new --priority P1 Mail server down for everyone) || fail "ticket new failed"
expect 0 bob take "$t1"
expect 0 bob resolve "$t1" --note restarted the mail queue --json
grep -q '"review_missing":"cause and prevention"' "$E2E_TMP/out" || fail "resolve --json: $(cat "$E2E_TMP/out")"
t0=$(as alice ticket new --priority P2 Mail slow for the sales team) || fail "ticket new failed"
expect 0 alice resolve "$t0" --note queue drained
grep -q "^P2: the review lacks its cause and prevention (review $t0 --cause" "$E2E_TMP/out" ||
	fail "resolve did not say what the review lacks: $(cat "$E2E_TMP/out")"
expect 1 bob close "$t1"
grep -q "close: ticket $t1 is P1: its review lacks its cause and prevention" "$E2E_TMP/err" ||
	fail "close of an unreviewed P1: $(cat "$E2E_TMP/err")"
expect 0 audrey review
grep -q "^ *$t1  P1  L2  resolved   missing cause and prevention" "$E2E_TMP/out" &&
	grep -q "^ *$t0  P2  L1  resolved   missing cause and prevention" "$E2E_TMP/out" || fail "review list: $(cat "$E2E_TMP/out")"
expect 3 alice review "$t1" --cause none
grep -q "only L2 and L3 review major incidents" "$E2E_TMP/err" || fail "an L1 review: $(cat "$E2E_TMP/err")"
expect 3 alice review
t2=$(as alice ticket new Printer jams) || fail "ticket new failed"
expect 0 alice resolve "$t2" --note cleared it
grep -q "review" "$E2E_TMP/out" && fail "a P3 resolve spoke of a review: $(cat "$E2E_TMP/out")"
expect 1 bob review "$t2" --cause paper
grep -q "ticket $t2 is P3; only P1 and P2 incidents are reviewed" "$E2E_TMP/err" || fail "a P3 review: $(cat "$E2E_TMP/err")"
expect 0 bob review "$t1" --cause the mail queue filled the disk partition
grep -q "still missing its prevention" "$E2E_TMP/out" || fail "half a review: $(cat "$E2E_TMP/out")"
expect 1 bob close "$t1"
grep -q "lacks its prevention" "$E2E_TMP/err" || fail "close with half a review: $(cat "$E2E_TMP/err")"
tech_ssh bob review "$t1" --prevention alert at 80 percent disk usage >"$E2E_TMP/out" || fail "review through ssh failed"
grep -q "ticket $t1 reviewed" "$E2E_TMP/out" || fail "review: $(cat "$E2E_TMP/out")"
[ "$(db "SELECT group_concat(actor || '|' || detail, ';') FROM events WHERE ticket_id=$t1 AND kind='reviewed'")" = \
	"bob|cause: the mail queue filled the disk partition;bob|prevention: alert at 80 percent disk usage" ] ||
	fail "the reviewed records are wrong"
expect 0 audrey review
grep -q "^ *$t1 " "$E2E_TMP/out" && fail "a reviewed ticket still awaits review: $(cat "$E2E_TMP/out")"
grep -q "^ *$t0  P2" "$E2E_TMP/out" || fail "the P2 left the list: $(cat "$E2E_TMP/out")"
expect 0 bob close "$t1" --json
grep -q '"state":"closed"' "$E2E_TMP/out" || fail "close: $(cat "$E2E_TMP/out")"
expect 3 bob reopen "$t1" --reason it came back
grep -q "ticket $t1 is closed" "$E2E_TMP/err" || fail "reopen of a closed ticket: $(cat "$E2E_TMP/err")"
note "P1: resolve names the missing review, close refuses until L2 gives cause and prevention; L1 and P3 refused; closed is final"

t3=$(as alice ticket new The mail queue filled the disk again) || fail "ticket new failed"
[ "$(event_count "$t3" recurrence)" = 1 ] || fail "no recurrence record on a ticket like the reviewed incident"
db "SELECT detail FROM events WHERE ticket_id=$t3 AND kind='recurrence'" |
	grep -q "^on opening: like incident #$t1 (cause: the mail queue filled the disk partition)" ||
	fail "the recurrence record: $(db "SELECT detail FROM events WHERE ticket_id=$t3 AND kind='recurrence'")"
expect 0 alice ticket show "$t3"
grep -q "recurrence.*incident #$t1" "$E2E_TMP/out" || fail "ticket show does not tell its technician: $(cat "$E2E_TMP/out")"
[ "$(event_count "$t2" recurrence)" = 0 ] || fail "an unrelated ticket got a recurrence"
note "a new ticket like the reviewed incident: a recurrence record its technician reads in ticket show"

expect 1 alice reopen "$t3" --reason not resolved yet
grep -q "only a resolved ticket is reopened" "$E2E_TMP/err" || fail "reopen of an open ticket: $(cat "$E2E_TMP/err")"
expect 2 alice reopen "$t2"
# Escalating the ticket asks the knowledge base again: the incident is not named twice.
expect 0 alice escalate "$t3" --to L2 --note the mail queue filled the disk partition again
[ "$(event_count "$t3" recurrence)" = 1 ] || fail "the incident was named again at escalation"
expect 0 alice reopen "$t2" --reason the printer jams again
[ "$(db "SELECT state || ' ' || tier || ' ' || coalesce(owner_id, '-') FROM tickets WHERE id=$t2")" = "open L1 -" ] ||
	fail "a reopened ticket is not back in the L1 queue"
as alice queue | grep -q "Printer jams" || fail "the reopened ticket is not in the queue"
[ "$(db "SELECT detail FROM events WHERE ticket_id=$t2 AND kind='reopened'")" = "the printer jams again" ] ||
	fail "no reopened record"
expect 0 alice take "$t2"
expect 0 alice resolve "$t2" --note new roller
note "reopen: a resolved ticket back in its tier's queue, unowned, a reopened record; an open one and no reason refused"

as audrey report --json >"$E2E_TMP/r.json" || fail "report failed"
python3 - "$E2E_TMP/r.json" <<'PY' || fail "report: $(cat "$E2E_TMP/r.json")"
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert (t["opened"], t["resolved"], t["reopened"], t["reopen_pct"], t["recurrences"]) == (4, 3, 1, 25, 1), t
PY
as audrey report | grep -qx "reopened 1 of 4 resolutions (25%); 0 opened after self-help; 1 recurrences of a reviewed incident" ||
	fail "report's text: $(as audrey report)"
for t in "$t0" "$t1" "$t2" "$t3"; do
	tech_ssh audrey export "$t" >"$E2E_TMP/t$t.export" || fail "export $t failed"
done
as audrey report --audit-key "$RELAY_DIR/keys/audit_ed25519.pub" --json \
	"$E2E_TMP/t$t2.export" "$E2E_TMP/t$t1.export" "$E2E_TMP/t$t3.export" "$E2E_TMP/t$t0.export" >"$E2E_TMP/offline.json" ||
	fail "the offline report failed"
cmp -s "$E2E_TMP/r.json" "$E2E_TMP/offline.json" || fail "the exports give other numbers: $(cat "$E2E_TMP/offline.json")"
as audrey verify >"$E2E_TMP/verify.out" || fail "verify failed: $(cat "$E2E_TMP/verify.out")"
grep -q "^chain ok" "$E2E_TMP/verify.out" || fail "verify: $(cat "$E2E_TMP/verify.out")"
note "report counts the reopening (1 of 4 resolutions: 25%), the same from the verified exports; verify agrees with every row"
stop_relay
