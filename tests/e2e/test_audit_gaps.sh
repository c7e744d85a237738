# What the chain alone did not cover (issue 14, item 6), with a real relay:
# the tickets table checked against the events (owner_id and tier changed
# in the database are named by relay verify), the signed head kept in the
# relay home (events and checkpoints deleted after a checkpoint, triggers
# dropped first, are named by relay verify, and by the relay at its next
# start), and an auditor's witness (handoff-tech witness) that names the
# truncation even once audit-head too is rewritten to match the cut chain.
# Attachments and recordings changed or deleted are in test_audit.sh.
. "$(dirname "$0")/lib.sh"

start_relay
add_user bob tech L2
add_user audrey auditor
PUB="$RELAY_DIR/keys/audit_ed25519.pub"
DB="$RELAY_DIR/handoff.db"
W="$E2E_TMP/witness"

relay_verify_fails() { # PATTERN: `verify` over ssh fails and names it
	rc=0
	tech_ssh audrey verify >"$E2E_TMP/chain.out" || rc=$?
	[ "$rc" = 1 ] && grep -q "^chain verification FAILED: $1" "$E2E_TMP/chain.out" ||
		fail "relay verify did not say '$1' (rc $rc): $(cat "$E2E_TMP/chain.out")"
}
witness() { # EVIDENCE...: handoff-tech witness with the relay's key; output in $E2E_TMP/witness.out
	WITNESS_RC=0
	"$BIN/handoff-tech" witness --audit-key "$PUB" --dir "$W" "$@" >"$E2E_TMP/witness.out" 2>&1 || WITNESS_RC=$?
}

# Tickets whose rows the chain accounts for: opened (tier, priority, owner), escalated, taken, resolved.
A=$(as alice ticket new --priority P2 "Mail does not sync") || fail "ticket new failed"
B=$(as alice ticket new "VPN drops") || fail "ticket new failed"
as alice escalate "$B" --to L2 --note "Needs the VPN team" >/dev/null || fail "escalate failed"
as bob take "$B" >/dev/null || fail "take failed"
C=$(as alice ticket new "Printer offline") || fail "ticket new failed"
as alice resolve "$C" --note "Power cable" >/dev/null || fail "resolve failed"
sqlite3 "$DB" "SELECT detail FROM events WHERE ticket_id=$A AND kind='opened-as'" |
	grep -qx "tier L1, priority P2, owner alice: Mail does not sync" || fail "no opened-as record for $A"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify failed: $(cat "$E2E_TMP/chain.out")"
grep -q "^files ok: [0-9]* attachments and 0 recordings match their records; 3 tickets match their events$" "$E2E_TMP/chain.out" ||
	fail "verify did not check the tickets: $(cat "$E2E_TMP/chain.out")"

# The tickets table changed behind the relay's back: each column is named.
bob_id=$(sqlite3 "$DB" "SELECT id FROM users WHERE name='bob'")
sqlite3 "$DB" "UPDATE tickets SET owner_id=$bob_id WHERE id=$A" || fail "cannot change owner_id"
relay_verify_fails "ticket $A: the table says owner bob, the chain says alice$"
sqlite3 "$DB" "UPDATE tickets SET owner_id=(SELECT id FROM users WHERE name='alice'), tier='L3', state='open' WHERE id=$A; UPDATE tickets SET state='open' WHERE id=$C"
relay_verify_fails "ticket $A: the table says tier L3, the chain says L1$"
grep -q "^chain verification FAILED: ticket $C: the table says state open, the chain says resolved$" "$E2E_TMP/chain.out" ||
	fail "the reopened ticket $C is not named: $(cat "$E2E_TMP/chain.out")"
sqlite3 "$DB" "UPDATE tickets SET tier='L1' WHERE id=$A; UPDATE tickets SET state='resolved' WHERE id=$C; UPDATE tickets SET summary='Nothing' WHERE id=$B"
relay_verify_fails "ticket $B: the table says summary"
sqlite3 "$DB" "UPDATE tickets SET summary='VPN drops' WHERE id=$B"
# An attachment put into the table without a record: technicians would read it as part of the case.
sqlite3 "$DB" "INSERT INTO attachments (ticket_id, at, kind, name, author, clearance, sha256, size, content)
	VALUES ($A, 0, 'note', 'forged.txt', 'alice', '', '', 6, CAST('forged' AS BLOB))" || fail "cannot add an attachment"
forged=$(sqlite3 "$DB" "SELECT max(id) FROM attachments")
relay_verify_fails "ticket $A: attachment #$forged is in no record (added outside the relay)$"
sqlite3 "$DB" "DELETE FROM attachments WHERE id=$forged"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify fails after the rows were restored: $(cat "$E2E_TMP/chain.out")"
note "tickets table against the chain: owner_id, tier, state and summary changed and an attachment added in the database, each named by relay verify"

# A checkpoint, kept by the auditor's witness from the relay's verify --json and from an export.
tech_ssh audrey export "$A" >"$E2E_TMP/a1.hexp" || fail "export failed"
"$BIN/handoff-tech" verify "$E2E_TMP/a1.hexp" --audit-key "$PUB" >"$E2E_TMP/verify.out" || fail "export does not verify"
grep -q "^signed head: seq [0-9]* hash [0-9a-f]\{64\} at [0-9]* sig [0-9a-f]\{128\}$" "$E2E_TMP/verify.out" ||
	fail "handoff-tech verify prints no signed head: $(cat "$E2E_TMP/verify.out")"
