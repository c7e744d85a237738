# The operator's accounts: user list, disable, enable, remove, against a
# serving relay (a separate process from the user command). A disabled
# account cannot log in; a removed one's live chat stream ends within a few
# seconds (the relay re-reads signed-in accounts once a second), and so does
# a disabled one's live view; its old
# events keep its name; its unfinished tickets go back to the queue; the
# name is not given again.
. "$(dirname "$0")/lib.sh"

start_relay
add_user bob tech L1
add_user audrey auditor

# list: name, role, tier, state and the key's fingerprint, as ssh-keygen computes it.
"$BIN/handoff-relay" user list "$RELAY_DIR" >"$E2E_TMP/list.txt" || fail "user list failed"
bob_fp=$(ssh-keygen -lf "$E2E_TMP/bob.pub" | awk '{print $2}')
awk -v fp="$bob_fp" '$1 == "bob" && $2 == "tech" && $3 == "L1" && $4 == "active" && $5 == fp && NF == 5 {ok = 1} END {exit !ok}' \
	"$E2E_TMP/list.txt" || fail "user list: $(cat "$E2E_TMP/list.txt")"
grep -Eq "^audrey +auditor +- +active +SHA256:" "$E2E_TMP/list.txt" || fail "user list lacks the auditor"
"$BIN/handoff-relay" user list "$RELAY_DIR" --json >"$E2E_TMP/list.json" || fail "user list --json failed"
grep -qx "{\"name\":\"bob\",\"role\":\"tech\",\"tier\":\"L1\",\"state\":\"active\",\"key\":\"$bob_fp\",\"state_since\":0}" \
	"$E2E_TMP/list.json" || fail "user list --json: $(cat "$E2E_TMP/list.json")"
note "user list shows name, role, tier, state and fingerprint (text and --json)"

# disable: refused at login, by a stock ssh; enable lets in again.
T=$(tech_ssh bob ticket new "Scanner") || fail "bob could not open a ticket"
"$BIN/handoff-relay" user disable "$RELAY_DIR" bob >/dev/null || fail "user disable failed"
rc=0
tech_ssh bob whoami >/dev/null 2>&1 || rc=$?
[ "$rc" = 255 ] || fail "a disabled account logged in (ssh exit $rc)"
wait_line 5 "$RELAY_LOG" "bob is disabled: login refused" || fail "the relay did not log the refusal"
grep -Eq "^bob +tech +L1 +disabled " <("$BIN/handoff-relay" user list "$RELAY_DIR") || fail "list does not say disabled"
"$BIN/handoff-relay" user enable "$RELAY_DIR" bob >/dev/null || fail "user enable failed"
tech_ssh bob whoami >/dev/null || fail "bob cannot log in after enable"
rc=0
"$BIN/handoff-relay" user enable "$RELAY_DIR" bob >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "bob is active already" "$E2E_TMP/err" || fail "enable twice: rc $rc, $(cat "$E2E_TMP/err")"
note "a disabled account's ssh login is refused; enable lets it in again"

# remove, while bob follows his ticket's chat live: the stream ends.
tech_ssh bob chat "$T" "Hello from Bob" || fail "bob's chat failed"
mkfifo "$E2E_TMP/stream.in"
"$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/bob" --host-key "$RELAY_FP" \
	chat "$T" <"$E2E_TMP/stream.in" >"$E2E_TMP/stream.out" 2>&1 &
stream=$!
track $stream
exec 9>"$E2E_TMP/stream.in"
wait_line 10 "$E2E_TMP/stream.out" "Hello from Bob" || fail "the stream did not start: $(cat "$E2E_TMP/stream.out")"
start=$(date +%s%N)
"$BIN/handoff-relay" user remove "$RELAY_DIR" bob >"$E2E_TMP/remove.out" || fail "user remove failed"
ended=0
for _ in $(seq 1 50); do
	if ! kill -0 "$stream" 2>/dev/null; then
		ended=1
		break
	fi
	sleep 0.1
done
[ "$ended" = 1 ] || fail "bob's chat stream outlived his removal by 5 s"
ms=$((($(date +%s%N) - start) / 1000000))
exec 9>&-
wait_line 5 "$RELAY_LOG" "technician bob is removed: session ended" || fail "the relay did not log the ended session"
grep -q "your account was removed by the relay's operator" "$E2E_TMP/stream.out" ||
	fail "the stream did not say why it ended: $(cat "$E2E_TMP/stream.out")"
