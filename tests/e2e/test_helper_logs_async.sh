# Log collection runs beside the helper's event loop, not in it. journalctl
# is a stand-in on PATH (the one mock of the end-to-end tests: see
# tests/README.md) that writes its pid and then blocks on a fifo until the
# test writes to it. While it blocks: L2 takes the ticket, the customer
# allows L2's view, the first frame and then a changed screen reach the
# viewer, and chat goes both ways. Released, the stand-in's every line
# reaches the ticket. Cancelling: the customer stops sharing while a second
# collection blocks, and the stand-in is killed and reaped by the helper at
# once (the request is refused, nothing attached); the helper stopped by
# SIGTERM while a third blocks exits 0 (LeakSanitizer clean), the stand-in
# gone. Times are printed, never asserted.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
mkdir "$E2E_TMP/path"
GATE="$E2E_TMP/gate"
PIDS="$E2E_TMP/journal.pids"
mkfifo "$GATE"
# Builtins only once it runs, so a kill of the shell leaves nothing behind.
cat >"$E2E_TMP/path/journalctl" <<EOF
#!/bin/sh
echo \$\$ >>'$PIDS'
read -r _ <'$GATE'
echo 'stand-in journal: first line'
echo 'stand-in journal: second line'
echo 'stand-in journal: last line'
EOF
chmod 755 "$E2E_TMP/path/journalctl"
export PATH="$E2E_TMP/path:$PATH"
# The helper's 5 s cap on the journal would end a slow test machine's wait for it here.
export HANDOFF_JOURNAL_TIMEOUT_MS=600000

start_relay "log_sources = facts, journal 3"
add_user bob tech L2
add_user carol tech L3

ms() { date +%s%3N; }
# stand_in N: the pid of the Nth stand-in started, once it runs.
stand_in() {
	wait_for 15 sh -c "[ \$(wc -l <'$PIDS' 2>/dev/null || echo 0) -ge $1 ]" ||
		fail "journalctl stand-in $1 did not start: $(tail -3 "$E2E_TMP/helper.log")"
	sed -n "${1}p" "$PIDS"
}
# blocked PID SENT: the stand-in still waits at the gate, and the helper has sent SENT bundles, not more.
blocked() {
	kill -0 "$1" 2>/dev/null || fail "the stand-in $1 is gone before the gate opened"
	[ "$(grep -c "^LOGS sent" "$HELPER_OUT")" = "$2" ] || fail "logs were sent before the stand-in answered"
}

note "1. collection blocks; consent, frames and chat go on; then the bundle arrives whole"
new_ticket_code "Logs beside the loop"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
tech_ssh alice escalate "$TICKET" --to L2 --note "Async logs" >/dev/null || fail "escalate failed"
wait_line 15 "$HELPER_OUT" "^LOGS alice" || fail "no logs question: $(tail -3 "$HELPER_OUT")"
echo y >&7
pid1=$(stand_in 1)
t0=$(ms)
as bob take "$TICKET" | grep -q "is yours" || fail "bob could not take the ticket"
start_viewer_as bob "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT bob" || fail "no consent question while collecting: $(tail -3 "$HELPER_OUT")"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/first.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/first.ppm" >"$E2E_TMP/compare0.out" 2>&1 ||
	fail "the first frame differs from the screen: $(cat "$E2E_TMP/compare0.out")"
blocked "$pid1" 0
t1=$(ms)
DISPLAY=$XDISPLAY xlogo -geometry 60x60+130+90 >/dev/null 2>&1 &
track $!
wait_for 10 sh -c "! DISPLAY=$XDISPLAY '$TOOLS/xprobe' compare '$E2E_TMP/first.ppm' >/dev/null 2>&1" ||
	fail "xlogo never changed the customer's screen"
# Each wait-frame answers with the next update; the one after the change shows it.
current=no
for _ in $(seq 1 40); do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/now.ppm"
	if DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/now.ppm" >"$E2E_TMP/compare1.out" 2>&1; then
		current=yes
		break
	fi
done
[ "$current" = yes ] || fail "the changed screen never reached the viewer: $(cat "$E2E_TMP/compare1.out")"
cmp -s "$E2E_TMP/first.ppm" "$E2E_TMP/now.ppm" && fail "the viewer still has the first picture"
t2=$(ms)
viewer_cmd 10 "chat Are you still there?"
wait_line 10 "$HELPER_OUT" "^CHAT bob (technical support team): Are you still there?" || fail "the customer did not get bob's line"
echo "Yes, the printer is still broken" >&7
wait_line 10 "$VIEWER_OUT" "^chat \[.*\] customer: Yes, the printer is still broken" ||
	fail "bob did not get the customer's line: $(tail -3 "$VIEWER_OUT")"