tech_ssh audrey verify --json >"$E2E_TMP/v1.json" || fail "verify --json failed"
grep -q '"head":{"seq":[0-9]*,"hash":"[0-9a-f]\{64\}","at":[0-9]*,"sig":"[0-9a-f]\{128\}"},"heads":\[' "$E2E_TMP/v1.json" ||
	fail "verify --json prints no signed head: $(cat "$E2E_TMP/v1.json")"
witness "$E2E_TMP/a1.hexp" "$E2E_TMP/v1.json"
[ "$WITNESS_RC" = 0 ] && [ "$(grep -c "^witness ok: " "$E2E_TMP/witness.out")" = 2 ] ||
	fail "the witness refused honest evidence (rc $WITNESS_RC): $(cat "$E2E_TMP/witness.out")"
[ "$(stat -c %a "$W")" = 700 ] && [ "$(stat -c %a "$W"/*.heads)" = 600 ] || fail "the witness's files are not private: $(ls -la "$W")"
cut1=$(sed -n 's/.*"head":{"seq":\([0-9]*\),.*/\1/p' "$E2E_TMP/v1.json")
[ "$(cut -d' ' -f2 "$RELAY_DIR/audit-head")" = "$cut1" ] || fail "audit-head is not the last checkpoint: $(cat "$RELAY_DIR/audit-head")"
[ "$(stat -c %a "$RELAY_DIR/audit-head")" = 600 ] || fail "audit-head is not 0600"
cp -p "$RELAY_DIR/audit-head" "$E2E_TMP/head-at-cut"

# 80 more records, signed (an export signs a checkpoint), seen by the witness.
for i in $(seq 1 80); do as alice note "$A" "Step $i" </dev/null || fail "note $i failed"; done
tech_ssh audrey export "$A" >"$E2E_TMP/a2.hexp" || fail "export failed"
tech_ssh audrey verify --json >"$E2E_TMP/v2.json" || fail "verify --json failed"
witness "$E2E_TMP/v2.json"
[ "$WITNESS_RC" = 0 ] || fail "the witness refused the later verify: $(cat "$E2E_TMP/witness.out")"
head2=$(sed -n 's/.*"head":{"seq":\([0-9]*\),.*/\1/p' "$E2E_TMP/v2.json")
[ "$head2" -ge $((cut1 + 80)) ] || fail "the head did not move on ($cut1 -> $head2)"

# Everything after the first checkpoint deleted, triggers dropped first.
sqlite3 "$DB" "DROP TRIGGER events_append_only_delete; DROP TRIGGER checkpoints_append_only_delete;
	DELETE FROM events WHERE id > $cut1; DELETE FROM checkpoints WHERE seq > $cut1" || fail "cannot cut the chain"
relay_verify_fails "the chain ends at seq $cut1, but the relay signed seq $head2 (at [0-9]*; kept in audit-head): records were removed"
tech_ssh audrey verify --json >"$E2E_TMP/v3.json" || true
witness "$E2E_TMP/v3.json"
[ "$WITNESS_RC" = 1 ] && grep -q "^witness FAILED: .*v3.json: TRUNCATION: the relay signed seq $head2 (hash [0-9a-f]*..., at [0-9]*) and now ends at seq $cut1" "$E2E_TMP/witness.out" ||
	fail "the witness did not name the truncation (rc $WITNESS_RC): $(cat "$E2E_TMP/witness.out")"
note "cut after seq $cut1 ($((head2 - cut1)) records and their checkpoint deleted): relay verify names it from audit-head, the witness from its kept head"

# The relay home rewritten as a whole: audit-head put back to the cut. The relay cannot tell; the witness can.
stop_relay
cat "$E2E_TMP/head-at-cut" >"$RELAY_DIR/audit-head"
restart_relay
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify of the rewritten home failed: $(cat "$E2E_TMP/chain.out")"
tech_ssh audrey export "$A" >"$E2E_TMP/a3.hexp" || fail "export failed"
witness "$E2E_TMP/a3.hexp"
[ "$WITNESS_RC" = 1 ] && grep -q "^witness FAILED: .*a3.hexp: \(TRUNCATION\|FORK\): .*seq $head2" "$E2E_TMP/witness.out" ||
	fail "the witness accepted an export of the rewritten home (rc $WITNESS_RC): $(cat "$E2E_TMP/witness.out")"
note "home rewritten (audit-head too): relay verify says $(head -1 "$E2E_TMP/chain.out" | cut -d: -f1); the witness: $(grep -o 'TRUNCATION\|FORK' "$E2E_TMP/witness.out" | head -1)"

# A relay started on a database that lacks its kept head says so, keeps the file, and verify goes on failing.
stop_relay
cp -p "$E2E_TMP/v2.json" "$E2E_TMP/v2.saved"
sed -n 's/.*"head":{"seq":\([0-9]*\),"hash":"\([0-9a-f]*\)","at":\([0-9]*\),"sig":"\([0-9a-f]*\)"}.*/head \1 \2 \3 \4/p' \
	"$E2E_TMP/v2.json" >"$RELAY_DIR/audit-head"
restart_relay
grep -q "the audit chain does not contain the signed head in .*audit-head (seq $head2" "$RELAY_LOG" ||
	fail "the relay started without a word on the missing head: $(tail -5 "$RELAY_LOG")"
as alice note "$A" "after the restart" || fail "note failed"
tech_ssh audrey export "$A" >/dev/null || fail "export failed"
grep -q "^head $head2 " "$RELAY_DIR/audit-head" || fail "a new checkpoint replaced the evidence: $(cat "$RELAY_DIR/audit-head")"
relay_verify_fails "the chain does not contain the head the relay signed at seq $head2\|the chain ends at seq [0-9]*, but the relay signed seq $head2"
note "a relay started on the cut database logs it, keeps audit-head as evidence, and verify fails"
stop_relay
