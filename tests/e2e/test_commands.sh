# Relay commands through a stock OpenSSH client and through handoff-tech;
# refusals that must leave the relay serving others.
. "$(dirname "$0")/lib.sh"

start_relay
ticket=$(tech_ssh alice ticket new "Printer" "on floor 2 is jammed") || fail "ssh ticket new failed"
[ "$ticket" = 1 ] || fail "ticket new printed '$ticket', expected 1"
tech_ssh alice ticket show 1 | grep -q "Printer on floor 2 is jammed" || fail "ticket show lacks the summary"

code=$(tech_ssh alice invite 1) || fail "ssh invite failed"
echo "$code" | grep -Eq '^[0-9]{4}-[0-9]{4}-[0-9]{4}$' || fail "invite printed '$code'"
code2=$(tech invite 1) || fail "handoff-tech invite failed"
echo "$code2" | grep -Eq '^[0-9]{4}-[0-9]{4}-[0-9]{4}$' || fail "handoff-tech invite printed '$code2'"
[ "$code" != "$code2" ] || fail "two invites gave the same code"
note "ssh and handoff-tech invite both print a code"

json=$(tech ticket new --json "プリンターが動かない") || fail "json ticket new failed"
[ "$json" = '{"ticket":2,"tier":"L1","priority":"P3","owned":true}' ] || fail "ticket new --json printed $json"
tech ticket show 2 | grep -q "プリンターが動かない" || fail "Japanese summary did not survive"

# The code is never stored or logged in clear.
digits=$(echo "$code" | tr -d -)
! grep -q "$digits" "$RELAY_LOG" || fail "the relay log holds a support code"
! grep -aq "$code" "$RELAY_DIR/handoff.db" || fail "the database holds a support code in clear"
! grep -aq "$digits" "$RELAY_DIR/handoff.db" || fail "the database holds a support code's digits"

rc=0
tech_ssh alice bogus-command >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "unknown command exited $rc"
grep -q "unknown command" "$E2E_TMP/err" || fail "unknown command gave no message"

# A key the relay does not know is refused, by OpenSSH and by handoff-tech.
new_key mallory
rc=0
tech_ssh mallory whoami >/dev/null 2>&1 || rc=$?
[ "$rc" = 255 ] || fail "an unregistered key got in (ssh exit $rc)"
rc=0
"$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/mallory" --host-key "$RELAY_FP" \
	whoami >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" != 0 ] || fail "handoff-tech with an unregistered key succeeded"
grep -qi "refused" "$E2E_TMP/err" || fail "handoff-tech gave no clear refusal: $(cat "$E2E_TMP/err")"
grep -q "is not registered" "$RELAY_LOG" || fail "the relay did not log the unknown key"
note "unregistered key refused"

# A wrong pin makes handoff-tech refuse the relay.
rc=0
"$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" --identity "$E2E_TMP/alice" \
	--host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" whoami >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ "$rc" != 0 ] && grep -q "mismatch" "$E2E_TMP/err" || fail "handoff-tech accepted a wrong host key"

# Garbage on the port: the relay drops that connection and keeps serving.
head -c 4096 /dev/urandom >"$E2E_TMP/garbage"
for _ in 1 2 3; do
	timeout 5 bash -c "cat '$E2E_TMP/garbage' > /dev/tcp/127.0.0.1/$RELAY_PORT" 2>/dev/null || true
done
printf 'SSH-2.0-evil\r\n%s' "$(head -c 200 /dev/urandom | tr -d '\0')" |
	timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$RELAY_PORT" 2>/dev/null || true
kill -0 "$RELAY_PID" || fail "garbage killed the relay"
[ "$(tech_ssh alice whoami)" = "alice tech L1" ] || fail "relay stopped serving after garbage"
note "garbage bytes: connection dropped, relay still serving"

# ---- The technician's own tickets, empty lists, JSON errors, take, Ctrl-D, multi-line events ----
add_user bob tech L2
is_json() { python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin if l.strip()]' ; }

# mine and ticket list: alice's open tickets; a resolved one is gone; bob has none.
tech_ssh alice mine >"$E2E_TMP/mine.out" || fail "mine failed"
grep -q "^ *1  P3  L1  open .*Printer on floor 2 is jammed" "$E2E_TMP/mine.out" || fail "mine lacks ticket 1: $(cat "$E2E_TMP/mine.out")"
grep -q "^ *2  P3  L1 .*プリンターが動かない" "$E2E_TMP/mine.out" || fail "mine lacks ticket 2"
tech resolve 2 --note "cable was loose" >/dev/null || fail "resolve 2 failed"
tech ticket list --json >"$E2E_TMP/mine.json" || fail "ticket list --json failed"
is_json <"$E2E_TMP/mine.json" || fail "ticket list --json is not JSON: $(cat "$E2E_TMP/mine.json")"
grep -q '"owner":"alice","tickets":\[{"ticket":1,' "$E2E_TMP/mine.json" || fail "ticket list --json: $(cat "$E2E_TMP/mine.json")"
grep -q '"ticket":2' "$E2E_TMP/mine.json" && fail "a resolved ticket is still listed as alice's"
[ "$(tech_ssh bob mine)" = "$(printf 'tickets of bob:\n  (empty)')" ] || fail "bob's empty list: $(tech_ssh bob mine)"
[ "$(as bob queue)" = "$(printf 'L2 queue:\n  (empty)')" ] || fail "empty queue printed: $(as bob queue)"
note "mine / ticket list, and (empty) for empty lists"

