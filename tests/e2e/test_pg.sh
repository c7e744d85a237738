# The relay on PostgreSQL (store = postgresql://... in relay.conf), with a
# real server of the test's own (start_postgres): a short story (ticket,
# code, the customer's helper connects, view with consent, chat both ways,
# escalation, resolution), the relay's verify, an export verified offline
# with handoff-tech verify, the record unchanged across a restart, the
# database stopped and started under the live relay. Then a
# second relay on the same database with its own audit key, both appending
# 500 chat lines each at once: one chain, contiguous, both keys registered
# in it and both signing checkpoints; verify passes on the first relay (the
# second finds the chain whole and the first one's recording not on its
# disk); an export whose head the other relay signed verifies offline with
# both relays' keys and not with the exporter's alone; a checkpoint forged
# into the database under a key no relay registered fails verify, named;
# relay b's key retired by a record, and relay b refuses to start with it.
. "$(dirname "$0")/lib.sh"

start_postgres
start_xvfb 320 240
draw_pattern
# A receiver for a kind this story never records: nothing is sent, but serve registers it in the store.
start_relay "store = $PG_URL" "webhook_url = https://127.0.0.1:9/hook" "webhook_events = kb-added" \
	"webhook_secret = 0123456789abcdef0123456789abcdef"
add_user bob tech L2
add_user audrey auditor
grep -q "store: postgresql" "$RELAY_LOG" || fail "the relay does not say it runs on PostgreSQL: $(head -5 "$RELAY_LOG")"
[ "$(db_query "SELECT version FROM store_schema")" = 21 ] || fail "the schema is not at migration 21 (the last)"
[ "$(db_query "SELECT count(*) FROM relay_keys r JOIN events e ON e.id = r.seq AND e.kind = 'relay-key-added'")" = 1 ] ||
	fail "the relay's audit key is not registered by a record: $(db_query "SELECT name, seq FROM relay_keys")"
# The operator's webhooks command reads the same database as serve (it read handoff.db, always).
"$BIN/handoff-relay" webhooks "$RELAY_DIR" status >"$E2E_TMP/hooks.out" 2>&1 || fail "webhooks status: $(cat "$E2E_TMP/hooks.out")"
grep -q "^default: https://127.0.0.1:9/hook" "$E2E_TMP/hooks.out" ||
	fail "webhooks status does not read the relay's PostgreSQL store: $(cat "$E2E_TMP/hooks.out")"
# Nothing went to the home's SQLite file, which init made (and serve never opened).
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM users")" = 0 ] || fail "users went to handoff.db"
grep -q "$PG_URL" "$RELAY_LOG" "$RELAY_DIR.out" && fail "the relay logged the store's URL"

T=$(as alice ticket new --priority P3 --customer "Jane Roe" "Printer shows error 0x12") || fail "ticket new failed"
CODE=$(as alice invite "$T") || fail "invite failed"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $T\." || fail "helper did not connect"
start_viewer_as alice "$T" alice-view
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt for alice"
echo y >&7
viewer_cmd 20 "wait-frame"
as alice chat "$T" "こんにちは、ヘルプデスクのアリスです" || fail "chat failed"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): こんにちは、ヘルプデスクのアリスです" || fail "the customer did not see the chat"
echo "It says error 0x12 since this morning" >&7
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c \"SELECT count(*) FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'\")\" = 1 ]" ||
	fail "the customer's chat line was not recorded"
as alice note "$T" "Cable and power checked" || fail "note failed"
as alice escalate "$T" --to L2 --note "Reinstalled the driver; error 0x12 persists" >/dev/null || fail "escalate failed"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "alice's view did not end at the escalation"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log consent prompt"
echo n >&7
wait_events 10 "$T" logs-refused 1 || fail "the refusal was not recorded"
as bob take "$T" >/dev/null || fail "bob could not take the ticket"
as bob resolve "$T" --note "Driver patched" | grep -q resolved || fail "resolve failed"
wait_line 10 "$HELPER_OUT" "^SESSION ENDED" || fail "the customer was not told"
for kind in created code-issued customer-connected consent-granted chat note escalated attachment-added taken resolved; do
	[ "$(event_count "$T" "$kind")" -ge 1 ] || fail "no $kind event"
done
note "story on PostgreSQL: $(db_query "SELECT count(*) FROM events WHERE ticket_id=$T") events, $(db_query "SELECT count(*) FROM attachments WHERE ticket_id=$T") attachments"

tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify failed: $(cat "$E2E_TMP/chain.out")"
grep -q "^chain ok: [0-9]* records" "$E2E_TMP/chain.out" || fail "unexpected chain output: $(cat "$E2E_TMP/chain.out")"
as audrey export "$T" >"$E2E_TMP/story.hexp" || fail "export failed"
"$BIN/handoff-tech" verify "$E2E_TMP/story.hexp" --audit-key "$RELAY_DIR/keys/audit_ed25519.pub" >"$E2E_TMP/verify.out" 2>&1 ||
	fail "the export does not verify offline: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok: ticket $T, " "$E2E_TMP/verify.out" || fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
note "relay: $(head -1 "$E2E_TMP/chain.out"); offline: $(head -1 "$E2E_TMP/verify.out")"
# The triggers hold in PostgreSQL too.
psql -XAtq -d "$PG_URL" -c "UPDATE events SET detail = 'forged' WHERE ticket_id = $T" 2>"$E2E_TMP/psql.err" &&
	fail "an event could be changed"
grep -q "append-only" "$E2E_TMP/psql.err" || fail "unexpected refusal: $(cat "$E2E_TMP/psql.err")"

as audrey ticket show "$T" --json >"$E2E_TMP/before.json"
stop_relay
restart_relay
as audrey ticket show "$T" --json >"$E2E_TMP/after.json"
cmp -s "$E2E_TMP/before.json" "$E2E_TMP/after.json" || fail "the record changed across a restart"
note "the record is the same after a restart"

# The database stops under the live relay: commands fail with a database error, the relay
# stays up; the database starts again and the next command works, the chain whole.
T4=$(as alice ticket new "A code across the outage") || fail "ticket new failed"
CODE4=$(as alice invite "$T4") || fail "invite failed"
postgres_down
# A customer's code meets the stopped database: not tried, and the customer is told so.
try_helper down-helper "$CODE4"
[ "$HELPER_RC" != 0 ] || fail "the helper signed in with the database down"
grep -q "cannot check support codes just now" "$E2E_TMP/down-helper.err" ||
	fail "the customer was not told the codes cannot be checked: $(cat "$E2E_TMP/down-helper.err")"
rc=0
as alice ticket new "While the database is down" >"$E2E_TMP/down.out" 2>"$E2E_TMP/down.err" || rc=$?
[ "$rc" != 0 ] || fail "a ticket was opened with the database down"
kill -0 "$RELAY_PID" 2>/dev/null || fail "the relay died with the database: $(tail -5 "$RELAY_LOG")"
grep -q "the store could not be read" "$RELAY_LOG" || fail "the relay did not say its store failed: $(tail -3 "$RELAY_LOG")"
# The technician reads that the relay could not look the key up, not that it is unregistered.
grep -q "the relay could not check the key .*: the relay cannot read its database just now" "$E2E_TMP/down.err" ||
	fail "the technician was not told the database is down: $(cat "$E2E_TMP/down.err")"
grep -q "not registered" "$E2E_TMP/down.err" && fail "the technician was told the key is not registered"
postgres_up
[ "$(db_query "SELECT failures || ' ' || (used_at IS NULL) FROM codes WHERE ticket_id=$T4")" = "0 true" ] ||
	fail "the code tried while the database was down was counted or spent: $(db_query "SELECT failures, used_at FROM codes WHERE ticket_id=$T4")"
T3=$(as alice ticket new "After the database came back") || fail "no ticket after the database came back: $(tail -3 "$RELAY_LOG")"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify after the database came back failed: $(cat "$E2E_TMP/chain.out")"
note "database stopped under the relay: '$(head -1 "$E2E_TMP/down.err")'; back: ticket $T3, $(head -1 "$E2E_TMP/chain.out")"

# A second relay on the same database, with its own audit key; both append at once.
# Its users are the first one's (the store's): only the home is made, none added.
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG
new_relay_home relay-b "store = $PG_URL"
# The relays of one store check support codes and intake tokens alike: code.key is relay a's (test_failover).
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_DIR=$RELAY_DIR
A_KEY=$A_DIR/keys/audit_ed25519.pub B_KEY=$B_DIR/keys/audit_ed25519.pub
cmp -s "$A_KEY" "$B_KEY" && fail "relay b has relay a's audit key"
[ "$(db_query "SELECT count(*) FROM relay_keys r JOIN events e ON e.id = r.seq AND e.kind = 'relay-key-added'")" = 2 ] ||
	fail "not two registered keys: $(db_query "SELECT name, seq FROM relay_keys")"
