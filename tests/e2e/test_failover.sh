# Two relays on one PostgreSQL (issue 18, Failure): support codes are the
# store's, not a relay's; guessing limits hold across relays; the customer's
# relay dies (kill -9) in the middle of a session and the session goes on
# through the other one.
#   - relay b has relay a's code.key (the shared secret, SECURITY.md); a
#     third home with its own code.key is refused by the store's check;
#   - a code issued on a is redeemed on b;
#   - 5 wrong tries against one code, split between a and b, lock it (the
#     right code is then refused on either); a source's wrong codes are
#     counted in the store by both relays, and a wait counted there holds
#     the source back on the other relay;
#   - customer on a (bundle-style --also-relay b), alice's viewer on a with
#     --also-relay b; kill -9 a: the helper comes back through b with its
#     resume token, the viewer too, the customer is not asked again for
#     alice, the picture is the same, chat goes on, the ticket stays live;
#   - a restarts: the segment the crash cut is recorded as truncated and
#     replays to the live picture; verify passes.
. "$(dirname "$0")/lib.sh"

start_postgres
start_xvfb 320 240
draw_pattern
# A wrong code makes its source wait 1 s at most here, so the five tries below take seconds.
start_relay "store = $PG_URL" "code_backoff_max = 1"
add_user audrey auditor
grep -q "support codes: the key shared by the relays of this store (registered now)" "$RELAY_LOG" ||
	fail "relay a did not register the shared code key: $(head -5 "$RELAY_LOG")"
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG

# new_home NAME: a relay home on the same store (users are the store's); sets RELAY_DIR RELAY_PORT RELAY_FP.
new_home() {
	new_relay_home "$1" "store = $PG_URL" "code_backoff_max = 1"
}

# A relay whose code.key is its own: its codes could not be checked elsewhere, so it may not serve.
new_home relay-c
rc=0
timeout 20 "$BIN/handoff-relay" serve "$RELAY_DIR" >"$RELAY_DIR.out" 2>"$RELAY_LOG" || rc=$?
[ "$rc" != 0 ] || fail "relay c served with a code.key of its own"
grep -q "code.key is not the one the other relays of this store use" "$RELAY_LOG" ||
	fail "relay c did not say why: $(cat "$RELAY_LOG")"

# Relay b: the operator copies code.key from relay a (mode and owner kept).
new_home relay-b
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
grep -q "support codes: the key shared by the relays of this store$" "$RELAY_LOG" ||
	fail "relay b does not use the shared code key: $(head -5 "$RELAY_LOG")"
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG
on_a() { RELAY_DIR=$A_DIR RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_LOG=$A_LOG RELAY_PID=$A_PID; }
on_b() { RELAY_DIR=$B_DIR RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_LOG=$B_LOG RELAY_PID=$B_PID; }

# A code issued on a, redeemed on b.
on_a
new_ticket_code "Issued on a"
T1=$TICKET
on_b
start_helper "$CODE" helper1
wait_line 15 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $T1\." ||
	fail "the code issued on relay a did not sign in on relay b: $(tail -3 "$E2E_TMP/helper1.log")"
grep -q "customer for ticket $T1 logged in with a support code" "$B_LOG" || fail "relay b did not log the sign-in"
kill -TERM "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null || true
note "code issued on relay a redeemed on relay b (ticket $T1)"