note "a removed account's live chat stream ended ${ms} ms after user remove (bound: 5 s; the check runs once a second)"

# Its past stays: the events name bob, the ticket is back in the L1 queue, the chain verifies.
tech ticket show "$T" >"$E2E_TMP/show.txt" || fail "ticket show failed"
grep -q "bob" "$E2E_TMP/show.txt" && grep -q "Hello from Bob" "$E2E_TMP/show.txt" ||
	fail "the old events lost bob's name: $(cat "$E2E_TMP/show.txt")"
grep -q "owner-removed" "$E2E_TMP/show.txt" || fail "no owner-removed event: $(cat "$E2E_TMP/show.txt")"
grep -q "ticket $T has no owner now" "$E2E_TMP/remove.out" || fail "remove did not say the ticket went back"
tech queue | grep -q "Scanner" || fail "bob's ticket is not back in the L1 queue: $(tech queue)"
as audrey verify >"$E2E_TMP/verify.txt" || fail "the audit chain does not verify after removal: $(cat "$E2E_TMP/verify.txt")"
[ "$(event_count 0 user-removed)" = 1 ] && [ "$(event_count 0 user-disabled)" = 1 ] &&
	[ "$(event_count 0 user-enabled)" = 1 ] || fail "the account changes are not in ticket 0's record"
note "old events still name bob; his ticket is back in the queue; the chain verifies; changes are audited"

# Final: no key, cannot log in, cannot be enabled, the name is not given again; the key may be.
rc=0
tech_ssh bob whoami >/dev/null 2>&1 || rc=$?
[ "$rc" = 255 ] || fail "a removed account logged in (ssh exit $rc)"
grep -Eq "^bob +tech +L1 +removed +-\$" <("$BIN/handoff-relay" user list "$RELAY_DIR") || fail "list does not say removed"
rc=0
"$BIN/handoff-relay" user enable "$RELAY_DIR" bob >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "removal is final" "$E2E_TMP/err" || fail "a removed account was enabled: $(cat "$E2E_TMP/err")"
rc=0
"$BIN/handoff-relay" user add "$RELAY_DIR" bob --role tech --tier L1 --key "$E2E_TMP/bob.pub" >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "bob was removed; the name stays with its past events" "$E2E_TMP/err" ||
	fail "a removed name was given again: rc $rc, $(cat "$E2E_TMP/err")"
"$BIN/handoff-relay" user add "$RELAY_DIR" bob2 --role tech --tier L1 --key "$E2E_TMP/bob.pub" >/dev/null ||
	fail "the removed account's key cannot be registered to a new name"
rc=0
"$BIN/handoff-relay" user remove "$RELAY_DIR" nobody-here >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "no user named nobody-here" "$E2E_TMP/err" || fail "removing an unknown user: $(cat "$E2E_TMP/err")"
note "removal is final: no login, no enable, the name is not reused; the key may go to a new name"

# disable, while carol views a customer's screen: the view ends, the customer's session stays.
start_xvfb 640 480
add_user carol tech L1
TICKET=$(as carol ticket new "Printer") || fail "carol could not open a ticket"
CODE=$(as carol invite "$TICKET") || fail "carol could not invite"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
start_viewer_as carol "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
start=$(date +%s%N)
"$BIN/handoff-relay" user disable "$RELAY_DIR" carol >/dev/null || fail "user disable failed"
ended=0
for _ in $(seq 1 50); do
	if ! kill -0 "$VIEWER_PID" 2>/dev/null; then
		ended=1
		break
	fi
	sleep 0.1
done
[ "$ended" = 1 ] || fail "carol's view outlived her account's disabling by 5 s"
ms=$((($(date +%s%N) - start) / 1000000))
wait_line 5 "$RELAY_LOG" "technician carol is disabled: session ended" || fail "the relay did not log the ended view"
kill -0 "$HELPER_PID" 2>/dev/null || fail "the customer's helper went down with the technician's view"
exec 8>&-
grep -q "your account was disabled by the relay.s operator" "$E2E_TMP/viewer.log" && ! grep -q "trying again" "$E2E_TMP/viewer.log" ||
	fail "the viewer did not stop with the reason: $(cat "$E2E_TMP/viewer.log")"
note "a disabled account's live view ended ${ms} ms after user disable; the customer's helper stays connected"
stop_relay
