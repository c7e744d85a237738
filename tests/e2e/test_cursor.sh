# The customer's pointer shape reaches a VNC viewer as a cursor shape
# (XFixes -> rfbSetCursor -> RichCursor), not painted into the picture: a
# libvncclient program behind `ssh -L` receives the X server's pointer, and
# every later shape as the pointer crosses windows with other cursors.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
start_relay
new_ticket_code "Cursor"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

start_ssh_tunnel
"$TOOLS/vnccursor" 127.0.0.1 "$lport" 30 >"$E2E_TMP/cursor.out" 2>"$E2E_TMP/cursor.err" &
viewer=$!
track $viewer
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
echo v >&7
wait_line 15 "$E2E_TMP/cursor.out" "^cursor " || fail "no cursor shape arrived: $(cat "$E2E_TMP/cursor.err")"
# The X server's own pointer (the 16x16 "X" with its hot spot at 7,7), not
# libvncserver's built-in 8x7 default: the shape came from XFixes.
first=$(head -1 "$E2E_TMP/cursor.out")
case "$first" in
"cursor 16 16 7 7 "*) ;;
*) fail "the viewer got another pointer than the customer's: $first" ;;
esac
note "cursor shape from the customer's X server: $first"

# Shapes after the first: the pointer moves into a window whose cursor is the
# hand, then out again over the root. The hand is 24x24 in X's cursor font,
# but libXcursor gives a theme's hand instead (32x32 with Adwaita or Breeze)
# when the machine has a cursor theme: any shape but the X will do.
DISPLAY=$XDISPLAY "$TOOLS/xprobe" cursorwin 100 100 200 200 >"$E2E_TMP/cursorwin.out" 2>&1 &
track $!
wait_line 10 "$E2E_TMP/cursorwin.out" "^ready" || fail "xprobe cursorwin did not map its window"
DISPLAY=$XDISPLAY xdotool mousemove 150 150 || fail "xdotool mousemove failed"
other_shape() { grep '^cursor ' "$E2E_TMP/cursor.out" | grep -qv '^cursor 16 16 7 7 '; }
wait_for 10 other_shape ||
	fail "the hand did not reach the viewer: $(cat "$E2E_TMP/cursor.out")"
hand=$(grep '^cursor ' "$E2E_TMP/cursor.out" | grep -v '^cursor 16 16 7 7 ' | head -1)
DISPLAY=$XDISPLAY xdotool mousemove 10 10 || fail "xdotool mousemove failed"
wait_count 10 "$E2E_TMP/cursor.out" "^cursor 16 16 7 7 " 2 ||
	fail "the shape over the root did not come back: $(cat "$E2E_TMP/cursor.out")"
note "then the hand ($hand) and the X again: $(grep -c '^cursor' "$E2E_TMP/cursor.out") shapes in all"
kill "$viewer" 2>/dev/null
echo end >&7
stop_relay
