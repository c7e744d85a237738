# The whole story, with real processes on Xvfb: ticket -> invite -> helper
# connects -> L1 views and chats -> L1 escalates to L2 with a note -> log
# bundle collected with consent -> L2 reads transcript, note and logs -> L2
# takes over the same live session after the customer consents to L2 -> L2
# escalates to L3 (the customer refuses logs this time) -> L3 resolves.
# Every step is checked in the ticket's events and attachment hashes; then
# the relay restarts and the record is unchanged.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
printf 'boot ok\nprinter: queue stalled\nprinter: error 0x12\n' >"$E2E_TMP/app.log"
start_relay "log_sources = facts, file $E2E_TMP/app.log 2"
add_user bob tech L2
add_user carol tech L3
add_user audrey auditor

# L1 opens the ticket and invites the customer.
T=$(as alice ticket new --priority P3 --customer "Jane Roe" --contact "+81 3 1234 5678" "Printer shows error 0x12") ||
	fail "ticket new failed"
CODE=$(as alice invite "$T") || fail "invite failed"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $T\." || fail "helper did not connect"

# L1 views (after consent) and chats both ways.
start_viewer_as alice "$T" alice-view
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt for alice"
echo y >&7
viewer_cmd 20 "wait-frame"
as alice chat "$T" "Hello, I am Alice from the help desk" || fail "chat failed"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Hello, I am Alice from the help desk" || fail "the customer did not see the chat"
echo "It says error 0x12 since this morning" >&7
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$T AND kind='chat' AND role='customer'\") = 1 ]" ||
	fail "the customer's chat line was not recorded"
# The live chat stream: the transcript so far, new lines as they come, and
# lines typed into it go to the customer.
mkfifo "$E2E_TMP/stream.in"
as alice chat "$T" <"$E2E_TMP/stream.in" >"$E2E_TMP/stream.out" 2>&1 &
stream=$!
track $stream
exec 9>"$E2E_TMP/stream.in"
wait_line 10 "$E2E_TMP/stream.out" "customer: It says error 0x12" || fail "the stream did not replay the transcript"
echo "It is the printer on the second floor" >&7
wait_line 10 "$E2E_TMP/stream.out" "customer: It is the printer on the second floor" || fail "the stream did not show a new line"
echo "Could you open the printer settings?" >&9
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Could you open the printer settings?" || fail "a line typed into the stream did not reach the customer"
exec 9>&-
kill "$stream" 2>/dev/null
as alice note "$T" "Cable and power checked" || fail "note failed"
note "L1 viewed, chatted both ways, wrote a note"

# L1 escalates; the customer allows log collection.
as alice escalate "$T" --to L2 --note "Reinstalled the driver; error 0x12 persists" >"$E2E_TMP/esc1.out" || fail "escalate failed"
wait_line 10 "$HELPER_OUT" "^STATUS Your request has been passed to the technical support team\." || fail "the customer was not told to wait for L2"
# The ticket has no owner now: alice's view (with control) ends at once, not at the takeover.
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "alice's view did not end at the escalation"
wait_line 10 "$E2E_TMP/alice-view.log" "escalated to L2" || fail "alice's viewer was not told why: $(tail -2 "$E2E_TMP/alice-view.log")"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "no log consent prompt: $(tail -5 "$HELPER_OUT")"
echo y >&7
wait_line 15 "$HELPER_OUT" "^LOGS sent" || fail "logs were not sent"
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM attachments WHERE ticket_id=$T AND kind='logs'\") = 1 ]" ||
	fail "the log bundle was not attached"
rc=0
as alice chat "$T" "still there?" 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 3 ] && grep -q "take it first" "$E2E_TMP/err" || fail "alice could still chat after escalating (rc $rc)"
note "escalated to L2 with transcript, handover note and logs"

