# Scrolling as CopyRect (issue 21): a text area scrolls on Xvfb
# (tests/tools/workload scroll) while two viewers watch: handoff-tech, which
# offers CopyRect, and a stock libvncclient viewer through ssh -L that does
# not (vncgrab --no-copyrect). The helper finds the scrolls and sends them as
# CopyRect (its debug log counts them); the viewer without CopyRect gets
# none and ordinary pixels instead; both pictures end pixel-exact; and both
# recordings replay to the screen's last picture.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
start_relay
new_ticket_code "Scroll"
start_helper "$CODE" helper --verbose
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"

start_ssh_tunnel
"$TOOLS/vncgrab" --watch --no-copyrect 127.0.0.1 "$lport" "$E2E_TMP/watch.ppm" 120 >"$E2E_TMP/watch.out" \
	2>"$E2E_TMP/watch.err" &
grab=$!
track $grab
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 2 || fail "no consent prompt for the ssh -L viewer"
echo y >&7
wait_line 20 "$E2E_TMP/watch.out" "^ready" || fail "vncgrab got no first picture: $(cat "$E2E_TMP/watch.err")"

# 3 s of scrolling by a line 30 times a second, then the last frame stays on screen.
DISPLAY=$XDISPLAY "$TOOLS/workload" scroll 3 "$E2E_TMP/frames" hold >"$E2E_TMP/workload.out" 2>&1 &
wl=$!
track $wl
wait_line 20 "$E2E_TMP/workload.out" "^ready" || fail "the workload did not start: $(cat "$E2E_TMP/workload.out")"
kill -USR1 "$wl"
wait_line 30 "$E2E_TMP/workload.out" "^done" || fail "the workload did not finish: $(cat "$E2E_TMP/workload.out")"
copied() { grep -q "moved by -[0-9]* rows as CopyRect" "$E2E_TMP/helper.log"; }
wait_for 10 copied || fail "the helper sent no scroll as CopyRect: $(grep -i 'scroll' "$E2E_TMP/helper.log" | tail -3)"
scrolls=$(grep -c "rows as CopyRect" "$E2E_TMP/helper.log")

exact() {
	viewer_cmd 60 "snapshot $E2E_TMP/live.ppm"
	DISPLAY=$XDISPLAY "$TOOLS/xprobe" same "$E2E_TMP/live.ppm" >"$E2E_TMP/live.cmp" 2>&1
}
wait_for 60 exact || fail "handoff-tech's picture after the scrolling is not exact: $(cat "$E2E_TMP/live.cmp")"
grab_exact() { DISPLAY=$XDISPLAY "$TOOLS/xprobe" same "$E2E_TMP/watch.ppm" >"$E2E_TMP/watch.cmp" 2>&1; }
wait_for 60 grab_exact || fail "the viewer without CopyRect is not exact: $(cat "$E2E_TMP/watch.cmp")"
last=$(grep '^update' "$E2E_TMP/watch.out" | tail -1)
case "$last" in
*" copyrects 0") ;;
*) fail "a viewer that did not offer CopyRect got some: $last" ;;
esac
note "$scrolls scrolls sent as CopyRect; handoff-tech and a viewer without CopyRect ($last) pixel-exact"

viewer_cmd 10 quit
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
kill "$grab" 2>/dev/null
wait "$grab" 2>/dev/null
kill -USR1 "$wl"
wait "$wl" || fail "the workload failed: $(cat "$E2E_TMP/workload.out")"
closed() {
	[ "$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events WHERE ticket_id=$TICKET
		AND kind='recording-closed' AND detail LIKE '% complete'")" = 2 ]
}
wait_for 15 closed || fail "the relay did not close both recordings"
n=0
for seg in "$RELAY_DIR"/recordings/"$TICKET"/*.hrec; do
	n=$((n + 1))
	"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless \
		--snapshot "$E2E_TMP/replay-$n.ppm" >"$E2E_TMP/replay-$n.out" 2>&1 ||
		fail "$seg does not replay: $(cat "$E2E_TMP/replay-$n.out")"
	cmp -s "$E2E_TMP/live.ppm" "$E2E_TMP/replay-$n.ppm" || fail "the replay of $seg does not end on the screen's picture"
done
[ "$n" = 2 ] || fail "expected two recordings, found $n"
note "both recordings (with and without CopyRect) replay to the screen's last picture"
echo end >&7
stop_relay
