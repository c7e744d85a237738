# The customer's window when a technician who views only asks for control
# (the viewer's `control`), in English and in Japanese: the first question
# offers Allow / Deny; the second is a card of its own (card=consent-control)
# whose buttons read "Allow control" / "Keep view only" and no Deny.
# Keep view only keeps the stream without control (the viewer's info line
# says control=no and the viewer stays); asked again, Allow control gives
# control on the same stream (info control=yes). The labels come from the
# window's trace (HANDOFF_UI_TRACE=1: "UI labels name=label | ..."), printed
# as drawn.
. "$(dirname "$0")/lib.sh"

start_xvfb 1024 768
start_relay
SHOTS="$E2E_TMP/shots"
mkdir -p "$SHOTS"

. "$(dirname "$0")/window_lib.sh"

labels_since_mark() {
	tail -n +$((MARK + 1)) "$WIN_OUT" | grep '^UI labels ' | tail -1
}

run_reask() {
	LANG_NOW=$1
	local allow_control=$2 keep_view=$3
	local T C
	T=$(tech_ssh alice ticket new "Re-ask $LANG_NOW") || fail "ticket new failed"
	C=$(tech_ssh alice invite "$T") || fail "invite failed"
	WIN_OUT="$E2E_TMP/window-$LANG_NOW.out"

	start_window_helper "window-$LANG_NOW.log" --org "Acme IT" --lang "$LANG_NOW" --code "$C"
	local helper=$WIN_PID
	wait_state 20 "screen=main .* card=nothing-shared"
	win_geometry

	# The first question, view only: Allow and Deny, worded as a first question.
	mark
	start_viewer_as alice "$T" "viewer-$LANG_NOW" --view-only
	wait_state 15 "screen=main question=consent .* card=consent "
	labels_since_mark | grep -q "^UI labels allow=.* | deny=" ||
		fail "the first question's buttons: $(labels_since_mark)"
	click allow
	viewer_cmd 20 "wait-frame"
	wait_line 10 "$VIEWER_OUT" "^info control=no" || fail "view only: $(grep '^info' "$VIEWER_OUT" | tail -1)"

	# Asked for control: a card of its own; Keep view only keeps the view, without control.
	mark
	viewer_cmd 10 "control"
	wait_state 15 "screen=main question=consent watching=1 .* card=consent-control "
	[ "$(labels_since_mark)" = "UI labels allow=$allow_control | view=$keep_view" ] ||
		fail "the re-ask's buttons are not '$allow_control' / '$keep_view': $(labels_since_mark)"
	shot consent-control
	mark
	click view
	wait_line 10 "$E2E_TMP/viewer-$LANG_NOW.log" "the customer kept it to view only" ||
		fail "Keep view only did not reach the viewer as a no to control: $(cat "$E2E_TMP/viewer-$LANG_NOW.log")"
	wait_state 10 "screen=main question=none watching=1 .* card=sharing-hint"
	viewer_cmd 20 "wait-frame"
	kill -0 "$VIEWER_PID" || fail "Keep view only ended the view"
	grep -q "^info control=yes" "$VIEWER_OUT" && fail "Keep view only gave control: $(grep '^info' "$VIEWER_OUT")"
	[ "$(grep '^info' "$VIEWER_OUT" | tail -1 | cut -d' ' -f2)" = control=no ] ||
		fail "the viewer's last info line: $(grep '^info' "$VIEWER_OUT" | tail -1)"

	# Asked again: Allow control gives control, on the same stream.
	mark
	viewer_cmd 10 "control"
	wait_state 15 "screen=main question=consent watching=1 .* card=consent-control "
	[ "$(labels_since_mark)" = "UI labels allow=$allow_control | view=$keep_view" ] ||
		fail "the second re-ask's buttons: $(labels_since_mark)"
	click allow
	wait_line 10 "$VIEWER_OUT" "^info control=yes" || fail "Allow control did not give control: $(grep '^info' "$VIEWER_OUT" | tail -1)"
	wait_line 10 "$E2E_TMP/viewer-$LANG_NOW.log" "the customer allowed view and control at" ||
		fail "the viewer's terminal did not say control: $(cat "$E2E_TMP/viewer-$LANG_NOW.log")"
	[ "$(event_count "$T" technician-joined)" = 1 ] || fail "control took a new stream"

	mark
	click end
	wait_state 10 "screen=ended"
	wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer outlived the end of the session"
	click close
	local rc=0
	wait_for 10 sh -c "! kill -0 $helper" || fail "the helper did not exit after Close"
	wait "$helper" || rc=$?
	[ "$rc" = 0 ] || fail "the helper exited with $rc: $(tail -5 "$E2E_TMP/window-$LANG_NOW.log")"
	note "$LANG_NOW: re-ask card '$allow_control' / '$keep_view'; keep view only: control=no; allow control: control=yes"
}

run_reask en "Allow control" "Keep view only"
run_reask ja "操作を許可" "閲覧のみを続ける"
stop_relay
