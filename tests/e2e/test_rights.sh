# Rights through a stock OpenSSH client (the table of every action, role and
# tier is tests/unit/test_rights.c; this checks the commands use it).
. "$(dirname "$0")/lib.sh"

# test_rights_relays.sh sets RIGHTS_START: the same checks through a second relay of one store.
${RIGHTS_START:-start_relay}
add_user bob tech L2
add_user carol tech L3
add_user audrey auditor

expect() { # RC KEY COMMAND...
	local want=$1 rc=0
	shift
	tech_ssh "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$E2E_TMP/err")"
}

t1=$(tech_ssh alice ticket new Printer jammed) || fail "ticket new failed"
t2=$(tech_ssh alice ticket new Password reset) || fail "ticket new failed"
expect 3 bob chat "$t1" hello
grep -q "belongs to alice" "$E2E_TMP/err" || fail "no reason given"
expect 3 audrey ticket new Anything
expect 0 audrey ticket show "$t1"
expect 3 audrey take "$t1"
expect 0 audrey queue --tier L3
expect 3 bob recording "$t1" viewer-1-1.hrec
grep -q "only auditors" "$E2E_TMP/err" || fail "recording: no reason given to a technician"
expect 1 audrey recording "$t1" viewer-1-1.hrec
grep -q "has no recording viewer-1-1.hrec" "$E2E_TMP/err" || fail "recording: an unknown ID not named: $(cat "$E2E_TMP/err")"
expect 1 audrey recording "$t1" ../../handoff.db
expect 2 audrey recording "$t1"
expect 3 alice queue --tier L2
expect 0 bob queue --tier L1
expect 3 alice note "$t2" --sensitive something
expect 3 bob invite "$t1"
expect 0 alice escalate "$t1" --to L3 --note tried a new cartridge, still jammed
tech_ssh alice ticket show "$t1" | grep -q "L1 -> L3: tried a new cartridge, still jammed" ||
	fail "an unquoted note through ssh lost words"
expect 3 alice take "$t1"
expect 3 bob take "$t1"
expect 0 carol take "$t1"
expect 0 carol note "$t1" --sensitive the jam is a firmware bug
expect 0 alice ticket show "$t1"
grep -q "firmware" "$E2E_TMP/out" && fail "L1 reads L3's sensitive note"
expect 0 bob ticket show "$t1"
grep -q "firmware" "$E2E_TMP/out" && fail "L2 reads L3's sensitive note"
expect 0 audrey ticket show "$t1"
grep -q "firmware" "$E2E_TMP/out" || fail "the auditor cannot read the sensitive note"
expect 0 carol resolve "$t1" --note replaced the firmware
expect 3 carol chat "$t1" hello
grep -q "resolved" "$E2E_TMP/err" || fail "no reason given for a resolved ticket"
note "rights hold through a stock ssh client"

# An escalation from L2 hands over what L2 found: its transcript, handover note (also in the
# escalated event) and log bundle are sensitive at L2, so L1 reads none of them; L2, L3 and
# auditors do. What L1 handed to L2 stays readable by L1. (The log bundles need a customer.)
start_xvfb 320 240
t3=$(tech_ssh alice ticket new VPN drops) || fail "ticket new failed"
CODE=$(tech_ssh alice invite "$t3") || fail "invite failed"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
logs_are() { [ "$(db_query "SELECT count(*) FROM attachments WHERE ticket_id=$t3 AND kind='logs'")" = "$1" ]; }
expect 0 alice escalate "$t3" --to L2 --note L1 packet: cable checked
wait_count 10 "$HELPER_OUT" "^LOGS " 1 || fail "no log consent prompt"
echo y >&7
wait_for 15 logs_are 1 ||
	fail "the first log bundle was not attached"
expect 0 bob take "$t3"
expect 0 bob escalate "$t3" --to L3 --note L2 packet: the VPN secret is wrong
wait_line 10 "$HELPER_OUT" "^LOGS bob" || fail "no second log consent prompt"
echo y >&7
wait_for 15 logs_are 2 ||
	fail "the second log bundle was not attached"
attachments() { # CLEARANCE: the ids of t3's attachments with that clearance
	db_query "SELECT id FROM attachments WHERE ticket_id=$t3 AND clearance='$1' ORDER BY id"
}
l1=$(attachments "")
l2=$(attachments L2)
[ "$(echo $l1 | wc -w)" = 3 ] || fail "L1's packet is not transcript, note and logs, open: $l1"
[ "$(db_query "SELECT kind FROM attachments WHERE ticket_id=$t3 AND clearance='L2' ORDER BY id" | paste -sd,)" = \
	"transcript,handover-note,logs" ] || fail "L2's packet is not marked sensitive at L2: $(attachments L2)"
for id in $l2; do
	expect 3 alice ticket attachment "$t3" "$id"
	grep -q "sensitive" "$E2E_TMP/err" || fail "L1: attachment $id refused without saying why"
	for who in bob carol audrey; do
		expect 0 "$who" ticket attachment "$t3" "$id"
	done
done
for id in $l1; do
	expect 0 alice ticket attachment "$t3" "$id"
done
expect 0 alice ticket show "$t3"
grep -q "VPN secret" "$E2E_TMP/out" && fail "L1 reads L2's handover note in the ticket"
grep -q "cable checked" "$E2E_TMP/out" || fail "L1 cannot read its own handover"
expect 0 carol ticket show "$t3"
grep -q "VPN secret" "$E2E_TMP/out" || fail "L3 cannot read L2's handover note"
note "L2's escalation packet (transcript, note, logs) is hidden from L1, read by L2, L3 and auditors"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"

# The desk's commands (issue 19), every role and tier, on a ticket alice owns at L1: the owner
# triages, waits and notes fields; others are refused (3); auditors read articles and run
# report; technicians write articles up to their tier and do not run report; L2, L3 and auditors
# list reviews, L1 may not review (bob and carol may, but the ticket is P3); reopen and close of
# an open ticket are refused for what it is (1), for auditors by right (3).
t4=$(tech_ssh alice ticket new Desk rights) || fail "ticket new failed"
kb1=$(tech_ssh carol kb add --tier L3 --title L3 only --symptoms secret symptom --fix secret fix) || fail "kb add failed"
#        command                                          alice bob carol audrey
while IFS='|' read -r cmd want; do
	set -- $want
	i=0
	for who in alice bob carol audrey; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		expect "${!i}" "$who" $cmd
	done
done <<EOF2
triage $t4 --impact low --urgency low|0 3 3 3
wait $t4 --for customer|0 3 3 3
note $t4 --field impact the whole office|2 2 2 2
kb add --tier L2 --title t --symptoms s --fix f|2 0 0 3
kb show $kb1|1 1 0 0
kb search secret|0 0 0 0
kb list|0 0 0 0
report --json|3 3 3 0
review|3 0 0 0
review $t4 --cause a cause|3 1 1 3
reopen $t4 --reason came back|1 1 1 3
close $t4|1 1 1 3
EOF2
tech_ssh alice kb search secret | grep -q "secret" && fail "L1's search shows the L3 article"
tech_ssh bob kb list | grep -q "L3 only" && fail "L2's list shows the L3 article"
note "triage, wait, note --field, kb add/show/search/list, report, review, reopen and close: each role and tier as rights.c says"
stop_relay
