# The desktop's restore token is kept per relay. GNOME's portal (mutter headless,
# xdg-desktop-portal-gnome) is given without RemoteDesktop (start_gnome screencast-only), so the
# helper's session is a ScreenCast one, which portal 1.16 lets persist; with RemoteDesktop it
# cannot (test_wayland_gnome). Two relays with host keys of their own: the first session through
# relay A is asked at the desktop's dialog (answered through AT-SPI, tests/tools/portal_dialog.py)
# once the customer allowed the technician who asked to see the screen (before that yes, no dialog
# is up), and keeps A's token in screencast-token-<16 hex of SHA-256 of A's fingerprint>, 0600 in a 0700
# folder; the next session through A is shared without a dialog. A session through relay B is not
# offered A's token: the desktop asks again (a token restores without a dialog, so the dialog is
# the proof), and B gets a file of its own; A's token still opens A's next session without a
# dialog. A token of the old single file is never offered. No token is in any log. The customer is
# told before each session what the desktop will do: ask (about the screen alone), or not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wayland_lib.sh"

start_gnome 800 600 screencast-only
start_wlpattern 800x600

# Two relays, each its own home, store and host key.
start_relay
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG
RELAY_NAME=relayb start_relay
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG
[ "$A_FP" != "$B_FP" ] || fail "the two relays have one host key"

# use_relay A|B: what lib.sh's relay functions (tech_ssh, new_ticket_code, stop_relay) talk to.
use_relay() {
	if [ "$1" = A ]; then
		RELAY_DIR=$A_DIR RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_PID=$A_PID RELAY_LOG=$A_LOG
	else
		RELAY_DIR=$B_DIR RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_PID=$B_PID RELAY_LOG=$B_LOG
	fi
}

STATE="$WL_DIR/state/handoff"
token_file() {
	echo "$STATE/screencast-token-$(printf '%s' "$1" | sha256sum | cut -c1-16)"
}
A_FILE=$(token_file "$A_FP")
B_FILE=$(token_file "$B_FP")

# session NAME RELAY asked|restored: one helper session through RELAY, in which alice asks to see
# the screen and the customer allows her; asked: the desktop's dialog comes then and is answered
# Share; restored: none comes (a dialog would hold alice's first picture). The helper's log is kept
# as NAME.log.
session() {
	use_relay "$2"
	new_ticket_code "token $1"
	start_wl_helper "$CODE" --verbose
	wait_line 30 "$HELPER_OUT" "^CONNECTED" || fail "$1: the helper did not connect: $(tail -5 "$E2E_TMP/helper.log")"
	if [ "$3" = asked ]; then
		wl_first_frame 800x600 share
	else
		wl_first_frame 800x600 none
		wl_as python3 "$WL_PORTAL_DIALOG" absent >>"$E2E_TMP/dialog.out" 2>"$E2E_TMP/dialog.err" ||
			fail "$1: the desktop asked though it had this relay's token: $(tail -1 "$E2E_TMP/dialog.out")"
	fi
	wl_snapshot_is 0 || fail "$1: the viewer's picture is not the test client's: $(cat "$E2E_TMP/check-0.out")"
	grep -q "the desktop shares its screen as PipeWire node [0-9]* (ScreenCast version 4" "$E2E_TMP/helper.log" ||
		fail "$1: not the portal's stream: $(grep -i portal "$E2E_TMP/helper.log")"
	# What the customer read before the desktop's turn: a dialog to come (screen only: nothing about
	# control), or none, since the desktop remembers.
	if [ "$3" = asked ]; then
		told="^STATUS Your desktop may now ask whether this support helper can see your screen. If it does, choose Share so that your technician can see it. Nobody"
	else
		told="^STATUS Your desktop remembers that you let this support helper see your screen before, so it may not ask again"
	fi
	grep -q "$told" "$HELPER_OUT" || fail "$1: the customer was not told what the desktop does: $(grep '^STATUS' "$HELPER_OUT" | head -3)"
	viewer_cmd 10 "quit"
	wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "$1: the viewer did not exit"
	echo end >&7
	wait_for 15 sh -c "! kill -0 $HELPER_PID" || fail "$1: the helper did not end"
	wait "$HELPER_PID" || fail "$1: the helper exited non-zero: $(tail "$E2E_TMP/helper.log")"
	cp "$E2E_TMP/helper.log" "$E2E_TMP/$1.log"
}

