#!/bin/bash
# A customer without a code: the bundle's intake token lets the helper open
# a new ticket in the L1 queue with a short description (here in Japanese,
# through the terminal UI). The ticket is live at once; a technician sees
# it in the queue, takes it, is asked for consent and gets pixels. A wrong
# token counts against the source like a wrong code, the per-token hourly
# limit refuses the next intake with a clear message, a revoked token opens
# nothing, and the token is nowhere in the relay's log or database. The
# window's path is driven with xdotool: "I have no code", a Japanese
# description typed into the field, a name, "Ask for help".
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay "intake_per_hour = 2"
start_xvfb 1024 768

note "the bundle mints an intake token: in its args, only its HMAC in the database"
"$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/helper.run" --org "Acme IT" >"$E2E_TMP/bundle.out" ||
	fail "bundle failed"
grep -q "intake token 1," "$E2E_TMP/bundle.out" || fail "bundle did not report its intake token: $(cat "$E2E_TMP/bundle.out")"
TOKEN=$(tr '\0' '\n' <"$E2E_TMP/helper.run" | grep -a -A1 -x -e '--intake-token' | tail -1)
[[ "$TOKEN" =~ ^[0-9a-f]{32}$ ]] || fail "no intake token in the bundle's args"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM intake_tokens WHERE length(hash)=32 AND org='Acme IT'")" = 1 ] ||
	fail "the intake token's hash was not recorded"
"$BIN/handoff-relay" intake "$RELAY_DIR" list >"$E2E_TMP/list.out" || fail "intake list failed"
grep -q "^1	.*	live	0 tickets	Acme IT$" "$E2E_TMP/list.out" || fail "intake list is wrong: $(cat "$E2E_TMP/list.out")"

# start_intake NAME TOKEN: a tty helper with only an intake token, answering from fd 7.
start_intake() {
	HELPER_OUT="$E2E_TMP/$1.out"
	rm -f "$E2E_TMP/$1.in"
	mkfifo "$E2E_TMP/$1.in"
	"$BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --intake-token "$2" \
		--display "$XDISPLAY" --ui tty --lang ja <"$E2E_TMP/$1.in" >"$HELPER_OUT" 2>"$E2E_TMP/$1.log" &
	HELPER_PID=$!
	track $HELPER_PID
	exec 7>"$E2E_TMP/$1.in"
}

note "a description in Japanese opens an L1 ticket that is live for this helper"
DESC="プリンターで印刷できません"
start_intake first "$TOKEN"
wait_line 15 "$HELPER_OUT" "^NO CODE お困りの内容を短く" || fail "the helper did not ask for a description: $(cat "$HELPER_OUT")"
echo "$DESC" >&7
wait_line 15 "$HELPER_OUT" "^NAME お名前" || fail "the helper did not ask for a name"
echo "山田 花子" >&7
wait_line 15 "$RELAY_LOG" "customer opened ticket [0-9]* in the L1 queue" || fail "no ticket was opened: $(tail -5 "$RELAY_LOG")"
T=$(sed -n 's/.*customer opened ticket \([0-9]*\) in the L1 queue.*/\1/p' "$RELAY_LOG" | tail -1)
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the helper did not connect: $(tail -3 "$E2E_TMP/first.log")"
wait_line 15 "$RELAY_LOG" "ticket $T is live" || fail "ticket $T is not live"
tech_ssh alice queue >"$E2E_TMP/queue.out" || fail "queue failed"
grep -q "$DESC" "$E2E_TMP/queue.out" || fail "the ticket is not in the L1 queue: $(cat "$E2E_TMP/queue.out")"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT tier || ' ' || priority || ' ' || customer_name FROM tickets WHERE id=$T")" = "L1 P3 山田 花子" ] ||
	fail "the ticket's tier, priority or customer name is wrong"
[ "$(event_count "$T" ticket-opened-by-customer)" = 1 ] || fail "no ticket-opened-by-customer event"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='ticket-opened-by-customer'" |
	grep -q "^intake token 1 from 127.0.0.1$" || fail "the event does not name the source"

note "a technician takes it, the customer is asked, and pixels flow"
tech_ssh alice take "$T" >/dev/null || fail "take failed"
start_viewer "$T"
wait_line 15 "$HELPER_OUT" "^CONSENT ヘルプデスクの alice さんが" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/intake.ppm"
[ -s "$E2E_TMP/intake.ppm" ] || fail "no pixels"
kill "$VIEWER_PID" 2>/dev/null
kill -TERM "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null
exec 7>&-

note "a wrong token is refused and counted by the guard like a wrong code"
wrong=$(printf '%032x' 12345)
for i in 1 2 3; do
	[ "$("$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" 127.0.0.2 "intake:$wrong" 2>>"$E2E_TMP/hostile.err")" = refused ] ||
		fail "wrong token $i was not refused"
	relay_clock $((i * 10))
