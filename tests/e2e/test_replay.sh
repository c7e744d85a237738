# Auditors' side of recordings: keygen, replay (headless and in a window)
# and render to video.
# 1. Synthetic recordings (tests/tools/mkrec), whose final picture is known
#    exactly: every pixel format a viewer may ask for, a message split over
#    records, a big frame, a recording cut short; refusals (wrong key, one
#    byte changed).
# 2. A real recorded session: the live viewer's snapshot and the replay's
#    final framebuffer are the same file; the technician's input is in the
#    replay; the rendered video lasts as long as the recording and ends on
#    its last picture; the window replay shows the customer's screen pixel
#    for pixel and survives play, pause, speed and seeks.
. "$(dirname "$0")/lib.sh"

# ffprobe's duration of a video, in seconds.
video_duration() {
	ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"
}

# last_frame VIDEO OUT.ppm: the video's last frame as RGB.
last_frame() {
	ffmpeg -loglevel error -y -i "$1" -pix_fmt rgb24 -update 1 -f image2 "$2"
}

# psnr A B: the PSNR of two pictures in dB ("inf" when equal).
psnr() {
	ffmpeg -hide_banner -i "$1" -i "$2" -lavfi psnr -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p'
}

# within A B TOL: |A - B| <= TOL
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# The name start_relay (lib.sh) installs on the relay.
K="$E2E_TMP/recording.key"
"$BIN/handoff-tech" keygen --out "$K" >"$E2E_TMP/keygen.out" || fail "keygen failed"
[ "$(cat "$E2E_TMP/keygen.out")" = "$K.pub" ] || fail "keygen did not print the public key's path"
[ "$(stat -c %a "$K")" = 600 ] || fail "the private key is not mode 0600"
grep -q "^handoff-x25519-public [0-9a-f]\{64\}$" "$K.pub" || fail "the public key file is malformed"
if "$BIN/handoff-tech" keygen --out "$K" >/dev/null 2>&1; then
	fail "keygen overwrote an existing key"
fi
note "keygen: $K (0600) and $K.pub; an existing key is never overwritten"

# --- 1. Synthetic recordings -------------------------------------------------
replay() {
	"$BIN/handoff-tech" replay "$@" --key "$K" --headless
}
for format in default bgr 565 native noinput; do
	for shape in "" "--split 7" "--size 800x600 --split 3" "--size 33x17"; do
		# shellcheck disable=SC2086
		"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/syn.hrec" --format "$format" $shape \
			--expect "$E2E_TMP/syn-final.ppm" --expect-first "$E2E_TMP/syn-first.ppm" >/dev/null ||
			fail "mkrec failed"
		replay "$E2E_TMP/syn.hrec" --snapshot "$E2E_TMP/syn-replay.ppm" >"$E2E_TMP/syn.out" 2>"$E2E_TMP/syn.err" ||
			fail "replay of a $format recording [$shape] failed: $(cat "$E2E_TMP/syn.err")"
		cmp -s "$E2E_TMP/syn-final.ppm" "$E2E_TMP/syn-replay.ppm" ||
			fail "replay of a $format recording [$shape] ends on the wrong picture"
		grep -q "^ok [0-9]*x[0-9]* frames=3 duration=3.000$" "$E2E_TMP/syn.out" ||
			fail "unexpected summary: $(tail -1 "$E2E_TMP/syn.out")"
		replay "$E2E_TMP/syn.hrec" --until 1.4 --snapshot "$E2E_TMP/syn-replay.ppm" >"$E2E_TMP/syn.out" 2>&1 ||
			fail "replay --until failed: $(cat "$E2E_TMP/syn.out")"
		cmp -s "$E2E_TMP/syn-first.ppm" "$E2E_TMP/syn-replay.ppm" ||
			fail "replay of a $format recording [$shape] --until 1.4 shows the wrong picture"
	done
done
note "synthetic recordings in 5 pixel formats, split and big frames: final and --until pictures exact"

# The helper's screen description is in the recorded stream: decoded in order, it changes no
# picture; one that does not decode stops the replay with the reason and the time.
"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/si.hrec" --screeninfo good --expect "$E2E_TMP/si-final.ppm" >/dev/null ||
	fail "mkrec --screeninfo good failed"
replay "$E2E_TMP/si.hrec" --snapshot "$E2E_TMP/si-replay.ppm" >"$E2E_TMP/si.out" 2>"$E2E_TMP/si.err" ||
	fail "a recording with a screen description does not replay: $(cat "$E2E_TMP/si.err")"
