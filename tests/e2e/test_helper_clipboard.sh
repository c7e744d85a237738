# Clipboard text both ways, only with control: a libvncclient program behind
# `ssh -L` (tests/tools/vncclip) puts text on the customer's CLIPBOARD
# (read back with xclip), and the customer's copy (xclip) reaches it as
# server cut text. A view-only viewer neither sets nor receives the
# clipboard. 512 KiB from a viewer is dropped whole (our cap is 256 KiB)
# and the customer is told; 2 MiB makes libvncserver (cap 1 MiB) close that
# viewer; the helper keeps serving and the clipboard is unchanged. While
# the customer has paused sharing, no clipboard goes either way.
. "$(dirname "$0")/lib.sh"

start_xvfb 640 480
start_relay
new_ticket_code "Clipboard"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"

start_ssh_tunnel

clip_get() {
	DISPLAY=$XDISPLAY timeout 5 xclip -o -selection clipboard 2>/dev/null
}

# View only: its clipboard is not taken, and the customer's copy is not sent to it.
DISPLAY=$XDISPLAY xclip -selection clipboard </dev/null 2>/dev/null
clip_viewer viewonly v "from a view-only viewer"
wait_line 15 "$E2E_TMP/viewonly.out" "^sent " || fail "the view-only viewer did not connect"
printf 'customer secret' | DISPLAY=$XDISPLAY xclip -selection clipboard
sleep 1 # not a wait: shows that nothing is taken or sent
[ "$(clip_get)" = "customer secret" ] || fail "a view-only viewer changed the clipboard: $(clip_get)"
grep -q "^cut " "$E2E_TMP/viewonly.out" && fail "a view-only viewer got the customer's clipboard"
kill "$CLIP_PID"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with" || fail "the helper did not see the viewer go"
note "view only: no clipboard either way"

# Control: the viewer's text lands on the customer's clipboard, and back.
clip_viewer control y "Hello from the technician"
wait_for 15 sh -c "[ \"\$(DISPLAY=$XDISPLAY timeout 5 xclip -o -selection clipboard 2>/dev/null)\" = 'Hello from the technician' ]" ||
	fail "the technician's text is not on the customer's clipboard: '$(clip_get)'"
printf 'Error 0x12 at line 7' | DISPLAY=$XDISPLAY xclip -selection clipboard
wait_line 15 "$E2E_TMP/control.out" "^cut 20 Error 0x12 at line 7$" ||
	fail "the customer's copy did not reach the technician: $(cat "$E2E_TMP/control.out")"
kill "$CLIP_PID"
note "control: technician -> customer and customer -> technician"

# A big clipboard from a controlling viewer: dropped whole, the customer told.
clip_viewer big y --size 524288
wait_line 20 "$HELPER_OUT" "^STATUS The technician's clipboard text was larger than 256 KiB" ||
	fail "the customer was not told: $(tail -3 "$HELPER_OUT"); $(tail -3 "$E2E_TMP/helper.log")"
[ "$(clip_get)" = "Error 0x12 at line 7" ] || fail "the big text changed the clipboard"
kill "$CLIP_PID" 2>/dev/null
note "512 KiB from the viewer: dropped, the customer told"
# A giant one: libvncserver closes that viewer; everything else goes on.
clip_viewer giant y --size 2097152
wait_line 20 "$E2E_TMP/giant.out" "^closed" || fail "the giant clipboard's viewer was not closed"
[ "$(clip_get)" = "Error 0x12 at line 7" ] || fail "the giant text changed the clipboard"
kill -0 "$HELPER_PID" || fail "the helper died"
clip_viewer after y "still works"
wait_for 15 sh -c "[ \"\$(DISPLAY=$XDISPLAY timeout 5 xclip -o -selection clipboard 2>/dev/null)\" = 'still works' ]" ||
	fail "the clipboard stopped working after the giant one"
kill "$CLIP_PID" 2>/dev/null
note "2 MiB from the viewer: that viewer closed by libvncserver; the next one works"

# Paused: a controlling viewer's text is not pasted and the customer's copy
# is not sent; after resume the customer's next copy is.
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
clip_viewer paused y "sent while paused"
wait_line 15 "$E2E_TMP/paused.out" "^sent " || fail "the viewer did not connect while paused"
sleep 1 # not a wait: shows that nothing is pasted
[ "$(clip_get)" = "still works" ] || fail "a viewer changed the clipboard while paused: $(clip_get)"
printf 'copied while paused' | DISPLAY=$XDISPLAY xclip -selection clipboard
sleep 1 # not a wait: shows that nothing is sent
grep -q "^cut " "$E2E_TMP/paused.out" && fail "the customer's clipboard reached a viewer while paused"
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
printf 'copied after resume' | DISPLAY=$XDISPLAY xclip -selection clipboard
wait_line 15 "$E2E_TMP/paused.out" "^cut 19 copied after resume$" ||
	fail "the customer's copy after resume did not reach the viewer: $(cat "$E2E_TMP/paused.out")"
kill "$CLIP_PID" 2>/dev/null
note "paused: no clipboard either way; after resume the customer's copy arrives"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
# A sanitizer build exits non-zero when LeakSanitizer finds a leak.
wait "$HELPER_PID" || fail "the helper exited non-zero: $(tail -5 "$E2E_TMP/helper.log")"
stop_relay