T2=$(as alice ticket new "Many lines") || fail "ticket new on relay b failed"
base=$(db_query "SELECT max(id) FROM events")
seq 1 500 | sed 's/^/line from a /' >"$E2E_TMP/a.lines"
seq 1 500 | sed 's/^/line from b /' >"$E2E_TMP/b.lines"
"$BIN/handoff-tech" --relay "$RELAY_HOST:$A_PORT" --identity "$E2E_TMP/alice" --host-key "$A_FP" chat "$T2" \
	<"$E2E_TMP/a.lines" >"$E2E_TMP/a.out" 2>&1 &
a_chat=$!
track $a_chat
"$BIN/handoff-tech" --relay "$RELAY_HOST:$B_PORT" --identity "$E2E_TMP/alice" --host-key "$B_FP" chat "$T2" \
	<"$E2E_TMP/b.lines" >"$E2E_TMP/b.out" 2>&1 &
b_chat=$!
track $b_chat
wait_for 120 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c \"SELECT count(*) FROM events WHERE ticket_id=$T2 AND kind='chat'\")\" = 1000 ]" ||
	fail "not 1000 chat lines: $(event_count "$T2" chat)"
kill "$a_chat" "$b_chat" 2>/dev/null
# Contiguous: every seq from 1 to the head once, each linked to the one before (verify checks the hashes).
[ "$(db_query "SELECT count(*) = max(id) AND min(id) = 1 FROM events")" = t ] || fail "the chain has a gap"
[ "$(db_query "SELECT count(*) FROM events e JOIN events p ON p.id = e.id - 1 WHERE e.prev_hash <> p.hash")" = 0 ] ||
	fail "a link does not follow the one before"
mixed=$(db_query "SELECT count(*) FROM events e JOIN events p ON p.id = e.id - 1 WHERE e.ticket_id = $T2 AND p.ticket_id = $T2 AND e.actor = p.actor AND e.detail LIKE 'line from a%' <> (p.detail LIKE 'line from a%')")
note "1000 chat lines from two relays at once after seq $base; $mixed places where the two relays' lines alternate"
# Both sign checkpoints of the one chain; one that the other signed first is not an error.
grep -h "checkpoint" "$A_LOG" "$RELAY_LOG" | grep -qi "cannot" && fail "a relay could not store a checkpoint: $(grep -h checkpoint "$A_LOG" "$RELAY_LOG")"
# Each relay signs a checkpoint of its own: a record through it, then an export on it.
RELAY_PORT=$A_PORT RELAY_FP=$A_FP
as alice note "$T2" "through relay a" || fail "note on relay a failed"
as audrey export "$T2" >"$E2E_TMP/a.hexp" || fail "export on relay a failed"
"$BIN/handoff-tech" verify "$E2E_TMP/a.hexp" --audit-key "$A_KEY" >"$E2E_TMP/verify-a.out" 2>&1 ||
	fail "relay a's export does not verify offline: $(cat "$E2E_TMP/verify-a.out")"
# Nothing written since: relay b's export ends on relay a's checkpoint and names its key.
a_hex=$(sed -n 's/^handoff-audit-ed25519 //p' "$A_KEY")
[ "$(db_query "SELECT encode(signer, 'hex') FROM checkpoints ORDER BY seq DESC LIMIT 1")" = "$a_hex" ] ||
	fail "the last checkpoint is not relay a's"
RELAY_PORT=$B_PORT RELAY_FP=$B_FP
as audrey export "$T2" >"$E2E_TMP/b1.hexp" || fail "export on relay b failed"
"$BIN/handoff-tech" verify "$E2E_TMP/b1.hexp" --audit-key "$A_KEY" --audit-key "$B_KEY" >"$E2E_TMP/verify-b1.out" 2>&1 ||
	fail "relay b's export does not verify offline with both keys: $(cat "$E2E_TMP/verify-b1.out")"
grep -q "^that checkpoint signed by another relay's key SHA256:" "$E2E_TMP/verify-b1.out" ||
	fail "the verifier does not say relay a signed the head: $(cat "$E2E_TMP/verify-b1.out")"
rc=0
"$BIN/handoff-tech" verify "$E2E_TMP/b1.hexp" --audit-key "$B_KEY" >"$E2E_TMP/verify-b1only.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^export verification FAILED: the signed head is signed by key SHA256:.*, which is not among the keys given" \
	"$E2E_TMP/verify-b1only.out" || fail "relay b's key alone: rc $rc, $(cat "$E2E_TMP/verify-b1only.out")"
note "export on relay b, head signed by relay a: $(sed -n 2,3p "$E2E_TMP/verify-b1.out" | tr '\n' ' ')"
as alice note "$T2" "through relay b" || fail "note on relay b failed"
as audrey export "$T2" >"$E2E_TMP/b2.hexp" || fail "export on relay b failed"
"$BIN/handoff-tech" verify "$E2E_TMP/b2.hexp" --audit-key "$B_KEY" >"$E2E_TMP/verify-b2.out" 2>&1 ||
	fail "relay b's own export does not verify offline: $(cat "$E2E_TMP/verify-b2.out")"
