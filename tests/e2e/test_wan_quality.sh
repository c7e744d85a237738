# The helper paces the picture to the customer's link and sharpens it when
# the screen stops. The customer sits behind an emulated link (link_lib.sh:
# 1 Mbit/s up, 200 ms round trip), so our viewer asks for JPEG. While the
# whole screen moves, the helper's updates would take seconds at the quality
# the viewer asked for: it measures what the link carries and lowers the
# quality to what fits (its log says so, with the rate); once the
# screen is still, what went out lossy is sent again without loss, band by
# band, until the technician's picture equals the customer's screen pixel
# for pixel. No timing is asserted: only what the helper chose and what the
# technician ends up seeing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/link_lib.sh"

thin_uplink_view "On a thin uplink"
note "viewer: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1 | cut -d' ' -f2-5)"

full_motion 8
# Lowered for what the link was measured to carry, not only for the first screen (sent low before any measure).
lowered() { grep -q "JPEG quality at most [0-5] now (.*the link carries about" "$E2E_TMP/helper.log"; }
wait_for 60 lowered || fail "the helper did not lower the quality under motion: $(grep -i 'quality' "$E2E_TMP/helper.log" | tail -3)"
note "under motion: $(grep "JPEG quality at most" "$E2E_TMP/helper.log" | tail -1 | sed 's/.*viewer [0-9]*: //')"
wait "$MOTION_PID" || fail "the workload failed: $(cat "$E2E_TMP/workload.out")"

# Still: the technician's picture ends up exact, though the viewer still asks for JPEG.
wait_exact 120
stats_until 5 "encoding=tight jpeg q[0-9]" || fail "the viewer stopped asking for JPEG, so the test proved nothing"
note "still: pixel-exact while the viewer asks for JPEG"

viewer_cmd 30 quit
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
echo end >&7
wait "$HELPER_PID" 2>/dev/null
stop_relay
link_down