# Every attachment's content matches the hash the ticket lists.
check_hashes() {
	as audrey ticket show "$T" --json >"$E2E_TMP/show.json" || fail "auditor show failed"
	local rows row id sha got
	rows=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id || ':' || sha256 FROM attachments WHERE ticket_id=$T")
	[ -n "$rows" ] || fail "no attachments"
	for row in $rows; do
		id=${row%%:*}
		sha=${row#*:}
		got=$(as audrey ticket attachment "$T" "$id" | sha256sum | cut -d' ' -f1)
		[ "$got" = "$sha" ] || fail "attachment $id: content hash $got, listed $sha"
		grep -q "\"sha256\":\"$sha\"" "$E2E_TMP/show.json" || fail "attachment $id missing from ticket show"
	done
}
check_hashes

# L2 reads the packet from the queue.
as bob queue | grep -q "^ *$T  P3" || fail "ticket $T is not in the L2 queue: $(as bob queue)"
as bob ticket show "$T" >"$E2E_TMP/packet.txt" || fail "bob cannot read the ticket"
for want in "escalated" "Reinstalled the driver" "transcript" "handover-note" "logs" "Cable and power checked"; do
	grep -q -- "$want" "$E2E_TMP/packet.txt" || fail "the packet lacks '$want'"
done
tid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$T AND kind='transcript'")
as bob ticket attachment "$T" "$tid" >"$E2E_TMP/transcript.txt"
grep -q "alice (L1): Hello, I am Alice" "$E2E_TMP/transcript.txt" && grep -q "customer: It says error 0x12" "$E2E_TMP/transcript.txt" ||
	fail "transcript incomplete: $(cat "$E2E_TMP/transcript.txt")"
lid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$T AND kind='logs'")
as bob ticket attachment "$T" "$lid" >"$E2E_TMP/logs.txt"
grep -q "printer: error 0x12" "$E2E_TMP/logs.txt" && ! grep -q "boot ok" "$E2E_TMP/logs.txt" ||
	fail "the log bundle does not hold the last 2 lines of app.log"
grep -qi "kernel" "$E2E_TMP/logs.txt" || fail "the log bundle has no system facts"
note "L2 read the transcript, the handover note and the logs"

# L2 takes over the same live session; the customer consents to L2 by name.
as bob take "$T" | grep -q "is yours" || fail "bob could not take the ticket"
wait_line 10 "$HELPER_OUT" "^STATUS bob from the technical support team is now helping you\.$" || fail "the customer was not told who took over"
start_viewer_as bob "$T" bob-view
wait_line 15 "$HELPER_OUT" "^CONSENT bob from the technical support team asks" || fail "no consent prompt for bob"
sleep 0.3 # not a wait: shows that nothing comes before consent
grep -q '^ok' "$VIEWER_OUT" && fail "bob saw something before the customer consented"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/bob.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/bob.ppm" >"$E2E_TMP/cmp.out" || fail "bob's view differs: $(cat "$E2E_TMP/cmp.out")"
grep -c "customer-connected" <<<"$(as audrey ticket show "$T")" | grep -qx 1 || fail "the customer had to reconnect"
note "L2 took over the live session without the customer reconnecting"

# L2 keeps a sensitive note L1 cannot read, then escalates; the customer refuses logs.
as bob note "$T" --sensitive "Customer VPN password expired" || fail "sensitive note failed"
as alice ticket show "$T" >"$E2E_TMP/alice-show.txt"
grep -q "VPN password" "$E2E_TMP/alice-show.txt" && fail "L1 can read L2's sensitive note"
grep -q "\[sensitive\]" "$E2E_TMP/alice-show.txt" || fail "L1 is not told something is hidden"
as carol ticket show "$T" | grep -q "VPN password" || fail "L3 cannot read L2's sensitive note"
as bob escalate "$T" --to L3 --note "Driver bug suspected; needs engineering" >/dev/null || fail "escalate to L3 failed"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with bob" || fail "bob's view did not end at the escalation to L3"
wait_count 10 "$HELPER_OUT" "^LOGS bob from the technical support team asks" 1 || fail "no second log prompt"
echo n >&7
wait_line 10 "$HELPER_OUT" "^LOGS refused" || fail "the helper did not refuse"
wait_events 10 "$T" logs-refused 1 ||
	fail "the refusal was not recorded"
note "escalated to L3; the customer's refusal of logs is recorded"

as carol take "$T" >/dev/null || fail "carol could not take the ticket"
as carol resolve "$T" --note "Driver patched; printing works" | grep -q resolved || fail "resolve failed"
wait_line 10 "$HELPER_OUT" "^SESSION ENDED: your technician marked your request as resolved$" || fail "the customer was not told"
as carol ticket show "$T" --json | grep -q '"state":"resolved","tier":"L3"' || fail "ticket not resolved at L3"
check_hashes

for kind in created code-issued customer-connected consent-asked consent-granted technician-joined technician-left \
	chat note escalated attachment-added logs-requested logs-refused taken resolved; do
	[ "$(event_count "$T" "$kind")" -ge 1 ] || fail "no $kind event"
done
[ "$(event_count "$T" escalated)" = 2 ] || fail "expected 2 escalations"
[ "$(event_count "$T" taken)" = 2 ] || fail "expected 2 takeovers"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM attachments WHERE ticket_id=$T")" = 5 ] ||
	fail "expected 5 attachments (2 transcripts, 2 handover notes, 1 log bundle)"
