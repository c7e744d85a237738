# Recordings stay on the relay that made them; an export on any relay of
# the store carries them (relay/peerrec.c). Relays a and b on one
# PostgreSQL; the customer's helper and alice's view on b, so the
# recording is b's, and the store says so (recording_places). audrey's
# export on a fetches it from b over the peers' SSH path (b's log names a's
# login for recordings): the export verifies offline with a's key, and the
# recording replays out of it to the customer's screen; `recordings` on a
# names relay b, `recording` on a fetches the file; one byte changed in
# the export fails the verifier. b serves `peer-recording` to a relay's key
# only: a technician's and an auditor's key get "unknown command", even
# under the peer's user name; a's host key gets the file, and no other
# command, nor a path no record names. b's file changed on its disk: a's export fails
# and names the mismatch. b stopped: a's export and `recording` fail (exit
# 1, nothing on stdout) naming the recording and relay b; b back, the export
# passes again.
. "$(dirname "$0")/lib.sh"

start_postgres
start_xvfb 320 240
draw_pattern
RELAY_NAME=relay-a start_relay "store = $PG_URL"
add_user audrey auditor
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG

new_relay_home relay-b "store = $PG_URL"
echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG

at_a() { RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_DIR=$A_DIR RELAY_LOG=$A_LOG "$@"; }
at_b() { RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_DIR=$B_DIR RELAY_LOG=$B_LOG "$@"; }

