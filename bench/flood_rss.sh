#!/bin/bash
# The relay's memory under the chat-follower attack of issue 14 (item 2):
# one technician asks for BENCH_FOLLOWERS (1000) `chat N` streams that never
# read, spread over BENCH_FLOOD_CONNS (40) connections of our own client
# (tests/tools/chanflood, libssh), then writes BENCH_CHAT_LINES (300) chat
# lines of 4000 characters through OpenSSH. Prints the relay's RSS before,
# during and after, and how many streams the caps let through, with the
# relay's defaults (max_channels_per_connection 32, max_channels_per_user 64).
# Before the caps: 1.05 GB RSS during, 615 MB retained after.
#
#   bash bench/flood_rss.sh [BUILD]      (default build; not part of make check)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
make -C "$ROOT" -s BUILD="$BUILD" all tests-build >/dev/null || exit 1
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests"
. "$ROOT/tests/e2e/lib.sh"

FOLLOWERS=${BENCH_FOLLOWERS:-1000}
CONNS=${BENCH_FLOOD_CONNS:-40}
LINES=${BENCH_CHAT_LINES:-300}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$RELAY_PID/status"; }

start_relay
new_ticket_code "flood_rss"
tech_ssh alice ticket take "$TICKET" >/dev/null 2>&1 || true
# The writer's chat stream opens first: the per-user cap would refuse it after the flood.
mkfifo "$E2E_TMP/writer.in"
tech_ssh alice chat "$TICKET" <"$E2E_TMP/writer.in" >/dev/null 2>"$E2E_TMP/writer.err" &
writer=$!
track $writer
exec {wfd}>"$E2E_TMP/writer.in"
wait_count 30 "$RELAY_LOG" "technician alice (L1) logged in" 4 || exit 1
sleep 0.5
rss0=$(rss)
per=$(( (FOLLOWERS + CONNS - 1) / CONNS ))
for i in $(seq 1 "$CONNS"); do
	mkfifo "$E2E_TMP/f$i.in"
	"$TOOLS/chanflood" 127.0.0.1 "$RELAY_PORT" "$E2E_TMP/alice" "$TICKET" "$per" \
		<"$E2E_TMP/f$i.in" >"$E2E_TMP/f$i.out" 2>&1 &
	track $!
	eval "exec {fd$i}>\"\$E2E_TMP/f$i.in\""
done
for i in $(seq 1 "$CONNS"); do
	wait_line 300 "$E2E_TMP/f$i.out" "^chanflood:" || echo "  connection $i: $(tail -1 "$E2E_TMP/f$i.out")"
done
following=$(cat "$E2E_TMP"/f*.out | sed -n 's/^chanflood: \([0-9]*\) following.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
rss1=$(rss)
for i in $(seq 1 "$LINES"); do printf 'line %04d %s\n' "$i" "$(head -c 3990 /dev/zero | tr '\0' x)"; done >"$E2E_TMP/lines"
cat "$E2E_TMP/lines" >&"$wfd"
kept() { [ "$(event_count "$TICKET" chat)" -ge "$LINES" ]; }
wait_for 300 kept || echo "  only $(event_count "$TICKET" chat) of $LINES lines kept"
sleep 2
rss2=$(rss)
closed=$(grep -c "is not being read; closed" "$RELAY_LOG")
exec {wfd}>&-
kill "$writer" 2>/dev/null
for i in $(seq 1 "$CONNS"); do eval "exec {fd$i}>&-"; done
wait_for 60 sh -c "[ \$(grep -c 'technician alice left' '$RELAY_LOG') -ge $((CONNS + 3)) ]"
sleep 2
rss3=$(rss)
echo "chat-follower flood: $FOLLOWERS asked for over $CONNS connections, $following following (caps 32/connection, 64/user)"
echo "  relay RSS: $((rss0 / 1024)) MB before; $((rss1 / 1024)) MB with the followers open;" \
	"$((rss2 / 1024)) MB after $LINES unread lines of 4 KB ($closed streams closed at their backlog);" \
	"$((rss3 / 1024)) MB after they all left"
stop_relay
