# Monitor choice on a Wayland desktop of two outputs (issue 17): sway headless with HEADLESS-1
# (800x600 at 0,0) and HEADLESS-2 (800x600 at 800,0), a wlpattern fullscreen on each (variant 0
# on the first, 1 on the second, so that the two differ everywhere), the real helper through
# wlroots' screen copy, the real relay and the technician's headless viewer:
#   - --monitor 3 is refused before anything connects, naming how many outputs there are;
#   - --monitor 1 and --monitor 2 each show that output's client pixel for pixel, the viewer's
#     info line names that output alone, and a click at 100,50 lands at 100,50 in that client
#     and nowhere else;
#   - without --monitor both outputs are one 1600x600 desktop, as on X11: the info line names
#     both, each half is its client's picture, a change on the second arrives, a click at
#     900,50 lands at 100,50 in the second client, and the viewer's "monitor 2" crops to it
#     (a click at 10,20 of it lands at 10,20 there);
#   - HEADLESS-2 moved below HEADLESS-1 while it alone is shared: followed by name, still its
#     client's picture, and a click lands in it (the virtual pointer's space follows the layout).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_wayland 800 600 2
# New windows open on the output that has the focus.
wl_as swaymsg focus output HEADLESS-1 >/dev/null || fail "swaymsg focus output HEADLESS-1"
start_wlpattern 800x600 left
LEFT_PID=$WLP_PID LEFT_OUT=$WLP_OUT
wl_as swaymsg focus output HEADLESS-2 >/dev/null || fail "swaymsg focus output HEADLESS-2"
start_wlpattern 800x600 right
RIGHT_PID=$WLP_PID RIGHT_OUT=$WLP_OUT
wl_next_variant 1
wl_as swaymsg -t get_tree | grep -q '"name": "HEADLESS-2"' || fail "sway has no HEADLESS-2 in its tree"

start_relay

# An output that does not exist: refused before the helper signs in (the code is not spent).
new_ticket_code "Wayland monitors"
rc=0
wl_as timeout 20 "$WL_BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" \
	--ui tty --monitor 3 </dev/null >"$E2E_TMP/nomonitor.out" 2>"$E2E_TMP/nomonitor.err" || rc=$?
[ "$rc" = 1 ] || fail "--monitor 3 exited $rc, not 1: $(tail -3 "$E2E_TMP/nomonitor.err")"
grep -q "The helper cannot share monitor 3 alone.*there is no monitor 3: this display has 2" "$E2E_TMP/nomonitor.err" ||
	fail "--monitor 3 said: $(cat "$E2E_TMP/nomonitor.err")"
events_are "$TICKET" customer-connected 0 || fail "the helper signed in with a monitor that does not exist"
note "--monitor 3: $(grep -o 'The helper cannot share monitor.*' "$E2E_TMP/nomonitor.err" | head -1)"

# one_click OUT OTHER X Y: one button line in OUT, at X Y, and none in OTHER (the other client's).
one_click() {
	local out=$1 other=$2 x=$3 y=$4
	wait_line 10 "$out" "^button 1 $x $y\$" || fail "the click did not land at $x,$y: $(grep '^button' "$out" "$other")"
	if [ "$(grep -c '^button' "$out")" != 1 ] || [ "$(grep -c '^button' "$other")" != 0 ]; then
		fail "clicks landed as $(grep '^button' "$out" "$other" | tr '\n' ' ')"
	fi
}

# wl_devices_seen: both clients listen to the helper's virtual pointer (sway's seat had none
# before the helper made it, so each client hears of it, and takes a new wl_pointer, only then).
wl_devices_seen() {
	local out
	for out in "$LEFT_OUT" "$RIGHT_OUT"; do
		wait_line 10 "$out" "^seat pointer\$" || fail "a client did not get the helper's pointer: $(cat "$out")"
	done
}

# end_helper: the customer ends the session; its viewer goes with it, and its virtual devices
# (both clients heard the seat lose them, so the next helper's are news to them).
end_helper() {
	echo end >&7
	wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
	wait "$HELPER_PID" || fail "helper exited non-zero: $(tail -3 "$E2E_TMP/helper.log")"
	kill "$VIEWER_PID" 2>/dev/null || true
	wait "$VIEWER_PID" 2>/dev/null || true
	exec 7>&- 8>&-
	local out
	for out in "$LEFT_OUT" "$RIGHT_OUT"; do
		wait_line 10 "$out" "^seat pointer gone\$" || fail "the seat kept the ended helper's pointer: $(cat "$out")"
	done
}

for m in 1 2; do
	case $m in
	1) name=HEADLESS-1 variant=0 at=+0+0 out=$LEFT_OUT other=$RIGHT_OUT ;;
	2) name=HEADLESS-2 variant=1 at=+800+0 out=$RIGHT_OUT other=$LEFT_OUT ;;
	esac
	[ "$m" = 1 ] || new_ticket_code "Wayland monitor $m"
	: >"$LEFT_OUT"
	: >"$RIGHT_OUT"
	start_wl_helper "$CODE" --monitor "$m" --verbose
	wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
	wl_devices_seen
	grep -q "sharing monitor $m ($name), 800x600 at $at" "$E2E_TMP/helper.log" ||
		fail "monitor $m: $(grep 'output\|sharing' "$E2E_TMP/helper.log")"
	wl_first_frame 800x600
	wait_line 10 "$VIEWER_OUT" "^info control=yes paused=no monitors=1 1:$name:800x600+0+0\$" ||
		fail "monitor $m: no info line naming $name alone: $(grep '^info' "$VIEWER_OUT")"
	wl_snapshot_is "$variant" || fail "monitor $m is not its client's picture: $(cat "$E2E_TMP/check-$variant.out")"
	viewer_cmd 10 "click 100 50"
	one_click "$out" "$other" 100 50
	note "--monitor $m: $name's client pixel for pixel ($(cat "$E2E_TMP/check-$variant.out")), a click at 100,50 landed at 100,50 in it alone"
	[ "$m" = 2 ] || end_helper
