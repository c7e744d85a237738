# The audit trail with real processes: a relay with tickets, a recorded
# session, chat, notes and an escalation; an auditor's commands and export
# through a stock OpenSSH client; handoff-tech verify offline on the
# untouched export; then tampering (every byte of a small export, a record
# deleted, two reordered, the tail cut, an attachment and a recording
# replaced, another key) and tampering in the relay's database and disk,
# each failing with the place named; kill -9 during activity; the shutdown
# checkpoint.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
start_relay
add_user bob tech L2
add_user audrey auditor
PUB="$RELAY_DIR/keys/audit_ed25519.pub"
KEY="$RELAY_DIR/keys/audit_ed25519"
AUDIT_FP=$(sed -n 's/^audit key fingerprint: \(SHA256:[^ ]*\).*/\1/p' "$RELAY_DIR.init")
[ -n "$AUDIT_FP" ] || fail "relay init printed no audit key fingerprint: $(cat "$RELAY_DIR.init")"
[ "$(stat -c %a "$RELAY_DIR/keys")" = 700 ] && [ "$(stat -c %a "$KEY")" = 600 ] ||
	fail "the audit key is not private: $(ls -la "$RELAY_DIR/keys")"
grep -q "^handoff-audit-ed25519 [0-9a-f]\{64\}$" "$PUB" || fail "unexpected public key file: $(cat "$PUB")"

verify_offline() { # FILE: handoff-tech verify with the relay's public audit key; output in $E2E_TMP/verify.out
	VERIFY_RC=0
	"$BIN/handoff-tech" verify "$1" --audit-key "$PUB" >"$E2E_TMP/verify.out" 2>&1 || VERIFY_RC=$?
}

# A small ticket: a few records and two attachments, exported over stock OpenSSH.
S=$(as alice ticket new "Small: mouse does not move") || fail "ticket new failed"
as alice note "$S" "Batteries replaced" || fail "note failed"
as alice escalate "$S" --to L2 --note "Still frozen after new batteries" >/dev/null || fail "escalate failed"
tech_ssh audrey export "$S" >"$E2E_TMP/small.hexp" || fail "export over ssh failed"
verify_offline "$E2E_TMP/small.hexp"
[ "$VERIFY_RC" = 0 ] || fail "the untouched small export does not verify: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok: ticket $S, [0-9]* records ([0-9]* of this ticket), [0-9]* checkpoints, 2 attachments, 0 recordings verified" \
	"$E2E_TMP/verify.out" || fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
grep -q "signed by audit key $AUDIT_FP" "$E2E_TMP/verify.out" || fail "verify names another key: $(cat "$E2E_TMP/verify.out")"
note "small export: $(stat -c %s "$E2E_TMP/small.hexp") bytes; $(head -1 "$E2E_TMP/verify.out")"

# Every byte of it flipped (two ways), every prefix, and the item-level tampering: in process, it is fast.
HANDOFF_EXPORT_FILE="$E2E_TMP/small.hexp" HANDOFF_AUDIT_PUB="$PUB" HANDOFF_AUDIT_KEY="$KEY" HANDOFF_EXPORT_EXHAUSTIVE=1 \
	"$TOOLS/test_export" >"$E2E_TMP/tamper-small.out" 2>&1 || fail "tampering with the small export: $(tail -20 "$E2E_TMP/tamper-small.out")"
for want in "tamper delete-record: record [0-9]*: it does not follow record [0-9]* in ticket $S's chain" \
	"tamper reorder-records: record [0-9]*: it does not follow record [0-9]* in ticket $S's chain" \
	"tamper truncate-tail: ticket $S's records end at seq [0-9]* in the export, but the relay signed seq [0-9]* as its last" "tamper cut-file: offset" "tamper replace-attachment: attachment #[0-9]*: content does not match sha256 in record" \
	"tamper resign-other-key: the export names audit key" "tamper resign-other-key-same-header: checkpoint at seq [0-9]*: bad signature"; do
	grep -q "$want" "$E2E_TMP/tamper-small.out" || fail "no '$want': $(cat "$E2E_TMP/tamper-small.out")"
