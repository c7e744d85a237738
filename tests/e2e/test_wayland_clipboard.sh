# The helper's clipboard on a Wayland desktop (sway headless, wlroots' data
# control): wl-copy puts text on sway's clipboard and wl-paste reads it, as
# the customer's programs would. A view-only viewer (tests/tools/vncclip
# behind `ssh -L`) neither sets nor receives it. With control, the
# technician's window viewer on its own Xvfb gets the customer's copy in
# UTF-8 (Japanese survives: our viewer asks for UTF-8), and its copy lands
# on sway's clipboard. Over the cap (256 KiB) either way, the text is
# dropped whole and the customer told. A still screen with the clipboard
# open costs the helper next to no CPU. While paused, nothing is sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_wayland 640 480
start_relay
new_ticket_code "Wayland clipboard"
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
grep -q "no clipboard sharing" "$E2E_TMP/helper.log" && fail "no clipboard: $(grep clipboard "$E2E_TMP/helper.log")"

# wl_copy FILE: FILE's bytes on sway's clipboard (wl-copy serves them until another copy).
wl_copy() {
	wl_exec wl-copy --foreground --type text/plain\;charset=utf-8 <"$1" >/dev/null 2>>"$E2E_TMP/wl-copy.log" &
	track $!
}
# wl_clip_is FILE: sway's clipboard holds exactly FILE's bytes.
wl_clip_is() {
	wl_as timeout 5 wl-paste --no-newline >"$E2E_TMP/wl.now" 2>/dev/null && cmp -s "$E2E_TMP/wl.now" "$1"
}
# clip_is FILE: the technician's display's CLIPBOARD, as UTF8_STRING, holds exactly FILE's bytes.
clip_is() {
	timeout 5 xclip -display "$TECH_X" -selection clipboard -t UTF8_STRING -o >"$E2E_TMP/clip.now" 2>/dev/null &&
		cmp -s "$E2E_TMP/clip.now" "$1"
}

start_ssh_tunnel

# View only: its text is not pasted, and the customer's copy is not sent to it.
printf 'before' >"$E2E_TMP/before"
wl_copy "$E2E_TMP/before"
wait_for 10 wl_clip_is "$E2E_TMP/before" || fail "wl-copy did not set sway's clipboard: $(cat "$E2E_TMP/wl-copy.log")"
clip_viewer viewonly v "from a view-only viewer"
wait_line 15 "$E2E_TMP/viewonly.out" "^sent " || fail "the view-only viewer did not connect"
printf 'customer secret' >"$E2E_TMP/secret"
wl_copy "$E2E_TMP/secret"
wait_for 10 wl_clip_is "$E2E_TMP/secret" || fail "the customer's copy is not on sway's clipboard"
sleep 1 # not a wait: shows that nothing is taken or sent
wl_clip_is "$E2E_TMP/secret" || fail "a view-only viewer changed the clipboard: $(cat "$E2E_TMP/wl.now")"
grep -q "^cut " "$E2E_TMP/viewonly.out" && fail "a view-only viewer got the customer's clipboard"
kill "$CLIP_PID"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with" || fail "the helper did not see the viewer go"
note "view only: no clipboard either way"

# Control, in the technician's window (UTF-8 both ways).
start_xvfb 640 480
TECH_X=$XDISPLAY
n=$(grep -c "^CONSENT" "$HELPER_OUT")
start_tech_window
wait_count 15 "$HELPER_OUT" "^CONSENT" $((n + 1)) || fail "the window: no consent prompt"
echo y >&7
wait_for 15 sh -c "DISPLAY=$TECH_X xwininfo -root -tree | grep -q 'Handoff.*CONTROL'" ||
	fail "no controlling window: $(tail -3 "$E2E_TMP/window.log")"

# Customer -> technician. The window watches the clipboard a moment after its title shows, so the
# copy is made again until it arrives.
printf 'from the customer: 日本語のテキスト, naïve' >"$E2E_TMP/c2t"
copy_c2t() {
	wl_copy "$E2E_TMP/c2t"
	wait_for 2 clip_is "$E2E_TMP/c2t"
}
wait_for 20 copy_c2t ||
	fail "the technician's clipboard holds '$(cat "$E2E_TMP/clip.now")', not '$(cat "$E2E_TMP/c2t")': $(grep -i clipboard "$E2E_TMP/helper.log" | tail -3)"
note "customer -> technician: '$(cat "$E2E_TMP/c2t")' arrived"

# Technician -> customer.
printf 'from the technician: こんにちは café' >"$E2E_TMP/t2c"
xclip -display "$TECH_X" -selection clipboard -i "$E2E_TMP/t2c" || fail "xclip failed"
wait_for 15 wl_clip_is "$E2E_TMP/t2c" ||
	fail "sway's clipboard holds '$(cat "$E2E_TMP/wl.now")', not '$(cat "$E2E_TMP/t2c")'"
note "technician -> customer: '$(cat "$E2E_TMP/t2c")' arrived (wl-paste)"

# Idle with the clipboard open: nothing on screen or clipboard changes.
wl_idle_cpu "screen, the clipboard open"

# The customer's copy over the cap: not sent, the customer told; the technician's clipboard unchanged.
head -c 300000 /dev/zero | tr '\0' 'x' >"$E2E_TMP/big"
wl_copy "$E2E_TMP/big"
wait_line 20 "$HELPER_OUT" "^STATUS Your clipboard text is larger than 256 KiB" ||
	fail "the customer was not told: $(tail -3 "$HELPER_OUT"); $(grep -i clipboard "$E2E_TMP/helper.log" | tail -3)"
clip_is "$E2E_TMP/t2c" || fail "the big copy reached the technician's clipboard ($(wc -c <"$E2E_TMP/clip.now") bytes)"
note "300000 bytes from the customer: not sent, the customer told"

# A controlling stock viewer's text over the cap: dropped, the customer told, sway's clipboard unchanged.
clip_viewer big y --size 524288
wait_line 20 "$HELPER_OUT" "^STATUS The technician's clipboard text was larger than 256 KiB" ||
	fail "the customer was not told: $(tail -3 "$HELPER_OUT")"
wl_clip_is "$E2E_TMP/big" || fail "the big text from the viewer changed sway's clipboard"
kill "$CLIP_PID" 2>/dev/null
note "512 KiB from a viewer: dropped, the customer told"

# Paused: the customer's copy is not sent; after resume the next one is.
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
printf 'copied while paused' >"$E2E_TMP/paused"
wl_copy "$E2E_TMP/paused"
wait_for 10 wl_clip_is "$E2E_TMP/paused" || fail "the customer's copy is not on sway's clipboard"
sleep 1 # not a wait: shows that nothing is sent
clip_is "$E2E_TMP/t2c" || fail "the customer's copy reached the technician while paused: $(cat "$E2E_TMP/clip.now")"
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
printf 'copied after resume: 再開' >"$E2E_TMP/resumed"
wl_copy "$E2E_TMP/resumed"
wait_for 15 clip_is "$E2E_TMP/resumed" || fail "the copy after resume did not arrive: '$(cat "$E2E_TMP/clip.now")'"
note "paused: the customer's copy is not sent; after resume it is"

kill -TERM "$win"
wait "$win" 2>/dev/null
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
# A sanitizer build exits non-zero when LeakSanitizer finds a leak.
wait "$HELPER_PID" || fail "the helper exited non-zero: $(tail -5 "$E2E_TMP/helper.log")"
stop_relay