note "events and attachments complete: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$T") events"

# An auditor replays alice's recorded view with the ticket's events from an export on its timeline.
as audrey export "$T" >"$E2E_TMP/story.export" || fail "export failed"
seg=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='recording-closed' AND actor='alice'" |
	cut -d' ' -f1 | head -1)
[ -n "$seg" ] || fail "alice's view was not recorded"
"$BIN/handoff-tech" replay "$RELAY_DIR/$seg" --key "$E2E_TMP/recording.key" --events "$E2E_TMP/story.export" \
	--audit-key "$RELAY_DIR/keys/audit_ed25519.pub" --headless >"$E2E_TMP/timeline.out" 2>&1 ||
	fail "replay with events failed: $(tail -3 "$E2E_TMP/timeline.out")"
grep -q "^event [0-9.]* chat alice (L1): Hello, I am Alice from the help desk$" "$E2E_TMP/timeline.out" &&
	grep -q "^event [0-9.]* chat customer: It says error 0x12" "$E2E_TMP/timeline.out" &&
	grep -q "^event [0-9.]* escalated alice (L1): L1 -> L2: Reinstalled the driver" "$E2E_TMP/timeline.out" ||
	fail "the replay's timeline lacks the chat or the escalation: $(grep '^event' "$E2E_TMP/timeline.out" | head)"
note "replay shows chat and escalation on the recording's timeline ($(grep -c '^event' "$E2E_TMP/timeline.out") events)"

# Resolving ended the customer's session (the helper said so and left); the relay restarts; the record is exactly as it was.
wait_line 10 "$HELPER_OUT" "^SESSION ENDED" || fail "the helper did not say the session ended: $(tail -3 "$HELPER_OUT")"
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end after the resolution"
# The relay has written the customer's leaving (it logs it after the event is stored).
wait_count 10 "$RELAY_LOG" "customer for ticket $T left" "$(grep -c "customer for ticket $T logged in" "$RELAY_LOG")" ||
	fail "the relay did not see the customer leave"
as audrey ticket show "$T" --json >"$E2E_TMP/before.json"
stop_relay
restart_relay
as audrey ticket show "$T" --json >"$E2E_TMP/after.json"
cmp -s "$E2E_TMP/before.json" "$E2E_TMP/after.json" || fail "the record changed across a restart: $(diff "$E2E_TMP/before.json" "$E2E_TMP/after.json" | head)"
check_hashes
note "after a restart every event and attachment is still there"
stop_relay
