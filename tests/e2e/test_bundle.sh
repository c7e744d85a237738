# The one-file helper: `handoff-relay bundle` makes one executable with the
# relay's address, pinned host key and organisation inside. It runs in an
# empty chroot (the bundle, /dev/null, /tmp, /etc/passwd, and /proc for the
# sanitizer build's own needs: no libraries, no fonts, no locales) against
# the real relay and the customer's Xvfb (through X's abstract socket,
# which a chroot does not hide). Double-clicked, i.e. with no arguments, it
# asks for the code in its window, in Japanese under LANG=ja_JP.UTF-8 even
# though that locale exists nowhere in the root; the technician sees the
# screen after the customer allows it. Then the bad cases: a tampered
# bundle refuses to run and unpacks nothing, and a bundle pinned to
# another relay's host key refuses the real relay. The window's WM_CLASS is
# handoff-helper, not the ld.so the bundle starts it with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/window_lib.sh"

[ "$(id -u)" = 0 ] || { note "not root: chroot is not permitted, so this test cannot run here"; exit 1; }
CHROOT=$(command -v chroot) || fail "no chroot program"

start_xvfb 1024 768
# relay.conf names another relay of the store: the bundle carries it (the helper goes there if this one is lost).
start_relay "also_relays = relay-b.example:2222=SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
new_ticket_code "Bundle"
"$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/helper.run" --org "Acme IT" >"$E2E_TMP/bundle.out" ||
	fail "bundle failed"
note "$(cat "$E2E_TMP/bundle.out")"
grep -q ", 1 other relay, " "$E2E_TMP/bundle.out" || fail "the bundle does not carry relay.conf's also_relays"
grep -a -q -- "--also-relay.relay-b.example:2222=SHA256:bbbb" "$E2E_TMP/helper.run" ||
	fail "etc/args does not name the other relay"

ROOTFS="$E2E_TMP/root"
mkdir -p "$ROOTFS/tmp" "$ROOTFS/dev" "$ROOTFS/etc" "$ROOTFS/proc"
chmod 1777 "$ROOTFS/tmp"
mknod -m 666 "$ROOTFS/dev/null" c 1 3 || fail "mknod failed"
# The user running the test (root in CI), as a desktop session has it: libssh looks up its home.
echo "root:x:0:0:root:/tmp:/bin/false" >"$ROOTFS/etc/passwd"
cp "$E2E_TMP/helper.run" "$ROOTFS/helper.run"
mount -t proc proc "$ROOTFS/proc" || fail "cannot mount /proc in the root"
[ -z "$(ls "$ROOTFS/tmp")" ] || fail "the root is not empty"

# in_root ENV... -- ARGS...: runs the bundle in the root with only ENV.
in_root() {
	env -i ASAN_OPTIONS=detect_leaks=0 "$@"
}

# --version reaches the bundled helper through the launcher, and leaves nothing behind.
v=$(sed -n 's/^#define HANDOFF_VERSION "\(.*\)"$/\1/p' "$(dirname "$0")/../../protocol/version.h")
out=$(in_root "$CHROOT" "$ROOTFS" /helper.run --version 2>&1) || fail "the bundle's --version failed: $out"
[ "$out" = "handoff-helper $v" ] || fail "the bundle's --version printed '$out'"
[ -z "$(ls "$ROOTFS/tmp")" ] || fail "--version left files in the root's /tmp"
note "the bundle's --version: $out"

WIN_OUT="$E2E_TMP/bundle-run.out"
LANG_NOW=ja
SHOTS="$E2E_TMP/shots"
mkdir -p "$SHOTS"
MARK=0
in_root DISPLAY="$XDISPLAY" HANDOFF_UI_TRACE=1 LANG=ja_JP.UTF-8 "$CHROOT" "$ROOTFS" /helper.run \
	</dev/null >"$WIN_OUT" 2>"$E2E_TMP/bundle-run.log" &
helper=$!
track $helper
wait_state 30 "screen=code"
win_geometry
grep -q "speaking ja to the customer" "$E2E_TMP/bundle-run.log" || fail "the bundle did not speak Japanese"
grep -q "font /tmp/handoff-[A-Za-z0-9]*/share/handoff/font.ttf" "$E2E_TMP/bundle-run.log" ||
	fail "the bundle did not use its own font: $(grep font "$E2E_TMP/bundle-run.log")"
