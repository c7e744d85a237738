# Rights through a stock OpenSSH client (the table of every action, role and
# tier is tests/unit/test_rights.c; this checks the commands use it).
. "$(dirname "$0")/lib.sh"

start_relay
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
stop_relay
