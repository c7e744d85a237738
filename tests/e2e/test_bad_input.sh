# Bad input gets a clear error and leaves the ticket consistent: unknown
# tickets, malformed arguments, oversized text, and a helper that dies in
# the middle of an escalation.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
start_relay
T=$(as alice ticket new "Screen flickers") || fail "ticket new failed"

expect() { # RC PATTERN COMMAND...
	local want=$1 pattern=$2 rc=0
	shift 2
	as alice "$@" >/dev/null 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$(echo "$*" | cut -c1-60)' exited $rc, expected $want: $(cut -c1-200 "$E2E_TMP/err")"
	grep -q -- "$pattern" "$E2E_TMP/err" || fail "'$(echo "$*" | cut -c1-60)' said: $(cut -c1-200 "$E2E_TMP/err")"
}

big=$(head -c 5000 /dev/zero | tr '\0' 'x')
expect 1 "no ticket 999" ticket show 999
expect 2 "not a ticket number" take abc
expect 2 "usage: escalate" escalate "$T"
expect 2 "is L2 or L3" escalate "$T" --to L4 --note x
expect 2 "is L2 or L3" escalate "$T" --to L1 --note x
expect 2 "usage: escalate" escalate "$T" --to L2
expect 2 "is L1, L2 or L3" queue --tier L9
expect 2 "P1, P2, P3 or P4" ticket new --priority P9 Something
expect 2 "unknown option" note "$T" --loud hello
expect 2 "at most 4096" chat "$T" "$big"
expect 2 "at most 4096" note "$T" "$big"
expect 1 "no attachment 77" ticket attachment "$T" 77
# Too long for handoff-tech to send; a stock ssh client sends it and the relay refuses it.
rc=0
tech_ssh alice ticket new "$(head -c 9000 /dev/zero | tr '\0' 'y')" >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "cannot read the command" "$E2E_TMP/err" || fail "a 9000-byte command: rc $rc, $(cut -c1-200 "$E2E_TMP/err")"
[ "$(event_count "$T" chat)" = 0 ] && [ "$(event_count "$T" note)" = 0 ] || fail "rejected text was stored"
note "malformed and oversized input refused with clear messages"

# The helper dies while the relay waits for its logs.
CODE=$(as alice invite "$T")
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
as alice escalate "$T" --to L2 --note "Flicker persists after a driver update" >/dev/null || fail "escalate failed"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log prompt"
kill -9 "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null || true
wait_events 10 "$T" logs-unavailable 1 ||
	fail "the lost log bundle was not recorded"
as alice ticket show "$T" --json | grep -q '"state":"escalated","tier":"L2"' || fail "the escalation did not hold"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM attachments WHERE ticket_id=$T")" = 2 ] ||
	fail "transcript and handover note were not kept"
[ "$(as alice whoami)" = "alice tech L1" ] || fail "relay stopped serving"
note "a helper killed during escalation: logs marked unavailable, the escalation holds"
stop_relay
