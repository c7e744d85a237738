#!/bin/bash
# Code guessing over real SSH: per-source back-off and the global cap are
# seen by real clients (tests/tools/hostile from chosen 127.0.0.x source
# addresses, and the real helper), and both write audit events on ticket 0,
# the relay's own record. The relay's test clock (HANDOFF_CLOCK_OFFSET_FILE)
# is advanced instead of sleeping through back-offs and the minute's window.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay "code_failures_per_minute = 6" "code_backoff_max = 300"
start_xvfb 320 240

hostile_code() { # SRC CODE: prints accepted or refused
	"$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" "$1" "$2" 2>>"$E2E_TMP/hostile.err" || true
}
set_clock() { # SECONDS: the relay's clock offset, waited for until the relay has it
	relay_clock "$1"
}
relay_events() { # KIND: events of KIND on ticket 0
	event_count 0 "$1"
}

new_ticket_code "brute force 1"
# A wrong code that names the live code's locator: counted against the code and against the source.
wrong="${CODE:0:4}-0000-000$(( (${CODE: -1} + 1) % 10 ))"

# The clock jumps 10 s between wrong codes, so each is checked whatever second the real clock is in.
note "three wrong codes from 127.0.0.2, 10 s apart, then the right one at once: not even checked"
[ "$(hostile_code 127.0.0.2 "$wrong")" = refused ] || fail "wrong code 1 was not refused"
set_clock 10
[ "$(hostile_code 127.0.0.2 "$wrong")" = refused ] || fail "wrong code 2 was not refused"
set_clock 20
[ "$(hostile_code 127.0.0.2 "$wrong")" = refused ] || fail "wrong code 3 was not refused"
# Now 127.0.0.2 waits 4 s: far longer than one more connection takes.
[ "$(hostile_code 127.0.0.2 "$CODE")" = refused ] || fail "the right code got in during the back-off"
grep -q "support code refused: not checked: this source must wait" "$RELAY_LOG" ||
	fail "the relay did not log the back-off: $(grep refused "$RELAY_LOG" | tail -3)"
[ "$(relay_events code-backoff)" -ge 1 ] || fail "no code-backoff audit event"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=0 AND kind='code-backoff'" |
	grep -q "^127.0.0.2: 3 wrong codes; its next code is checked in 4 s" || fail "code-backoff detail is wrong"
[ "$(event_count "$TICKET" code-refused)" = 3 ] || fail "the code's own ticket did not record 3 refusals"

note "another source is not held back, and the code still works there"
[ "$(hostile_code 127.0.0.3 "$CODE")" = accepted ] || fail "the right code from 127.0.0.3 was refused"

note "after the back-off (the clock moves 5 s) 127.0.0.2 is checked again"
new_ticket_code "brute force 2"
set_clock 25
[ "$(hostile_code 127.0.0.2 "$CODE")" = accepted ] || fail "the right code after the back-off was refused"

note "the global cap: past 6 wrong codes a minute, addresses that guessed wrong twice are not checked"
new_ticket_code "brute force 3"
# 3 wrong codes are in the window already; 3 more reach 6, two of them from 127.0.0.10.
for i in 10 11; do
	[ "$(hostile_code "127.0.0.$i" 1111-2222-3333)" = refused ] || fail "wrong code from 127.0.0.$i accepted"
done
set_clock 30
[ "$(hostile_code 127.0.0.10 1111-2222-4444)" = refused ] || fail "wrong code from 127.0.0.10 accepted"
wait_for 5 test "$(relay_events code-cap)" -ge 1 || fail "no code-cap audit event"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=0 AND kind='code-cap'" |
	grep -q "6 wrong codes in 60 s: for .* s only addresses without wrong codes are checked" ||
	fail "code-cap detail is wrong"
# After its 2 s back-off, 127.0.0.10 brings the right code: not checked while the cap holds.
set_clock 35
[ "$(hostile_code 127.0.0.10 "$CODE")" = refused ] || fail "a guessing address got in while the cap was closed"
grep -q "support code refused: not checked: too many wrong codes in the last minute" "$RELAY_LOG" ||
	fail "the relay did not log the cap"
note "the real helper, from an address that never failed, gets its session while the cap holds"
start_helper "$CODE" helper
wait_line 20 "$RELAY_LOG" "ticket $TICKET is live" || fail "the customer was locked out by the cap"
kill "$HELPER_PID"

note "a minute later the window has room: 127.0.0.10 is checked again"
new_ticket_code "brute force 4"
set_clock 95
[ "$(hostile_code 127.0.0.10 "$CODE")" = accepted ] || fail "the right code after the cap was refused"

note "auditors read the relay's record, ticket 0; technicians cannot"
add_user audrey auditor
tech_ssh audrey show 0 >"$E2E_TMP/show0.out" || fail "show 0 failed: $(cat "$E2E_TMP/show0.out")"
grep -q "code-backoff" "$E2E_TMP/show0.out" && grep -q "code-cap" "$E2E_TMP/show0.out" ||
	fail "show 0 lacks the guard's events: $(cat "$E2E_TMP/show0.out")"
tech_ssh alice ticket show 0 >/dev/null 2>&1 && fail "a technician read ticket 0"

note "no code is in the relay's log or its database"
for c in "$CODE" "${CODE//-/}" "$wrong" "${wrong//-/}"; do
	grep -q -- "$c" "$RELAY_LOG" && fail "a code is in the relay log"
	sqlite3 "$RELAY_DIR/handoff.db" .dump | grep -q -- "$c" && fail "a code is in the database"
done
stop_relay
echo "  ok"