done
note "$(grep "tampered copies" "$E2E_TMP/tamper-small.out")"

# The story: a recorded session with chat, a note, an escalation, a takeover.
T=$(as alice ticket new --customer "Jane Roe" "Printer shows error 0x12") || fail "ticket new failed"
CODE=$(as alice invite "$T") || fail "invite failed"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $T\." || fail "helper did not connect"
# A chat line with a newline and an ESC, in a second before the recording starts.
as alice chat "$T" "$(printf 'Two lines\nand \033[31mred')" || fail "chat with a newline failed"
early=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT max(at) FROM events WHERE ticket_id=$T AND kind='chat'")
wait_for 5 sh -c "[ \$(date +%s) -gt $early ]" || fail "the clock did not move on"
start_viewer_as alice "$T" alice-view
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
as alice chat "$T" "こんにちは、ヘルプデスクのアリスです" || fail "chat failed"
echo "It says error 0x12 since this morning" >&7
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'\") = 1 ]" ||
	fail "the customer's chat line was not recorded"
as alice note "$T" "Cable and power checked" || fail "note failed"
echo quit >&8
wait_events 10 "$T" recording-closed 1 ||
	fail "the recording was not closed"
as alice escalate "$T" --to L2 --note "Reinstalled the driver; error persists" >/dev/null || fail "escalate failed"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log consent prompt"
echo n >&7
wait_events 10 "$T" logs-refused 1 ||
	fail "the refusal was not recorded"
as bob take "$T" >/dev/null || fail "bob could not take the ticket"
as bob note "$T" --sensitive "Customer VPN password expired" || fail "sensitive note failed"
as bob resolve "$T" --note "Driver patched" >/dev/null || fail "resolve failed"
# resolve ends the customer's session: the helper leaves by itself (an "end" written to it
# then raced its exit and killed this script with SIGPIPE).
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
note "story: recorded session, chat both ways, notes, escalation, takeover, resolution"

# The auditor's read-only commands, through a stock OpenSSH client.
tech_ssh audrey tickets >"$E2E_TMP/tickets.out" || fail "tickets failed"
grep -q "^ *$S  P3  L2  escalated" "$E2E_TMP/tickets.out" && grep -q "^ *$T  P3  L2  resolved" "$E2E_TMP/tickets.out" ||
	fail "tickets lacks a ticket: $(cat "$E2E_TMP/tickets.out")"
tech_ssh audrey tickets --since "$(date -u +%Y-%m-%d)" --json | grep -q "\"ticket\":$T," || fail "tickets --since today lacks $T"
[ "$(tech_ssh audrey tickets --since 2099-01-01 --json)" = '{"since":4070908800,"tickets":[]}' ] || fail "tickets --since the future is not empty"
tech_ssh audrey show "$T" >"$E2E_TMP/show.out" && tech_ssh audrey ticket show "$T" >"$E2E_TMP/tshow.out" ||
	fail "show failed"
cmp -s "$E2E_TMP/show.out" "$E2E_TMP/tshow.out" || fail "show and ticket show differ"
grep -q "VPN password" "$E2E_TMP/show.out" || fail "the auditor does not see the sensitive note"
tech_ssh audrey transcript "$T" >"$E2E_TMP/transcript.out" || fail "transcript failed"
grep -q "alice (L1): こんにちは、ヘルプデスクのアリスです" "$E2E_TMP/transcript.out" &&
	grep -q "customer: It says error 0x12 since this morning" "$E2E_TMP/transcript.out" ||
	fail "transcript incomplete: $(cat "$E2E_TMP/transcript.out")"