# A token of the single file of before: nothing says which relay's session earned it.
wl_as mkdir -p -m 700 "$STATE"
wl_as sh -c "echo legacy-token-of-another-relay >'$STATE/screencast-token'"

session a1 A asked
grep -q "the desktop's restore token for this relay ($(basename "$A_FILE")): none" "$E2E_TMP/a1.log" ||
	fail "a1 did not look for A's token, or found one: $(grep -i token "$E2E_TMP/a1.log")"
wl_as test -s "$A_FILE" || fail "no token kept for relay A: $(wl_as ls -la "$STATE")"
[ "$(wl_as stat -c %a "$A_FILE")" = 600 ] || fail "A's token file is $(wl_as stat -c %a "$A_FILE"), not 600"
[ "$(wl_as stat -c %a "$STATE")" = 700 ] || fail "the token folder is $(wl_as stat -c %a "$STATE"), not 700"
wl_as test ! -e "$STATE/screencast-token" || fail "the old single token file was left behind"
[ "$(wl_as ls "$STATE")" = "$(basename "$A_FILE")" ] || fail "the token folder holds $(wl_as ls "$STATE" | tr '\n' ' ')"
note "relay A's first session: $(tail -1 "$E2E_TMP/dialog.out"); its token kept as $(basename "$A_FILE"), 0600 in 0700; the old single file ignored and removed"

session a2 A restored
grep -q "the desktop's restore token for this relay ($(basename "$A_FILE")): found" "$E2E_TMP/a2.log" ||
	fail "a2 did not find A's token: $(grep -i token "$E2E_TMP/a2.log")"
note "relay A's second session: A's token found, shared without the desktop's dialog"
wl_as cat "$A_FILE" >"$E2E_TMP/a-token" || fail "cannot read A's token"

session b1 B asked
grep -q "the desktop's restore token for this relay ($(basename "$B_FILE")): none" "$E2E_TMP/b1.log" ||
	fail "b1 did not look for B's own token: $(grep -i token "$E2E_TMP/b1.log")"
wl_as test -s "$B_FILE" || fail "no token kept for relay B: $(wl_as ls -la "$STATE")"
[ "$(wl_as stat -c %a "$B_FILE")" = 600 ] || fail "B's token file is $(wl_as stat -c %a "$B_FILE"), not 600"
wl_as cat "$A_FILE" | cmp -s - "$E2E_TMP/a-token" || fail "relay B's session changed A's token"
wl_as cat "$B_FILE" | cmp -s - "$E2E_TMP/a-token" && fail "relay B's session was given A's token"
note "relay B's session: not offered A's token, the desktop asked ($(tail -1 "$E2E_TMP/dialog.out")); B's token kept as $(basename "$B_FILE")"

session a3 A restored
grep -q "the desktop's restore token for this relay ($(basename "$A_FILE")): found" "$E2E_TMP/a3.log" ||
	fail "a3 did not find A's token: $(grep -i token "$E2E_TMP/a3.log")"
note "relay A's session after B's: A's token still opens it without a dialog"

# The tokens are capabilities: in no log of the helper, the relays or the desktop.
for f in "$A_FILE" "$B_FILE"; do
	wl_as cat "$f" >"$E2E_TMP/tok"
	[ -s "$E2E_TMP/tok" ] || fail "empty token in $f"
	for log in "$E2E_TMP"/a1.log "$E2E_TMP"/a2.log "$E2E_TMP"/b1.log "$E2E_TMP"/a3.log "$E2E_TMP"/helper.out \
		"$A_LOG" "$B_LOG"; do
		grep -qF -f "$E2E_TMP/tok" "$log" && fail "a restore token is in $log"
	done
done
rm -f "$E2E_TMP/tok" "$E2E_TMP/a-token"
note "no restore token in the helper's or the relays' logs"

use_relay B
stop_relay
use_relay A
stop_relay
