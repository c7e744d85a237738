# The helper on GNOME: mutter headless (no GPU) with xdg-desktop-portal-gnome,
# on a private D-Bus session with PipeWire and WirePlumber. The portal's own
# dialog (its remote desktop dialog: the screen and control) is answered the
# way a person would, through the accessibility bus
# (tests/tools/portal_dialog.py). It comes only after the customer's own yes
# to the first technician who asks (before it, no dialog is up), and the
# helper serves its session while it is up (chat both ways). Cancel first,
# which the customer reads as a refusal in plain words and the ticket
# records as a deny of that technician; then "Allow remote interaction" and Share, and the
# technician's viewer sees the test client's picture pixel for pixel through
# the PipeWire stream, a change to it, and its click and keys land in the
# client through the RemoteDesktop portal. A viewer that only waits (it asks
# for no frame of its own) sees each change: a PipeWire frame wakes the
# helper by itself. A second session is asked again
# (a remote desktop session cannot persist on portal 1.16), and Share alone
# there gives view only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_gnome 800 600
start_wlpattern 800x600
start_relay

# told TEXT: the ticket's record has the customer's chat line TEXT.
told() {
	tech_ssh alice ticket show "$TICKET" | grep -qF "$1"
}

# --monitor cannot choose here: the portal names no monitor (SelectSources asks for one, the
# customer picks it in the dialog). The helper says so before it signs in, so the code is unspent.
new_ticket_code "GNOME monitor"
rc=0
wl_as timeout 20 "$WL_BIN/handoff-helper" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" \
	--ui tty --monitor 1 </dev/null >"$E2E_TMP/monitor.out" 2>"$E2E_TMP/monitor.err" || rc=$?
[ "$rc" = 1 ] || fail "--monitor 1 on GNOME exited $rc, not 1: $(tail -3 "$E2E_TMP/monitor.err")"
grep -q "This desktop chooses the screen to share in its own dialog, so the helper cannot pick monitor 1" \
	"$E2E_TMP/monitor.err" "$E2E_TMP/monitor.out" || fail "--monitor 1 on GNOME said: $(cat "$E2E_TMP/monitor.err")"
events_are "$TICKET" customer-connected 0 || fail "the helper signed in with a --monitor it cannot honour"
note "--monitor 1 on GNOME: refused before signing in, in plain words"

# The customer allows alice, then says no at the desktop's dialog, which comes only after that yes:
# meanwhile chat goes both ways; then the helper says the refusal in plain words, and the ticket
# records it as a deny of alice, where it was said.
new_ticket_code "GNOME refusal"
start_wl_helper "$CODE"
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
# The customer reads what will ask and why before the desktop's dialog, once they allowed alice.
wl_portal_allow up
grep -q "^STATUS Your desktop may now ask whether this support helper can see your screen" "$HELPER_OUT" ||
	fail "not the word before the desktop's dialog: $(grep '^STATUS' "$HELPER_OUT")"
events_are "$TICKET" consent-granted 0 || fail "the relay heard a yes before the desktop's dialog was answered"
note "no dialog before the customer's yes; after it: $(tail -1 "$E2E_TMP/dialog.out")"
tech_ssh alice chat "$TICKET" "Please choose Share in the window that opened" >/dev/null || fail "chat failed"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Please choose Share in the window that opened" ||
	fail "the technician's line did not reach the customer while the dialog was up: $(tail -3 "$HELPER_OUT")"
echo "I see the window" >&7
wait_for 10 told "I see the window" || fail "the customer's line did not reach the ticket while the dialog was up"
note "chat both ways while the desktop's dialog was up"
wl_portal_dialog cancel
wait_for 20 sh -c "! kill -0 $HELPER_PID" || fail "the helper went on after the refusal"
rc=0
wait "$HELPER_PID" || rc=$?
[ "$rc" = 1 ] || fail "the helper exited $rc after Cancel, not 1: $(tail -3 "$E2E_TMP/helper.log")"
grep -q "Sanitizer" "$E2E_TMP/helper.log" && fail "the sanitizer spoke after Cancel: $(grep -A5 Sanitizer "$E2E_TMP/helper.log")"
grep -q "This desktop (Wayland) did not let the helper see the screen.*refused at the desktop's own question" \
	"$E2E_TMP/helper.log" || fail "no plain-words refusal: $(tail -3 "$E2E_TMP/helper.log")"
grep -q "^SESSION ENDED: This desktop (Wayland) did not let the helper see the screen" "$HELPER_OUT" ||
	fail "the customer did not read the refusal: $(tail -3 "$HELPER_OUT")"
