# Interoperability: the session reached with a stock OpenSSH client
# (ssh -N -L PORT:ticket-N:5900) and VNC clients that are not handoff-tech:
# a small libvncclient program (pixel-exact) and TigerVNC's viewer.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
draw_pattern
start_relay
new_ticket_code "Interop"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

start_ssh_tunnel

"$TOOLS/vncgrab" 127.0.0.1 "$lport" "$E2E_TMP/grab.ppm" 20 >"$E2E_TMP/grab.out" 2>&1 &
grab=$!
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt for the ssh -L viewer"
echo y >&7
wait "$grab" || fail "vncgrab failed: $(cat "$E2E_TMP/grab.out")"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/grab.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "picture through ssh -L differs: $(cat "$E2E_TMP/compare.out")"
note "ssh -L + libvncclient: $(cat "$E2E_TMP/compare.out")"

# TigerVNC's viewer, on a display of its own, through the same tunnel.
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "helper kept the first viewer"
VIEWER_X=$XDISPLAY
start_xvfb 800 600
CUSTOMER_X=$VIEWER_X
VIEWER_X=$XDISPLAY
DISPLAY=$VIEWER_X xtigervncviewer -ViewOnly=1 -AutoSelect=0 -PreferredEncoding=Tight "127.0.0.1::$lport" \
	>"$E2E_TMP/tiger.log" 2>&1 &
tiger=$!
track $tiger
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk" 2 || fail "no consent prompt for TigerVNC"
echo y >&7
wait_line 15 "$RELAY_LOG" "viewer [0-9]*: alice is viewing ticket $TICKET" || fail "relay did not splice TigerVNC"
wait_for 15 sh -c "DISPLAY=$VIEWER_X xwininfo -root -tree | grep -q TigerVNC" ||
	fail "TigerVNC opened no window: $(cat "$E2E_TMP/tiger.log")"
sleep 1 # not a wait: TigerVNC must stay up and quiet for a while
kill -0 "$tiger" || fail "TigerVNC exited: $(cat "$E2E_TMP/tiger.log")"
grep -qi "error\|failed" "$E2E_TMP/tiger.log" && fail "TigerVNC complained: $(cat "$E2E_TMP/tiger.log")"
note "TigerVNC viewer connected through ssh -L ($(grep -c . "$E2E_TMP/tiger.log") log lines)"
kill "$tiger"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 2 || fail "helper did not see TigerVNC leave"
: "$CUSTOMER_X"
stop_relay