t3=$(ms)
blocked "$pid1" 0
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")" = 0 ] ||
	fail "a logs attachment before the stand-in answered"
note "   while journalctl blocked: consent and the first frame after $((t1 - t0)) ms, the changed screen after $((t2 - t1)) ms more, chat both ways in $((t3 - t2)) ms"
echo go >"$GATE"
wait_line 15 "$HELPER_OUT" "^LOGS sent" || fail "the logs were not sent once released: $(tail -3 "$HELPER_OUT")"
bytes=$(sed -n 's/^LOGS sent (\([0-9]*\) bytes).*/\1/p' "$HELPER_OUT" | head -1)
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM attachments WHERE ticket_id=$TICKET AND kind='logs'\") = 1 ]" ||
	fail "the logs were not attached"
lid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")
tech_ssh bob ticket attachment "$TICKET" "$lid" >"$E2E_TMP/sent.txt" || fail "ticket attachment failed"
[ "$(wc -c <"$E2E_TMP/sent.txt")" = "$bytes" ] || fail "the ticket got $(wc -c <"$E2E_TMP/sent.txt") bytes, the helper sent $bytes"
grep -q "^== facts ==$" "$E2E_TMP/sent.txt" || fail "the bundle lacks the facts"
sed -n '/^== journal (last 3 lines) ==$/,$p' "$E2E_TMP/sent.txt" >"$E2E_TMP/journal.txt"
printf '%s\n' '== journal (last 3 lines) ==' 'stand-in journal: first line' 'stand-in journal: second line' \
	'stand-in journal: last line' | cmp -s - "$E2E_TMP/journal.txt" ||
	fail "the journal section is not the stand-in's whole output: $(cat "$E2E_TMP/journal.txt")"
note "   released: the ticket got all $bytes bytes, the stand-in's three lines whole"

note "2. the customer stops sharing while a collection blocks: refused, the stand-in killed and reaped"
as bob escalate "$TICKET" --to L3 --note "Async logs, again" >/dev/null || fail "escalate to L3 failed"
wait_line 15 "$HELPER_OUT" "^LOGS bob" || fail "no second logs question: $(tail -3 "$HELPER_OUT")"
echo y >&7
pid2=$(stand_in 2)
blocked "$pid2" 1
t0=$(ms)
echo stop >&7
# kill -0 finds a zombie too: gone means the helper reaped it, and the helper still runs.
wait_for 10 sh -c "! kill -0 $pid2 2>/dev/null" || fail "the stand-in outlived stop sharing"
t1=$(ms)
kill -0 "$HELPER_PID" || fail "the helper ended at stop sharing"
wait_line 10 "$HELPER_OUT" "^LOGS refused" || fail "the customer was not told: $(tail -3 "$HELPER_OUT")"
wait_events 10 "$TICKET" logs-refused 1 || fail "the relay did not record the refusal"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")" = 1 ] ||
	fail "a cancelled collection was attached"
echo "Chat after stop" >&7
wait_for 10 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$TICKET AND kind='chat' AND role='customer'\") = 2 ]" ||
	fail "the helper's loop does not go on after the cancel"
note "   the stand-in was gone $((t1 - t0)) ms after stop; logs-refused recorded, nothing attached"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "the helper exited non-zero: $(tail -5 "$E2E_TMP/helper.log")"
exec 7>&-
exec 8>&-

note "3. SIGTERM while a collection blocks: the helper exits 0 and the stand-in is gone"
new_ticket_code "Logs cut short"
start_helper "$CODE" helper3
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper 3 did not connect"
tech_ssh alice escalate "$TICKET" --to L2 --note "Cut short" >/dev/null || fail "escalate failed"
wait_line 15 "$HELPER_OUT" "^LOGS alice" || fail "no logs question for helper 3"
echo y >&7
pid3=$(stand_in 3)
blocked "$pid3" 0
t0=$(ms)
kill -TERM "$HELPER_PID"
rc=0
wait "$HELPER_PID" || rc=$?
t1=$(ms)
[ "$rc" = 0 ] || fail "the helper exited with $rc: $(tail -20 "$E2E_TMP/helper3.log")"
wait_for 10 sh -c "! kill -0 $pid3 2>/dev/null" || fail "the stand-in outlived the helper"
exec 7>&-
wait_events 10 "$TICKET" logs-unavailable 1 || fail "the relay did not record the logs as unavailable"
note "   the helper exited 0 $((t1 - t0)) ms after SIGTERM (journal cap: 600 s); the stand-in is gone"

stop_relay
note "ok"