done

# The shared output moves in the layout (below HEADLESS-1: the box around the outputs is now
# 800x1200): the helper follows it by name, its client's picture stays, and a click still lands
# in it, the virtual pointer's space being the new box. (An output that goes away cannot be shown
# here: sway 1.7 on wlroots 0.16's headless backend refuses to disable one, "Unsupported output
# state fields", and has no unplug.)
wl_as swaymsg output HEADLESS-2 position 0 600 >/dev/null || fail "swaymsg output HEADLESS-2 position 0 600"
wait_line 10 "$E2E_TMP/helper.log" "shared area now 800x600 at +0+600\$" ||
	fail "the helper did not follow HEADLESS-2: $(grep 'shared area' "$E2E_TMP/helper.log")"
wl_snapshot_is 1 || fail "HEADLESS-2 moved, the picture is not its client's: $(cat "$E2E_TMP/check-1.out")"
viewer_cmd 10 "click 200 60"
wait_line 10 "$RIGHT_OUT" "^button 1 200 60\$" ||
	fail "after the move a click at 200,60 landed as $(grep '^button' "$RIGHT_OUT" "$LEFT_OUT")"
[ "$(grep -c '^button' "$LEFT_OUT")" = 0 ] || fail "a click landed on HEADLESS-1: $(grep '^button' "$LEFT_OUT")"
note "HEADLESS-2 moved below HEADLESS-1: followed ($(grep 'shared area' "$E2E_TMP/helper.log" | tail -1 | sed 's/.*shared/shared/')), its picture, a click at 200,60 landed at 200,60 in it"
wl_as swaymsg output HEADLESS-2 position 800 0 >/dev/null || fail "swaymsg output HEADLESS-2 position 800 0"
wait_line 10 "$E2E_TMP/helper.log" "shared area now 800x600 at +800+0\$" ||
	fail "the helper did not follow HEADLESS-2 back: $(grep 'shared area' "$E2E_TMP/helper.log")"
end_helper

# Every output: one desktop, the box around them.
new_ticket_code "Wayland all monitors"
: >"$LEFT_OUT"
: >"$RIGHT_OUT"
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
wl_devices_seen
wl_first_frame 1600x600
# sway draws its pointer into the outputs (pixman) and hides it 50 ms after a motion
# (hide_cursor), but after the moves above an output can keep a picture of it (HEADLESS-1 kept one
# where the move had clamped the pointer, 1 run in 3) until something there is drawn again: a
# motion of ours, then both clients draw their next picture, each repainting its whole output.
viewer_cmd 10 "move 1200 300"
WLP_PID=$LEFT_PID WLP_OUT=$LEFT_OUT wl_next_variant 1
WLP_PID=$RIGHT_PID WLP_OUT=$RIGHT_OUT wl_next_variant 2
wait_line 10 "$VIEWER_OUT" "^info control=yes paused=no monitors=2 1:HEADLESS-1:800x600+0+0 2:HEADLESS-2:800x600+800+0\$" ||
	fail "no info line with both outputs: $(grep '^info' "$VIEWER_OUT")"
# both_are V1 V2: the left half is variant V1, the right V2 (each its own client's pattern).
both_are() {
	local rc=0
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/all.ppm"
	"$TOOLS/wlpattern" check "$E2E_TMP/all.ppm" "$1" 0 0 800 600 >"$E2E_TMP/check-left.out" 2>&1 || rc=1
	"$TOOLS/wlpattern" check "$E2E_TMP/all.ppm" "$2" 800 0 800 600 >"$E2E_TMP/check-right.out" 2>&1 || rc=1
	return $rc
}
wait_for 10 both_are 1 2 || fail "both outputs: $(cat "$E2E_TMP/check-left.out" "$E2E_TMP/check-right.out")"
note "all outputs: 1600x600, $(cat "$E2E_TMP/check-left.out"), $(cat "$E2E_TMP/check-right.out")"
WLP_PID=$RIGHT_PID WLP_OUT=$RIGHT_OUT wl_next_variant 3
wait_for 10 both_are 1 3 || fail "a change on HEADLESS-2: $(cat "$E2E_TMP/check-left.out" "$E2E_TMP/check-right.out")"
note "a change on HEADLESS-2 arrived in the right half, the left unchanged"
viewer_cmd 10 "click 900 50"
one_click "$RIGHT_OUT" "$LEFT_OUT" 100 50
viewer_cmd 10 "monitor 2"
grep -q "^ok monitor 2/2 HEADLESS-2 800x600\$" "$VIEWER_OUT" || fail "viewer's monitor 2: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "click 10 20"
wait_line 10 "$RIGHT_OUT" "^button 1 10 20\$" || fail "a click at 10,20 of monitor 2 landed as $(grep '^button' "$RIGHT_OUT" "$LEFT_OUT")"
viewer_cmd 10 "monitor 1"
viewer_cmd 10 "click 30 40"
wait_line 10 "$LEFT_OUT" "^button 1 30 40\$" || fail "a click at 30,40 of monitor 1 landed as $(grep '^button' "$RIGHT_OUT" "$LEFT_OUT")"
note "clicks: 900,50 -> HEADLESS-2's 100,50; viewer's monitor 2 at 10,20 -> 10,20 there; monitor 1 at 30,40 -> 30,40 on HEADLESS-1"
wl_idle_cpu "two-output desktop"
end_helper
stop_relay
