# An export runs off the relay's loop (relay/job.c): a live viewer keeps
# getting frames while an auditor exports a ticket with a large recording.
# A test gate (HANDOFF_TEST_JOB_GATE) holds the export's job, so the test
# sees frames arrive while the job is known to be in progress; then the
# export completes and verifies offline, and the relay's `verify` (a job
# too) passes. The longest gap between frames is printed, not asserted.
# Then: a job whose client hangs up is dropped, and a relay stopped with a
# job held at the gate exits cleanly (no thread, descriptor or leak left).
. "$(dirname "$0")/lib.sh"

GATE="$E2E_TMP/gate"
export HANDOFF_TEST_JOB_GATE="$GATE"
start_relay
add_user audrey auditor
PUB="$RELAY_DIR/keys/audit_ed25519.pub"
grep -q "jobs wait for the file $GATE" "$RELAY_LOG" || fail "the relay did not take the job gate: $(tail -3 "$RELAY_LOG")"

# share NAME SUMMARY: an rfbevil 'monitors' screen, which answers every update
# request with the whole picture (so frames flow as fast as the path allows),
# shared on a new ticket through fakehelper. Sets TICKET.
share() {
	local port
	port=$(free_port) || fail "no free port"
	echo monitors >"$E2E_TMP/$1.mode"
	"$TOOLS/rfbevil" "$port" "@$E2E_TMP/$1.mode" >"$E2E_TMP/$1-evil.out" 2>&1 &
	track $!
	wait_line 10 "$E2E_TMP/$1-evil.out" "^listening" || fail "rfbevil did not start"
	new_ticket_code "$2"
	"$TOOLS/fakehelper" "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$port" >"$E2E_TMP/$1-fake.out" 2>&1 &
	track $!
	wait_line 15 "$E2E_TMP/$1-fake.out" "^live" || fail "fakehelper did not go live: $(cat "$E2E_TMP/$1-fake.out")"
}

recording_bytes() { # TICKET: bytes of its recordings on the relay's disk
	du -cb "$RELAY_DIR/recordings/$1" 2>/dev/null | tail -1 | cut -f1
}
recording_at_least() { # TICKET BYTES
	[ "$(recording_bytes "$1")" -ge "$2" ]
}

# The large recording: a viewer takes frames until 32 MB are recorded, then leaves. The gate,
# not the size, proves the loop goes on while a job runs; bench/ (BENCH_PARTS=export) measures
# with 300 MB, and a sanitizer build on a busy machine would take minutes for that here.
BIG_MB=${JOB_TEST_MB:-32}
share big "Large recording"
BIG=$TICKET
start_viewer_as alice "$BIG" bigview
viewer_cmd 20 "wait-frame"
wait_for 120 recording_at_least "$BIG" $((BIG_MB * 1000000)) ||
	fail "the recording did not reach $BIG_MB MB: $(recording_bytes "$BIG") bytes"
echo quit >&8
wait "$VIEWER_PID" 2>/dev/null
wait_events 20 "$BIG" recording-closed 1
note "ticket $BIG: a recording of $(( $(recording_bytes "$BIG") / 1000000 )) MB"

# The live viewer, on another ticket.
share live "Live session"
LIVE=$TICKET
start_viewer_as alice "$LIVE" liveview
viewer_cmd 20 "wait-frame"

# frame_pump: asks the live viewer for one frame after another and notes when
# each arrives (ms), until pump.stop exists.
FRAMES="$E2E_TMP/frames.ms"
: >"$FRAMES"
frame_pump() {
	local line skip
	skip=$(grep -c -E '^(ok|error)' "$VIEWER_OUT")
	exec 3< <(tail -n +1 -F "$VIEWER_OUT" 2>/dev/null)
	while [ ! -e "$E2E_TMP/pump.stop" ]; do
		echo "wait-frame 20000" >&8
		while read -r line <&3; do
			case $line in
			ok* | error*)
				if [ "$skip" -gt 0 ]; then
					skip=$((skip - 1))
					continue
				fi
				break
				;;
			esac
		done
		case $line in error*) echo "$line" >"$E2E_TMP/pump.err" ;; esac
		echo $((${EPOCHREALTIME/./} / 1000)) >>"$FRAMES"
	done
}
frame_pump &
PUMP=$!
track $PUMP
wait_for 20 count_at_least "$FRAMES" . 20 || fail "the live viewer gets no frames: $(tail -3 "$E2E_TMP/liveview.log")"

# The export, held at the gate: frames keep arriving meanwhile.
frames_now() { wc -l <"$FRAMES"; }
waits_before=$(grep -c "a job waits for the file" "$RELAY_LOG" || true)
export_start=$(( ${EPOCHREALTIME/./} / 1000 ))
tech_ssh audrey export "$BIG" >"$E2E_TMP/big.hexp" 2>"$E2E_TMP/export.err" &
EXPORT=$!
wait_count 20 "$RELAY_LOG" "a job waits for the file" $((waits_before + 1)) ||
	fail "the export's job never reached the gate: $(tail -5 "$RELAY_LOG")"
