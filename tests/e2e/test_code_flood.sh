#!/bin/bash
# Issue 14, item 5: 30 addresses push 120 wrong codes into a relay with the
# default cap (120 a minute) in well under 25 s, which once closed the cap
# for everyone. Now the guessing addresses are held back, and the real
# customer's helper, from an address of its own, still gets its session
# with its code while the cap holds. The relay's test clock steps over each
# address's back-off (1, 2, 4 s) instead of sleeping through it.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay
start_xvfb 320 240
new_ticket_code "flooded with wrong codes"

start=$(date +%s)
offset=0
for round in 1 2 3 4; do
	pids=()
	for i in $(seq 1 30); do
		"$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" "127.14.0.$i" "000$round-1234-5678" \
			>>"$E2E_TMP/hostile.out" 2>>"$E2E_TMP/hostile.err" &
		pids+=($!)
	done
	wait "${pids[@]}"
	offset=$((offset + (1 << round)))
	relay_clock "$offset"
done
[ "$(grep -c refused "$E2E_TMP/hostile.out")" = 120 ] || fail "not every wrong code was refused: $(sort "$E2E_TMP/hostile.out" | uniq -c)"
checked=$(grep -c "support code refused: no such code" "$RELAY_LOG")
[ "$checked" = 120 ] || fail "$checked of the 120 wrong codes were checked, not 120 (back-off not stepped over?)"
wait_for 5 test "$(event_count 0 code-cap)" -ge 1 || fail "120 wrong codes did not close the cap"
note "30 addresses sent 120 wrong codes in $(( $(date +%s) - start )) s of real time (relay clock +$offset s): the cap is closed"

# A guessing address that comes with the right code is not checked (the code stays unspent).
[ "$("$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" 127.14.0.7 "$CODE" 2>>"$E2E_TMP/hostile.err")" = refused ] ||
	fail "a guessing address got in while the cap was closed"
grep -q "support code refused: not checked: too many wrong codes in the last minute" "$RELAY_LOG" ||
	fail "the cap did not hold the guessing address back"

start_helper "$CODE"
wait_line 20 "$HELPER_OUT" "^CONNECTED" || fail "the customer was locked out: $(tail -3 "$E2E_TMP/helper.log")"
wait_line 10 "$RELAY_LOG" "ticket $TICKET is live" || fail "no live session for the customer"
note "the customer's helper (127.0.0.1) got its session with the cap closed"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
stop_relay
echo "  ok"
