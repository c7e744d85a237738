# Issue 14, item 4 (second half): a ticket's export is bounded by the
# ticket, not by the relay's history. Ticket T is exported, then another
# ticket's customer floods the relay (tests/tools/fakehelper,
# FAKEHELPER_FLOOD; its budget set high enough to record every line) and
# more tickets are opened; T's export grows by a few proof hashes at most
# (version 1 grew by a stub of 85 bytes per record of every other ticket).
# It still verifies offline, as does the relay's own chain; and a tampered
# export fails with the place named: a record of T removed, T's last record
# dropped, a hash of the inclusion proof changed, another ticket's record
# passed off as T's (as it is, and renumbered).
. "$(dirname "$0")/lib.sh"

FLOOD=${EXPORT_BOUND_FLOOD:-3000}
start_relay "customer_events_per_minute = 100000" "intake_events_per_minute = 1000000"
add_user audrey auditor
PUB="$RELAY_DIR/keys/audit_ed25519.pub"
KEY="$RELAY_DIR/keys/audit_ed25519"
DB="$RELAY_DIR/handoff.db"

verify_offline() { # FILE: handoff-tech verify with the relay's key; output in $E2E_TMP/verify.out
	VERIFY_RC=0
	"$BIN/handoff-tech" verify "$1" --audit-key "$PUB" >"$E2E_TMP/verify.out" 2>&1 || VERIFY_RC=$?
}

# Ticket T: a few records of its own.
T=$(as alice ticket new "Bounded: the printer queue stalls") || fail "ticket new failed"
for i in 1 2 3 4; do as alice note "$T" "Step $i: queue restarted" || fail "note $i failed"; done
tech_ssh audrey export "$T" >"$E2E_TMP/before.hexp" || fail "export failed"
verify_offline "$E2E_TMP/before.hexp"
[ "$VERIFY_RC" = 0 ] || fail "the export does not verify: $(cat "$E2E_TMP/verify.out")"
head -c 8 "$E2E_TMP/before.hexp" | grep -q "^HOEXP002$" || fail "the relay did not write a version 2 export"
grep -q "^complete: the ticket's own chain ends in the head the relay signed at that checkpoint" "$E2E_TMP/verify.out" ||
	fail "verify does not say the record is complete: $(cat "$E2E_TMP/verify.out")"
before=$(stat -c %s "$E2E_TMP/before.hexp")
own_before=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE ticket_id=$T")
records_before=$(sqlite3 "$DB" "SELECT count(*) FROM events")

# The flood: another ticket's customer, every line recorded; and more tickets (more leaves in the tree).
new_ticket_code "Flooding customer"
O=$TICKET
FAKEHELPER_FLOOD=$FLOOD "$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" 9 >"$E2E_TMP/fake.out" 2>&1 &
FAKE=$!
track $FAKE
for i in $(seq 1 20); do tech_ssh alice ticket new "Other $i" >/dev/null || fail "ticket new $i failed"; done
wait_line 120 "$E2E_TMP/fake.out" "^flooded $FLOOD" || fail "the flood did not go out: $(cat "$E2E_TMP/fake.out")"
wait_events 120 "$O" chat "$FLOOD" || fail "the flood was not recorded: $(event_count "$O" chat) of $FLOOD chat lines"
kill "$FAKE"
wait "$FAKE" 2>/dev/null
records_after=$(sqlite3 "$DB" "SELECT count(*) FROM events")
other=$((records_after - records_before))
[ "$other" -ge "$FLOOD" ] || fail "only $other records were added"

# T's export again: its own records (the export before added one: the export event) and a longer proof.
tech_ssh audrey export "$T" >"$E2E_TMP/after.hexp" || fail "export after the flood failed"
verify_offline "$E2E_TMP/after.hexp"
[ "$VERIFY_RC" = 0 ] || fail "the export after the flood does not verify: $(cat "$E2E_TMP/verify.out")"
after=$(stat -c %s "$E2E_TMP/after.hexp")
own_after=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE ticket_id=$T")
# The ticket's own growth: its new records as the export carries them (a LINK item is 93 bytes and
# its strings), plus at most 6 more proof hashes (up to 64 times the tickets).
own_bytes=$(sqlite3 "$DB" "SELECT COALESCE(SUM(93 + length(CAST(kind AS BLOB)) + length(CAST(COALESCE(actor,'') AS BLOB))
	+ length(CAST(role AS BLOB)) + length(CAST(clearance AS BLOB)) + length(CAST(COALESCE(detail,'') AS BLOB))), 0)
	FROM (SELECT * FROM events WHERE ticket_id=$T ORDER BY id DESC LIMIT $((own_after - own_before)))")
bound=$((before + own_bytes + 6 * 32))
[ "$after" -le "$bound" ] ||
	fail "ticket $T's export grew from $before to $after bytes with $other records of other tickets (bound $bound)"
[ "$after" -lt $((other * 85 / 10)) ] || fail "the export ($after bytes) is not far below a stub per record ($((other * 85)))"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "the relay's chain does not verify: $(cat "$E2E_TMP/chain.out")"
note "ticket $T: export $before bytes before, $after after $other records of other tickets (version 1: +$((other * 85)) bytes); relay: $(head -1 "$E2E_TMP/chain.out")"

# An export of the flooded ticket, to take a record from.
tech_ssh audrey export "$O" >"$E2E_TMP/other.hexp" || fail "export of ticket $O failed"

# Tampered copies, each END re-signed with the relay's own key (the worst case), verified offline.
mkdir "$E2E_TMP/tampered"
HANDOFF_EXPORT_FILE="$E2E_TMP/after.hexp" HANDOFF_AUDIT_PUB="$PUB" HANDOFF_AUDIT_KEY="$KEY" \
	HANDOFF_EXPORT_OTHER="$E2E_TMP/other.hexp" HANDOFF_EXPORT_TAMPER_DIR="$E2E_TMP/tampered" \
	"$TOOLS/test_export" >"$E2E_TMP/tamper.out" 2>&1 || fail "tampering with the export: $(tail -20 "$E2E_TMP/tamper.out")"
tampered() { # NAME PATTERN: handoff-tech verify refuses the copy NAME, saying PATTERN
	verify_offline "$E2E_TMP/tampered/$1.hexp"
	[ "$VERIFY_RC" = 1 ] && grep -q "^export verification FAILED: $2" "$E2E_TMP/verify.out" ||
		fail "tampered copy $1 (rc $VERIFY_RC): $(cat "$E2E_TMP/verify.out")"
}
tampered delete-record "record [0-9]*: it does not follow record [0-9]* in ticket $T's chain (a record of the ticket between them was left out"
tampered drop-last-record "ticket $T's records end at seq [0-9]* in the export, but the relay signed seq [0-9]* as its last (checkpoint at seq [0-9]*): records at the end were cut off"
tampered change-proof-hash "checkpoint at seq [0-9]*: the proof that ticket $T's record ends at seq [0-9]* does not lead to the signed tickets root"
tampered other-ticket-record "record [0-9]*: the full content of ticket $O, which is not the ticket exported"
tampered other-ticket-record-renumbered "record [0-9]*: its content names ticket $O, its link ticket $T"
note "tampered copies refused by handoff-tech verify: $(ls "$E2E_TMP/tampered" | wc -l), each naming the place"
stop_relay
echo "test_export_bound: ok"
