# What Windows forbids an unprivileged helper (issue 16), told to both sides in words, under
# Debian's Wine against the real relay. Wine 8 cannot refuse: its OpenInputDesktop always
# opens the caller's desktop (SwitchDesktop is a stub) and it has no integrity levels for
# UIPI. So this runs a test build of the helper's own objects, handoff-helper-refused.exe,
# in which tests/tools/win/winrefuse.c answers for the two imports the product asks (checked
# below) as a real Windows does: OpenInputDesktop refused with ERROR_ACCESS_DENIED (the
# secure desktop of a UAC prompt), or open under the name "Winlogon"; SendInput inserting
# nothing (an elevated window in front). Everything from there on is the product's: the
# helper notices, tells the customer (its terminal), the relay (CTL_DESKTOP: an event on the
# ticket, a chat line for the technicians) and the viewers (screeninfo's held and input
# flags), holds the last picture instead of grabbing, and says so again when all is well.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WIN=$ROOT/build/win64

make -C "$ROOT" --no-print-directory windows >"$E2E_TMP/make-windows.log" 2>&1 ||
	fail "make windows failed: $(tail -5 "$E2E_TMP/make-windows.log")"
EXE=$WIN/tests/handoff-helper-refused.exe
[ -f "$EXE" ] || fail "make windows wrote no $EXE"
# The product asks Windows itself, through the two imports the test build answers for.
x86_64-w64-mingw32-objdump -p "$WIN/handoff-helper.exe" >"$E2E_TMP/imports" || fail "objdump cannot read the .exe"
for f in OpenInputDesktop SendInput; do
	grep -q "[[:space:]]$f\$" "$E2E_TMP/imports" || fail "handoff-helper.exe does not import $f"
	grep -q "[[:space:]]$f\$" <(x86_64-w64-mingw32-objdump -p "$EXE") &&
		fail "the test build still imports $f: its calls would reach Wine"
done

start_xvfb 800 600
. "$(dirname "$0")/wine_lib.sh"
start_wine

wine "$WIN/tests/winpattern.exe" >"$E2E_TMP/winpattern.out" 2>"$E2E_TMP/winpattern.log" &
track $!
wait_line 60 "$E2E_TMP/winpattern.out" "^ready 320 240" ||
	fail "winpattern.exe did not draw under Wine: $(tail -5 "$E2E_TMP/winpattern.log")"

start_relay
new_ticket_code "an installer asks for an administrator"
REFUSE=$E2E_TMP/refuse
: >"$REFUSE"
HELPER_OUT=$E2E_TMP/helper.out
mkfifo "$E2E_TMP/helper.in"
# Wine's Z: is the Unix root.
WINREFUSE_FILE="Z:${REFUSE//\//\\}" wine "$EXE" --relay "127.0.0.1:$RELAY_PORT" \
	--host-key "$RELAY_FP" --code "$CODE" --ui tty <"$E2E_TMP/helper.in" >"$HELPER_OUT" 2>"$E2E_TMP/helper.log" &
track $!
exec 7>"$E2E_TMP/helper.in"
wait_line 60 "$HELPER_OUT" "^CONNECTED" || fail "the helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
start_viewer "$TICKET"
wait_line 30 "$HELPER_OUT" "^CONSENT alice" || fail "no consent prompt: $(tail -3 "$HELPER_OUT")"
echo y >&7
wait_line 20 "$HELPER_OUT" "^SHARING" || fail "the helper did not share: $(tail -3 "$HELPER_OUT")"
viewer_cmd 60 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/before.ppm"
grep -q "held=yes\|input=refused" "$VIEWER_OUT" && fail "the viewer was told of a refusal before any: $(grep '^info' "$VIEWER_OUT")"

# The secure desktop: both sides told, once; the picture held while the screen changes.
echo secure >"$REFUSE"
wait_line 10 "$HELPER_OUT" "^STATUS Windows is showing a secure screen (an administrator prompt or the lock screen)" ||
	fail "the customer was not told of the secure desktop: $(tail -3 "$HELPER_OUT")"
wait_line 10 "$VIEWER_OUT" "^chat .*the customer's screen shows an administrator prompt .*: ask them to answer it" ||
	fail "the technician was not told of the secure desktop: $(tail -3 "$VIEWER_OUT")"
wait_line 10 "$VIEWER_OUT" "^info control=yes paused=no held=yes monitors=" ||
	fail "the viewer's stream does not say the picture is held: $(grep '^info' "$VIEWER_OUT")"
