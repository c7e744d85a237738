# The customer's helper for Windows (issue 16) under Debian's Wine on Xvfb,
# against the real relay on loopback: make windows links one static .exe
# that imports only Windows' own DLLs; winpattern.exe (ours, mingw) draws
# a known picture; handoff-helper.exe signs in with a support code, the
# customer allows view and control on the helper's terminal (its stdin, as
# in the X11 tests); the technician's headless viewer sees winpattern's
# pixels exactly, and its click and typed text reach winpattern, which
# reports them; "end" ends the session and the .exe exits 0.
# Wine that cannot run is a failure with its reason, never a skip.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WIN=$ROOT/build/win64

# Up to date in a few seconds once built (make check's e2e target built it before any test ran).
make -C "$ROOT" --no-print-directory windows >"$E2E_TMP/make-windows.log" 2>&1 ||
	fail "make windows failed: $(tail -5 "$E2E_TMP/make-windows.log")"
EXE=$WIN/handoff-helper.exe
[ -f "$EXE" ] || fail "make windows wrote no $EXE"

# Statically linked: every DLL it names is one Windows itself has.
x86_64-w64-mingw32-objdump -p "$EXE" | sed -n 's/^[[:space:]]*DLL Name: //p' >"$E2E_TMP/imports" ||
	fail "objdump cannot read $EXE"
[ -s "$E2E_TMP/imports" ] || fail "no imports listed for $EXE"
while read -r dll; do
	case "$(echo "$dll" | tr 'A-Z' 'a-z')" in
	kernel32.dll | user32.dll | gdi32.dll | advapi32.dll | ws2_32.dll | crypt32.dll | msvcrt.dll | imm32.dll | \
		ole32.dll | oleaut32.dll | version.dll | setupapi.dll | winmm.dll | iphlpapi.dll | shell32.dll | \
		bcrypt.dll | secur32.dll | rpcrt4.dll | shlwapi.dll | comdlg32.dll | winspool.drv | uxtheme.dll | \
		d3d11.dll | dxgi.dll) ;;
	*) fail "handoff-helper.exe needs $dll, which is not part of Windows" ;;
	esac
done <"$E2E_TMP/imports"
note "imports only Windows' DLLs: $(tr '\n' ' ' <"$E2E_TMP/imports")"
# A GUI program: no console window flashes up when a customer double-clicks it (--ui tty joins
# its parent's console or opens one; here stdin and stdout are pipes, which it keeps).
x86_64-w64-mingw32-objdump -p "$EXE" | grep -q "^Subsystem.*(Windows GUI)" ||
	fail "handoff-helper.exe is not a GUI-subsystem program: $(x86_64-w64-mingw32-objdump -p "$EXE" | grep '^Subsystem')"

start_xvfb 800 600
. "$(dirname "$0")/wine_lib.sh"
start_wine

# Pointer shapes through capture_win32.c (GetCursorInfo, GetIconInfo) from cursors made with
# known pixels, as the RichCursor's premultiplied ARGB. Under Wine a cursor handle is good only
# in the process that made it (another program's gives ERROR_INVALID_CURSOR_HANDLE), so the
# helper cannot read the shape of winpattern's pointer there; wincursor shows its own.
wine "$WIN/tests/wincursor.exe" mono >"$E2E_TMP/cursor-mono.out" 2>"$E2E_TMP/cursor-mono.err" ||
	fail "wincursor mono: $(tail -3 "$E2E_TMP/cursor-mono.err")"
[ "$(tr -d '\r' <"$E2E_TMP/cursor-mono.out" | tr '\n' ' ')" = "cursor 32 32 5 9 px 0 0 ff000000 px 31 8 ffffffff \
px 4 16 00000000 px 0 24 ff000000 px 3 5 ff000000 px 12 10 ffffffff " ] ||
	fail "a monochrome pointer (black, white, clear, inverted) became: $(tr '\n' ' ' <"$E2E_TMP/cursor-mono.out")"
wine "$WIN/tests/wincursor.exe" color >"$E2E_TMP/cursor-color.out" 2>"$E2E_TMP/cursor-color.err" ||
	fail "wincursor color: $(tail -3 "$E2E_TMP/cursor-color.err")"
[ "$(tr -d '\r' <"$E2E_TMP/cursor-color.out" | tr '\n' ' ')" = "cursor 16 16 2 3 px 0 0 80800000 px 3 5 80800000 \
px 12 10 ff00ff00 " ] ||
	fail "an alpha pointer (red at 0x80, opaque green) became: $(tr '\n' ' ' <"$E2E_TMP/cursor-color.out")"
