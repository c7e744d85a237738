# Before allowing log collection the customer can read exactly what would
# be sent: in the terminal UI, "show" prints the bundle (each line after
# "| "), and what the ticket then gets is byte for byte that text, though
# the system facts in it (uptime, the clock) change from one collection to
# the next: the bundle shown is the bundle sent. The question names the
# technician and the items in words (no "L1", no "system journal"), in
# English and in Japanese. A refusal after a preview sends nothing.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
printf 'boot ok\nprinter: error 0x12 since 09:14\nprinter: queue stalled\n' >"$E2E_TMP/app.log"
start_relay "log_sources = facts, file $E2E_TMP/app.log 2, journal 3"

# ask_logs LANG: a tty helper on a new ticket, watched by alice, then an escalation asks for logs.
ask_logs() {
	new_ticket_code "Preview $1"
	start_helper "$CODE" "helper-$1" --lang "$1" --org "Acme IT"
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "$1: helper did not connect"
	tech_ssh alice escalate "$TICKET" --to L2 --note "Preview test" >/dev/null || fail "$1: escalate failed"
	wait_line 15 "$HELPER_OUT" "^LOGS " || fail "$1: no logs question: $(tail -3 "$HELPER_OUT")"
}

note "English: the question in words, show, then y: the ticket gets what was shown"
ask_logs en
grep -q "^LOGS alice from Acme IT's help desk asks for information about this computer" "$HELPER_OUT" ||
	fail "the question does not name alice in words: $(grep '^LOGS' "$HELPER_OUT")"
grep -q "^  - the newest 2 lines of the record file $E2E_TMP/app.log$" "$HELPER_OUT" &&
	grep -q "^  - the newest 3 messages this computer recorded about what it was doing$" "$HELPER_OUT" &&
	grep -q "^  - basic facts about this computer" "$HELPER_OUT" || fail "the items are not in words: $(cat "$HELPER_OUT")"
! grep -q -i "journal\|(L1)\|ticket" "$HELPER_OUT" || fail "jargon in the terminal: $(grep -i 'journal\|(L1)\|ticket' "$HELPER_OUT")"
echo show >&7
wait_line 20 "$HELPER_OUT" "^PREVIEW end" || fail "no preview: $(tail -3 "$HELPER_OUT")"
awk '/^PREVIEW of what would be sent/ { n++ } n == 1' "$HELPER_OUT" | sed -n '/^PREVIEW end/q; s/^| //p; s/^|$//p' >"$E2E_TMP/shown.txt"
grep -q "printer: queue stalled" "$E2E_TMP/shown.txt" || fail "the preview lacks the log file"
bytes=$(sed -n 's/^PREVIEW of what would be sent (\([0-9]*\) bytes).*/\1/p' "$HELPER_OUT")
[ -n "$bytes" ] || fail "the preview does not say its size"
# Uptime and the clock move on, so a new collection would differ from the preview; a
# second show prints the same text: nothing is collected again.
sleep 1.1 # not a wait: the clock must move on, so that a new collection would differ
echo show >&7
wait_count 20 "$HELPER_OUT" "^PREVIEW end" 2 || fail "no second preview"
awk '/^PREVIEW of what would be sent/ { n++ } n == 2' "$HELPER_OUT" | sed -n '/^PREVIEW end/q; s/^| //p; s/^|$//p' >"$E2E_TMP/shown2.txt"
cmp -s "$E2E_TMP/shown.txt" "$E2E_TMP/shown2.txt" || fail "the second preview differs: $(diff "$E2E_TMP/shown.txt" "$E2E_TMP/shown2.txt" | head -5)"
echo y >&7
wait_line 15 "$HELPER_OUT" "^LOGS sent ($bytes bytes)" || fail "the logs sent were not the $bytes bytes shown: $(grep '^LOGS' "$HELPER_OUT")"
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM attachments WHERE ticket_id=$TICKET AND kind='logs'\") = 1 ]" ||
	fail "the logs were not attached"
lid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")
tech_ssh alice ticket attachment "$TICKET" "$lid" >"$E2E_TMP/sent.txt" || fail "ticket attachment failed"
[ "$(wc -c <"$E2E_TMP/sent.txt")" = "$bytes" ] || fail "the ticket got $(wc -c <"$E2E_TMP/sent.txt") bytes, not $bytes"
# The preview shows control characters as '?'; the test's log has none, so the texts are equal.
cmp -s "$E2E_TMP/shown.txt" "$E2E_TMP/sent.txt" || fail "what was sent is not what was shown: $(diff "$E2E_TMP/shown.txt" "$E2E_TMP/sent.txt" | head -5)"
echo end >&7
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
exec 7>&-

note "Japanese: the question and items in words; show, then n: nothing is attached"
ask_logs ja
grep -q "^LOGS Acme IT ヘルプデスクの alice さんが、問題の原因を調べるために" "$HELPER_OUT" ||
	fail "the Japanese question is wrong: $(grep '^LOGS' "$HELPER_OUT")"
grep -q "^  - 記録ファイル $E2E_TMP/app.log の最新の 2 行$" "$HELPER_OUT" &&
	grep -q "^  - このコンピューターが自分の動作について記録した最新のメッセージ 3 件$" "$HELPER_OUT" ||
	fail "the Japanese items are wrong: $(cat "$HELPER_OUT")"
echo show >&7
wait_line 20 "$HELPER_OUT" "^PREVIEW ここまで" || fail "no Japanese preview: $(tail -3 "$HELPER_OUT")"
grep -q "^| printer: queue stalled$" "$HELPER_OUT" || fail "the Japanese preview lacks the log file"
echo n >&7
wait_line 10 "$HELPER_OUT" "^LOGS 送信しませんでした" || fail "the refusal was not confirmed"
wait_events 10 "$TICKET" logs-refused 1 ||
	fail "the refusal was not recorded"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")" = 0 ] ||
	fail "a refused preview was attached"
echo end >&7
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
stop_relay
note "ok"