tech_ssh audrey recordings "$T" >"$E2E_TMP/recordings.out" || fail "recordings failed"
grep -q "^recordings/$T/viewer-[0-9]*-[0-9]*.hrec  [0-9]* bytes  sha256 [0-9a-f]\{64\}  complete  (alice; on disk)" \
	"$E2E_TMP/recordings.out" || fail "unexpected recordings output: $(cat "$E2E_TMP/recordings.out")"
tech_ssh audrey recordings "$T" --json | grep -q '"state":"complete"' || fail "recordings --json"
for cmd in "tickets" "show $T" "transcript $T" "recordings $T" "recording $T x.hrec" "export $T" "verify"; do
	rc=0
	# shellcheck disable=SC2086
	tech_ssh bob $cmd >/dev/null 2>"$E2E_TMP/err" || rc=$?
	[ "$rc" = 3 ] && grep -q "only auditors" "$E2E_TMP/err" || fail "a technician ran '$cmd' (rc $rc)"
done
as bob ticket show "$T" >/dev/null || fail "technicians lost ticket show"
note "auditor commands: tickets, show, transcript, recordings; technicians refused them"

# The story's export, recording included, verifies offline.
tech_ssh audrey export "$T" >"$E2E_TMP/story.hexp" || fail "export failed"
start=$(date +%s%N)
verify_offline "$E2E_TMP/story.hexp"
took=$((($(date +%s%N) - start) / 1000000))
[ "$VERIFY_RC" = 0 ] || fail "the story's export does not verify: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok: ticket $T, .* 2 attachments, 1 recordings verified" "$E2E_TMP/verify.out" ||
	fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
note "story export: $(stat -c %s "$E2E_TMP/story.hexp") bytes, verified in $took ms: $(head -1 "$E2E_TMP/verify.out")"
"$BIN/handoff-tech" verify "$E2E_TMP/story.hexp" --audit-key "$PUB" --show | grep -q "recording-closed" ||
	fail "verify --show lists no events"
grep -q "Small: mouse" "$E2E_TMP/story.hexp" && fail "another ticket's content is in the export"
HANDOFF_EXPORT_FILE="$E2E_TMP/story.hexp" HANDOFF_AUDIT_PUB="$PUB" HANDOFF_AUDIT_KEY="$KEY" \
	"$TOOLS/test_export" >"$E2E_TMP/tamper-story.out" 2>&1 || fail "tampering with the story export: $(tail -20 "$E2E_TMP/tamper-story.out")"
grep -q "tamper replace-recording: recording recordings/$T/.*: content does not match sha256 in record" "$E2E_TMP/tamper-story.out" ||
	fail "no replace-recording case: $(cat "$E2E_TMP/tamper-story.out")"
note "story export: $(grep -c "^tamper " "$E2E_TMP/tamper-story.out") tampered copies rejected, each naming the place"