wait_events 10 "$TICKET" consent-denied 1 || fail "the refusal is not on the ticket: $(tech_ssh alice ticket show "$TICKET")"
events_are "$TICKET" consent-granted 0 || fail "a yes was recorded though the desktop's dialog said no"
tech_ssh alice ticket show "$TICKET" >"$E2E_TMP/refused.show" || fail "ticket show failed"
grep -q "consent-denied.*alice.*refused by the customer at the desktop's own dialog, after allowing this technician" \
	"$E2E_TMP/refused.show" ||
	fail "ticket show does not say who was refused where: $(grep consent "$E2E_TMP/refused.show")"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "alice's viewer went on after the refusal"
grep -q "declined at the desktop's own dialog" "$E2E_TMP/viewer.log" "$VIEWER_OUT" ||
	fail "alice's viewer was not told: $(tail -3 "$E2E_TMP/viewer.log")"
note "Cancel at GNOME's dialog: $(tail -1 "$E2E_TMP/dialog.out"); the customer read the refusal, the ticket shows it as a deny of alice"

# The technician leaves while the dialog is up: the dialog stays for the customer to answer, and a
# Cancel then is the customer's, with no technician waiting (as from helpers that asked at sign-in).
new_ticket_code "GNOME left"
start_wl_helper "$CODE"
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
wl_portal_allow up
kill "$VIEWER_PID"
wait_line 10 "$E2E_TMP/helper.log" "withdrew the request" || fail "the helper did not hear alice leave"
wl_as python3 "$WL_PORTAL_DIALOG" absent >/dev/null 2>&1 && fail "the desktop's dialog went when alice left"
wl_portal_dialog cancel
wait_for 20 sh -c "! kill -0 $HELPER_PID" || fail "the helper went on after the refusal"
wait_events 10 "$TICKET" consent-denied 1 || fail "the refusal is not on the ticket: $(tech_ssh alice ticket show "$TICKET")"
tech_ssh alice ticket show "$TICKET" | grep -q "consent-denied *customer.*at the desktop's own dialog, with no technician waiting" ||
	fail "not the customer's refusal: $(tech_ssh alice ticket show "$TICKET" | grep consent)"
note "alice left while the dialog was up: it stayed; its Cancel is the customer's, with nobody waiting"

# Share, on a ticket of its own (the refused one's code is used). No --capture: mutter has no
# wlroots screen copy, so the helper asks the portal, after the customer's yes.
new_ticket_code "GNOME"
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"

# Stop while the desktop's dialog is up: the question is withdrawn (the dialog goes, the portal
# lives on), alice's ask ends as a no, and the helper goes on; the next yes asks again.
wl_portal_allow up
echo stop >&7
wait_line 10 "$E2E_TMP/helper.log" "stopped asking the desktop portal" || fail "the helper did not withdraw its question"
wait_for 10 wl_as python3 "$WL_PORTAL_DIALOG" absent ||
	fail "the desktop's dialog stayed up after stop: $(wl_as python3 "$WL_PORTAL_DIALOG" absent 2>&1)"
kill -0 "$WL_PORTAL_GNOME_PID" || fail "xdg-desktop-portal-gnome died when the helper withdrew: $(tail -5 "$WL_DIR/portal-gnome.log")"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "alice's viewer went on after stop"
kill -0 "$HELPER_PID" || fail "the helper ended at stop: $(tail -3 "$E2E_TMP/helper.log")"
events_are "$TICKET" consent-granted 0 || fail "a yes reached the ticket though the customer stopped before the dialog's answer"
note "stop while the desktop's dialog was up: the dialog went, the portal lived on, the helper went on"

# Two asks, the desktop asked once: alice through a stock OpenSSH tunnel asks first and is allowed,
# and the dialog comes; alice's viewer asks while it is up, is allowed, and waits for the same
# answer; once it is Share (with control) both get the screen.
asked=$(grep -c "^CONSENT alice from the help desk asks" "$HELPER_OUT")
told=$(grep -c "^STATUS Your desktop" "$HELPER_OUT")
start_ssh_tunnel
"$TOOLS/vncgrab" 127.0.0.1 "$lport" "$E2E_TMP/grab.ppm" 60 >"$E2E_TMP/grab.out" 2>"$E2E_TMP/grab.err" &
GRAB_PID=$!
track $GRAB_PID
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" $((asked + 1)) || fail "no consent prompt for the tunnel"
echo y >&7
wait_count 20 "$HELPER_OUT" "^STATUS Your desktop " $((told + 1)) || fail "no word before the desktop's dialog"
wl_portal_dialog up
# A pause while the dialog is up holds: the screen, once open, shows nothing until the customer resumes.
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause while the dialog was up"
start_viewer "$TICKET"
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" $((asked + 2)) ||
	fail "the second ask was not put to the customer while the dialog was up: $(tail -3 "$HELPER_OUT")"