# Five wrong tries against one code, alternating a and b.
on_a
new_ticket_code "Guessed at"
T2=$TICKET
digits=$(echo "$CODE" | tr -d -)
last=$(( (10#${digits:11:1} + 1) % 10 ))
WRONG="${digits:0:11}$last"
code_failures() { db_query "SELECT failures FROM codes WHERE ticket_id=$T2"; }
# wrong_try N: one wrong code, on the relay in use; true once the store counted the N-th wrong try
# (a try while the source still waits is not checked, and is made again).
wrong_try() {
	try_helper wrong "$WRONG"
	[ "$(code_failures)" -ge "$1" ]
}
for n in 1 2 3 4 5; do
	if [ $((n % 2)) = 1 ]; then on_a; else on_b; fi
	wait_for 20 wrong_try "$n" || fail "wrong try $n was not counted: $(code_failures) failures"
done
[ "$(code_failures)" = 5 ] || fail "not 5 failures: $(code_failures)"
grep -q "support code refused: wrong code" "$A_LOG" || fail "relay a counted no wrong try"
grep -q "support code refused: wrong code" "$B_LOG" || fail "relay b counted no wrong try"
# The right code is now refused on both relays, as locked (once the source's wait is over).
right_locked() {
	try_helper right "$CODE"
	[ "$HELPER_RC" != 0 ] || fail "the locked code signed in on relay $1"
	grep -q "support code refused: locked after too many wrong tries" "$RELAY_LOG"
}
for r in a b; do
	on_$r
	wait_for 20 right_locked $r || fail "the code is not refused as locked on relay $r"
done
# The source's wrong codes are the store's: both relays counted them in one row...
src=$(db_query "SELECT failures FROM code_sources WHERE source = '127.0.0.1'")
[ "${src:-0}" -ge 5 ] || fail "the store counted ${src:-no} wrong codes from 127.0.0.1"
# ...and a wait counted there holds the source back on either relay, unchecked.
db_query "UPDATE code_sources SET next_allowed = extract(epoch FROM now())::bigint + 3600 WHERE source = '127.0.0.1'" >/dev/null
on_b
try_helper held "$WRONG"
wait_for 10 grep -q "support code refused: not checked: this source must wait" "$B_LOG" ||
	fail "relay b checked a code from a source the store holds back"
db_query "DELETE FROM code_sources" >/dev/null
# The minute's wrong codes are the store's too: both relays' failures are in its window, and a full
# window counted there (more than 4 times the cap) holds back every source on either relay.
win=$(db_query "SELECT sum(n) FROM code_failures")
[ "${win:-0}" -ge 5 ] || fail "the store's window counted ${win:-no} wrong codes"
db_query "INSERT INTO code_failures (at_second, n) VALUES (extract(epoch FROM now())::bigint, 100000) ON CONFLICT (at_second) DO UPDATE SET n = 100000" >/dev/null
try_helper capped "$WRONG"
wait_for 10 grep -q "support code refused: not checked: too many wrong codes in the last minute" "$B_LOG" ||
	fail "relay b checked a code while the store's minute was full"
db_query "DELETE FROM code_failures" >/dev/null
note "5 wrong tries split across relays a and b locked the code on both; the source's back-off ($src wrong codes) and the per-minute cap ($win in the window) are the store's"

# The session: the customer on a, told of b as the bundle tells it; alice's viewer on a, told of b too.
on_a
new_ticket_code "Relay a dies"
T3=$TICKET
start_helper "$CODE" helper --also-relay "$RELAY_HOST:$B_PORT=$B_FP"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
wait_line 10 "$E2E_TMP/helper.log" "the relay gave a resume token" || fail "no resume token: $(tail -3 "$E2E_TMP/helper.log")"
# start_viewer_as with the other relay named (a global option, before the command).
VIEWER_OUT=$E2E_TMP/viewer.out VIEWER_IN=$E2E_TMP/viewer.in
mkfifo "$VIEWER_IN"
"$BIN/handoff-tech" --relay "$RELAY_HOST:$A_PORT" --identity "$E2E_TMP/alice" --host-key "$A_FP" \
	--also-relay "$RELAY_HOST:$B_PORT=$B_FP" view "$T3" --headless <"$VIEWER_IN" >"$VIEWER_OUT" 2>"$E2E_TMP/viewer.log" &
VIEWER_PID=$!
track $VIEWER_PID
exec 8>"$VIEWER_IN"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/live.ppm"
seg=$(ls "$A_DIR"/recordings/"$T3"/*.hrec)
# The relay seals what it holds once a second: wait until the segment on disk shows the picture.
replays_live() {
	"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless \
		--snapshot "$E2E_TMP/flushed.ppm" >/dev/null 2>&1 && cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/flushed.ppm"
}
wait_for 15 replays_live || fail "the open segment never showed the live picture"
as alice chat "$T3" "before the crash" || fail "chat on relay a failed"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): before the crash" || fail "the customer did not see the chat"

kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
wait_line 30 "$E2E_TMP/helper.log" "the session goes on through relay 2 of 2" ||
	fail "the helper did not come back through relay b: $(tail -5 "$E2E_TMP/helper.log")"
grep -q "customer for ticket $T3 logged in with a resume token" "$B_LOG" || fail "relay b did not log the resume"
wait_line 60 "$E2E_TMP/viewer.log" "ticket $T3: reconnected" ||
	fail "the viewer did not come back through relay b: $(tail -5 "$E2E_TMP/viewer.log")"
wait_line 10 "$E2E_TMP/helper.log" "allowed again after the reconnection" ||
	fail "the helper did not allow alice again: $(tail -5 "$E2E_TMP/helper.log")"
[ "$(grep -c '^CONSENT' "$HELPER_OUT")" = 1 ] || fail "the customer was asked again for alice: $(grep '^CONSENT' "$HELPER_OUT")"
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/after.ppm"
cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/after.ppm" || fail "the picture through relay b is not the customer's screen"
on_b
as alice chat "$T3" "after the crash" || fail "chat on relay b failed"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): after the crash" || fail "the customer did not see the chat through b"
echo "still here" >&7
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c \"SELECT count(*) FROM events WHERE ticket_id=$T3 AND kind='chat' AND detail='still here'\")\" = 1 ]" ||
	fail "the customer's line through relay b was not recorded"
state=$(db_query "SELECT state FROM tickets WHERE id=$T3")
[ "$state" = in-session ] || [ "$state" = open ] || fail "ticket $T3 is $state after the failover"
[ "$(db_query "SELECT count(*) FROM events WHERE ticket_id=$T3 AND kind='customer-connected' AND detail LIKE '%resumed%'")" = 1 ] ||
	fail "no customer-connected (resumed) record"
note "kill -9 of relay a: helper and viewer back through relay b, no second consent prompt, same picture, chat both ways"

# Relay a comes back: the segment the crash cut is closed as truncated and replays.
on_a
restart_relay
A_PID=$RELAY_PID
[ ! -f "$seg.open" ] || fail "the restarted relay did not close the segment"
db_query "SELECT detail FROM events WHERE ticket_id=$T3 AND kind='recording-closed'" | grep -q " truncated$" ||
	fail "the cut segment was not recorded as truncated"
"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless --snapshot "$E2E_TMP/replayed.ppm" \
	>"$E2E_TMP/replay.out" 2>&1 || fail "the truncated segment does not replay: $(cat "$E2E_TMP/replay.out")"
grep -qi "truncated" "$E2E_TMP/replay.out" || fail "replay did not say the segment is truncated"
cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/replayed.ppm" || fail "the truncated segment does not show what the viewer saw"
ls "$B_DIR"/recordings/"$T3"/*.hrec >/dev/null 2>&1 || fail "relay b records the session it took over"
tech_ssh audrey verify >"$E2E_TMP/verify.out" 2>&1 || fail "verify failed after the failover: $(cat "$E2E_TMP/verify.out")"
grep -q "^chain ok" "$E2E_TMP/verify.out" || fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
note "relay a restarted: cut segment truncated, replays to the live picture; $(head -1 "$E2E_TMP/verify.out")"