# Under --json every error is one JSON line on stderr (stdout stays empty): usage, rights, unknown, local usage.
json_error() { # EXPECTED-EXIT WHAT COMMAND...
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$E2E_TMP/je.out" 2>"$E2E_TMP/je.err" || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want"
	[ ! -s "$E2E_TMP/je.out" ] || fail "$what: an error printed on stdout: $(cat "$E2E_TMP/je.out")"
	[ "$(wc -l <"$E2E_TMP/je.err")" = 1 ] && is_json <"$E2E_TMP/je.err" ||
		fail "$what: stderr is not one JSON line: $(cat "$E2E_TMP/je.err")"
	grep -q "^{\"error\":\".*\",\"exit\":$want}\$" "$E2E_TMP/je.err" || fail "$what: $(cat "$E2E_TMP/je.err")"
}
json_error 2 "ssh usage error" tech_ssh alice take --json
json_error 2 "handoff-tech usage error" tech escalate 1 --json
json_error 3 "rights refusal" as bob note 1 --json "not mine"
json_error 1 "no such ticket" tech ticket show 99 --json
json_error 2 "unknown command" tech_ssh alice frobnicate --json
json_error 2 "handoff-tech's own usage error" tech view x --json
grep -q "not allowed" "$E2E_TMP/je.err" && fail "the last error is the wrong one"
json_error 3 "rights refusal, ssh" tech_ssh bob invite 1 --json
grep -q 'not allowed: ticket 1 belongs to alice' "$E2E_TMP/je.err" || fail "the refusal lost its reason: $(cat "$E2E_TMP/je.err")"
note "--json errors: one JSON object on stderr, for usage, rights and failures"

# take of one's own ticket: a clear no-op, no event; take after an escalation prints the handover.
taken=$(event_count 1 taken)
tech take 1 >"$E2E_TMP/take.out" || fail "take of alice's own ticket failed"
grep -q "ticket 1 is already yours; nothing changed" "$E2E_TMP/take.out" || fail "take own: $(cat "$E2E_TMP/take.out")"
[ "$(event_count 1 taken)" = "$taken" ] || fail "take of one's own ticket wrote an event"
tech escalate 1 --to L2 --note "replaced the toner; still jams on tray 2" >/dev/null || fail "escalate failed"
as bob take 1 >"$E2E_TMP/handover.out" || fail "bob could not take ticket 1"
for want in "ticket 1 is yours" "\[L2, P3\] Printer on floor 2 is jammed" \
	"escalated .* by alice (L1): L1 -> L2: replaced the toner; still jams on tray 2" \
	"read first" "handover-note  handover-L1-to-L2.txt" "transcript     transcript-L1-to-L2.txt"; do
	grep -q "$want" "$E2E_TMP/handover.out" || fail "take's handover lacks '$want': $(cat "$E2E_TMP/handover.out")"
done
as bob take 1 --json | grep -q '"already_yours":true,"tier":"L2".*"escalation":{.*"by":"alice","role":"L1"' ||
	fail "take --json: $(as bob take 1 --json)"
note "take: a no-op on one's own ticket, and the handover summary"

# Ctrl-D leaves a live chat: a stock ssh and handoff-tech end when their input does.
rc=0
timeout 15 ssh $(ssh_opts) -i "$E2E_TMP/bob" handoff@127.0.0.1 chat 1 </dev/null >"$E2E_TMP/chat.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "ssh chat 1 did not end at end of input (exit $rc)"
rc=0
printf 'first line\nlast words without a newline' | timeout 15 "$BIN/handoff-tech" --relay "127.0.0.1:$RELAY_PORT" \
	--identity "$E2E_TMP/bob" --host-key "$RELAY_FP" chat 1 >"$E2E_TMP/chat.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "handoff-tech chat 1 did not end at end of input (exit $rc)"
[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT group_concat(detail, '|') FROM events WHERE ticket_id=1 AND kind='chat'")" = \
	"first line|last words without a newline" ] || fail "the lines typed before Ctrl-D were not all sent"
note "Ctrl-D (end of input) leaves chat N"

# A note with newlines and an escape sequence keeps ticket show's columns and prints no control character.
as bob note 1 "$(printf 'tray 2 roller worn\nordered part 4711\n\033[2Jgone')" || fail "multi-line note failed"
as bob ticket show 1 >"$E2E_TMP/show.out" || fail "ticket show failed"
line=$(grep -n "note .*bob (L2): tray 2 roller worn\$" "$E2E_TMP/show.out" | cut -d: -f1)
[ -n "$line" ] || fail "the note's first line is not on its event line: $(cat "$E2E_TMP/show.out")"
col=$(sed -n "${line}p" "$E2E_TMP/show.out" | awk '{ print index($0, "tray 2") }')
for next in 1 2; do
	text=$(sed -n "$((line + next))p" "$E2E_TMP/show.out")
	[ "$(printf '%s' "$text" | awk '{ print match($0, /[^ ]/) }')" = "$col" ] ||
		fail "continuation line $next is not under the note's text: '$text'"
done
sed -n "$((line + 1))p" "$E2E_TMP/show.out" | grep -q "^ *ordered part 4711\$" || fail "second line of the note lost"
sed -n "$((line + 2))p" "$E2E_TMP/show.out" | grep -q '^ *\\e\[2Jgone$' || fail "ESC was not shown as \\e"
! grep -q "$(printf '\033')" "$E2E_TMP/show.out" || fail "ticket show printed a raw ESC"
[ "$(grep -c . "$E2E_TMP/show.out")" -gt 0 ] && ! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$E2E_TMP/show.out") ||
	fail "ticket show printed a control character"
note "ticket show keeps its layout for multi-line events, controls escaped"

stop_relay