note "pointer shapes: a monochrome one and an alpha one, with their hot spots, pixel for pixel"

wine "$WIN/tests/winpattern.exe" >"$E2E_TMP/winpattern.out" 2>"$E2E_TMP/winpattern.log" &
WINPATTERN_PID=$!
track $WINPATTERN_PID
wait_line 60 "$E2E_TMP/winpattern.out" "^ready 320 240" ||
	fail "winpattern.exe did not draw under Wine: $(tail -5 "$E2E_TMP/winpattern.log")"

start_relay "log_sources = facts, journal 3"
add_user bob tech L2
new_ticket_code "printer on Windows"
HELPER_OUT=$E2E_TMP/helper.out
mkfifo "$E2E_TMP/helper.in"
# --monitor 1: Wine on Xvfb has one monitor (EnumDisplayMonitors), the whole screen, so all
# that follows also checks that one monitor is shared where it lies.
wine "$EXE" --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" --ui tty --monitor 1 \
	<"$E2E_TMP/helper.in" >"$HELPER_OUT" 2>"$E2E_TMP/helper.log" &
HELPER_PID=$!
track $HELPER_PID
exec 7>"$E2E_TMP/helper.in"
wait_line 60 "$HELPER_OUT" "^CONNECTED to remote support. Your reference number is $TICKET\." ||
	fail "handoff-helper.exe did not connect: $(tail -5 "$E2E_TMP/helper.log")"
grep -q "sharing monitor 1 (DISPLAY1), 800x600 at +0+0" "$E2E_TMP/helper.log" ||
	fail "not sharing monitor 1: $(grep -a -i monitor "$E2E_TMP/helper.log")"
# Physical pixels whatever a monitor's scaling: the capture made the process per-monitor aware
# (v1 under Wine 8, which refuses v2; Wine keeps 96 dpi: what scaling does only a real Windows
# shows).
grep -q "capturing the Windows desktop through GDI, DPI awareness per-monitor" "$E2E_TMP/helper.log" ||
	fail "no per-monitor DPI awareness: $(grep -a -i dpi "$E2E_TMP/helper.log")"
# Desktop Duplication is tried first (capture_dxgi_win32.c) and GDI does the capture where it
# cannot: Wine 8 finds the monitor's DXGI output by its device name, makes the D3D11 device,
# and then has no output duplication (E_NOTIMPL). The helper says so in words, once.
grep -q "Desktop Duplication is unavailable: IDXGIOutput1_DuplicateOutput failed (HRESULT 0x80004001): this system does not implement it (E_NOTIMPL.*; capturing through GDI" \
	"$E2E_TMP/helper.log" ||
	fail "no word of Desktop Duplication's fallback: $(grep -a -i 'duplication\|dxgi' "$E2E_TMP/helper.log")"
[ "$(grep -c "Desktop Duplication is unavailable" "$E2E_TMP/helper.log")" = 1 ] ||
	fail "the fallback was said more than once: $(grep -a "Desktop Duplication" "$E2E_TMP/helper.log")"
note "$(grep -a -m1 -o "Desktop Duplication is unavailable.*" "$E2E_TMP/helper.log")"

start_viewer "$TICKET"
wait_line 30 "$HELPER_OUT" "^CONSENT alice" || fail "no consent prompt: $(tail -3 "$HELPER_OUT")"
echo y >&7
wait_line 20 "$HELPER_OUT" "^SHARING" || fail "the helper did not share: $(tail -3 "$HELPER_OUT")"
viewer_cmd 60 "wait-frame"
# Socket pairs are loopback TCP pairs on Windows (hsock_win32.c): their listener lives only
# until our own connect is accepted, so the sharing helper listens on nothing at all.
ss -ltnpH | grep "pid=$HELPER_PID," >"$E2E_TMP/listen.out" &&
	fail "handoff-helper.exe listens: $(cat "$E2E_TMP/listen.out")"
