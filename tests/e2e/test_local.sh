# What another account on the same machine can see or redirect (issue 14,
# item 7): the bundle's file, which carries its intake token, is 0700
# whatever the umask; a support code given on the command line (to the
# helper or to the bundle) is gone from /proc/PID/cmdline, which every
# account can read, once the program runs, and `--code -` takes it from
# standard input without it ever being there; a snapshot is written
# through a fresh 0600 temporary file, never through a link planted at a
# temporary name.
. "$(dirname "$0")/lib.sh"

start_xvfb 320 240
draw_pattern
start_relay

# cmdline_has PID PATTERN: the process's command line (NULs as spaces) matches PATTERN.
cmdline_has() {
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -qE -- "$2"
}
# digits_of CODE: the code's 12 digits, as a pattern that allows the dashes.
digits_of() {
	echo "$1" | sed 's/-/-?/g'
}

# The bundle: 0700 under the default umask and under umask 000 (it was 0755).
"$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/helper.run" >/dev/null || fail "bundle failed"
(umask 000 && "$BIN/handoff-relay" bundle "$RELAY_DIR" --out "$E2E_TMP/umask.run" >/dev/null) ||
	fail "bundle under umask 000 failed"
for f in helper.run umask.run; do
	[ "$(stat -c %a "$E2E_TMP/$f")" = 700 ] || fail "$f is $(stat -c %a "$E2E_TMP/$f"), not 0700"
done
note "bundles are 0700, under umask 000 too"

# The bundle run with --code: neither the launcher (alive for the whole session) nor its
# helper shows the code or the bundle's intake token on its command line.
new_ticket_code "Code on the bundle command line"
mkfifo "$E2E_TMP/bundle.in"
env -u XDG_RUNTIME_DIR TMPDIR="$E2E_TMP" ASAN_OPTIONS=detect_leaks=0 "$E2E_TMP/helper.run" --code "$CODE" \
	--display "$XDISPLAY" --ui tty <"$E2E_TMP/bundle.in" >"$E2E_TMP/bundle.out" 2>"$E2E_TMP/bundle.log" &
launcher=$!
track $launcher
exec 6>"$E2E_TMP/bundle.in"
wait_line 20 "$E2E_TMP/bundle.out" "^CONNECTED" || fail "the bundle did not connect: $(tail -3 "$E2E_TMP/bundle.log")"
child=$(pgrep -P "$launcher") || fail "the launcher has no helper process"
for pid in $launcher $child; do
	[ -r "/proc/$pid/cmdline" ] || fail "no /proc/$pid/cmdline"
	! cmdline_has "$pid" "$(digits_of "$CODE")" || fail "pid $pid shows the code: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	! cmdline_has "$pid" "[0-9a-f]{32}" || fail "pid $pid shows the intake token"
done
cmdline_has "$child" "handoff-helper" || fail "pid $child is not the helper"
# The environment that carried them is blanked by the helper as it reads it.
! tr '\0' '\n' <"/proc/$child/environ" | grep -qE -- "$(digits_of "$CODE")|[0-9a-f]{32}" ||
	fail "the helper's environment still holds a secret"
note "bundle: launcher $launcher and helper $child show neither code nor token"
echo end >&6
wait_for 15 sh -c "! kill -0 $launcher" || fail "the bundle did not end"
exec 6>&-

# The helper with --code CODE: argv's copy is overwritten at once.
new_ticket_code "Code on the helper command line"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
! cmdline_has "$HELPER_PID" "$(digits_of "$CODE")" || fail "the helper shows the code: $(tr '\0' ' ' <"/proc/$HELPER_PID/cmdline")"
cmdline_has "$HELPER_PID" "--code x{14}" || fail "the helper's --code is not blanked"
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
exec 7>&-

# --code -: the first line of standard input; the rest stays for the terminal UI's answers.
new_ticket_code "Code on standard input"
start_helper - stdin
echo "$CODE" >&7
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the helper did not connect with --code -: $(cat "$E2E_TMP/stdin.log")"
! cmdline_has "$HELPER_PID" "$(digits_of "$CODE")" || fail "the helper shows the code"
start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
echo y >&7
viewer_cmd 20 "wait-frame"
note "--code - read the code from standard input and the consent answer after it"

# Snapshots: links planted at the names the old code used (PATH.tmp, PATH.tmp.png) point
# at a file of the victim's; the snapshot must not write through them.
echo precious >"$E2E_TMP/victim"
ln -s "$E2E_TMP/victim" "$E2E_TMP/shot.ppm.tmp"
ln -s "$E2E_TMP/victim" "$E2E_TMP/shot.png.tmp.png"
viewer_cmd 10 "snapshot $E2E_TMP/shot.ppm"
viewer_cmd 10 "snapshot $E2E_TMP/shot.png"
[ "$(cat "$E2E_TMP/victim")" = precious ] || fail "a snapshot wrote through a planted link"
[ "$(head -c 2 "$E2E_TMP/shot.ppm")" = P6 ] || fail "shot.ppm is not a PPM"
[ "$(head -c 4 "$E2E_TMP/shot.png" | tail -c 3)" = PNG ] || fail "shot.png is not a PNG"
for f in shot.ppm shot.png; do
	[ ! -L "$E2E_TMP/$f" ] || fail "$f is a link"
	[ "$(stat -c %a "$E2E_TMP/$f")" = 600 ] || fail "$f is $(stat -c %a "$E2E_TMP/$f"), not 0600"
done
[ -z "$(find "$E2E_TMP" -maxdepth 1 -name 'shot.*.tmp-*')" ] || fail "a snapshot left its temporary file"
note "snapshots: planted links not followed, files 0600, no temporary file left"

viewer_cmd 10 "quit"
wait "$VIEWER_PID" 2>/dev/null
echo end >&7
wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "the helper did not end"
stop_relay
echo "test_local: ok"
