#!/bin/bash
# One outbox, three senders (issue 18 on issue 20's webhooks): three relays
# of one PostgreSQL, each configured with the same receiver (hookrecv, a CA
# made here), write events on tickets opened through all three; every event
# reaches the receiver exactly once, in order per ticket, signature checked
# (each relay claims a row before it sends it: before the claim, every relay
# sent most events twice or three times, the receiver taking a second to
# answer). The receiver then refuses for a while and comes back:
# still once each. No relay is left holding a claim once all is delivered.
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/e2e/hooks_lib.sh
. "$(dirname "$0")/hooks_lib.sh"
hooks_setup desk -- localhost
# A desk that takes a second to answer: every relay looks at the outbox during each transfer.
echo slow >"$H/desk.mode"
P_DESK=$(free_port) || fail "no free port"
"$TOOLS/hookrecv" --port "$P_DESK" --cert "$H/localhost.pem" --key "$H/localhost.key" \
	--secret-file "$H/desk.secret" --out "$H/desk" --mode-file "$H/desk.mode" >"$H/desk.out" 2>&1 &
track $!
wait_line 10 "$H/desk.out" "^listening" || fail "the receiver did not start: $(cat "$H/desk.out")"

HOOK=("webhook.desk.url = https://localhost:$P_DESK/hook" "webhook.desk.secret_file = $H/desk.secret"
	"webhook.desk.ca_file = $H/ca.pem" "webhook.desk.backoff_max = 1" "webhook.desk.clearance = L3")
start_postgres
RELAY_NAME=relay-a start_relay "store = $PG_URL" "${HOOK[@]}"
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG
PORTS=("$A_PORT") FPS=("$A_FP") PIDS=()
for name in relay-b relay-c; do
	new_relay_home "$name" "store = $PG_URL" "${HOOK[@]}"
	echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
	cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
	restart_relay
	PORTS+=("$RELAY_PORT") FPS+=("$RELAY_FP") PIDS+=("$RELAY_PID")
done
RELAY_DIR=$A_DIR RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_PID=$A_PID RELAY_LOG=$A_LOG

# on I ARGS...: handoff-tech as alice through relay I (0, 1, 2 for a, b, c).
on() {
	local i=$1
	shift
	RELAY_PORT=${PORTS[i]} RELAY_FP=${FPS[i]} as alice "$@"
}
seqs_of() {
	db_query "SELECT id FROM events WHERE ticket_id=$1 ORDER BY id"
}
got() {
	sed -n "s/^ok seq=\([0-9]*\) ticket=$1 .*/\1/p" "$H/desk/log"
}
all_arrived() {
	local t
	for t in "${TICKETS[@]}"; do
		[ "$(got "$t" | sort -n | uniq)" = "$(seqs_of "$t")" ] || return 1
	done
}

# Three tickets, one opened through each relay, and chat on each through every relay.
TICKETS=()
for i in 0 1 2; do
	t=$(on "$i" ticket new --priority P3 --customer "Customer $i" "Printer $i") || fail "ticket new on relay $i failed"
	TICKETS+=("$t")
done
for round in 1 2 3; do
	for i in 0 1 2; do
		for t in "${TICKETS[@]}"; do
			on "$i" chat "$t" "round $round from relay $i" || fail "chat on relay $i failed"
		done
	done
done
wait_for 60 all_arrived || fail "not every event arrived: $(tail -3 "$H/desk/log")"
total=0
for t in "${TICKETS[@]}"; do
	[ -z "$(got "$t" | sort -n | uniq -d)" ] || fail "ticket $t: events arrived twice: $(got "$t" | sort -n | uniq -d | tr '\n' ' ')"
	[ "$(got "$t")" = "$(seqs_of "$t")" ] || fail "ticket $t: out of order: $(got "$t" | tr '\n' ' ')"
	total=$((total + $(got "$t" | wc -l)))
done
! grep -q "^bad" "$H/desk/log" || fail "a delivery failed its signature: $(grep '^bad' "$H/desk/log")"
note "3 relays, one outbox: $total events of 3 tickets, each delivered once, in order, signed"

# The receiver refuses for a while: the rows wait, each relay sees them, and still each arrives once.
echo 500 >"$H/desk.mode"
for i in 0 1 2; do
	on "$i" chat "${TICKETS[i]}" "while the desk's system is broken" || fail "chat failed"
done
wait_for 15 grep -q "^refused-500" "$H/desk/log" || fail "the receiver was not tried while answering 500"
echo slow >"$H/desk.mode"
wait_for 30 all_arrived || fail "the held events did not arrive: $(tail -3 "$H/desk/log")"
for t in "${TICKETS[@]}"; do
	[ -z "$(got "$t" | sort -n | uniq -d)" ] || fail "ticket $t: an event arrived twice after the refusals"
done
outbox_empty() {
	[ "$(db_query "SELECT count(*) FROM webhook_outbox WHERE receiver='desk'")" = 0 ]
}
wait_for 10 outbox_empty ||
	fail "rows left in the outbox: $(db_query "SELECT seq, claimed_by, claimed_until FROM webhook_outbox")"
note "500 for a while, then ok: every held event once; the outbox empty"

for pid in "${PIDS[@]}"; do
	RELAY_PID=$pid stop_relay
done
RELAY_PID=$A_PID stop_relay