# The monitors reach the viewer (screeninfo): the one there is, and no second.
viewer_cmd 10 "monitor 1"
grep -q "^ok monitor 1/1 DISPLAY1 800x600$" "$VIEWER_OUT" || fail "the viewer has no monitor 1: $(tail -1 "$VIEWER_OUT")"
n=$(grep -c '^error' "$VIEWER_OUT" || true)
echo "monitor 2" >&8
wait_count 10 "$VIEWER_OUT" '^error' $((n + 1)) || fail "the viewer found a monitor 2: $(tail -1 "$VIEWER_OUT")"
grep -q "^error monitor 2 is not shared (1 monitors)" "$VIEWER_OUT" ||
	fail "the viewer was told of other monitors: $(tail -1 "$VIEWER_OUT")"
viewer_cmd 10 "monitor all"
note "monitors: --monitor 1 shares DISPLAY1 (800x600 at +0+0), the viewer knows it and no other; per-monitor DPI aware"

# Pixel for pixel: winpattern's bands are where winpattern_pixel puts them, on a grid across
# its window and at its corners; beyond it the viewer sees what the X screen shows.
viewer_cmd 20 "snapshot $E2E_TMP/win.ppm"
# PPM: "P6\n800 600\n255\n", then 3 bytes a pixel.
[ "$(head -c 15 "$E2E_TMP/win.ppm" | tr '\n' ' ')" = "P6 800 600 255 " ] || fail "unexpected snapshot header"
ppm_px() {
	od -An -tx1 -j $((15 + ($2 * 800 + $1) * 3)) -N3 "$E2E_TMP/win.ppm" | tr -d ' \n'
}
expect_px() {
	local x=$1 y=$2
	printf '%02x%02x%02x' $((x * 255 / 319)) $((y * 255 / 239)) $(((x / 40 + y / 40) % 2 ? 0xc0 : 0x20))
}
checked=0
for y in 0 39 40 100 170 239; do
	for x in 0 39 40 101 200 280 319; do
		[ "$(ppm_px $x $y)" = "$(expect_px $x $y)" ] ||
			fail "pixel $x,$y is #$(ppm_px $x $y), winpattern drew #$(expect_px $x $y)"
		checked=$((checked + 1))
	done
done
for p in "500 100" "700 500" "320 240"; do
	set -- $p
	[ "#$(ppm_px "$1" "$2")" = "$("$TOOLS/xprobe" pixel "$1" "$2" | sed 's/^pixel //')" ] ||
		fail "pixel $1,$2 is #$(ppm_px "$1" "$2") in the viewer, $("$TOOLS/xprobe" pixel "$1" "$2") on the screen"
	checked=$((checked + 1))
done
note "the viewer sees winpattern exactly ($checked pixels checked)"

# The technician's click and text reach winpattern through SendInput.
viewer_cmd 10 "click 150 60"
wait_line 20 "$E2E_TMP/winpattern.out" "^click 150 60" ||
	fail "the click did not reach winpattern: $(tail -3 "$E2E_TMP/winpattern.out")"
viewer_cmd 10 "type Ab"
wait_line 20 "$E2E_TMP/winpattern.out" "^char U+0041" || fail "typed A did not reach winpattern"
wait_line 20 "$E2E_TMP/winpattern.out" "^char U+0062" || fail "typed b did not reach winpattern"
# Japanese and an emoji: Unicode keysyms from the viewer, KEYEVENTF_UNICODE into winpattern's
# WM_CHAR (the emoji as two UTF-16 units, which winpattern joins).
viewer_cmd 10 "type 日本語😀"
for u in 65E5 672C 8A9E 1F600; do
	wait_line 20 "$E2E_TMP/winpattern.out" "^char U+$u" ||
		fail "typed U+$u did not reach winpattern: $(tail -3 "$E2E_TMP/winpattern.out")"
done

# Paused, the technician's click goes nowhere; resumed, the next one arrives (after which the
# first, sent earlier on the same ordered path, would have been reported already).
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause: $(tail -3 "$HELPER_OUT")"
viewer_cmd 10 "click 30 200"
# The helper reads a viewer's messages in order on one thread: once the picture asked for after
# the click has come back, the click was read while paused (not later, after the resume).
viewer_cmd 20 "wait-frame"
echo resume >&7
wait_line 10 "$HELPER_OUT" "^RESUMED" || fail "the helper did not resume: $(tail -3 "$HELPER_OUT")"
viewer_cmd 10 "click 31 201"
wait_line 20 "$E2E_TMP/winpattern.out" "^click 31 201" || fail "the click after resume did not reach winpattern"
grep -q "^click 30 200" "$E2E_TMP/winpattern.out" && fail "a click while paused reached winpattern"
note "paused: a click was dropped; resumed: the next one arrived"