cmp -s "$E2E_TMP/si-final.ppm" "$E2E_TMP/si-replay.ppm" || fail "a recording with a screen description ends on the wrong picture"
grep -q "^ok 320x240 frames=3 duration=3.000$" "$E2E_TMP/si.out" || fail "screen description: $(tail -1 "$E2E_TMP/si.out")"
"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/si.hrec" --screeninfo bad >/dev/null || fail "mkrec --screeninfo bad failed"
rc=0
replay "$E2E_TMP/si.hrec" >"$E2E_TMP/si.out" 2>"$E2E_TMP/si.err" || rc=$?
[ "$rc" = 1 ] && grep -q "malformed screen description at 1.700 s" "$E2E_TMP/si.err" ||
	fail "a malformed screen description in a recording: exit $rc, $(cat "$E2E_TMP/si.err")"
note "screen descriptions in a recording: decoded in order (same final picture); a malformed one: exit 1 at 1.700 s"

# Regression: a recording whose plaintext passes 16 MiB (a struct buf's cap) once failed to open.
"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/big.hrec" --size 1900x1900 --expect "$E2E_TMP/big-final.ppm" >/dev/null ||
	fail "mkrec failed"
[ "$(stat -c %s "$E2E_TMP/big.hrec")" -gt $((16 * 1024 * 1024)) ] || fail "the big recording is not over 16 MiB"
replay "$E2E_TMP/big.hrec" --snapshot "$E2E_TMP/big-replay.ppm" >/dev/null 2>"$E2E_TMP/big.err" ||
	fail "a recording over 16 MiB does not open: $(cat "$E2E_TMP/big.err")"
cmp -s "$E2E_TMP/big-final.ppm" "$E2E_TMP/big-replay.ppm" || fail "the big recording ends on the wrong picture"
rm -f "$E2E_TMP/big.hrec" "$E2E_TMP"/big-*.ppm
note "a recording over 16 MiB replays exactly"

"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/syn.hrec" >/dev/null || fail "mkrec failed"
replay "$E2E_TMP/syn.hrec" >"$E2E_TMP/syn.out" 2>&1 || fail "replay failed"
cat >"$E2E_TMP/syn-input.want" <<'EOF'
input 1.000 pointer 10 20 buttons 0
input 1.010 pointer 10 20 buttons 1
input 1.020 pointer 10 20 buttons 0
input 1.200 key a down
input 1.250 key a up
input 1.300 key Return down
input 1.350 key Return up
EOF
grep "^input " "$E2E_TMP/syn.out" | diff "$E2E_TMP/syn-input.want" - >/dev/null ||
	fail "the technician's input is not replayed as recorded: $(grep '^input' "$E2E_TMP/syn.out")"
grep -q "^recording ticket 7 viewer 1 technician alice tier L1 " "$E2E_TMP/syn.out" ||
	fail "replay does not say whose recording it is"
replay "$E2E_TMP/syn.hrec" --until 1.25 >"$E2E_TMP/syn.out" 2>&1 || fail "replay --until failed"
[ "$(grep -c "^input " "$E2E_TMP/syn.out")" = 5 ] || fail "--until 1.25 printed input past 1.25 s"
start=$(date +%s%N)
replay "$E2E_TMP/syn.hrec" --speed 2 >/dev/null 2>&1 || fail "replay --speed 2 failed"
ms=$((($(date +%s%N) - start) / 1000000))
# Pacing, not performance: it can be slower on a loaded machine, never faster.
[ "$ms" -ge 1400 ] || fail "a 3 s recording at speed 2 took only $ms ms"
note "input replayed as recorded (keys, pointer, buttons, times); --speed 2 took $ms ms for 3 s"

"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/cut.hrec" --truncate --expect "$E2E_TMP/cut.ppm" >/dev/null ||
	fail "mkrec --truncate failed"
replay "$E2E_TMP/cut.hrec" --snapshot "$E2E_TMP/cut-replay.ppm" >"$E2E_TMP/cut.out" 2>&1 ||
	fail "a truncated recording does not replay: $(cat "$E2E_TMP/cut.out")"
grep -q "recording is truncated (the relay stopped while recording); playing what there is" "$E2E_TMP/cut.out" ||
	fail "replay did not say the recording is truncated"
cmp -s "$E2E_TMP/cut.ppm" "$E2E_TMP/cut-replay.ppm" || fail "a truncated recording ends on the wrong picture"
note "truncated recording (no final chunk, cut inside a message): said so, played up to the cut"

