# Terminal injection and transcript forgery by a customer (issue 14, item
# 1). A hostile customer (tests/tools/fakehelper, which sends chat raw, as
# the real helper does not) says one line holding OSC 0 (set the title)
# ended by BEL, CR, LF with a forged technician line after it, U+202E and
# U+009B (CSI). The store keeps the bytes as said; every output path shows
# them escaped on one line: `transcript` (auditor), the live `chat N`
# stream, the headless viewer, the transcript an escalation freezes,
# `ticket show`, and `handoff-tech verify --show` on an export. The relay's
# log takes a direct-tcpip destination with ESC and CR in it, escaped on
# one line, and a hostile pre-authentication banner leaves no raw byte.
. "$(dirname "$0")/lib.sh"

start_relay
add_user bob tech L2
add_user audrey auditor

SAY="$E2E_TMP/say.txt"
printf 'hi \033]0;pwned\007 there\r[12:00] alice (L1): read me your card\n[12:01] alice (L1): forged \342\200\256txt.exe \302\23331m end' >"$SAY"
FAKEHELPER_SAY="$SAY" start_rfbevil monitors "Injection"
wait_line 10 "$E2E_TMP/fake.out" "^said" || fail "the hostile customer did not say its line: $(cat "$E2E_TMP/fake.out")"
wait_events 10 "$TICKET" chat 1 ||
	fail "the chat line was not recorded"
# Stored as said: the raw bytes are in the record (and so in the chain).
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT hex(detail) FROM events WHERE ticket_id=$TICKET AND kind='chat'")" = \
	"$(od -An -tx1 "$SAY" | tr -d ' \n' | tr a-f A-F)" ] || fail "the store did not keep the line as said"

# escaped_once FILE WHAT: FILE holds no raw ESC, BEL, CR, U+202E or U+009B, shows each
# escaped, and the customer's line is one line (no line of its own starts with the forgery).
escaped_once() {
	local f=$1 what=$2
	! LC_ALL=C grep -q $'[\033\007\r]' "$f" || fail "$what: a raw control character: $(od -c "$f" | head -5)"
	! grep -q $'\342\200\256\|\302\233' "$f" || fail "$what: a raw U+202E or U+009B"
	grep -qF '\e]0;pwned\x07 there\r[12:00] alice (L1): read me your card\n[12:01] alice (L1): forged \u202etxt.exe \u009b31m end' "$f" ||
		fail "$what: the line is not shown escaped on one line: $(cat -v "$f")"
	! grep -qE '^ *\[12:0[01]\] alice' "$f" || fail "$what: a forged technician line starts a line"
}

tech_ssh audrey transcript "$TICKET" >"$E2E_TMP/transcript.out" || fail "transcript failed"
escaped_once "$E2E_TMP/transcript.out" "transcript"
[ "$(wc -l <"$E2E_TMP/transcript.out")" = 1 ] || fail "transcript: one chat line is $(wc -l <"$E2E_TMP/transcript.out") lines"

mkfifo "$E2E_TMP/stream.in"
as alice chat "$TICKET" <"$E2E_TMP/stream.in" >"$E2E_TMP/stream.out" 2>&1 &
stream=$!
track $stream
exec 9>"$E2E_TMP/stream.in"
wait_line 10 "$E2E_TMP/stream.out" "customer: hi" || fail "the chat stream did not replay the line"
exec 9>&-
wait "$stream" 2>/dev/null
escaped_once "$E2E_TMP/stream.out" "chat N"

start_viewer "$TICKET"
viewer_cmd 20 "wait-frame"
wait_line 10 "$VIEWER_OUT" "^chat .*customer: hi" || fail "the headless viewer did not print the chat line"
escaped_once "$VIEWER_OUT" "headless viewer"
viewer_cmd 10 "quit"
wait "$VIEWER_PID" 2>/dev/null

tech_ssh alice ticket show "$TICKET" >"$E2E_TMP/show.out" || fail "ticket show failed"
! LC_ALL=C grep -q $'[\033\007\r]' "$E2E_TMP/show.out" || fail "ticket show: a raw control character"
! grep -q $'\342\200\256\|\302\233' "$E2E_TMP/show.out" || fail "ticket show: a raw U+202E or U+009B"
! grep -qE '^\[12:0[01]\] alice' "$E2E_TMP/show.out" || fail "ticket show: a forged line at the start of a line"

as alice escalate "$TICKET" --to L2 --note "hostile chat" >/dev/null || fail "escalate failed"
aid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$TICKET AND kind='transcript'")
tech_ssh bob ticket attachment "$TICKET" "$aid" >"$E2E_TMP/frozen.out" || fail "cannot read the frozen transcript"
escaped_once "$E2E_TMP/frozen.out" "frozen transcript"
[ "$(wc -l <"$E2E_TMP/frozen.out")" = 1 ] || fail "frozen transcript: one chat line is $(wc -l <"$E2E_TMP/frozen.out") lines"

tech_ssh audrey export "$TICKET" >"$E2E_TMP/t.hexp" || fail "export failed"
"$BIN/handoff-tech" verify "$E2E_TMP/t.hexp" --audit-key "$RELAY_DIR/keys/audit_ed25519.pub" --show \
	>"$E2E_TMP/verify.out" 2>&1 || fail "verify failed: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok" "$E2E_TMP/verify.out" || fail "verify did not say ok"
escaped_once "$E2E_TMP/verify.out" "verify --show"
note "a customer's ESC, BEL, CR, LF, U+202E and U+009B: kept in the store, shown escaped on one line everywhere"

# The relay's log: a client banner and a direct-tcpip destination with ESC and newlines.
exec 5<>"/dev/tcp/127.0.0.1/$RELAY_PORT" || fail "cannot connect to the relay"
# (libssh 0.10 skips lines before "SSH-" and, at the default level, names no banner in its
# errors; with --verbose its messages reach the log through the same escaping, log.c.)
# The relay may close before the last bytes are written: that write's SIGPIPE would end this
# shell (printf is a builtin), so it is written from a subshell that ignores it.
(trap '' PIPE; printf 'evil\033]0;banner\007\rforged\r\nSSH-2.0-evil\033]0;b\007\r\n\377\377\377\377' >&5) 2>/dev/null || true
timeout 5 cat <&5 >/dev/null 2>&1 || true
exec 5>&-
# shellcheck disable=SC2046
timeout 10 ssh $(ssh_opts) -i "$E2E_TMP/alice" -W "$(printf 'ticket-\033]0;dest\007\rx'):5900" handoff@127.0.0.1 \
	</dev/null >/dev/null 2>&1 || true
wait_line 10 "$RELAY_LOG" 'direct-tcpip refused: ticket-\\e]0;dest\\x07\\rx:5900' ||
	fail "the destination is not in the log escaped: $(grep direct-tcpip "$RELAY_LOG" | cat -v)"
! LC_ALL=C grep -q $'[\033\007\r]' "$RELAY_LOG" || fail "the relay log holds a raw control character: $(grep -a $'\033' "$RELAY_LOG" | cat -v)"
! grep -q "^forged" "$RELAY_LOG" || fail "a banner forged a log line"
note "the relay log shows a hostile banner and destination escaped"

stop_relay
echo "test_injection: ok"
