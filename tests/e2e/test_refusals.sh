# Every refusal gives a clear error, and the relay keeps serving the
# session that was live all along.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
# Every try here comes from 127.0.0.1: the shortest back-off (1 s, waited out in refused) keeps
# the store's own refusals in view; test_bruteforce.sh covers the back-off.
start_relay "code_backoff_max = 1"
new_ticket_code "Live all along"
start_helper "$CODE" live
exec 6>&7 # keeps the live helper's input open while fd 7 serves other helpers
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the live helper did not connect"

refused() { # NAME REASON-IN-RELAY-LOG
	[ "$HELPER_RC" = 1 ] || fail "$1: helper exit $HELPER_RC, expected 1: $(cat "$E2E_TMP/$1.err")"
	grep -q "support code was refused" "$E2E_TMP/$1.err" || fail "$1: no clear message: $(cat "$E2E_TMP/$1.err")"
	[ -z "$2" ] || grep -q "support code refused: $2" "$RELAY_LOG" || fail "$1: relay did not log '$2'"
	note "$1: refused"
	sleep 1.1 # not a wait for a condition: the 1 s back-off is time itself
}

try_helper wrong 0000-0000-0000
refused wrong ""

# A used code does not work twice.
new_ticket_code "Reuse"
reuse=$CODE
start_helper "$reuse" first
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the first use of a code failed"
echo end >&7
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
try_helper reused "$reuse"
refused reused "already used"

# Five wrong tries against a code kill it: the sixth, right one, is refused.
new_ticket_code "Guessing"
right=$CODE
locator=${right%%-*}
for i in 1 2 3 4 5; do
	guess="$locator-0000-000$i"
	[ "$guess" != "$right" ] || guess="$locator-1111-111$i"
	try_helper "guess$i" "$guess"
	refused "guess$i" "wrong code"
done
try_helper sixth "$right"
refused sixth "locked after too many wrong tries"

# The helper refuses a relay whose host key is not the pinned one.
new_ticket_code "Pinned"
HELPER_RC=0
timeout 20 "$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --code "$CODE" --display "$XDISPLAY" --ui tty \
	--host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" </dev/null >/dev/null 2>"$E2E_TMP/pin.err" || HELPER_RC=$?
[ "$HELPER_RC" = 1 ] && grep -q "host key mismatch" "$E2E_TMP/pin.err" || fail "wrong host key not refused: $(cat "$E2E_TMP/pin.err")"
grep -q "customer for ticket $TICKET logged in" "$RELAY_LOG" && fail "the code was sent to a relay with the wrong key"
note "wrong host key: refused before authenticating"

# Viewing a ticket with no live session, and one that does not exist.
nobody=$(tech_ssh alice ticket new "Nobody home") || fail "ticket new failed"
for t in "$nobody" 99; do
	rc=0
	echo quit | timeout 20 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" \
		--host-key "$RELAY_FP" view "$t" --headless >/dev/null 2>"$E2E_TMP/nolive.err" || rc=$?
	[ "$rc" = 1 ] || fail "view of ticket $t exited $rc"
	if [ "$t" = 99 ]; then
		grep -q "no ticket 99" "$E2E_TMP/nolive.err" || fail "no clear message: $(cat "$E2E_TMP/nolive.err")"
	else
		grep -q "no live session for ticket $t" "$E2E_TMP/nolive.err" || fail "no clear message: $(cat "$E2E_TMP/nolive.err")"
	fi
	note "view $t: $(head -1 "$E2E_TMP/nolive.err")"
done

# The customer says no.
HELPER_OUT="$E2E_TMP/live.out"
exec 7>"$E2E_TMP/live.in"
live_ticket=1
start_viewer "$live_ticket"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt"
echo n >&7
wait_for 15 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer kept waiting after a refusal"
grep -q "declined" "$E2E_TMP/viewer.log" || fail "viewer did not say the customer declined: $(cat "$E2E_TMP/viewer.log")"
note "declined: $(grep declined "$E2E_TMP/viewer.log" | head -1)"

# After all of that, the session that was live all along still works.
start_viewer "$live_ticket"
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 2 || fail "no second consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "quit"
note "the live session kept working through every refusal"
echo end >&7

# An expired code (a relay whose codes live one second).
stop_relay
RELAY_NAME=short start_relay "code_ttl = 1" "code_backoff_max = 1"
new_ticket_code "Too late"
sleep 2 # not a wait for a condition: the code lives 1 s, and time itself must pass
try_helper expired "$CODE"
refused expired "expired"
stop_relay