# The recording itself over a stock ssh: byte for byte the relay's file, the sha256 `recordings` lists.
seg=$(ls "$RELAY_DIR"/recordings/"$T"/*.hrec)
name=$(basename "$seg")
want=$(sed -n "s|^recordings/$T/$name  [0-9]* bytes  sha256 \([0-9a-f]*\) .*|\1|p" "$E2E_TMP/recordings.out")
[ -n "$want" ] || fail "recordings does not list $name: $(cat "$E2E_TMP/recordings.out")"
tech_ssh audrey recording "$T" "$name" >"$E2E_TMP/download.hrec" || fail "recording download failed"
cmp -s "$seg" "$E2E_TMP/download.hrec" || fail "the downloaded recording differs from the relay's file"
[ "$(sha256sum <"$E2E_TMP/download.hrec" | cut -d' ' -f1)" = "$want" ] || fail "the download's sha256 is not the listed one"
tech_ssh audrey recording "$T" "recordings/$T/$name" | cmp -s - "$seg" || fail "recording by its listed path differs"
"$BIN/handoff-tech" replay "$E2E_TMP/download.hrec" --key "$E2E_TMP/recording.key" --headless \
	--snapshot "$E2E_TMP/download.ppm" >"$E2E_TMP/download.out" 2>&1 || fail "the download does not replay: $(cat "$E2E_TMP/download.out")"
note "recording $T $name over stock ssh: $(stat -c %s "$E2E_TMP/download.hrec") bytes, sha256 as listed, replays"

# Straight out of the export: verified with the audit key, events on the timeline.
"$BIN/handoff-tech" replay "$E2E_TMP/story.hexp" --recording "$name" --key "$E2E_TMP/recording.key" --audit-key "$PUB" \
	--headless --snapshot "$E2E_TMP/fromexport.ppm" >"$E2E_TMP/fromexport.out" 2>&1 ||
	fail "replay out of the export failed: $(cat "$E2E_TMP/fromexport.out")"
cmp -s "$E2E_TMP/download.ppm" "$E2E_TMP/fromexport.ppm" || fail "the export's recording ends on another picture"
grep -q "^event [0-9.]* chat customer: It says error 0x12 since this morning$" "$E2E_TMP/fromexport.out" ||
	fail "replay out of the export lacks the ticket's events: $(grep '^event' "$E2E_TMP/fromexport.out")"
# Events before the recording say so, and a chat line with a newline and an ESC stays one escaped line.
grep -qF 'chat alice (L1): Two lines\nand \e[31mred' "$E2E_TMP/fromexport.out" ||
	fail "the chat with a newline is not one escaped line: $(grep -a 'Two lines' -A1 "$E2E_TMP/fromexport.out")"
grep -q '^event before the recording (-[0-9.]* s) chat alice (L1): Two lines' "$E2E_TMP/fromexport.out" ||
	fail "the chat before the recording is not labelled: $(grep '^event' "$E2E_TMP/fromexport.out" | head -3)"
grep -q '^event 0.000 chat alice (L1): Two lines' "$E2E_TMP/fromexport.out" && fail "the early chat shows at 0.000"
[ "$(grep -c 'Two lines' "$E2E_TMP/fromexport.out")" = 1 ] || fail "the chat with a newline is not exactly one line"
grep -qa "$(printf '\033')" "$E2E_TMP/fromexport.out" && fail "an ESC reached replay's output"
"$BIN/handoff-tech" replay "$E2E_TMP/story.hexp" --recording "$name" --key "$E2E_TMP/recording.key" --headless \
	>"$E2E_TMP/fromexport.out" 2>&1 || fail "replay out of the export without the audit key failed"
grep -q "the export was not verified (no --audit-key)" "$E2E_TMP/fromexport.out" || fail "no warning without --audit-key"
cp "$E2E_TMP/story.hexp" "$E2E_TMP/story-bad.hexp"
off=$(grep -abo HOSEAL01 "$E2E_TMP/story-bad.hexp" | head -1 | cut -d: -f1)
printf 'X' | dd of="$E2E_TMP/story-bad.hexp" bs=1 seek=$((off + 200)) conv=notrunc 2>/dev/null
rc=0
"$BIN/handoff-tech" replay "$E2E_TMP/story-bad.hexp" --recording "$name" --key "$E2E_TMP/recording.key" --headless \
	>"$E2E_TMP/fromexport.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "content does not match sha256 in record" "$E2E_TMP/fromexport.out" ||
	fail "a changed recording in an export replayed (rc $rc): $(cat "$E2E_TMP/fromexport.out")"
note "replay EXPORT --recording $name: verified, same picture, events before the recording labelled, one line per event"

# Binary output is refused on a terminal: handoff-tech's own stdout, and a stock ssh -tt.
for cmd in "export $T" "recording $T $name"; do
	rc=0
	script -q -e -c "$BIN/handoff-tech --relay 127.0.0.1:$RELAY_PORT --identity $E2E_TMP/audrey --host-key $RELAY_FP $cmd" \
		/dev/null >"$E2E_TMP/tty.out" 2>&1 </dev/null || rc=$?
	[ "$rc" = 2 ] && grep -q "refusing to write binary data to a terminal; redirect to a file: > " "$E2E_TMP/tty.out" ||
		fail "handoff-tech $cmd wrote to a terminal (rc $rc): $(head -c 300 "$E2E_TMP/tty.out" | od -c | head -3)"
	grep -q "HOSEAL01\|HOEXP001" "$E2E_TMP/tty.out" && fail "binary reached the terminal for $cmd"
	# A stock ssh -t on a terminal, and ssh -tt: the relay grants the pty and refuses the command.
	rc=0
	script -q -e -c "ssh $(ssh_opts) -t -i $E2E_TMP/audrey handoff@127.0.0.1 $cmd" /dev/null \
		>"$E2E_TMP/tty.out" 2>&1 </dev/null || rc=$?
	[ "$rc" = 2 ] && grep -q "refusing to write binary data to a terminal (ssh -t asked for one)" "$E2E_TMP/tty.out" ||
		fail "the relay sent $cmd to ssh -t on a terminal (rc $rc): $(head -c 300 "$E2E_TMP/tty.out" | od -c | head -5)"
	grep -q "HOSEAL01\|HOEXP001" "$E2E_TMP/tty.out" && fail "binary reached ssh -t's terminal for $cmd"
	rc=0
	# shellcheck disable=SC2046,SC2086
	ssh $(ssh_opts) -tt -i "$E2E_TMP/audrey" handoff@127.0.0.1 $cmd >"$E2E_TMP/tty.out" 2>"$E2E_TMP/tty.err" </dev/null || rc=$?
	[ "$rc" = 2 ] && grep -q "refusing to write binary data to a terminal (ssh -t asked for one)" "$E2E_TMP/tty.err" ||
		fail "the relay sent $cmd to ssh -tt (rc $rc): $(cat "$E2E_TMP/tty.err")"
	[ ! -s "$E2E_TMP/tty.out" ] || fail "ssh -tt $cmd got output"
done
# Text commands still work with a terminal, with the line ends a terminal wants.
# shellcheck disable=SC2046
ssh $(ssh_opts) -tt -i "$E2E_TMP/audrey" handoff@127.0.0.1 recordings "$T" >"$E2E_TMP/tty.out" 2>/dev/null </dev/null ||
	fail "recordings under ssh -tt failed"
grep -q "^recordings/$T/$name .*"$'\r'"$" "$E2E_TMP/tty.out" || fail "recordings under ssh -tt: $(od -c "$E2E_TMP/tty.out" | head -3)"
# A live chat stream under a terminal would get raw keys and never a line: refused, not left hanging.
C=$(as alice ticket new "Chat under a terminal") || fail "ticket new failed"
rc=0
# shellcheck disable=SC2046
timeout 10 ssh $(ssh_opts) -tt -i "$E2E_TMP/alice" handoff@127.0.0.1 chat "$C" </dev/null >"$E2E_TMP/tty.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "run it without -t" "$E2E_TMP/tty.out" || fail "chat under ssh -tt (rc $rc): $(cat "$E2E_TMP/tty.out")"

as audrey export "$T" >"$E2E_TMP/redirected.hexp" || fail "export to a file through handoff-tech failed"
verify_offline "$E2E_TMP/redirected.hexp"
[ "$VERIFY_RC" = 0 ] || fail "the export through handoff-tech does not verify: $(cat "$E2E_TMP/verify.out")"
note "binary refused on a terminal (handoff-tech and ssh -t under script, ssh -tt); text commands under ssh -tt get CR LF; redirected it works"

# The relay's own chain, checked over SSH.
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify failed: $(cat "$E2E_TMP/chain.out")"
grep -q "^chain ok: [0-9]* records, [1-9][0-9]* checkpoints, last checkpoint at seq [0-9]*$" "$E2E_TMP/chain.out" ||
	fail "unexpected chain output: $(cat "$E2E_TMP/chain.out")"
note "relay: $(head -1 "$E2E_TMP/chain.out")"

# Tampering on the relay's side: a recording on disk, an attachment in the database, an event row;
# the relay's own verify names each (attachments and recordings against their records' SHA-256).
relay_verify_fails() { # PATTERN: `verify` over ssh fails and names it
	rc=0
	tech_ssh audrey verify >"$E2E_TMP/chain.out" || rc=$?
	[ "$rc" = 1 ] && grep -q "^chain verification FAILED: $1" "$E2E_TMP/chain.out" ||
		fail "relay verify did not say '$1' (rc $rc): $(cat "$E2E_TMP/chain.out")"
}
grep -q "^files ok: 4 attachments and 1 recordings match their records; [0-9]* tickets match their events$" "$E2E_TMP/chain.out" ||
	fail "relay verify did not check the files: $(cat "$E2E_TMP/chain.out")"
seg=$(ls "$RELAY_DIR"/recordings/"$T"/*.hrec)
cp -p "$seg" "$E2E_TMP/seg.saved"
printf 'X' | dd of="$seg" bs=1 seek=100 conv=notrunc 2>/dev/null
tech_ssh audrey export "$T" >"$E2E_TMP/bad.hexp" || fail "export failed"
verify_offline "$E2E_TMP/bad.hexp"
[ "$VERIFY_RC" = 1 ] && grep -q "recording recordings/$T/.*: content does not match sha256 in record [0-9]*" "$E2E_TMP/verify.out" ||
	fail "a changed recording was not caught: $(cat "$E2E_TMP/verify.out")"
relay_verify_fails "ticket $T: recording recordings/$T/$name: its content does not match the sha256 in record [0-9]*"
cp -p "$E2E_TMP/seg.saved" "$seg"
rm -f "$seg"
tech_ssh audrey export "$T" >"$E2E_TMP/bad.hexp" || fail "export failed"
verify_offline "$E2E_TMP/bad.hexp"
[ "$VERIFY_RC" = 1 ] && grep -q "recording recordings/$T/.* (named in record [0-9]*) is missing" "$E2E_TMP/verify.out" ||
	fail "a deleted recording was not caught: $(cat "$E2E_TMP/verify.out")"
relay_verify_fails "ticket $T: recording recordings/$T/$name (named in record [0-9]*) is missing"
cp -p "$E2E_TMP/seg.saved" "$seg"
aid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$T AND kind='handover-note'")
sqlite3 "$RELAY_DIR/handoff.db" "UPDATE attachments SET content = CAST('Nothing was tried' AS BLOB) WHERE id=$aid" ||
	fail "cannot change the attachment"
tech_ssh audrey export "$T" >"$E2E_TMP/bad.hexp" || fail "export failed"
verify_offline "$E2E_TMP/bad.hexp"
[ "$VERIFY_RC" = 1 ] && grep -q "attachment #$aid: content does not match sha256 in record [0-9]*" "$E2E_TMP/verify.out" ||
	fail "a changed attachment was not caught: $(cat "$E2E_TMP/verify.out")"
relay_verify_fails "ticket $T: attachment #$aid: its content does not match the sha256 in record [0-9]*"
sqlite3 "$RELAY_DIR/handoff.db" "UPDATE attachments SET content = CAST('Reinstalled the driver; error persists' AS BLOB) WHERE id=$aid"
eid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM events WHERE ticket_id=$T AND kind='note' AND detail LIKE 'Cable%'")
sqlite3 "$RELAY_DIR/handoff.db" "UPDATE events SET detail='Nothing checked' WHERE id=$eid" 2>/dev/null &&
	fail "the events table accepted an UPDATE"
sqlite3 "$RELAY_DIR/handoff.db" "DROP TRIGGER events_append_only_update; UPDATE events SET detail='Nothing checked' WHERE id=$eid" ||
	fail "cannot tamper with the database"
rc=0
tech_ssh audrey verify >"$E2E_TMP/chain.out" || rc=$?
[ "$rc" = 1 ] && grep -q "record $eid: its content does not match its body hash" "$E2E_TMP/chain.out" ||
	fail "verify did not name record $eid (rc $rc): $(cat "$E2E_TMP/chain.out")"
tech_ssh audrey export "$T" >"$E2E_TMP/bad.hexp" || fail "export failed"
verify_offline "$E2E_TMP/bad.hexp"
[ "$VERIFY_RC" = 1 ] && grep -q "record $eid: it does not follow record [0-9]* in ticket $T's chain" "$E2E_TMP/verify.out" ||
	fail "the export of a changed record verified: $(cat "$E2E_TMP/verify.out")"
sqlite3 "$RELAY_DIR/handoff.db" "UPDATE events SET detail='Cable and power checked' WHERE id=$eid"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify fails after the row was restored: $(cat "$E2E_TMP/chain.out")"
note "relay-side tampering caught by relay verify and the export's: recording changed and deleted, attachment changed, event row changed (record $eid)"

# kill -9 in the middle of activity; the chain is written with the events, so it still verifies.
before=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT max(id) FROM events")
K=$(as alice ticket new "Busy ticket") || fail "ticket new failed"
(for i in $(seq 1 40); do tech_ssh alice note "$K" "note $i" 2>/dev/null || true; done) &
busy=$!
track $busy
wait_for 20 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$K\") -ge 10 ]" ||
	fail "the notes did not start"
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
wait "$busy" 2>/dev/null || true
restart_relay
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "verify fails after kill -9: $(cat "$E2E_TMP/chain.out")"
after=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT max(id) FROM events")
tech_ssh audrey export "$K" >"$E2E_TMP/busy.hexp" || fail "export after kill -9 failed"
verify_offline "$E2E_TMP/busy.hexp"
[ "$VERIFY_RC" = 0 ] || fail "the export after kill -9 does not verify: $(cat "$E2E_TMP/verify.out")"
note "kill -9 after $((after - before)) new records: $(head -1 "$E2E_TMP/chain.out"); the export verifies"

# A clean stop signs a last checkpoint over everything.
as alice note "$K" "one more after the restart" || fail "note failed"
stop_relay
grep -q "audit chain signed up to record" "$RELAY_LOG" || fail "no checkpoint at shutdown"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT max(seq) FROM checkpoints")" = \
	"$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT max(id) FROM events")" ] || fail "the last records are not signed at shutdown"

# Another key: the relay's audit key replaced. The relay registers the new key by a record (the
# old one stays registered for the checkpoints it signed), so its own verify passes; an export it
# signs fails with the old public key, which is what the auditors hold.
mkdir "$E2E_TMP/oldkeys"
mv "$KEY" "$PUB" "$E2E_TMP/oldkeys/"
restart_relay
grep -q "created the audit key" "$RELAY_LOG" || fail "the relay did not create a missing audit key"
grep -q "registered the audit key SHA256:" "$RELAY_LOG" || fail "the relay did not register its new key"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM relay_keys")" = 2 ] || fail "not two registered keys"
tech_ssh audrey verify >"$E2E_TMP/chain.out" ||
	fail "the relay's verify refused the checkpoints of its previous, registered key: $(cat "$E2E_TMP/chain.out")"
as alice note "$K" "after the key change" || fail "note failed"
tech_ssh audrey export "$K" >"$E2E_TMP/rekeyed.hexp" || fail "export failed"
"$BIN/handoff-tech" verify "$E2E_TMP/rekeyed.hexp" --audit-key "$E2E_TMP/oldkeys/audit_ed25519.pub" >"$E2E_TMP/verify.out" 2>&1 &&
	fail "an export signed by another key verified"
grep -q "the export names audit key SHA256:.*, not the key given ($AUDIT_FP)" "$E2E_TMP/verify.out" ||
	fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
note "a new audit key: registered, the relay's verify passes, the old public key refuses its export"
stop_relay
