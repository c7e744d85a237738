# A recording that the disk has not made durable holds its splice back
# (relay/record.c): the viewer is never more than about a second ahead of
# what a power cut would leave on disk. A test gate
# (HANDOFF_TEST_RECORD_SYNC_GATE) holds every sync of the recording's
# thread, as a disk that stopped would: the splice stops and the segment
# stops growing; once the gate opens, the stream goes on, the segment closes
# complete and the chain verifies. No timing is asserted.
. "$(dirname "$0")/lib.sh"

GATE="$E2E_TMP/syncgate"
export HANDOFF_TEST_RECORD_SYNC_GATE="$GATE"
start_relay
add_user audrey auditor

# An rfbevil 'monitors' screen answers every update request with the whole
# picture, so bytes flow as fast as the path allows.
port=$(free_port) || fail "no free port"
echo monitors >"$E2E_TMP/evil.mode"
"$TOOLS/rfbevil" "$port" "@$E2E_TMP/evil.mode" >"$E2E_TMP/evil.out" 2>&1 &
track $!
wait_line 10 "$E2E_TMP/evil.out" "^listening" || fail "rfbevil did not start"
new_ticket_code "Slow disk"
"$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$port" >"$E2E_TMP/fake.out" 2>&1 &
track $!
wait_line 15 "$E2E_TMP/fake.out" "^live" || fail "fakehelper did not go live: $(cat "$E2E_TMP/fake.out")"

recording_bytes() { # bytes of the ticket's recordings on the relay's disk
	du -cb "$RELAY_DIR/recordings/$TICKET" 2>/dev/null | tail -1 | cut -f1
}
recording_above() { # BYTES
	[ "$(recording_bytes)" -gt "$1" ]
}

# No wait for a frame first: on a slow machine the hold may come before it.
start_viewer "$TICKET"
wait_line 30 "$RELAY_LOG" "its sync waits for the file" || fail "the recording's sync never reached the gate"
wait_line 30 "$RELAY_LOG" "the splice waits for the disk" ||
	fail "the splice went on while nothing was durable: $(tail -5 "$RELAY_LOG")"
held=$(steady 20 recording_bytes) || fail "the segment kept growing while its sync was held"
note "held with $held bytes on disk"
# The viewer is still there, only waiting.
kill -0 "$VIEWER_PID" 2>/dev/null || fail "the viewer died while the splice was held: $(tail -5 "$E2E_TMP/viewer.log")"

: >"$GATE"
wait_for 60 recording_above $((held + 1000000)) || fail "the stream did not go on once the disk caught up"
viewer_cmd 20 "wait-frame"
echo quit >&8
wait "$VIEWER_PID" 2>/dev/null
wait_events 20 "$TICKET" recording-closed 1
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'" |
	grep -q " complete$" || fail "the segment did not close complete"
grep -q "the splice waited for the disk [0-9]* times" "$RELAY_LOG" || fail "the close did not count the holds"
tech_ssh audrey verify >"$E2E_TMP/verify.out" 2>&1 || fail "the chain does not verify: $(cat "$E2E_TMP/verify.out")"
stop_relay
note "a recording whose sync is held stops its splice; it goes on once synced, closes complete, and verifies"
