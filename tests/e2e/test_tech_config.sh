# handoff-tech's config file and trust on first use: with relay and key in
# ~/.config/handoff/tech.conf daily commands are short; an unpinned relay's
# key is shown and asked about on the terminal (as OpenSSH does), stored on
# "yes", and a changed key is refused loudly without asking.
. "$(dirname "$0")/lib.sh"

start_relay
H="$E2E_TMP/home"
mkdir -p "$H/.config/handoff" "$H/.ssh"
cp "$E2E_TMP/alice" "$H/.ssh/id_ed25519"
cat >"$H/.config/handoff/tech.conf" <<CONF
# written by the test
relay = 127.0.0.1:$RELAY_PORT
identity = ~/.ssh/id_ed25519
CONF
KH="$H/.config/handoff/known_hosts"
t() { HOME="$H" HANDOFF_RELAY='' HANDOFF_IDENTITY='' HANDOFF_HOST_KEY='' "$BIN/handoff-tech" "$@"; }
# on_tty ANSWER COMMAND...: runs COMMAND with a terminal (script's pty) that ANSWER is typed into.
on_tty() {
	local answer=$1
	shift
	printf '%s\n' "$answer" | HOME="$H" HANDOFF_RELAY='' HANDOFF_IDENTITY='' HANDOFF_HOST_KEY='' \
		timeout 20 script -q -e -c "$*" /dev/null
}

# No terminal, nothing pinned: refused, and the fingerprint is shown so it can be checked.
rc=0
t whoami </dev/null >"$E2E_TMP/notty.out" 2>"$E2E_TMP/notty.err" || rc=$?
[ "$rc" = 255 ] || fail "unpinned without a terminal exited $rc"
grep -qF "$RELAY_FP" "$E2E_TMP/notty.err" || fail "the refusal does not show the key: $(cat "$E2E_TMP/notty.err")"
grep -q "no terminal" "$E2E_TMP/notty.err" || fail "the refusal does not say why: $(cat "$E2E_TMP/notty.err")"
[ -e "$KH" ] && fail "a key was stored without asking"
note "no terminal: refused, fingerprint shown"

# Asked on the terminal, "no": nothing stored, not logged in.
on_tty no "$BIN/handoff-tech whoami" >"$E2E_TMP/no.out" 2>&1 && fail "answering no still ran the command"
grep -qF "fingerprint is $RELAY_FP" "$E2E_TMP/no.out" || fail "the prompt does not show the key: $(cat "$E2E_TMP/no.out")"
grep -q "continue connecting (yes/no)" "$E2E_TMP/no.out" || fail "no yes/no question"
grep -q "alice" "$E2E_TMP/no.out" && fail "logged in after no"
[ -e "$KH" ] && fail "a key was stored after no"
note "answered no: nothing stored"

# "yes": stored, logged in, the command ran.
on_tty yes "$BIN/handoff-tech whoami" >"$E2E_TMP/yes.out" 2>&1 || fail "answering yes failed: $(cat "$E2E_TMP/yes.out")"
grep -q "alice" "$E2E_TMP/yes.out" || fail "whoami after yes: $(cat "$E2E_TMP/yes.out")"
grep -q "^\[127.0.0.1\]:$RELAY_PORT ssh-ed25519 " "$KH" || fail "known_hosts entry: $(cat "$KH")"
# The stored key is the relay's: OpenSSH's own client accepts it as the known host.
ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" -o BatchMode=yes -o IdentitiesOnly=yes \
	-o LogLevel=ERROR -i "$E2E_TMP/alice" -p "$RELAY_PORT" handoff@127.0.0.1 whoami >/dev/null ||
	fail "OpenSSH does not accept the stored key"
note "answered yes: key stored in OpenSSH format ($(cut -d' ' -f1,2 "$KH"))"

# Daily commands: short, no prompt, no terminal needed.
TICKET=$(t ticket new "Config test") || fail "ticket new through tech.conf failed"
t queue >"$E2E_TMP/queue.out" 2>&1 || fail "queue failed: $(cat "$E2E_TMP/queue.out")"
t ticket show "$TICKET" >"$E2E_TMP/show.out" 2>&1 || fail "ticket show failed"
grep -q "L1 queue" "$E2E_TMP/queue.out" || fail "queue: $(cat "$E2E_TMP/queue.out")"
grep -q "Config test" "$E2E_TMP/show.out" || fail "ticket show: $(cat "$E2E_TMP/show.out")"
rc=0
t view "$TICKET" --headless </dev/null >/dev/null 2>"$E2E_TMP/view.err" || rc=$?
[ "$rc" = 1 ] && grep -q "no live session for ticket $TICKET" "$E2E_TMP/view.err" ||
	fail "view without a live session: rc $rc, $(cat "$E2E_TMP/view.err")"
note "handoff-tech queue / ticket new / view $TICKET work from tech.conf alone"

# A changed key: refused loudly, without a question, even when the answer would be yes.
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/other"
cp "$KH" "$KH.good"
echo "[127.0.0.1]:$RELAY_PORT $(cut -d' ' -f1,2 "$E2E_TMP/other.pub")" >"$KH"
on_tty yes "$BIN/handoff-tech whoami" >"$E2E_TMP/changed.out" 2>&1 && fail "a changed key was accepted"
grep -q "HOST KEY HAS CHANGED" "$E2E_TMP/changed.out" || fail "no loud warning: $(cat "$E2E_TMP/changed.out")"
grep -q "yes/no" "$E2E_TMP/changed.out" && fail "asked about a changed key"
grep -q "alice" "$E2E_TMP/changed.out" && fail "logged in with a changed key"
grep -q "$(cut -d' ' -f2 "$E2E_TMP/other.pub")" "$KH" || fail "the stored key was overwritten"
note "changed key: refused with a warning, known_hosts untouched"
cp "$KH.good" "$KH"

# A pin in the config beats known_hosts: a wrong pin is refused.
echo "host_key = SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >>"$H/.config/handoff/tech.conf"
t whoami >/dev/null 2>"$E2E_TMP/pin.err" && fail "a wrong pinned key was accepted"
grep -q "host key mismatch" "$E2E_TMP/pin.err" || fail "wrong pin: $(cat "$E2E_TMP/pin.err")"
# The command line beats the file.
t --host-key "$RELAY_FP" whoami | grep -q alice || fail "--host-key did not override tech.conf"

# HANDOFF_TECH_CONFIG names another file; a bad line is an error naming it.
printf 'relay = 127.0.0.1:%s\nidentity = %s\nthis is not a setting\n' "$RELAY_PORT" "$E2E_TMP/alice" >"$E2E_TMP/bad.conf"
HANDOFF_TECH_CONFIG="$E2E_TMP/bad.conf" t whoami >/dev/null 2>"$E2E_TMP/bad.err" && fail "a bad config was accepted"
grep -q "bad.conf:3: expected" "$E2E_TMP/bad.err" || fail "bad config message: $(cat "$E2E_TMP/bad.err")"
printf 'relay = 127.0.0.1:%s\nidentity = %s\nhost_key = %s\n' "$RELAY_PORT" "$E2E_TMP/alice" "$RELAY_FP" >"$E2E_TMP/good.conf"
HANDOFF_TECH_CONFIG="$E2E_TMP/good.conf" t whoami | grep -q alice || fail "HANDOFF_TECH_CONFIG was not read"
note "pin beats known_hosts, options beat the file, HANDOFF_TECH_CONFIG works, bad lines are named"
stop_relay