echo y >&7
wait_count 10 "$E2E_TMP/helper.log" "allowed to view and control (answered in the terminal); the desktop's own dialog is next" 3 ||
	fail "the second yes was not taken"
[ "$(grep -c "asking the desktop portal for the screen" "$E2E_TMP/helper.log")" = 2 ] || fail "the desktop was asked twice for one screen"
shared=$(grep -c "^SHARING with alice" "$HELPER_OUT")
wl_portal_dialog control
wait_count 30 "$HELPER_OUT" "^SHARING with alice from the help desk" $((shared + 2)) ||
	fail "not both were let in: $(grep '^SHARING' "$HELPER_OUT")"
# Paused from before the screen opened, the tunnel's viewer gets no picture of it (the black of a
# screen never grabbed), as a viewer let in while paused on X11 does.
wait_for 30 sh -c "! kill -0 $GRAB_PID" || fail "the tunnel's viewer got no picture"
wait "$GRAB_PID" || fail "the tunnel's viewer failed: $(cat "$E2E_TMP/grab.err")"
"$TOOLS/wlpattern" check "$E2E_TMP/grab.ppm" 0 >"$E2E_TMP/check-grab.out" 2>&1 &&
	fail "the screen reached a viewer while paused"
grep -q "resumed: a viewer watches" "$E2E_TMP/helper.log" && fail "the screen was streamed while paused"
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume"
viewer_cmd 20 "wait-frame"
grep -q "^ok 800x600" "$VIEWER_OUT" || fail "frame size: $(grep '^ok' "$VIEWER_OUT")"
wait_line 10 "$E2E_TMP/helper.log" "resumed: a viewer watches" || fail "the stream was not resumed for the viewer"
note "two asks and a pause while one dialog was up: the desktop asked once, the paused tunnel got no picture, alice's viewer got it after resuming"
grep -q "the desktop shares its screen as PipeWire node [0-9]* (ScreenCast version 4, cursor as metadata)" \
	"$E2E_TMP/helper.log" || fail "not the portal's stream: $(grep -i portal "$E2E_TMP/helper.log")"
grep -q "capturing Wayland display $WL_DISPLAY (800x600)" "$E2E_TMP/helper.log" ||
	fail "the helper did not share 800x600: $(grep capturing "$E2E_TMP/helper.log")"
grep -q "the desktop allowed control (pointer and keyboard)" "$E2E_TMP/helper.log" ||
	fail "control was not allowed: $(grep -i "dialog\|control" "$E2E_TMP/helper.log")"
note "Share at GNOME's dialog: $(tail -1 "$E2E_TMP/dialog.out")"
# mutter 43 offers no data control (and the portal 1.16 no Clipboard): no clipboard, said in the log.
grep -q "no clipboard sharing: the compositor offers no wlroots data control" "$E2E_TMP/helper.log" ||
	fail "GNOME's missing clipboard is not logged: $(grep -i clipboard "$E2E_TMP/helper.log")"
wl_snapshot_is 0 || fail "the viewer's picture is not the test client's: $(cat "$E2E_TMP/check-0.out")"
note "pixel-exact through GNOME's portal and PipeWire: $(cat "$E2E_TMP/check-0.out")"

wl_next_variant 1
wl_snapshot_is 1 || fail "the change did not arrive: $(cat "$E2E_TMP/check-1.out")"
note "a change on GNOME's screen arrived pixel-exact"

# Pause: the stream is made inactive, a change made meanwhile does not reach the viewer, and it
# does once the customer resumes.
wl_pause_resume 1
note "paused: the old picture; resumed: the change made meanwhile arrived"

