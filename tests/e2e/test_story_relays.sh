# test_story's L1 -> L2 -> L3 story across four relays on one PostgreSQL:
# the customer's helper on relay b, alice (L1) on a, bob (L2) on c, carol
# (L3) on d. Each tier's view is routed to b: consent asked by name by b's
# helper, the picture pixel for pixel, chat both ways. alice escalates on a
# with a note, the customer allows logs (collected by b); bob reads the
# packet (transcript, note, logs) on c, takes over the live session there,
# escalates on c (the customer refuses logs); carol takes, views and
# resolves on d: the helper is told. Events and attachment hashes checked
# from d; the recordings on b only; `verify` passes on b, and on a, c and d
# it names exactly b's recordings as missing (verify reads its own disk);
# the export on d carries them (fetched from b), verifies and replays.
. "$(dirname "$0")/lib.sh"

start_postgres
start_xvfb 320 240
draw_pattern
printf 'boot ok\nprinter: queue stalled\nprinter: error 0x12\n' >"$E2E_TMP/app.log"
RELAY_NAME=relay-a start_relay "store = $PG_URL"
add_user bob tech L2
add_user carol tech L3
add_user audrey auditor
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG

# relay_on NAME [LINE...]: another relay of the store, serving (code.key is relay a's: docs/operator.md).
relay_on() {
	new_relay_home "$@" "store = $PG_URL"
	echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
	cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
	restart_relay
}
# The customer's relay collects the logs, so the log sources are its own.
relay_on relay-b "log_sources = facts, file $E2E_TMP/app.log 2"
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG
relay_on relay-c
C_DIR=$RELAY_DIR C_PORT=$RELAY_PORT C_FP=$RELAY_FP C_PID=$RELAY_PID C_LOG=$RELAY_LOG
relay_on relay-d
D_DIR=$RELAY_DIR D_PORT=$RELAY_PORT D_FP=$RELAY_FP D_PID=$RELAY_PID D_LOG=$RELAY_LOG
at_a() { RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_DIR=$A_DIR RELAY_LOG=$A_LOG "$@"; }
at_b() { RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_DIR=$B_DIR RELAY_LOG=$B_LOG "$@"; }
at_c() { RELAY_PORT=$C_PORT RELAY_FP=$C_FP RELAY_DIR=$C_DIR RELAY_LOG=$C_LOG "$@"; }
at_d() { RELAY_PORT=$D_PORT RELAY_FP=$D_FP RELAY_DIR=$D_DIR RELAY_LOG=$D_LOG "$@"; }
[ "$(db_query "SELECT count(*) FROM relays WHERE address <> ''")" = 4 ] ||
	fail "not four relays registered for routing: $(db_query "SELECT address FROM relays")"

# L1 on a opens the ticket and invites; the customer's helper signs in on b.
T=$(at_a as alice ticket new --priority P3 --customer "Jane Roe" "Printer shows error 0x12") || fail "ticket new failed"
CODE=$(at_a as alice invite "$T") || fail "invite failed"
at_b start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $T\." || fail "helper did not connect"
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c 'SELECT count(*) FROM live_sessions WHERE ticket_id=$T')\" = 1 ]" ||
	fail "relay b did not record that it holds ticket $T"

# view_tier RELAY USER WORDS N: USER views through RELAY: b's helper asks by name (the Nth
# prompt), the picture is the customer's, USER's line reaches the customer and the customer's USER.
view_tier() {
	local relay=$1 user=$2 words=$3 n=$4
	$relay start_viewer_as "$user" "$T" "$user-view"
	wait_count 15 "$HELPER_OUT" "^CONSENT $user from the $words asks" 1 ||
		fail "no consent prompt for $user: $(tail -3 "$HELPER_OUT")"
	[ "$(grep -c '^CONSENT' "$HELPER_OUT")" = "$n" ] || fail "prompt $n expected: $(grep '^CONSENT' "$HELPER_OUT")"
	grep -q '^ok' "$VIEWER_OUT" && fail "$user saw something before the customer consented"
	echo y >&7
	viewer_cmd 20 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/$user.ppm"
	DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/$user.ppm" >"$E2E_TMP/cmp-$user.out" 2>&1 ||
		fail "$user's routed picture differs: $(cat "$E2E_TMP/cmp-$user.out")"
	viewer_cmd 10 "chat Hello, I am $user"
	wait_line 10 "$HELPER_OUT" "^CHAT $user ($words): Hello, I am $user$" || fail "the customer did not get $user's line"
	echo "Still error 0x12, $user" >&7
	wait_line 10 "$VIEWER_OUT" "^chat \[.*\] customer: Still error 0x12, $user$" ||
		fail "$user's viewer did not get the customer's line: $(tail -3 "$VIEWER_OUT")"
	[ "$(grep -c "^CHAT $user ($words): Hello, I am $user" "$HELPER_OUT")" = 1 ] || fail "$user's line came twice"
	note "$user views through ${relay#at_}: $(cat "$E2E_TMP/cmp-$user.out"); chat both ways"
}
view_tier at_a alice "help desk" 1
at_a as alice note "$T" "Cable and power checked" || fail "note failed"

