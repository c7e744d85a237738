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

stop_relay
