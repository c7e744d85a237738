#!/bin/bash
# Webhooks (issue 20): how fast a receiver on loopback that comes back gets
# a backlog of BENCH_EVENTS (200) events of one ticket (recorded while it
# answered 500), and whether receivers that stall (no answer, timeout 10 s) or
# answer 500 slow the relay's commands: the median and slowest of
# BENCH_RUNS (20) `queue` commands with the healthy receiver alone, then
# with two stalling and one failing receiver and a backlog for each.
#
#   bash bench/webhooks.sh [BUILD]      (default build; not part of make check)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
make -C "$ROOT" -s BUILD="$BUILD" all "$BUILD/tests/hookrecv" >/dev/null || exit 1
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests"
. "$ROOT/tests/e2e/lib.sh"

EVENTS=${BENCH_EVENTS:-200}
RUNS=${BENCH_RUNS:-20}
. "$ROOT/tests/e2e/hooks_lib.sh"
# The receivers' CA, localhost's certificate and one secret they share ($H/bench.secret).
hooks_setup bench -- localhost

receiver() {
	mkdir -p "$H/$1"
	echo "$2" >"$H/$1.mode"
	"$TOOLS/hookrecv" --port "$3" --cert "$H/localhost.pem" --key "$H/localhost.key" --secret-file "$H/bench.secret" \
		--out "$H/$1" --mode-file "$H/$1.mode" >"$H/$1.out" 2>&1 &
	track $!
	wait_line 10 "$H/$1.out" "^listening" || fail "receiver $1 did not start"
}
conf() { # NAME PORT [TIMEOUT]
	printf '%s\n' "webhook.$1.url = https://localhost:$2/hook" "webhook.$1.secret_file = $H/bench.secret" \
		"webhook.$1.ca_file = $H/ca.pem" "webhook.$1.timeout = ${3:-30}" "webhook.$1.backoff_max = 2"
}
ms() { date +%s%3N; }
# queue_times: RUNS `queue` commands, "median MS, slowest MS".
queue_times() {
	local t0 i
	for i in $(seq "$RUNS"); do
		t0=$(ms)
		as alice queue >/dev/null || fail "queue failed"
		echo $(($(ms) - t0))
	done | sort -n | awk '{ a[NR] = $1 } END { printf "median %d ms, slowest %d ms", a[int((NR + 1) / 2)], a[NR] }'
}

P=$(free_port) || fail "no port"
receiver desk ok "$P"
mapfile -t lines < <(conf desk "$P")
start_relay "${lines[@]}"
T=$(as alice ticket new "bench") || fail "ticket new failed"
wait_for 20 grep -q "ticket=$T kind=opened-as" "$H/desk/log" || fail "nothing delivered"
# The backlog builds while the receiver answers 500; then it answers, and the outbox drains.
echo 500 >"$H/desk.mode"
for i in $(seq "$EVENTS"); do
	as alice chat "$T" "line $i" || fail "chat failed"
done
echo ok >"$H/desk.mode"
start=$(ms)
"$BIN/handoff-relay" webhooks "$RELAY_DIR" retry desk >/dev/null || fail "retry failed"
wait_for 120 sh -c "[ \$(grep -c 'ticket=$T kind=chat' '$H/desk/log') -ge $EVENTS ]" || fail "not all delivered"
done_at=$(ms)
echo "backlog: $EVENTS events of one ticket (each waits for the one before) delivered in $((done_at - start)) ms" \
	"after webhooks retry: $((EVENTS * 1000 / (done_at - start))) events/s, one HTTPS POST at a time"
alone=$(queue_times)
stop_relay

P1=$(free_port) && P2=$(free_port) && P3=$(free_port) || fail "no port"
receiver stall1 stall "$P1"
receiver stall2 stall "$P2"
receiver broken 500 "$P3"
{ conf stall1 "$P1" 10; conf stall2 "$P2" 10; conf broken "$P3"; } >>"$RELAY_DIR/relay.conf"
restart_relay
for i in $(seq 20); do
	as alice chat "$T" "backlog $i" || fail "chat failed"
done
wait_line 20 "$H/broken/log" "^refused-500" || fail "the broken receiver was not tried"
slowed=$(queue_times)
sqlite3 "$RELAY_DIR/handoff.db" "SELECT receiver, count(*) FROM webhook_outbox GROUP BY receiver" | tr '\n' ' ' >"$E2E_TMP/pending"
echo "queue, healthy receiver only: $alone"
echo "queue, plus 2 stalling (10 s timeout) and 1 answering 500, with backlogs ($(cat "$E2E_TMP/pending")): $slowed"
stop_relay
