# Recordings at the relay: sealed so that nothing on the relay's disk opens
# them; a relay killed mid-session leaves a readable, truncated segment; a
# full disk stops sharing when recording is required.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
start_relay

# kill -9 of the relay in the middle of a recorded session.
new_ticket_code "Recorded"
share_with_viewer
viewer_cmd 10 "snapshot $E2E_TMP/live.ppm"
seg=$(ls "$RELAY_DIR"/recordings/"$TICKET"/*.hrec)
# The relay seals what it holds once a second: wait until the segment on disk shows the picture.
replays_live() {
	"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless \
		--snapshot "$E2E_TMP/flushed.ppm" >/dev/null 2>&1 && cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/flushed.ppm"
}
wait_for 15 replays_live || fail "the open segment never showed the live picture"
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
[ -f "$seg.open" ] || fail "the open segment has no marker"
restart_relay
[ ! -f "$seg.open" ] || fail "the restarted relay did not close the segment"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'" |
	grep -q " truncated$" || fail "the segment was not recorded as truncated"
"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless --snapshot "$E2E_TMP/replayed.ppm" \
	>"$E2E_TMP/replay.out" 2>&1 || fail "the truncated segment does not replay: $(cat "$E2E_TMP/replay.out")"
grep -qi "truncated" "$E2E_TMP/replay.out" || fail "replay did not say the segment is truncated"
cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/replayed.ppm" || fail "the truncated segment does not show what the viewer saw"
add_user audrey auditor
tech_ssh audrey verify >"$E2E_TMP/verify.out" 2>&1 || fail "the chain does not verify after kill -9: $(cat "$E2E_TMP/verify.out")"
note "relay killed mid-session: segment closed as truncated at restart, replays to the live picture, chain verifies"

# Nothing on the relay's disk opens a recording.
tried=0
for secret in "$RELAY_DIR/code.key" "$RELAY_DIR/host_ed25519" "$RELAY_DIR"/keys/*; do
	[ -f "$secret" ] || continue
	# Every 32-byte run of the file, as an X25519 private key.
	size=$(stat -c %s "$secret")
	for off in $(seq 0 $((size < 32 ? 0 : size - 32))); do
		hex=$(dd if="$secret" bs=1 skip="$off" count=32 2>/dev/null | od -An -tx1 | tr -d ' \n')
		[ ${#hex} = 64 ] || continue
		echo "handoff-x25519-private $hex" >"$E2E_TMP/try.key"
		if "$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/try.key" --headless >/dev/null 2>&1; then
			fail "$secret (offset $off) opens a recording"
		fi
		tried=$((tried + 1))
		[ "$tried" -lt 120 ] || break 2
	done
done
[ "$tried" -gt 0 ] || fail "no relay secret was tried"
note "none of $tried key candidates from the relay's files opens a recording"
exec 7>&- # the helper already ended with the killed relay
stop_relay

# record_input = no: the screen is recorded, the technician's keys and pointer are not.
echo "record_input = no" >>"$RELAY_DIR/relay.conf"
restart_relay
new_ticket_code "No keys kept"
start_helper "$CODE" nokeys
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "key a"
viewer_cmd 10 "click 20 20"
viewer_cmd 10 "quit"
wait_for 10 sh -c "sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'\" | grep -qx 1" ||
	fail "the segment was not closed"
seg=$(ls "$RELAY_DIR"/recordings/"$TICKET"/*.hrec)
# The close's SHA-256, taken as the segment was written (record.c), is the file's own.
sum=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'" | cut -d' ' -f2)
[ "$(sha256sum <"$seg" | cut -d' ' -f1)" = "$sum" ] || fail "the recording-closed SHA-256 is not the file's"
! grep -q "was not taken as it was written" "$RELAY_LOG" || fail "the close read the whole file back: $(grep 'was not taken' "$RELAY_LOG")"
"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless >"$E2E_TMP/nokeys.out" 2>&1 ||
	fail "replay failed: $(tail -3 "$E2E_TMP/nokeys.out")"
grep -q "^input" "$E2E_TMP/nokeys.out" && fail "technician input was recorded with record_input = no"
grep -q "^ok " "$E2E_TMP/nokeys.out" || fail "the screen was not recorded: $(tail -3 "$E2E_TMP/nokeys.out")"
echo end >&7
stop_relay
sed -i '/^record_input = no$/d' "$RELAY_DIR/relay.conf"
note "record_input = no: screen recorded, no keystrokes or pointer in the recording; the close's SHA-256, taken as it was written, is the file's"

# A full disk with recording required: sharing stops, and the failure is recorded.
if mkdir -p "$RELAY_DIR/recordings" && mount -t tmpfs -o "size=16k,mode=0700,uid=$(stat -c %u "$RELAY_DIR"),gid=$(stat -c %g "$RELAY_DIR")" tmpfs "$RELAY_DIR/recordings" 2>/dev/null; then
	restart_relay
	new_ticket_code "Disk full"
	start_helper "$CODE" full
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
	DISPLAY=$XDISPLAY xclock -update 1 -geometry 300x220+0+0 >/dev/null 2>&1 &
	track $!
	start_viewer "$TICKET"
	wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
	echo y >&7
	wait_for 30 sh -c "! kill -0 $VIEWER_PID" || fail "sharing went on with a full disk"
	[ "$(event_count "$TICKET" recording-failed)" -ge 1 ] || fail "the failure was not recorded"
	sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'" |
		grep -q " failed$" || fail "the segment was not closed as failed"
	echo end >&7
	stop_relay
	umount "$RELAY_DIR/recordings"
	note "disk full with recording required: sharing stopped, failure recorded"
else
	note "SKIPPED the disk-full case: tmpfs cannot be mounted here"
fi