"$BIN/handoff-tech" keygen --out "$E2E_TMP/other.key" >/dev/null || fail "keygen failed"
if "$BIN/handoff-tech" replay "$E2E_TMP/syn.hrec" --key "$E2E_TMP/other.key" --headless >/dev/null 2>"$E2E_TMP/wrong.err"; then
	fail "another auditor key opened the recording"
fi
grep -q "sealed for another key" "$E2E_TMP/wrong.err" || fail "wrong key not named: $(cat "$E2E_TMP/wrong.err")"
size=$(stat -c %s "$E2E_TMP/syn.hrec")
for off in 0 8 100 $((size / 2)) $((size - 1)); do
	cp "$E2E_TMP/syn.hrec" "$E2E_TMP/bad.hrec"
	printf '\x5a' | dd of="$E2E_TMP/bad.hrec" bs=1 seek="$off" conv=notrunc 2>/dev/null
	cmp -s "$E2E_TMP/syn.hrec" "$E2E_TMP/bad.hrec" && continue
	if replay "$E2E_TMP/bad.hrec" >/dev/null 2>&1; then
		fail "a recording with byte $off changed still plays"
	fi
done
note "refused: another auditor's key, a changed byte anywhere"

"$BIN/handoff-tech" render "$E2E_TMP/syn.hrec" --key "$K" --out "$E2E_TMP/syn.mkv" --codec ffv1 --fps 25 \
	>"$E2E_TMP/render.out" 2>&1 || fail "render (ffv1) failed: $(cat "$E2E_TMP/render.out")"
"$TOOLS/mkrec" --pub "$K.pub" --out "$E2E_TMP/syn2.hrec" --expect "$E2E_TMP/syn-final.ppm" \
	--expect-first "$E2E_TMP/syn-first.ppm" >/dev/null || fail "mkrec failed"
within "$(video_duration "$E2E_TMP/syn.mkv")" 3.0 0.04 || fail "the video lasts $(video_duration "$E2E_TMP/syn.mkv") s, not 3.0"
last_frame "$E2E_TMP/syn.mkv" "$E2E_TMP/syn-last.ppm" || fail "cannot decode the video"
cmp -s "$E2E_TMP/syn-last.ppm" "$E2E_TMP/syn-final.ppm" || fail "the lossless video's last frame is not the final picture"
ffmpeg -loglevel error -y -ss 1.0 -i "$E2E_TMP/syn.mkv" -frames:v 1 -pix_fmt rgb24 "$E2E_TMP/syn-1s.ppm" ||
	fail "cannot decode the video at 1 s"
cmp -s "$E2E_TMP/syn-1s.ppm" "$E2E_TMP/syn-first.ppm" || fail "the video at 1.0 s does not show the 0.5 s picture"
note "render (ffv1, 25 fps): 3.0 s long, frames at 1 s and at the end exact"

# --- 2. A real recorded session ----------------------------------------------
if ! "$BIN/handoff-relay" --help 2>&1 | grep -q recording-key; then
	note "SKIPPED the recorded session: this relay does not record"
	exit 0