# Clipboard both ways with a controlling viewer (vncclip through a stock ssh -L): Wine's X11
# driver keeps the Windows clipboard and the X CLIPBOARD in step, so xclip reads and writes
# what CF_UNICODETEXT holds for the .exe.
start_ssh_tunnel
DISPLAY=$XDISPLAY xclip -selection clipboard </dev/null 2>/dev/null
n=$(grep -c "^CONSENT" "$HELPER_OUT")
"$TOOLS/vncclip" 127.0.0.1 "$lport" 30 "Hello from the technician" >"$E2E_TMP/clip.out" 2>"$E2E_TMP/clip.err" &
CLIP_PID=$!
track $CLIP_PID
wait_count 20 "$HELPER_OUT" "^CONSENT" $((n + 1)) || fail "no consent prompt for the clipboard viewer"
echo y >&7
wait_for 20 sh -c "[ \"\$(DISPLAY=$XDISPLAY timeout 5 xclip -o -selection clipboard 2>/dev/null)\" = 'Hello from the technician' ]" ||
	fail "the technician's text is not on the clipboard: '$(DISPLAY=$XDISPLAY timeout 5 xclip -o -selection clipboard 2>&1)'"
printf 'Error 0x12 on Windows' | DISPLAY=$XDISPLAY xclip -selection clipboard
wait_line 20 "$E2E_TMP/clip.out" "^cut 21 Error 0x12 on Windows$" ||
	fail "the customer's copy did not reach the technician: $(cat "$E2E_TMP/clip.out")"
kill "$CLIP_PID"
note "clipboard: technician -> customer and customer -> technician"

# Log collection with consent (asked at the escalation): facts from Windows' own calls, and
# the System and Application event logs through wevtutil for "journal N".
as alice escalate "$TICKET" --to L2 --note "GDI works, printer does not" >"$E2E_TMP/esc.out" ||
	fail "escalate failed: $(cat "$E2E_TMP/esc.out")"
wait_line 20 "$HELPER_OUT" "^LOGS alice" || fail "no logs question: $(tail -3 "$HELPER_OUT")"
echo y >&7
wait_line 60 "$HELPER_OUT" "^LOGS sent" || fail "the logs were not sent: $(tail -3 "$HELPER_OUT")"
lid=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT id FROM attachments WHERE ticket_id=$TICKET AND kind='logs'")
[ -n "$lid" ] || fail "the log bundle was not attached"
as bob ticket attachment "$TICKET" "$lid" >"$E2E_TMP/logs.txt" || fail "bob cannot read the log bundle"
for want in '^== facts ==$' '^os: .*(version [0-9]*\.[0-9]*, build [0-9]*)$' '^uptime: [0-9]* days ' \
	'^disk [A-Z]: .* free of ' '^memory: .* available of ' '^local time: 20' '^== journal (last 3 lines) ==$' \
	'^\[event log System, newest 3 events first\]$' '^\[event log Application, newest 3 events first\]$'; do
	grep -q -- "$want" "$E2E_TMP/logs.txt" || fail "the log bundle lacks '$want': $(head -20 "$E2E_TMP/logs.txt")"
done
note "logs from Windows: $(grep -c . "$E2E_TMP/logs.txt") lines, $(grep -m1 '^os: ' "$E2E_TMP/logs.txt")"