held=$(frames_now)
# The job waits at the gate until the test opens it, so any frames prove the loop goes on; a few
# are asked for, with a bound that holds on a busy machine (a sanitizer build there gives about
# one frame a second).
wait_for 120 count_at_least "$FRAMES" . $((held + 5)) ||
	fail "no frames reached the live viewer while the export's job was held: $(frames_now) after $held"
note "while the export was held at the gate: $(( $(frames_now) - held )) frames arrived"
kill -0 "$EXPORT" 2>/dev/null || fail "the export ended while its job was held: $(cat "$E2E_TMP/export.err")"
: >"$GATE"
release=$(( ${EPOCHREALTIME/./} / 1000 ))
rc=0
# A bound for a job that never ends, not a guess at its speed.
wait_for 240 sh -c "! kill -0 $EXPORT 2>/dev/null" || fail "the export did not end within 240 s of the gate's opening"
wait "$EXPORT" || rc=$?
export_end=$(( ${EPOCHREALTIME/./} / 1000 ))
[ "$rc" = 0 ] || fail "the export failed ($rc): $(cat "$E2E_TMP/export.err")"
: >"$E2E_TMP/pump.stop"
wait "$PUMP" 2>/dev/null
[ -e "$E2E_TMP/pump.err" ] && fail "the live viewer answered: $(cat "$E2E_TMP/pump.err")"

# The longest gap between frames: before the export, while it was held, while it ran.
gaps() { # FROM TO: the longest gap between frames that arrived in [FROM, TO] ms, and their count
	awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { if (n++) { g = $1 - last; if (g > max) max = g } last = $1 }
		END { printf "%d ms over %d frames\n", max, n }' "$FRAMES"
}
note "export of $(( $(stat -c %s "$E2E_TMP/big.hexp") / 1000000 )) MB: $((export_end - release)) ms from the gate's opening to its last byte"
note "longest gap between the live viewer's frames: before the export $(gaps 0 "$export_start")"
note "  while the export was held at the gate $(gaps "$export_start" "$release")"
note "  while the export ran $(gaps "$release" "$export_end")"

"$BIN/handoff-tech" verify "$E2E_TMP/big.hexp" --audit-key "$PUB" >"$E2E_TMP/verify.out" 2>&1 ||
	fail "the export does not verify: $(cat "$E2E_TMP/verify.out")"
grep -q "^export ok: ticket $BIG, .* 1 recordings verified" "$E2E_TMP/verify.out" ||
	fail "unexpected verify output: $(cat "$E2E_TMP/verify.out")"
tech_ssh audrey verify >"$E2E_TMP/chain.out" || fail "the relay's verify failed: $(cat "$E2E_TMP/chain.out")"
grep -q "^chain ok: " "$E2E_TMP/chain.out" || fail "unexpected verify output: $(cat "$E2E_TMP/chain.out")"
tech_ssh audrey verify --json | grep -q '^{"ok":true,' || fail "verify --json is not ok"
note "export verified offline; the relay's chain verified: $(head -1 "$E2E_TMP/chain.out")"

# A client that hangs up while its export waits: the job is dropped with its file.
echo quit >&8
wait "$VIEWER_PID" 2>/dev/null
rm -f "$GATE"
baseline=$(settled_fds "$RELAY_PID") || fail "the relay's descriptors never settled"
waits_before=$(grep -c "a job waits for the file" "$RELAY_LOG" || true)
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$E2E_TMP/audrey" handoff@127.0.0.1 export "$BIG" >/dev/null 2>&1 &
EXPORT=$!
wait_count 20 "$RELAY_LOG" "a job waits for the file" $((waits_before + 1)) || fail "the second export never reached the gate"
kill "$EXPORT"
wait "$EXPORT" 2>/dev/null
wait_line 20 "$RELAY_LOG" "the job was cancelled at the gate" || fail "the abandoned job was not cancelled"
wait_for 15 fds_at_most "$RELAY_PID" "$baseline" ||
	fail "after the abandoned export the relay holds $(open_fds "$RELAY_PID") descriptors, baseline $baseline"
note "an export whose client hung up was cancelled; descriptors back at $baseline"

# Stopped with a job held at the gate: the relay cancels it and exits cleanly.
waits_before=$(grep -c "a job waits for the file" "$RELAY_LOG" || true)
# shellcheck disable=SC2046
ssh $(ssh_opts) -i "$E2E_TMP/audrey" handoff@127.0.0.1 export "$BIG" >/dev/null 2>&1 &
EXPORT=$!
wait_count 20 "$RELAY_LOG" "a job waits for the file" $((waits_before + 1)) || fail "the third export never reached the gate"
stop_relay
wait "$EXPORT" 2>/dev/null
note "stopped with a job held: clean exit"
echo "test_job_offloop: ok"