wait_events 10 "$TICKET" desktop-refused 1 || fail "the ticket did not record the secure desktop"
DISPLAY=$XDISPLAY xlogo -geometry 160x160+400+300 >/dev/null 2>&1 &
track $!
wait_for 10 sh -c "! DISPLAY=$XDISPLAY '$TOOLS/xprobe' compare '$E2E_TMP/before.ppm' >/dev/null 2>&1" ||
	fail "xlogo never changed the customer's screen"
for i in 1 2 3; do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/held-$i.ppm"
	cmp -s "$E2E_TMP/before.ppm" "$E2E_TMP/held-$i.ppm" ||
		fail "a new picture reached the viewer on the secure desktop (request $i)"
	sleep 0.3 # not a wait: the requests are spread over the capture's 100 ms polls
done
[ "$(grep -c '^STATUS Windows is showing a secure screen' "$HELPER_OUT")" = 1 ] ||
	fail "the customer was told more than once: $(grep -c '^STATUS' "$HELPER_OUT") status lines"
events_are "$TICKET" desktop-refused 1 || fail "the ticket has more than one record of one secure desktop"
note "secure desktop: customer and technician told once, the last picture held over 3 full requests"

# Back to the normal desktop: said on both sides, and the current picture arrives.
: >"$REFUSE"
wait_line 10 "$HELPER_OUT" "^STATUS The technician can see and use your screen again" ||
	fail "the customer was not told the desktop is back: $(tail -3 "$HELPER_OUT")"
wait_line 10 "$VIEWER_OUT" "^chat .*the customer's normal desktop is back" ||
	fail "the technician was not told the desktop is back: $(tail -3 "$VIEWER_OUT")"
wait_line 10 "$VIEWER_OUT" "^info control=yes paused=no monitors=" || fail "the held flag was not cleared"
wait_events 10 "$TICKET" desktop-back 1 || fail "the ticket did not record the desktop back"
current=no
for i in $(seq 1 20); do
	viewer_cmd 10 "wait-frame"
	viewer_cmd 10 "snapshot $E2E_TMP/back.ppm"
	if ! cmp -s "$E2E_TMP/before.ppm" "$E2E_TMP/back.ppm"; then
		current=yes
		break
	fi
	sleep 0.25 # not a wait: the next poll of the capture grabs the new picture
done
[ "$current" = yes ] || fail "after the secure desktop the viewer still has the old picture"
note "back: both sides told, the current picture arrived"

# The input desktop under another name ("Winlogon"): the same words, and back again.
n=$(grep -c "^chat .*administrator prompt" "$VIEWER_OUT")
echo winlogon >"$REFUSE"
wait_count 10 "$VIEWER_OUT" "^chat .*administrator prompt" $((n + 1)) ||
	fail "an input desktop named Winlogon went unnoticed: $(grep -a 'desktop' "$E2E_TMP/helper.log" | tail -3)"
grep -q 'the input desktop is "Winlogon", not this process.s "Default"' "$E2E_TMP/helper.log" ||
	fail "the helper's log does not name the desktops: $(grep -a 'desktop' "$E2E_TMP/helper.log" | tail -3)"
: >"$REFUSE"
wait_events 10 "$TICKET" desktop-back 2 || fail "the ticket did not record the desktop back after Winlogon"

# An elevated window in front: the technician's click is refused, and said so; the next one
# after the window has gone goes through and says all is well again.
echo elevated >"$REFUSE"
viewer_cmd 10 "click 150 60"
wait_line 10 "$HELPER_OUT" "^STATUS A window running as administrator is in front" ||
	fail "the customer was not told of the refused input: $(tail -3 "$HELPER_OUT")"
wait_line 10 "$VIEWER_OUT" "^chat .*Windows refuses your input on the customer's screen: a window running as administrator" ||
	fail "the technician was not told of the refused input: $(tail -3 "$VIEWER_OUT")"
wait_line 10 "$VIEWER_OUT" "^info control=yes paused=no input=refused monitors=" ||
	fail "the viewer's stream does not say input is refused: $(grep '^info' "$VIEWER_OUT" | tail -2)"
wait_events 10 "$TICKET" desktop-refused 3 || fail "the ticket did not record the refused input"
: >"$REFUSE"
viewer_cmd 10 "click 151 61"
wait_line 20 "$E2E_TMP/winpattern.out" "^click 151 61" || fail "the click after the elevated window did not arrive"
grep -q "^click 150 60" "$E2E_TMP/winpattern.out" && fail "the refused click reached winpattern"
wait_events 10 "$TICKET" desktop-back 3 || fail "the ticket did not record input working again"
wait_count 10 "$HELPER_OUT" "^STATUS The technician can see and use your screen again" 3 ||
	fail "the customer was not told input works again"
note "elevated window: the refused click told to both sides, the next one arrived and cleared it"
echo end >&7