[ "$(db_query "SELECT count(DISTINCT signer) FROM checkpoints WHERE signer IS NOT NULL")" = 2 ] ||
	fail "not both relays signed checkpoints: $(db_query "SELECT seq, encode(signer, 'hex') FROM checkpoints")"
note "checkpoints: $(db_query "SELECT count(*) FROM checkpoints WHERE signer = decode('$a_hex', 'hex')") by relay a, $(db_query "SELECT count(*) FROM checkpoints WHERE signer <> decode('$a_hex', 'hex')") by relay b"
RELAY_PORT=$A_PORT RELAY_FP=$A_FP
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify on relay a failed: $(cat "$E2E_TMP/chain.out")"
grep -q "^chain ok: " "$E2E_TMP/chain.out" || fail "unexpected chain output: $(cat "$E2E_TMP/chain.out")"
note "verify on relay a: $(head -1 "$E2E_TMP/chain.out")"
# Relay b walks the same chain and finds it whole; what it lacks is relay a's recording, which
# stays on the relay that made it (verify reads its own disk; exports fetch it: test_export_relays.sh).
RELAY_PORT=$B_PORT RELAY_FP=$B_FP
rc=0
tech_ssh audrey verify >"$E2E_TMP/chain-b.out" || rc=$?
[ "$rc" = 1 ] && grep -q "^chain verification FAILED: ticket $T: recording recordings/$T/.* is missing" "$E2E_TMP/chain-b.out" ||
	fail "relay b's verify: rc $rc, $(cat "$E2E_TMP/chain-b.out")"
# A checkpoint forged into the database (the triggers allow inserts) under a key no relay registered.
note "forge a checkpoint under a key no relay registered"
ids=$(db_query "SELECT e.id FROM events e LEFT JOIN checkpoints c ON c.seq = e.id WHERE c.seq IS NULL ORDER BY e.id LIMIT 1")
[ -n "$ids" ] || fail "no record without a checkpoint to forge one at"
psql -XAtq -d "$PG_URL" -c "INSERT INTO checkpoints (seq, hash, at, signature, signer) SELECT id, hash, at, decode(repeat('00', 64), 'hex'), decode(repeat('ab', 32), 'hex') FROM events WHERE id = $ids" >/dev/null ||
	fail "could not insert the forged checkpoint"
for port in "$A_PORT" "$B_PORT"; do
	RELAY_PORT=$port
	[ "$port" = "$A_PORT" ] && RELAY_FP=$A_FP || RELAY_FP=$B_FP
	rc=0
	tech_ssh audrey verify >"$E2E_TMP/chain-forged.out" || rc=$?
	[ "$rc" = 1 ] && grep -q "^chain verification FAILED: checkpoint at seq $ids: signed by key SHA256:[A-Za-z0-9+/]*, which no relay registered" \
		"$E2E_TMP/chain-forged.out" || fail "verify with a forged checkpoint: rc $rc, $(cat "$E2E_TMP/chain-forged.out")"
done
note "forged: $(head -1 "$E2E_TMP/chain-forged.out")"
stop_relay
RELAY_PID=$A_PID RELAY_LOG=$A_LOG
stop_relay

# Relay b retired for good, from relay a's home: a record says so, and b no longer starts with its key.
"$BIN/handoff-relay" audit-key "$A_DIR" retire "$B_KEY" >"$E2E_TMP/retire.out" 2>&1 ||
	fail "audit-key retire failed: $(cat "$E2E_TMP/retire.out")"
grep -q "^audit key SHA256:.* retired at seq [0-9]*$" "$E2E_TMP/retire.out" || fail "unexpected retire output: $(cat "$E2E_TMP/retire.out")"
[ "$(db_query "SELECT count(*) FROM relay_keys r JOIN events e ON e.id = r.retired_seq AND e.kind = 'relay-key-retired'")" = 1 ] ||
	fail "the retirement is not a record"
rc=0
timeout 60 "$BIN/handoff-relay" serve "$B_DIR" >"$E2E_TMP/b-retired.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q "was retired at seq" "$E2E_TMP/b-retired.out" ||
	fail "relay b started with a retired key: rc $rc, $(tail -3 "$E2E_TMP/b-retired.out")"
note "retired: $(cat "$E2E_TMP/retire.out"); relay b then: $(grep -o "the audit key.*" "$E2E_TMP/b-retired.out" | head -1)"