unpacked=$(ls "$ROOTFS/tmp")
[ "$(stat -c %a "$ROOTFS/tmp/$unpacked")" = 700 ] || fail "the unpacked directory is not private"
shot bundle-code-entry
# Started through the bundle's ld.so, the window is still handoff-helper's (SDL would say "ld.so").
wid=$(DISPLAY=$XDISPLAY xwininfo -root -tree | sed -n 's/^ *\(0x[0-9a-f]*\) .* 760x560+.*/\1/p' | head -1)
[ -n "$wid" ] || fail "no 760x560 window: $(DISPLAY=$XDISPLAY xwininfo -root -tree | grep 0x)"
DISPLAY=$XDISPLAY xprop -id "$wid" WM_CLASS | grep -qx 'WM_CLASS(STRING) = "handoff-helper", "handoff-helper"' ||
	fail "the bundle's window class is wrong: $(DISPLAY=$XDISPLAY xprop -id "$wid" WM_CLASS)"
# And it has its title, though SDL cannot convert it without the locale data a bare root lacks.
DISPLAY=$XDISPLAY xprop -id "$wid" _NET_WM_NAME WM_NAME | grep -c '= "Acme IT"$' | grep -qx 2 ||
	fail "the bundle's window has no title: $(DISPLAY=$XDISPLAY xprop -id "$wid" _NET_WM_NAME WM_NAME)"
field code
mark
DISPLAY=$XDISPLAY xdotool type --delay 20 "$CODE" || fail "xdotool type failed"
click connect
wait_state 30 "screen=main"

mark
start_viewer "$TICKET"
wait_state 20 "screen=main question=consent"
click allow
viewer_cmd 30 "wait-frame"
wait_state 10 "screen=main question=none watching=1"
mark
click end
wait_state 10 "screen=ended"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the viewer outlived the session"
click close
wait_for 15 sh -c "! kill -0 $helper" || fail "the bundle did not exit after Close"
rc=0
wait "$helper" || rc=$?
[ "$rc" = 0 ] || fail "the bundle exited with $rc: $(tail -5 "$E2E_TMP/bundle-run.log")"
[ -z "$(ls "$ROOTFS/tmp")" ] || fail "the bundle left files behind: $(ls "$ROOTFS/tmp")"
note "in an empty root: code typed in the Japanese window, viewed, ended, cleaned up"

# A tampered bundle: one byte of the payload changed.
cp "$E2E_TMP/helper.run" "$ROOTFS/bad.run"
size=$(stat -c %s "$ROOTFS/bad.run")
printf 'Z' | dd of="$ROOTFS/bad.run" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
rc=0
in_root DISPLAY="$XDISPLAY" "$CHROOT" "$ROOTFS" /bad.run --code "$CODE" >/dev/null 2>"$E2E_TMP/bad.err" || rc=$?
[ "$rc" = 1 ] || fail "the tampered bundle exited with $rc"
grep -q "damaged or was changed" "$E2E_TMP/bad.err" || fail "no clear message: $(cat "$E2E_TMP/bad.err")"
[ -z "$(ls "$ROOTFS/tmp")" ] || fail "the tampered bundle unpacked something"
note "tampered: $(head -1 "$E2E_TMP/bad.err")"

# Double-clicked, standard error goes nowhere: the same refusal must appear on
# the desktop, through its own dialog program (xmessage here, from x11-utils).
DISPLAY="$XDISPLAY" "$ROOTFS/bad.run" </dev/null >/dev/null 2>"$E2E_TMP/bad-desktop.err" &
bad=$!
track $bad
dialog_window() {
	DISPLAY=$XDISPLAY xwininfo -root -tree | sed -n 's/^ *\(0x[0-9a-f]*\) "Handoff".*/\1/p' | head -1
}
wait_for 15 sh -c "[ -n \"\$(DISPLAY=$XDISPLAY xwininfo -root -tree | grep '\"Handoff\"')\" ]" ||
	fail "the tampered bundle showed no dialog on the desktop"
DISPLAY=$XDISPLAY xkill -id "$(dialog_window)" >/dev/null 2>&1
rc=0
wait "$bad" || rc=$?
[ "$rc" = 1 ] || fail "the tampered bundle run from the desktop exited with $rc"
note "tampered, double-clicked: the refusal is shown in a dialog window"

# A bundle pinned to another relay's key, pointed at this relay.
"$BIN/handoff-relay" init "$E2E_TMP/other" --listen "127.0.0.1:$RELAY_PORT" >/dev/null || fail "init failed"
"$BIN/handoff-relay" bundle "$E2E_TMP/other" --out "$ROOTFS/other.run" >/dev/null || fail "bundle failed"
new_ticket_code "Other key"
rc=0
in_root DISPLAY="$XDISPLAY" "$CHROOT" "$ROOTFS" /other.run --ui tty --code "$CODE" </dev/null \
	>/dev/null 2>"$E2E_TMP/other.err" || rc=$?
[ "$rc" = 1 ] || fail "the helper pinned to another key exited with $rc"
grep -qi "host key" "$E2E_TMP/other.err" || fail "no clear message: $(cat "$E2E_TMP/other.err")"
note "other host key: $(grep -i 'host key' "$E2E_TMP/other.err" | head -1)"
umount "$ROOTFS/proc"
stop_relay
