#!/bin/bash
# A ticket's export before and after a flood of other tickets' records
# (issue 14, item 4): ticket T gets a few records and is exported; another
# ticket's customer sends BENCH_OTHER (10000) chat lines, every one recorded
# (tests/tools/fakehelper, FAKEHELPER_FLOOD); T is exported again. Prints
# both sizes, the export's version and the verify time. A version 1 relay
# (HOEXP001) grew by a stub of 85 bytes per record of the relay; version 2
# by a proof hash per doubling of the number of tickets.
#
#   bash bench/export_size.sh [BIN-DIR TOOLS-DIR]   (default: this tree's build; not part of make check)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 2 ]; then
	export BIN=$1 TOOLS=$2
else
	make -C "$ROOT" -s all tests-build >/dev/null || exit 1
	export BIN="$ROOT/build/bin" TOOLS="$ROOT/build/tests"
fi
. "$ROOT/tests/e2e/lib.sh"

OTHER=${BENCH_OTHER:-10000}
start_relay "customer_events_per_minute = 100000"
add_user audrey auditor
PUB="$RELAY_DIR/keys/audit_ed25519.pub"
T=$(as alice ticket new "Measured ticket") || fail "ticket new failed"
for i in 1 2 3 4; do as alice note "$T" "Step $i" || fail "note failed"; done
tech_ssh audrey export "$T" >"$E2E_TMP/before.hexp" || fail "export failed"
new_ticket_code "Flooding customer"
FAKEHELPER_FLOOD=$OTHER "$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" 9 >"$E2E_TMP/fake.out" 2>&1 &
FAKE=$!
track $FAKE
wait_line 600 "$E2E_TMP/fake.out" "^flooded $OTHER" || fail "the flood did not go out"
wait_events 600 "$TICKET" chat "$OTHER" || fail "the flood was not recorded: $(event_count "$TICKET" chat)"
kill "$FAKE"
tech_ssh audrey export "$T" >"$E2E_TMP/after.hexp" || fail "export failed"
start=$(( ${EPOCHREALTIME/./} / 1000 ))
"$BIN/handoff-tech" verify "$E2E_TMP/after.hexp" --audit-key "$PUB" >"$E2E_TMP/verify.out" || fail "verify failed: $(cat "$E2E_TMP/verify.out")"
took=$(( ${EPOCHREALTIME/./} / 1000 - start ))
records=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events")
echo "export of ticket $T ($(head -c 8 "$E2E_TMP/after.hexp")): $(stat -c %s "$E2E_TMP/before.hexp") bytes before," \
	"$(stat -c %s "$E2E_TMP/after.hexp") bytes after $OTHER chat lines of another ticket ($records records in all); verified in $took ms"
echo "  $(head -1 "$E2E_TMP/verify.out")"
stop_relay
