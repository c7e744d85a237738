#!/bin/bash
# desk_tickets_per_minute through two relays of one PostgreSQL (issue 18:
# each relay counted its own, so N relays allowed N times it): a desk
# account's tickets through relays a and b come out of one budget, both
# refuse the next in the same words with the wait, and six tickets asked
# for at one instant through both relays open exactly the budget (the
# store takes the last one once).
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_postgres
RELAY_NAME=relay-a start_relay "store = $PG_URL" "desk_tickets_per_minute = 2"
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_LOG=$RELAY_LOG
add_user deskbot desk
new_relay_home relay-b "store = $PG_URL" "desk_tickets_per_minute = 2"
echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
# shellcheck disable=SC2153 # RELAY_PID is set by restart_relay (lib.sh)
B_PORT=$RELAY_PORT B_PID=$RELAY_PID B_LOG=$RELAY_LOG
RELAY_DIR=$A_DIR RELAY_LOG=$A_LOG

# desk_on PORT ARGS...: the desk's stock OpenSSH client to the relay at PORT.
desk_on() {
	local port=$1
	shift
	RELAY_PORT=$port tech_ssh deskbot "$@"
}
desk_tickets() {
	db_query "SELECT count(*) FROM tickets t JOIN events e ON e.ticket_id = t.id AND e.kind = 'created'
		WHERE e.actor = 'deskbot' AND t.summary LIKE '$1%'"
}

note "a and b take the budget's two tickets; then both refuse, saying when to try again"
desk_on "$A_PORT" ticket new "first via a" >/dev/null || fail "the desk's first ticket (relay a) was refused"
desk_on "$B_PORT" ticket new "second via b" >/dev/null || fail "the desk's second ticket (relay b) was refused"
for port in "$B_PORT" "$A_PORT"; do
	if desk_on "$port" ticket new "over via $port" 2>"$E2E_TMP/cap.err"; then
		fail "relay on port $port opened a third ticket in the minute: each relay still counts its own"
	fi
	grep -q "deskbot may open 2 tickets a minute; try again in [0-9]* s" "$E2E_TMP/cap.err" ||
		fail "the refusal through port $port is unclear: $(cat "$E2E_TMP/cap.err")"
done
[ "$(desk_tickets over)" = 0 ] || fail "a refused ticket exists"
grep -q "desk deskbot is over desk_tickets_per_minute (2)" "$A_LOG" || fail "relay a did not log its refusal"
grep -q "desk deskbot is over desk_tickets_per_minute (2)" "$B_LOG" || fail "relay b did not log its refusal"

note "ten minutes on (both relays' test clock) the budget is whole: six at once through a and b open two"
echo 600 >"$HANDOFF_CLOCK_OFFSET_FILE"
for log in "$A_LOG" "$B_LOG"; do
	wait_count 10 "$log" "the test clock is now offset by 600 s\$" 1 ||
		fail "a relay did not take the clock offset: $(tail -3 "$log")"
done
pids=()
for i in 1 2 3; do
	desk_on "$A_PORT" ticket new "race a$i" >/dev/null 2>"$E2E_TMP/race-a$i.err" &
	pids+=($!)
	desk_on "$B_PORT" ticket new "race b$i" >/dev/null 2>"$E2E_TMP/race-b$i.err" &
	pids+=($!)
done
ok=0
for pid in "${pids[@]}"; do
	wait "$pid" && ok=$((ok + 1))
done
[ "$ok" = 2 ] || fail "$ok of six racing tickets were opened, not the budget's 2: $(cat "$E2E_TMP"/race-*.err)"
[ "$(desk_tickets race)" = 2 ] || fail "the store holds $(desk_tickets race) racing tickets, not 2"
[ "$(grep -l "may open 2 tickets a minute; try again in" "$E2E_TMP"/race-*.err | wc -l)" = 4 ] ||
	fail "the four refused were not refused for the budget: $(cat "$E2E_TMP"/race-*.err)"
[ "$(db_query "SELECT count(*) FROM desk_budgets")" = 1 ] || fail "the store keeps more than one budget row for one desk"

RELAY_PID=$B_PID stop_relay
stop_relay
note "ok"
