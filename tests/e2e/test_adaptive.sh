# Adaptive encoding: on a fast link the viewer asks for lossless Tight/ZRLE
# and the picture is pixel-exact; on a slow link (tests/tools/slowproxy
# holding every chunk 150 ms each way) the measured round trip makes it ask
# for JPEG at a lower quality; when the link is fast again it goes back to
# lossless.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
start_relay
new_ticket_code "Adaptive"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

# Fast link: lossless, pixel-exact.
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
stats_until 5 "encoding=tight lossless" || fail "fast link: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
sleep 3 # not a wait: the link stays fast for a while, and the viewer must not turn lossy meanwhile
stats_until 3 "encoding=tight lossless" || fail "fast link turned lossy: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
viewer_cmd 10 "snapshot $E2E_TMP/fast.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/fast.ppm" >/dev/null || fail "fast link: not pixel-exact"
note "fast link: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1 | cut -d' ' -f2-5), pixel-exact"
viewer_cmd 10 quit
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 1 || fail "first viewer did not leave"

# Slow link: the same relay behind a proxy that holds every chunk 150 ms each way.
PROXY_PORT=$(free_port) || fail "no free port"
"$TOOLS/slowproxy" "$PROXY_PORT" "$RELAY_PORT" 150 >"$E2E_TMP/proxy.out" 2>&1 &
proxy=$!
track $proxy
wait_line 10 "$E2E_TMP/proxy.out" "^listening" || fail "slowproxy did not start"
VIEWER_OUT="$E2E_TMP/slow.out"
mkfifo "$E2E_TMP/slow.in"
"$BIN/handoff-tech" --relay "127.0.0.1:$PROXY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" \
	view "$TICKET" --headless <"$E2E_TMP/slow.in" >"$VIEWER_OUT" 2>"$E2E_TMP/viewer.log" &
VIEWER_PID=$!
track $VIEWER_PID
exec 8>"$E2E_TMP/slow.in"
wait_count 40 "$HELPER_OUT" "^CONSENT alice from the help desk" 2 || fail "no consent prompt through the slow link"
echo y >&7
viewer_cmd 60 "wait-frame 60000"
stats_until 20 "encoding=tight jpeg q[0-9]" || fail "slow link: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
note "slow link: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1 | cut -d' ' -f2-5)"

# Paused, the customer's picture cannot change: sent again, it goes lossless even to a viewer that
# asks for JPEG, so what the technician sees does not change either (a lossy re-encoding would).
echo pause >&7
wait_line 20 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
viewer_cmd 60 "wait-frame 60000"
viewer_cmd 20 "snapshot $E2E_TMP/paused.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/paused.ppm" >"$E2E_TMP/paused.cmp" 2>&1 ||
	fail "paused on a slow link, the picture sent again was not lossless: $(cat "$E2E_TMP/paused.cmp")"
stats_until 5 "encoding=tight jpeg q[0-9]" || fail "paused: the viewer stopped asking for JPEG"
echo resume >&7
wait_line 20 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
note "paused on the slow link: the picture sent again was pixel-exact"

# The link is fast again: back to lossless after a few fast round trips.
kill -USR1 "$proxy"
stats_until 20 "encoding=tight lossless" || fail "did not go back to lossless: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
note "fast again: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1 | cut -d' ' -f2-5)"
viewer_cmd 10 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/again.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/again.ppm" >/dev/null || fail "lossless again, but not pixel-exact"
note "pixel-exact again"
viewer_cmd 10 quit
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
echo end >&7
stop_relay