fi
start_xvfb 320 240
draw_pattern
start_relay
new_ticket_code "Replay me"
share_with_viewer
viewer_cmd 10 "click 40 50"
viewer_cmd 10 "type hi"
viewer_cmd 10 "key Return"
wait_line 10 "$E2E_TMP/xprobe.out" "^key Return" || fail "the typed keys did not arrive"
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/live.ppm"
sleep 1 # not a wait: the session goes on after the snapshot, and the replay must still end on it
viewer_cmd 10 "quit"
wait "$VIEWER_PID" 2>/dev/null || true
closed() {
	sqlite3 "$RELAY_DIR/handoff.db" \
		"SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='recording-closed'" | grep -q " complete$"
}
wait_for 15 closed || fail "the relay did not close the recording"
seg=$(ls "$RELAY_DIR"/recordings/"$TICKET"/*.hrec)
[ "$(echo "$seg" | wc -l)" = 1 ] || fail "expected one segment, got: $seg"

replay "$seg" --snapshot "$E2E_TMP/replayed.ppm" >"$E2E_TMP/real.out" 2>"$E2E_TMP/real.err" ||
	fail "the recording does not replay: $(cat "$E2E_TMP/real.err")"
cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/replayed.ppm" || fail "the replay does not end on what the live viewer saw"
[ "$(sha256sum <"$E2E_TMP/live.ppm")" = "$(sha256sum <"$E2E_TMP/replayed.ppm")" ] || fail "hashes differ"
for want in "pointer 40 50 buttons 1" "key h down" "key i down" "key Return down"; do
	grep -q "^input [0-9.]* $want$" "$E2E_TMP/real.out" || fail "the replay lacks the technician's '$want'"
done
grep -q "technician alice tier L1" "$E2E_TMP/real.out" || fail "the replay does not name the technician"
duration=$(sed -n 's/^ok .* duration=\([0-9.]*\)$/\1/p' "$E2E_TMP/real.out")
note "recorded session ($duration s): replay ends on the live snapshot (same SHA-256), input replayed"

"$BIN/handoff-tech" render "$seg" --key "$K" --out "$E2E_TMP/session.mp4" >"$E2E_TMP/render.out" 2>&1 ||
	fail "render failed: $(cat "$E2E_TMP/render.out")"
d=$(video_duration "$E2E_TMP/session.mp4")
within "$d" "$duration" 0.11 || fail "the video lasts $d s, the recording $duration s"
last_frame "$E2E_TMP/session.mp4" "$E2E_TMP/session-last.ppm" || fail "cannot decode the video"
p=$(psnr "$E2E_TMP/session-last.ppm" "$E2E_TMP/replayed.ppm")
[ "$p" = inf ] || awk -v p="$p" 'BEGIN { exit !(p >= 20) }' || fail "the video's last frame differs: PSNR $p dB"
"$BIN/handoff-tech" render "$seg" --key "$K" --out "$E2E_TMP/session.mkv" --codec ffv1 >/dev/null 2>&1 ||
	fail "render (ffv1) failed"
last_frame "$E2E_TMP/session.mkv" "$E2E_TMP/session-last.ppm" || fail "cannot decode the ffv1 video"
cmp -s "$E2E_TMP/session-last.ppm" "$E2E_TMP/replayed.ppm" || fail "the lossless video's last frame differs"
note "render: H.264 $d s (recording $duration s), last frame PSNR $p dB; ffv1 last frame exact"

# The window, on a display of its own: the picture must be there pixel for pixel.
CUSTOMER_X=$XDISPLAY
start_xvfb 800 600
AUDIT_X=$XDISPLAY
XDISPLAY=$CUSTOMER_X
DISPLAY=$AUDIT_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" replay "$seg" --key "$K" \
	>"$E2E_TMP/win.out" 2>&1 &
win=$!
track $win
wait_for 10 sh -c "DISPLAY=$AUDIT_X xdotool search --name 'Handoff replay' >/dev/null" || fail "no replay window"
wid=$(DISPLAY=$AUDIT_X xdotool search --name 'Handoff replay' | tail -1)
DISPLAY=$AUDIT_X xdotool windowfocus --sync "$wid" 2>/dev/null || true
# The overlay (the technician's pointer and keys) is drawn over the picture: hide it to compare.
DISPLAY=$AUDIT_X xdotool key o || fail "xdotool key failed"
wait_for 20 sh -c "DISPLAY=$AUDIT_X '$TOOLS/xprobe' find 320 240 >'$E2E_TMP/find.out'" ||
	fail "the replay window never showed the customer's screen: $(cat "$E2E_TMP/find.out")"
for k in space plus minus Right Left End Home space Left; do
	DISPLAY=$AUDIT_X xdotool key "$k" || fail "xdotool key $k failed"
	sleep 0.2 # not a wait: the keys are spread over time, as a person presses them
done
kill -0 "$win" 2>/dev/null || fail "the replay window died: $(cat "$E2E_TMP/win.out")"
DISPLAY=$AUDIT_X xdotool key End
wait_for 20 sh -c "DISPLAY=$AUDIT_X '$TOOLS/xprobe' find 320 240 >'$E2E_TMP/find.out'" ||
	fail "after seeking, the window does not show the screen: $(cat "$E2E_TMP/find.out")"
DISPLAY=$AUDIT_X xdotool key q
wait_for 10 sh -c "! kill -0 $win 2>/dev/null" || fail "q did not close the replay window"
wait "$win" || fail "the replay window exited with an error: $(cat "$E2E_TMP/win.out")"
note "window: the recorded screen pixel for pixel ($(cat "$E2E_TMP/find.out")); play, pause, speed, seeks, quit"

{ echo end >&7; } 2>/dev/null || true
stop_relay