# The recording of the first view (closed when the escalation ended it) replays to
# winpattern's picture.
started=$(event_count "$TICKET" recording-started)
[ "$started" -ge 1 ] || fail "nothing was recorded"
wait_events 20 "$TICKET" recording-closed "$started" || fail "the recordings were not closed"
first=$(ls "$RELAY_DIR/recordings/$TICKET"/*.hrec | head -1)
"$BIN/handoff-tech" replay "$first" --key "$E2E_TMP/recording.key" --headless --snapshot "$E2E_TMP/replay.ppm" \
	>"$E2E_TMP/replay.out" 2>&1 || fail "the recording does not replay: $(tail -3 "$E2E_TMP/replay.out")"
cp "$E2E_TMP/replay.ppm" "$E2E_TMP/win.ppm"
for y in 0 40 170 239; do
	for x in 0 101 280 319; do
		[ "$(ppm_px $x $y)" = "$(expect_px $x $y)" ] ||
			fail "replayed pixel $x,$y is #$(ppm_px $x $y), winpattern drew #$(expect_px $x $y)"
	done
done
note "the recording ($(stat -c %s "$first") bytes) replays to winpattern's picture"

# The customer ends the session; the helper says so and exits 0.
echo end >&7
wait_line 20 "$HELPER_OUT" "^SESSION ENDED" || fail "the helper did not end: $(tail -3 "$HELPER_OUT")"
wait_for 20 sh -c "! kill -0 $HELPER_PID" || fail "handoff-helper.exe did not exit"
rc=0
wait "$HELPER_PID" || rc=$?
[ "$rc" = 0 ] || fail "handoff-helper.exe exited with $rc: $(tail -5 "$E2E_TMP/helper.log")"
note "ok: handoff-helper.exe under $WINE_VERSION shared winpattern pixel for pixel and took a click and text"

# Bad input: a wrong code, a wrong host key and a relay that is not there get the words the
# Linux helper gives (its last line of stderr, the same text; for the relay that is not there
# up to libssh's detail, which is strerror of a Winsock code on Windows: "Unknown error").
down_port=$(free_port) || fail "no free port"
bad_case() {
	local name=$1 cut=$2 rc win linux
	shift 2
	rc=0
	timeout 60 wine "$EXE" --ui tty "$@" </dev/null >/dev/null 2>"$E2E_TMP/$name.win.err" || rc=$?
	[ "$rc" = 1 ] || fail "$name: handoff-helper.exe exited $rc, expected 1: $(tail -2 "$E2E_TMP/$name.win.err")"
	sleep 1.1 # not a wait for a condition: the relay's 1 s back-off after a refusal is time itself
	rc=0
	timeout 20 "$BIN/handoff-helper" --display "$XDISPLAY" --ui tty "$@" </dev/null >/dev/null \
		2>"$E2E_TMP/$name.linux.err" || rc=$?
	[ "$rc" = 1 ] || fail "$name: the Linux helper exited $rc"
	sleep 1.1 # not a wait for a condition: as above
	win=$(tail -1 "$E2E_TMP/$name.win.err" | tr -d '\r')
	linux=$(tail -1 "$E2E_TMP/$name.linux.err")
	if [ "$cut" = detail ]; then
		win=${win%: *}
		linux=${linux%: *}
	fi
	[ "$win" = "$linux" ] || fail "$name: Windows says '$win', Linux '$linux'"
	note "$name: $win"
}
bad_case wrong-code all --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code 0000-0000-0000
new_ticket_code "pinned key"
bad_case wrong-key all --relay "127.0.0.1:$RELAY_PORT" --host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	--code "$CODE"
bad_case no-relay detail --relay "127.0.0.1:$down_port" --host-key "$RELAY_FP" --code "$CODE"
# A monitor that is not there: said before anything connects.
rc=0
timeout 60 wine "$EXE" --ui tty --monitor 2 --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" \
	</dev/null >/dev/null 2>"$E2E_TMP/monitor2.err" || rc=$?
[ "$rc" = 1 ] || fail "--monitor 2: handoff-helper.exe exited $rc"
grep -q "there is no monitor 2: this desktop has 1" "$E2E_TMP/monitor2.err" ||
	fail "--monitor 2: $(tail -1 "$E2E_TMP/monitor2.err")"
# The same failures when the .exe has no console, as when a customer double-clicks it: winbox
# (ours, mingw) starts it with no console and no standard handles, reads the message box the
# helper shows and presses OK. The box says what the Linux helper says on stderr.
box_case() {
	local name=$1 cut=$2 box linux
	shift 2
	timeout 90 wine "$WIN/tests/winbox.exe" 60 "Remote support" "Z:${EXE//\//\\}" "$@" >"$E2E_TMP/$name.box" 2>&1 ||
		fail "$name: no message box: $(cat "$E2E_TMP/$name.box")"
	box=$(sed -n 's/^text //p' "$E2E_TMP/$name.box" | tr -d '\r')
	linux=$(tail -1 "$E2E_TMP/$name.linux.err")
	linux=${linux#handoff-helper: }
	if [ "$cut" = detail ]; then
		box=${box%: *}
		linux=${linux%: *}
	fi
	[ "$box" = "$linux" ] || fail "$name: the box says '$box', Linux '$linux'"
	grep -q "^exit [12]\b" "$E2E_TMP/$name.box" || fail "$name: $(tail -1 "$E2E_TMP/$name.box") after the box"
	sleep 1.1 # not a wait for a condition: the relay's 1 s back-off after a refusal is time itself
	note "$name, no console: a message box says '$box'"
}
"$BIN/handoff-helper" --frobnicate 2>"$E2E_TMP/bad-args.linux.err" && fail "the Linux helper took --frobnicate"
box_case bad-args all --frobnicate
box_case wrong-code all --ui tty --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --code 0000-0000-0000
new_ticket_code "pinned key, no console"
box_case wrong-key all --ui tty --relay "127.0.0.1:$RELAY_PORT" \
	--host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --code "$CODE"
box_case no-relay detail --ui tty --relay "127.0.0.1:$down_port" --host-key "$RELAY_FP" --code "$CODE"

# The display language from Windows when no locale variable reaches the .exe: Wine takes its
# user's display language from LC_ALL of the wine process (ja-JP for ja_JP.UTF-8, generated or
# not); cmd drops LC_ALL, LC_MESSAGES and LANG from the environment the .exe inherits (its Wine
# keeps the language), so only GetUserPreferredUILanguages can say it. The relay is the one
# that is not there: no wrong code, whose back-off would hold up the bundle's ticket below.
lang_case() {
	local lc=$1 want=$2
	LC_ALL=$lc timeout 60 wine cmd /c "set LC_ALL=& set LC_MESSAGES=& set LANG=& Z:${EXE//\//\\} --ui tty \
--relay 127.0.0.1:$down_port --host-key $RELAY_FP --code $CODE" </dev/null >/dev/null 2>"$E2E_TMP/lang-$want.err"
	grep -q "speaking $want to the customer" "$E2E_TMP/lang-$want.err" ||
		fail "Wine's display language from LC_ALL=$lc: not $want: $(grep -a speaking "$E2E_TMP/lang-$want.err")"
}
lang_case ja_JP.UTF-8 ja
lang_case C.UTF-8 en
note "no locale variable: the .exe speaks Windows' display language (ja-JP: Japanese, en-US: English)"
# The customer's file for Windows: handoff-relay bundle --target windows appends the relay's
# address, pinned host key, organisation and a fresh intake token to the .exe, which checks
# itself and reaches the relay with that token (no code: it asks for a description).
"$BIN/handoff-relay" bundle "$RELAY_DIR" --target windows --helper "$EXE" --org "Acme IT" \
	--out "$E2E_TMP/acme-support.exe" >"$E2E_TMP/bundle.out" 2>&1 ||
	fail "bundle --target windows failed: $(cat "$E2E_TMP/bundle.out")"
x86_64-w64-mingw32-objdump -p "$E2E_TMP/acme-support.exe" >/dev/null 2>&1 || fail "the bundle is no PE file any more"
mkfifo "$E2E_TMP/acme.in"
wine "$E2E_TMP/acme-support.exe" --ui tty <"$E2E_TMP/acme.in" >"$E2E_TMP/acme.out" 2>"$E2E_TMP/acme.log" &
ACME_PID=$!
track $ACME_PID
exec 5>"$E2E_TMP/acme.in"
wait_line 60 "$E2E_TMP/acme.out" "^NO CODE" ||
	fail "the bundle did not ask for a description: $(tail -3 "$E2E_TMP/acme.log")"
echo "The printer on Windows does not print" >&5
wait_line 20 "$E2E_TMP/acme.out" "^NAME" || fail "the bundle did not ask for a name"
echo "Maria" >&5
wait_line 30 "$RELAY_LOG" "customer opened ticket [0-9]* in the L1 queue" ||
	fail "no ticket was opened: $(tail -5 "$RELAY_LOG")"
T=$(sed -n 's/.*customer opened ticket \([0-9]*\) in the L1 queue.*/\1/p' "$RELAY_LOG" | tail -1)
wait_line 30 "$E2E_TMP/acme.out" "^CONNECTED" || fail "the bundle did not connect: $(tail -3 "$E2E_TMP/acme.log")"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$T AND kind='ticket-opened-by-customer'" |
	grep -q "^intake token 1 from 127.0.0.1$" || fail "ticket $T was not opened with the bundle's intake token"
echo end >&5
wait_for 20 sh -c "! kill -0 $ACME_PID" || fail "the bundle did not exit after end"
rc=0
wait "$ACME_PID" || rc=$?
[ "$rc" = 0 ] || fail "the bundle exited with $rc: $(tail -5 "$E2E_TMP/acme.log")"
note "acme-support.exe opened ticket $T with its intake token"

# One flipped byte in the payload: the file says it is damaged, on stderr and in a message box.
cp "$E2E_TMP/acme-support.exe" "$E2E_TMP/damaged.exe"
size=$(stat -c %s "$E2E_TMP/damaged.exe")
byte=$(od -An -tu1 -j $((size - 56 - 8)) -N1 "$E2E_TMP/damaged.exe" | tr -d ' ')
printf "\\$(printf '%03o' $(((byte + 1) % 256)))" |
	dd of="$E2E_TMP/damaged.exe" bs=1 seek=$((size - 56 - 8)) conv=notrunc status=none
wine "$E2E_TMP/damaged.exe" --ui tty </dev/null >"$E2E_TMP/damaged.out" 2>"$E2E_TMP/damaged.err" &
DAMAGED_PID=$!
track $DAMAGED_PID
wait_line 60 "$E2E_TMP/damaged.err" "is damaged or was changed" ||
	fail "the damaged bundle did not say so: $(tail -3 "$E2E_TMP/damaged.err")"
wait_for 30 xdotool search --name "^Remote support$" || fail "the damaged bundle showed no message box"
grep -q . "$E2E_TMP/damaged.out" && fail "the damaged bundle ran: $(head -3 "$E2E_TMP/damaged.out")"
kill "$DAMAGED_PID" 2>/dev/null
note "a bundle with one byte changed refuses to run and says so in a message box"

# The helper's own window (SDL's Windows driver under Wine), driven with xdotool as on Linux:
# the code typed into it, Deny and View only clicked in it, in Japanese. Wine has no Japanese
# font, so the window falls back to the one inside the .exe (a real Windows has its own). A
# console program's stdout ends its lines in CR LF on Windows: the trace is read without CR.
. "$(dirname "$0")/window_lib.sh"
# winpattern is done; the window opens where it was.
kill "$WINPATTERN_PID" 2>/dev/null
new_ticket_code "window on Windows"
WIN_OUT=$E2E_TMP/winwindow.out
HANDOFF_UI_TRACE=1 LANG=ja_JP.UTF-8 \
	wine "$EXE" --ui sdl --relay "127.0.0.1:$RELAY_PORT" --host-key "$RELAY_FP" --org "Acme IT" \
	</dev/null > >(sed -u 's/\r$//' >"$WIN_OUT") 2>"$E2E_TMP/winwindow.log" &
WINDOW_PID=$!
track $WINDOW_PID
MARK=0
wait_state 60 "screen=code"
win_geometry
field code
mark
DISPLAY=$XDISPLAY xdotool type --delay 20 "$CODE" || fail "xdotool type failed"
wait_state 10 "screen=code .* code=####-####-####"
click connect
wait_state 30 "screen=main .* card=nothing-shared"
mark
start_viewer_as alice "$TICKET" deny
wait_state 20 "screen=main question=consent"
# In Japanese (LANG), from the catalogs inside the .exe: RCDATA resources written once under
# %LOCALAPPDATA%\Handoff (libintl reads only files); the trace has the words the buttons show.
wait_line 10 "$WIN_OUT" "^UI labels .*deny=許可しない" ||
	fail "the window does not speak Japanese: $(grep '^UI labels' "$WIN_OUT" | tail -1)"
# Wine has no Japanese font of its own: the window draws with the one inside the .exe.
grep -q "window open on .*, font (the font inside the program)" "$E2E_TMP/winwindow.log" ||
	fail "the window did not use the .exe's own font: $(grep 'window open' "$E2E_TMP/winwindow.log")"
note "the window under Wine in Japanese, with the .exe's own font: $(grep '^UI labels' "$WIN_OUT" | tail -1)"
click deny
wait_for 20 sh -c "! kill -0 $VIEWER_PID" || fail "the denied viewer kept waiting"
grep -q "declined" "$E2E_TMP/deny.log" || fail "the viewer was not told it was declined: $(cat "$E2E_TMP/deny.log")"
mark
start_viewer_as alice "$TICKET" view
wait_state 20 "screen=main question=consent"
mark
click view
viewer_cmd 30 "wait-frame"
wait_state 10 "screen=main question=none watching=1"
grep -q "^info control=no" "$VIEWER_OUT" || fail "the viewer allowed view only may control: $(head -1 "$VIEWER_OUT")"
note "the window under Wine: code typed, Deny and View only clicked, the view-only viewer got frames"

# Allow (control) in the window: origin_win32.c's low-level hooks see the marker input_win32.c
# puts on every SendInput event, so the window tells the technician's presses from the
# customer's (xdotool's, which Wine's X11 driver takes as hardware input). winpattern again,
# at the top left where the window (centred, Allow and Deny below y 240) leaves it a corner.
wine "$WIN/tests/winpattern.exe" >"$E2E_TMP/winpattern2.out" 2>"$E2E_TMP/winpattern2.log" &
WINPATTERN_PID=$!
track $WINPATTERN_PID
wait_line 60 "$E2E_TMP/winpattern2.out" "^ready 320 240" ||
	fail "winpattern.exe did not draw again: $(tail -5 "$E2E_TMP/winpattern2.log")"
mark
start_viewer_as alice "$TICKET" ctl
wait_state 20 "screen=main question=consent"
mark
click allow
viewer_cmd 30 "wait-frame"
wait_state 10 "screen=main question=none watching=2"
grep -q "^info control=yes" "$VIEWER_OUT" || fail "the viewer allowed control may not: $(head -1 "$VIEWER_OUT")"
[ "$WIN_X" -gt 5 ] && [ "$WIN_Y" -gt 5 ] || fail "the window at $WIN_X,$WIN_Y covers winpattern's corner"
viewer_cmd 10 "click 5 5"
wait_line 20 "$E2E_TMP/winpattern2.out" "^click 5 5" ||
	fail "the controlling viewer's click did not reach winpattern: $(tail -3 "$E2E_TMP/winpattern2.out")"
exec 9>&8 # the controlling viewer's commands, kept while a third viewer takes fd 8

# A third ask: the controlling viewer clicks Allow on the window, which drops the press.
ignored_total() {
	sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE ticket_id=$TICKET AND kind='remote-input-ignored'" |
		awk '{ n += $1 } END { print n + 0 }'
}
mark
start_viewer_as alice "$TICKET" third
THIRD_PID=$VIEWER_PID
exec 10>&8
exec 8>&9
VIEWER_OUT=$E2E_TMP/ctl.out
wait_state 20 "screen=main question=consent"
viewer_cmd 10 "click $(button_xy allow)"
wait_for 20 sh -c "[ \"\$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT count(*) FROM events WHERE ticket_id=$TICKET AND kind='remote-input-ignored'\")\" -ge 1 ]" ||
	fail "no ignored input recorded after the viewer clicked Allow: $(sqlite3 "$RELAY_DIR/handoff.db" "SELECT kind, detail FROM events WHERE ticket_id=$TICKET" | tail -5)"
# A frame asked after the click comes after the click was read: the window has judged it.
viewer_cmd 20 "wait-frame"
grep '^UI state' "$WIN_OUT" | tail -1 | grep -q "question=consent" ||
	fail "the viewer's click answered the consent question: $(grep '^UI state' "$WIN_OUT" | tail -1)"
grep -q '^ok [0-9]*x[0-9]*' "$E2E_TMP/third.out" && fail "the third viewer got a frame from the viewer's click"
sqlite3 "$RELAY_DIR/handoff.db" "SELECT actor FROM events WHERE ticket_id=$TICKET AND kind='remote-input-ignored'" |
	grep -qx alice || fail "the ignored-input event does not name alice"
# Its keys too (input_win32.c's scan codes and Unicode keys, matched by the keyboard hook).
viewer_cmd 10 "type ab"
viewer_cmd 10 "key Return"
wait_for 20 sh -c "[ \$(sqlite3 '$RELAY_DIR/handoff.db' \"SELECT coalesce(sum(detail + 0), 0) FROM events WHERE ticket_id=$TICKET AND kind='remote-input-ignored'\") -ge 4 ]" ||
	fail "the viewer's keys on the window were not all ignored: $(ignored_total) press(es) recorded"
grep '^UI state' "$WIN_OUT" | tail -1 | grep -q "question=consent" ||
	fail "the viewer's Return answered the consent question: $(grep '^UI state' "$WIN_OUT" | tail -1)"
mark
click deny
wait_for 20 sh -c "! kill -0 $THIRD_PID" || fail "the third viewer was not refused by the customer's Deny"
exec 10>&-
note "the window under Wine: Allow clicked, the viewer's click reached winpattern, its click on Allow and its keys were ignored ($(ignored_total) presses recorded)"
