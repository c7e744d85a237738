# Below JPEG level 0 the helper scales (issue 21). The customer sits behind
# an emulated link (link_lib.sh: 1 Mbit/s up, 200 ms round trip), where even
# level 0 cannot carry a full screen of motion in the budget: the helper
# tells our viewer to take the picture at half size (or a quarter), the
# viewer answers with SetScale and gets a framebuffer that small, drawn
# enlarged at the screen's size; a click it sends meanwhile lands where the
# technician clicked on the customer's screen. When the motion stops the
# picture comes back to full size before the lossless refinement, which
# leaves the technician's picture equal to the customer's screen pixel for
# pixel. The recording of the session replays through the size changes to
# that same picture. No timing is asserted: only what the helper chose,
# what the viewer drew and where the click landed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/link_lib.sh"

# Verbose: the viewer says in its log what size of picture it draws at what size.
VIEWER_OPTS=--verbose thin_uplink_view "On a thin uplink, scaled"
stats_until 1 "scale=1 " || fail "the viewer's picture is scaled before any motion: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"

# Every pixel changes, 30 times a second, for 15 seconds; then the pattern shows again.
full_motion 15
smaller() { grep -q "picture at \(half size\|a quarter of its size\) now (.*the link carries about" "$E2E_TMP/helper.log"; }
wait_for 60 smaller || fail "the helper did not scale the picture under motion: $(grep -i 'quality\|picture at' "$E2E_TMP/helper.log" | tail -3)"
note "helper: $(grep "picture at .* now" "$E2E_TMP/helper.log" | tail -1 | sed 's/.*viewer [0-9]*: //')"
# The viewer's framebuffer is that small, drawn at the screen's size.
drawn() { grep -q "picture at 1/[24] size: \(640x400\|320x200\) drawn at 1280x800" "$E2E_TMP/viewer.log"; }
wait_for 30 drawn || fail "the viewer did not take the smaller framebuffer: $(grep -i 'picture at' "$E2E_TMP/viewer.log" | tail -3)"
note "viewer: $(grep "picture at 1/" "$E2E_TMP/viewer.log" | tail -1 | sed 's/.*picture/picture/')"

# A click while scaled, at a point every scale divides: libvncserver scales it back up.
stats_until 5 "scale=[24] " || fail "the viewer's picture is not scaled: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
viewer_cmd 10 "click 400 300"
stats_until 1 "scale=[24] " || fail "the picture came back to full size before the click could be checked"
landed() { DISPLAY=$XDISPLAY xdotool getmouselocation 2>/dev/null | grep -q "^x:400 y:300 "; }
wait_for 20 landed || fail "the click during the scaled picture landed at $(DISPLAY=$XDISPLAY xdotool getmouselocation), not 400,300"
note "a click at 400,300 on the scaled picture landed at 400,300"
wait "$MOTION_PID" || fail "the workload failed: $(cat "$E2E_TMP/workload.out")"

# Still: back at full size first, then the refinement leaves the picture exact.
full_again() { grep -q "picture at full size now (the screen is still" "$E2E_TMP/helper.log"; }
wait_for 60 full_again || fail "the helper did not bring the picture back to full size: $(grep -i 'picture at' "$E2E_TMP/helper.log" | tail -3)"
viewer_full() { grep -q "picture at full size: 1280x800" "$E2E_TMP/viewer.log"; }
wait_for 30 viewer_full || fail "the viewer did not get the full-size framebuffer back: $(grep -i 'picture at' "$E2E_TMP/viewer.log" | tail -3)"
wait_exact 180
stats_until 5 "scale=1 " || fail "the viewer's picture is still scaled: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
note "still: full size again, pixel-exact"

viewer_cmd 30 quit
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
echo end >&7
wait "$HELPER_PID" 2>/dev/null
stop_relay
link_down

# The recording replays through both size changes to the picture the technician was left with.
seg=$(ls "$RELAY_DIR"/recordings/"$TICKET"/*.hrec | head -1)
[ -n "$seg" ] || fail "no recording of the session"
"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless --snapshot "$E2E_TMP/replayed.ppm" \
	>"$E2E_TMP/replay.out" 2>&1 || fail "the recording does not replay: $(tail -5 "$E2E_TMP/replay.out")"
cmp -s "$E2E_TMP/still.ppm" "$E2E_TMP/replayed.ppm" || fail "the replay does not end on the technician's last picture"
note "replay: through the scaled picture to the exact one"