# Control through the RemoteDesktop portal: an absolute pointer on the stream, keysyms. mutter
# headless has no pointer or keyboard until the session's first event makes its virtual one, and
# a client hears of it only then (wl_seat capabilities): events in the same burst reach nobody.
# So the technician's pointer moves, and F12 goes down and up, before what is checked: a key with
# no modifier in it (a Shift in that burst once stayed down in mutter, and a then came as A).
viewer_cmd 10 "move 400 300"
wait_line 10 "$WLP_OUT" "^seat pointer" || fail "mutter made no pointer for the session: $(cat "$WLP_OUT")"
# The pointer comes as the stream's cursor metadata, not in the picture: mutter headless gives its
# virtual pointer no image, and says so with an empty bitmap.
wait_line 10 "$E2E_TMP/helper.log" "the desktop's pointer has no image: hidden" ||
	fail "no cursor metadata in the stream: $(grep -i pointer "$E2E_TMP/helper.log")"
viewer_cmd 10 "key F12"
wait_line 10 "$WLP_OUT" "^seat keyboard" || fail "mutter made no keyboard for the session: $(cat "$WLP_OUT")"
wait_line 10 "$WLP_OUT" "^focus in" || fail "the client has no keyboard focus: $(cat "$WLP_OUT")"
viewer_cmd 10 "click 123 234"
wait_line 10 "$WLP_OUT" "^button 1 123 234" || fail "the click did not arrive: $(cat "$WLP_OUT")"
for k in a A Return; do
	viewer_cmd 10 "key $k"
done
wait_line 10 "$WLP_OUT" "^key 28" || fail "the keys did not arrive: $(grep '^key\|^text' "$WLP_OUT" | tr '\n' ' ')"
[ "$(grep '^text' "$WLP_OUT" | head -2 | sed 's/^text //' | tr -d '\n')" = "aA" ] ||
	fail "the keys typed $(grep '^text' "$WLP_OUT" | tr '\n' ' ')"
note "a click and keys (a, A, Return) arrived in the client through GNOME's RemoteDesktop portal"
viewer_cmd 10 "type Hi"
wait_line 10 "$WLP_OUT" "^text i" || fail "the text did not arrive: $(grep '^text' "$WLP_OUT" | tr '\n' ' ')"
note "typed text (Hi) arrived"

# Idle while watched: on a still screen mutter sends the stream no frames.
wl_idle_cpu "GNOME screen"

stopped=$(grep -c "^STOPPED sharing with alice" "$HELPER_OUT")
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" $((stopped + 1)) || fail "helper did not notice the viewer left"

# A viewer that only waits: a change must wake the helper by itself (wayland_lib.sh).
wl_waiting_viewer 2
note "two changes reached a viewer that sends no request of its own: $WL_WATCH_UPDATES updates"

echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "helper exited non-zero at the end: $(tail "$E2E_TMP/helper.log")"

# A remote desktop session cannot persist (xdg-desktop-portal 1.16: "Remote desktop sessions cannot
# persist"), so the desktop asks again; Share without ticking control gives the screen, view only.
wl_as sh -c "! ls '$WL_DIR/state/handoff' 2>/dev/null | grep -q screencast-token" ||
	fail "a restore token was kept for a session that cannot persist: $(wl_as ls "$WL_DIR/state/handoff")"
cp "$E2E_TMP/helper.log" "$E2E_TMP/helper-control.log" # the next helper's log takes its name
new_ticket_code "GNOME again"
start_wl_helper "$CODE" --verbose
wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "the second session did not connect: $(tail -3 "$E2E_TMP/helper.log")"
wl_first_frame 800x600 share
grep -q "the desktop allowed no control (view only)" "$E2E_TMP/helper.log" ||
	fail "not view only: $(grep -i "dialog\|control" "$E2E_TMP/helper.log")"
grep -q "remote control is not possible: the desktop's dialog did not allow control" "$E2E_TMP/helper.log" ||
	fail "no word of view only: $(grep -i control "$E2E_TMP/helper.log")"
# The customer said y (view and control) in the helper, but the desktop gave no control: the ticket
# and the customer say view only, never a control nobody can use.
grep -q "^STATUS This computer does not let the helper use the mouse and keyboard, so the technician may only view" \
	"$HELPER_OUT" || fail "the customer was not told the technician may only view: $(grep '^STATUS' "$HELPER_OUT" | tail -2)"
granted=$(db_query "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='consent-granted' ORDER BY id DESC LIMIT 1")
case "$granted" in
*control*) fail "the ticket records control the desktop did not give: $granted" ;;
*view*) ;;
*) fail "no consent-granted on the ticket: '$granted'" ;;
esac
note "a second session asked again; Share alone: $(tail -1 "$E2E_TMP/dialog.out"), view only (the ticket: $granted)"
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
wait "$HELPER_PID" || fail "the second helper exited non-zero: $(tail "$E2E_TMP/helper.log")"
stop_relay