# L1 escalates on a; b ends alice's view, tells its customer and collects the logs with consent.
at_a as alice escalate "$T" --to L2 --note "Reinstalled the driver; error 0x12 persists" >/dev/null || fail "escalate failed"
wait_line 10 "$HELPER_OUT" "^STATUS Your request has been passed to the technical support team\." ||
	fail "the customer was not told to wait for L2"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "alice's view did not end at the escalation"
wait_line 10 "$E2E_TMP/alice-view.log" "escalated to L2" || fail "alice's viewer was not told why: $(tail -2 "$E2E_TMP/alice-view.log")"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log consent prompt: $(tail -5 "$HELPER_OUT")"
echo y >&7
wait_line 15 "$HELPER_OUT" "^LOGS sent" || fail "logs were not sent"
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c \"SELECT count(*) FROM attachments WHERE ticket_id=$T AND kind='logs'\")\" = 1 ]" ||
	fail "the log bundle was not attached"
note "escalated on a; logs collected on b with consent"

# Every attachment's content matches the hash the ticket lists (read through relay RELAY).
check_hashes() {
	local row id sha got
	$1 as audrey ticket show "$T" --json >"$E2E_TMP/show.json" || fail "auditor show failed"
	for row in $(db_query "SELECT id || ':' || sha256 FROM attachments WHERE ticket_id=$T"); do
		id=${row%%:*} sha=${row#*:}
		got=$($1 as audrey ticket attachment "$T" "$id" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$sha" ] || fail "attachment $id through ${1#at_}: content hash $got, listed $sha"
		grep -q "\"sha256\":\"$sha\"" "$E2E_TMP/show.json" || fail "attachment $id missing from ticket show"
	done
}
check_hashes at_c

# L2 on c reads the packet, takes over the live session and views after consenting by name.
at_c as bob queue | grep -q "^ *$T  P3" || fail "ticket $T is not in the L2 queue on c"
at_c as bob ticket show "$T" >"$E2E_TMP/packet.txt" || fail "bob cannot read the ticket on c"
for want in "escalated" "Reinstalled the driver" "transcript" "handover-note" "logs" "Cable and power checked"; do
	grep -q -- "$want" "$E2E_TMP/packet.txt" || fail "the packet lacks '$want'"
done
at_c as bob ticket attachment "$T" "$(db_query "SELECT id FROM attachments WHERE ticket_id=$T AND kind='transcript'")" \
	>"$E2E_TMP/transcript.txt"
grep -q "alice (L1): Hello, I am alice" "$E2E_TMP/transcript.txt" && grep -q "customer: Still error 0x12, alice" "$E2E_TMP/transcript.txt" ||
	fail "transcript incomplete: $(cat "$E2E_TMP/transcript.txt")"
at_c as bob ticket attachment "$T" "$(db_query "SELECT id FROM attachments WHERE ticket_id=$T AND kind='logs'")" >"$E2E_TMP/logs.txt"
grep -q "printer: error 0x12" "$E2E_TMP/logs.txt" && ! grep -q "boot ok" "$E2E_TMP/logs.txt" && grep -qi kernel "$E2E_TMP/logs.txt" ||
	fail "the log bundle does not hold b's sources: $(head -5 "$E2E_TMP/logs.txt")"
at_c as bob take "$T" | grep -q "is yours" || fail "bob could not take the ticket on c"
wait_line 10 "$HELPER_OUT" "^STATUS bob from the technical support team is now helping you\.$" || fail "the customer was not told who took over"
view_tier at_c bob "technical support team" 2
[ "$(event_count "$T" customer-connected)" = 1 ] || fail "the customer had to reconnect"

# L2 escalates on c; b ends bob's view; the customer refuses logs.
at_c as bob escalate "$T" --to L3 --note "Driver bug suspected; needs engineering" >/dev/null || fail "escalate to L3 failed"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with bob" || fail "bob's view did not end at the escalation to L3"
wait_line 10 "$HELPER_OUT" "^LOGS bob from the technical support team asks" || fail "no second log prompt"
echo n >&7
wait_line 10 "$HELPER_OUT" "^LOGS refused" || fail "the helper did not refuse"
wait_events 10 "$T" logs-refused 1 || fail "the refusal was not recorded"
events_are "$T" logs-unavailable 0 || fail "logs-unavailable recorded for b's customer"
note "escalated on c; the customer's refusal of logs is recorded"

# L3 on d takes, views and resolves; b's customer is told and its session ends.
at_d as carol take "$T" >/dev/null || fail "carol could not take the ticket on d"
wait_line 10 "$HELPER_OUT" "^STATUS carol from the specialist team is now helping you\.$" || fail "the customer was not told of carol"
view_tier at_d carol "specialist team" 3
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "carol's viewer did not exit"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with carol" || fail "b's helper did not see carol's viewer leave"
at_d as carol resolve "$T" --note "Driver patched; printing works" | grep -q resolved || fail "resolve on d failed"
wait_line 10 "$HELPER_OUT" "^SESSION ENDED: your technician marked your request as resolved$" || fail "the customer was not told"
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end after the resolution"
at_d as carol ticket show "$T" --json | grep -q '"state":"resolved","tier":"L3"' || fail "ticket not resolved at L3"
for said in "STATUS bob" "STATUS carol" "SESSION ENDED" "LOGS sent" "LOGS refused"; do
	[ "$(grep -c "^$said" "$HELPER_OUT")" = 1 ] || fail "the customer was told '$said' $(grep -c "^$said" "$HELPER_OUT") times"
done
check_hashes at_d
for kind in created code-issued customer-connected consent-asked consent-granted technician-joined technician-left \
	chat note escalated attachment-added logs-requested logs-refused taken resolved; do
	[ "$(event_count "$T" "$kind")" -ge 1 ] || fail "no $kind event"
done
[ "$(event_count "$T" escalated)" = 2 ] || fail "expected 2 escalations"
[ "$(event_count "$T" taken)" = 2 ] || fail "expected 2 takeovers"
[ "$(event_count "$T" consent-granted)" = 3 ] || fail "expected 3 consents: $(event_count "$T" consent-granted)"
[ "$(db_query "SELECT count(*) FROM attachments WHERE ticket_id=$T")" = 5 ] ||
	fail "expected 5 attachments (2 transcripts, 2 handover notes, 1 log bundle)"
note "resolved on d: $(db_query "SELECT count(*) FROM events WHERE ticket_id=$T") events, 5 attachments, hashes match"

# The three views were recorded once, on b, where the customer was.
wait_for 10 sh -c "[ \$(ls '$B_DIR'/recordings/$T/*.hrec 2>/dev/null | wc -l) -ge 3 ]" || fail "not three recordings on b"
for d in "$A_DIR" "$C_DIR" "$D_DIR"; do
	[ -d "$d/recordings/$T" ] && fail "${d##*/} recorded a routed stream"
done
# verify on each relay: b's passes; the others' name exactly b's recordings as missing (a known gap:
# verify checks the recordings on its own relay's disk, and routed recordings are on b).
at_b tech_ssh audrey verify >"$E2E_TMP/verify-b.out" 2>&1 && grep -q "^chain ok: [0-9]* records" "$E2E_TMP/verify-b.out" &&
	grep -q "^files ok: 5 attachments and 3 recordings match" "$E2E_TMP/verify-b.out" ||
	fail "verify on b failed: $(cat "$E2E_TMP/verify-b.out")"
(cd "$B_DIR" && ls recordings/"$T"/*.hrec) | sed "s|^|chain verification FAILED: ticket $T: recording |" | sort >"$E2E_TMP/b-recs"
for r in a c d; do
	at_$r tech_ssh audrey verify >"$E2E_TMP/verify-$r.out" 2>&1 && fail "verify on $r passed without b's recordings"
	sed 's/ (named in record [0-9]*) is missing$//' "$E2E_TMP/verify-$r.out" | sort | cmp -s - "$E2E_TMP/b-recs" ||
		fail "verify on $r found other problems than b's recordings: $(cat "$E2E_TMP/verify-$r.out")"
done
note "verify on b: $(head -1 "$E2E_TMP/verify-b.out"); on a, c, d: only b's $(wc -l <"$E2E_TMP/b-recs") recordings missing"
# The export on d, where carol resolved, carries b's three recordings (fetched from b: relay/peerrec.c)
# and verifies offline with the relays' keys; every view of the story replays out of it.
at_d as audrey export "$T" >"$E2E_TMP/story-d.hexp" 2>"$E2E_TMP/story-d.err" ||
	fail "export on d failed: $(cat "$E2E_TMP/story-d.err")"
keys=()
for d in "$A_DIR" "$B_DIR" "$C_DIR" "$D_DIR"; do
	keys+=(--audit-key "$d/keys/audit_ed25519.pub")
done
"$BIN/handoff-tech" verify "$E2E_TMP/story-d.hexp" "${keys[@]}" >"$E2E_TMP/verify-d.out" 2>&1 &&
	grep -q "^export ok: ticket $T, .*, 5 attachments, 3 recordings verified" "$E2E_TMP/verify-d.out" ||
	fail "d's export does not verify with b's recordings: $(cat "$E2E_TMP/verify-d.out")"
for seg in "$B_DIR"/recordings/"$T"/*.hrec; do
	"$BIN/handoff-tech" replay "$E2E_TMP/story-d.hexp" --recording "$(basename "$seg")" --key "$E2E_TMP/recording.key" \
		"${keys[@]}" --headless >"$E2E_TMP/replay-d.out" 2>&1 ||
		fail "$(basename "$seg") does not replay out of d's export: $(cat "$E2E_TMP/replay-d.out")"
done
note "export on d: $(head -1 "$E2E_TMP/verify-d.out")"

for pid in "$D_PID" "$C_PID" "$B_PID" "$A_PID"; do
	RELAY_PID=$pid stop_relay
done