# A session recorded on b: the helper and the viewer both there.
T=$(at_b as alice ticket new "Recorded on b") || fail "ticket new failed"
CODE=$(at_b as alice invite "$T") || fail "invite failed"
at_b start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(cat "$E2E_TMP/helper.log")"
at_b start_viewer "$T"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait_events 10 "$T" recording-closed 1 || fail "the recording was not closed"
seg=$(ls "$B_DIR"/recordings/"$T"/*.hrec) || fail "no recording on relay b"
name=$(basename "$seg")
[ -d "$A_DIR/recordings/$T" ] && fail "relay a has a recording of the session"
b_hex=$(sed -n 's/^handoff-audit-ed25519 //p' "$B_DIR/keys/audit_ed25519.pub")
[ "$(db_query "SELECT encode(relay, 'hex') FROM recording_places WHERE path = 'recordings/$T/$name'")" = "$b_hex" ] ||
	fail "the store does not say the recording is on relay b: $(db_query "SELECT path, encode(relay, 'hex') FROM recording_places")"

# The export on a carries b's recording, byte for byte, and verifies with a's key.
at_a as audrey export "$T" >"$E2E_TMP/a.hexp" 2>"$E2E_TMP/a.err" || fail "export on relay a failed: $(cat "$E2E_TMP/a.err")"
grep -q "relay .* logged in for recordings" "$B_LOG" || fail "relay b saw no relay's login for recordings: $(tail -5 "$B_LOG")"
grep -q "relay .*relay-a fetched recording recordings/$T/$name of ticket $T" "$B_LOG" ||
	fail "relay b did not serve the recording: $(tail -5 "$B_LOG")"
grep -q "export of ticket $T: recording recordings/$T/$name fetched from relay .*relay-b" "$A_LOG" ||
	fail "relay a does not say it fetched the recording: $(tail -5 "$A_LOG")"
python3 - "$seg" "$E2E_TMP/a.hexp" <<'EOF' || fail "the export does not hold b's file byte for byte"
import sys
seg = open(sys.argv[1], 'rb').read()
sys.exit(0 if seg in open(sys.argv[2], 'rb').read() else 1)
EOF
"$BIN/handoff-tech" verify "$E2E_TMP/a.hexp" --audit-key "$A_DIR/keys/audit_ed25519.pub" >"$E2E_TMP/verify.out" 2>&1 ||
	fail "a's export with b's recording does not verify offline: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok: ticket $T, " "$E2E_TMP/verify.out" || fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
grep -qi "missing" "$E2E_TMP/verify.out" && fail "the verifier finds something missing: $(cat "$E2E_TMP/verify.out")"
"$BIN/handoff-tech" replay "$E2E_TMP/a.hexp" --recording "$name" --key "$E2E_TMP/recording.key" \
	--audit-key "$A_DIR/keys/audit_ed25519.pub" --headless --snapshot "$E2E_TMP/replayed.ppm" >"$E2E_TMP/replay.out" 2>&1 ||
	fail "b's recording does not replay out of a's export: $(cat "$E2E_TMP/replay.out")"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/replayed.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the replayed recording is not the customer's screen: $(cat "$E2E_TMP/compare.out")"
note "export on a with b's recording ($(stat -c %s "$seg") bytes): $(head -1 "$E2E_TMP/verify.out"); replays: $(cat "$E2E_TMP/compare.out")"

# recordings on a says where the file is; recording on a fetches it from b, byte for byte.
at_a tech_ssh audrey recordings "$T" >"$E2E_TMP/recordings.out" || fail "recordings on a failed"
grep -q "^recordings/$T/$name  [0-9]* bytes  sha256 [0-9a-f]\{64\}  complete  (alice; on relay .*relay-b)$" \
	"$E2E_TMP/recordings.out" || fail "recordings on a does not name relay b: $(cat "$E2E_TMP/recordings.out")"
at_a tech_ssh audrey recording "$T" "$name" >"$E2E_TMP/download.hrec" || fail "recording on a failed"
cmp -s "$seg" "$E2E_TMP/download.hrec" || fail "the recording downloaded on a differs from b's file"
note "on a: $(cat "$E2E_TMP/recordings.out"); recording $T $name fetched from b, byte for byte"

# One byte of the recording changed in the export: the verifier fails and names it.
cp "$E2E_TMP/a.hexp" "$E2E_TMP/bad.hexp"
off=$(grep -abo HOSEAL01 "$E2E_TMP/bad.hexp" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no sealed recording in the export"
printf 'X' | dd of="$E2E_TMP/bad.hexp" bs=1 seek=$((off + 200)) conv=notrunc 2>/dev/null
rc=0
"$BIN/handoff-tech" verify "$E2E_TMP/bad.hexp" --audit-key "$A_DIR/keys/audit_ed25519.pub" >"$E2E_TMP/bad.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "recording recordings/$T/$name: content does not match sha256 in record" "$E2E_TMP/bad.out" ||
	fail "a changed recording in a's export verified (rc $rc): $(cat "$E2E_TMP/bad.out")"
note "one byte changed in the export: $(grep -m1 "does not match" "$E2E_TMP/bad.out")"

# Only a relay's key reaches peer-recording: not a technician's, not an auditor's, not even under its user name.
for who in alice audrey; do
	rc=0
	# shellcheck disable=SC2046
	ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/$who" "relay:recordings@$RELAY_HOST" peer-recording "$T" \
		"recordings/$T/$name" >"$E2E_TMP/direct.out" 2>"$E2E_TMP/direct.err" || rc=$?
	[ "$rc" != 0 ] && [ ! -s "$E2E_TMP/direct.out" ] && grep -q "unknown command: peer-recording" "$E2E_TMP/direct.err" ||
		fail "$who ran peer-recording on b (rc $rc): $(cat "$E2E_TMP/direct.err")"
done
note "peer-recording by alice's and audrey's keys on b: $(cat "$E2E_TMP/direct.err")"
# A relay's login for recordings (a's host key, as a's fetch uses it) runs that one command and no other,
# for an exact path the ticket's records name.
cp "$A_DIR/host_ed25519" "$E2E_TMP/a-host"
chmod 600 "$E2E_TMP/a-host"
peer_b() {
	# shellcheck disable=SC2046
	ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/a-host" "relay:recordings@$RELAY_HOST" "$@"
}
peer_b peer-recording "$T" "recordings/$T/$name" | cmp -s - "$seg" || fail "a's host key does not fetch b's file"
for try in "ticket list|not allowed: a relay's login for recordings runs only peer-recording N PATH" \
	"peer-recording $T $name|peer-recording: usage: peer-recording N PATH" \
	"peer-recording $T recordings/$T/other.hrec|ticket $T has no recording recordings/$T/other.hrec here"; do
	rc=0
	peer_b "${try%%|*}" >"$E2E_TMP/peer.out" 2>"$E2E_TMP/peer.err" || rc=$?
	[ "$rc" != 0 ] && [ ! -s "$E2E_TMP/peer.out" ] && grep -qF "${try#*|}" "$E2E_TMP/peer.err" ||
		fail "a's login for recordings ran '${try%%|*}' (rc $rc): $(cat "$E2E_TMP/peer.err")"
done
# The same key logged in for a technician (a routed view's login) does not reach it either.
rc=0
# shellcheck disable=SC2046
ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/a-host" "alice@$RELAY_HOST" peer-recording "$T" "recordings/$T/$name" \
	>"$E2E_TMP/peer.out" 2>"$E2E_TMP/peer.err" || rc=$?
[ "$rc" != 0 ] && [ ! -s "$E2E_TMP/peer.out" ] && grep -q "unknown command: peer-recording" "$E2E_TMP/peer.err" ||
	fail "a's login for alice ran peer-recording (rc $rc): $(cat "$E2E_TMP/peer.err")"
note "a's host key as relay:recordings: the file, and only peer-recording of a path the records name"

# b's file changed on its disk: a's export fails and says the bytes are not the record's.
cp -p "$seg" "$E2E_TMP/seg.orig"
printf 'X' | dd of="$seg" bs=1 seek=200 conv=notrunc 2>/dev/null
rc=0
at_a as audrey export "$T" >"$E2E_TMP/changed.hexp" 2>"$E2E_TMP/changed.err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$E2E_TMP/changed.hexp" ] &&
	grep -q "export: recording recordings/$T/$name from relay .*relay-b does not match its record" "$E2E_TMP/changed.err" ||
	fail "a's export of a changed file on b (rc $rc): $(cat "$E2E_TMP/changed.err")"
cp -p "$E2E_TMP/seg.orig" "$seg"
note "b's file changed: $(cat "$E2E_TMP/changed.err")"

# b stopped: a's export fails, naming the recording and the relay; nothing is left out silently.
RELAY_PID=$B_PID RELAY_LOG=$B_LOG stop_relay
rc=0
at_a as audrey export "$T" >"$E2E_TMP/down.hexp" 2>"$E2E_TMP/down.err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$E2E_TMP/down.hexp" ] &&
	grep -q "^export: recording recordings/$T/$name (on relay .*relay-b): cannot reach relay .*relay-b" "$E2E_TMP/down.err" ||
	fail "a's export with b stopped (rc $rc): $(cat "$E2E_TMP/down.err")"
note "b stopped: $(cat "$E2E_TMP/down.err")"
rc=0
at_a tech_ssh audrey recording "$T" "$name" >"$E2E_TMP/down.hrec" 2>"$E2E_TMP/down-rec.err" || rc=$?
[ "$rc" = 1 ] && [ ! -s "$E2E_TMP/down.hrec" ] &&
	grep -q "^recording: recording recordings/$T/$name (on relay .*relay-b): cannot reach relay" "$E2E_TMP/down-rec.err" ||
	fail "recording on a with b stopped (rc $rc): $(cat "$E2E_TMP/down-rec.err")"
RELAY_DIR=$B_DIR RELAY_LOG=$B_LOG restart_relay
B_PID=$RELAY_PID
at_a as audrey export "$T" >"$E2E_TMP/again.hexp" 2>"$E2E_TMP/again.err" || fail "export after b came back: $(cat "$E2E_TMP/again.err")"
# b signed the last checkpoint as it stopped: the export ends on it and needs b's key too.
"$BIN/handoff-tech" verify "$E2E_TMP/again.hexp" --audit-key "$A_DIR/keys/audit_ed25519.pub" \
	--audit-key "$B_DIR/keys/audit_ed25519.pub" >"$E2E_TMP/again.out" 2>&1 ||
	fail "the export after b came back does not verify: $(cat "$E2E_TMP/again.out")"
note "b back: a's export verifies again"
# Both stop cleanly (LeakSanitizer: a's fetch and b's serving leave nothing behind).
RELAY_PID=$B_PID RELAY_LOG=$B_LOG stop_relay
RELAY_PID=$A_PID RELAY_LOG=$A_LOG stop_relay