done
wait_for 5 test "$(event_count 0 code-backoff)" -ge 1 || fail "the guard did not count wrong tokens"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=0 AND kind='code-backoff'" |
	grep -q "^127.0.0.2: 3 wrong codes" || fail "the back-off does not name the source"

note "the hourly limit: the second intake gets in, the third is refused with a clear message"
start_intake second "$TOKEN"
wait_line 15 "$HELPER_OUT" "^NO CODE" || fail "second: no description asked"
echo "second problem" >&7
# A name longer than the ticket keeps (128 bytes): cut at a character, never inside one.
printf 'あ%.0s' $(seq 60) >&7
echo >&7
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "second intake refused: $(tail -3 "$E2E_TMP/second.log")"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT length(customer_name) || ' ' || length(CAST(customer_name AS BLOB)) FROM tickets WHERE summary='second problem'")" = "42 126" ] ||
	fail "the long name was not cut at a character boundary"
kill -TERM "$HELPER_PID"
wait "$HELPER_PID" 2>/dev/null
exec 7>&-
start_intake third "$TOKEN"
wait_line 15 "$HELPER_OUT" "^NO CODE" || fail "third: no description asked"
echo "third problem" >&7
echo "" >&7
wait_for 20 sh -c "! kill -0 $HELPER_PID 2>/dev/null" || fail "the third intake did not end"
rc=0
wait "$HELPER_PID" || rc=$?
exec 7>&-
[ "$rc" = 1 ] || fail "the refused helper exited with $rc"
grep -q "この 1 時間に、このプログラムから多くのサポート依頼が送られました" "$E2E_TMP/third.log" ||
	fail "the customer was not told about the limit: $(cat "$E2E_TMP/third.log")"
[ "$(event_count 0 intake-limited)" = 1 ] || fail "no intake-limited event"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM tickets WHERE summary='third problem'")" = 0 ] ||
	fail "the refused intake opened a ticket"

note "the window: I have no code, Back, I have no code, a description in Japanese, a name, Ask for help"
"$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/helper2.run" --org "Acme IT" >"$E2E_TMP/bundle2.out" ||
	fail "the second bundle failed"
TOKEN2=$(tr '\0' '\n' <"$E2E_TMP/helper2.run" | grep -a -A1 -x -e '--intake-token' | tail -1)
[[ "$TOKEN2" =~ ^[0-9a-f]{32}$ ]] && [ "$TOKEN2" != "$TOKEN" ] || fail "the second bundle has no token of its own"
SHOTS="$E2E_TMP/shots"
mkdir -p "$SHOTS"
LANG_NOW=ja
. "$(dirname "$0")/window_lib.sh"
WIN_OUT="$E2E_TMP/window.out"
# SDL and the X libraries keep allocations until exit that are not ours (as in test_helper_window.sh).
start_window_helper window.log --intake-token "$TOKEN2" --org "Acme IT" --lang ja
win=$WIN_PID
wait_state 15 "screen=code"
win_geometry
mark
click nocode
wait_state 10 "screen=intake"
# Back to the code entry (the customer found the code after all), then here again.
mark
click back
wait_state 10 "screen=code"
mark
click nocode
wait_state 10 "screen=intake"
field describe
type_text "画面が固まりました"
field name
type_text "Sato"
mark
shot intake
click open
wait_state 20 "screen=main"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT tier || ' ' || customer_name FROM tickets WHERE summary='画面が固まりました'")" = "L1 Sato" ] ||
	fail "the window's description did not open an L1 ticket: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id, summary, customer_name FROM tickets")"
tech_ssh alice queue | grep -q "画面が固まりました" || fail "the window's ticket is not in the queue"
kill -TERM "$win"
wait "$win" 2>/dev/null

note "a revoked token opens nothing"
"$BIN/handoff-relay" intake "$RELAY_DIR" revoke 1 >/dev/null || fail "intake revoke failed"
relay_clock 7300 # past the hour and any back-off
[ "$("$TOOLS/hostile" code 127.0.0.1 "$RELAY_PORT" 127.0.0.3 "intake:$TOKEN" 2>>"$E2E_TMP/hostile.err")" = refused ] ||
	fail "a revoked token was accepted"
[ "$(event_count 0 intake-revoked)" = 1 ] || fail "no intake-revoked event"

note "the token is in neither the relay's log nor its database"
stop_relay
for f in "$RELAY_LOG" "$RELAY_DIR"/handoff.db*; do
	grep -a -q -e "$TOKEN" -e "$TOKEN2" "$f" && fail "an intake token is in $f"
done
note "ok"
