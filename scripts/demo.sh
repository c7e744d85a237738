#!/bin/bash
# make demo: the main job on this machine, end to end, on the embedded defaults.
# A relay in a local folder, a technician, a ticket and its support code, a
# customer desktop (a virtual X display with applications on it), the helper
# sharing it, and the technician's viewer on your display. Ctrl-C stops it all.
set -u
BUILD=${1:-build}
BIN="$(pwd)/$BUILD/bin"
DEMO="$(pwd)/$BUILD/demo"
PIDS=""

stop_all() {
	trap - INT TERM EXIT
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	echo
	echo "demo: stopped everything it started (files in $DEMO)"
	exit 0
}
trap stop_all INT TERM EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_file_line() { # SECONDS FILE PATTERN
	for _ in $(seq 1 $(($1 * 10))); do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "demo: timed out waiting for '$3' in $2" >&2
	return 1
}

rm -rf "$DEMO"
mkdir -p "$DEMO"
port=2222
while ss -ltn "sport = :$port" | grep -q ":$port"; do port=$((port + 1)); done

say "1. The relay operator creates a relay home in $DEMO/relay"
# The relay never runs as root: as root, its home is made for nobody, whom serve becomes.
as_user=()
[ "$(id -u)" = 0 ] && { chmod 711 "$DEMO"; as_user=(--user nobody); }
"$BIN/handoff-relay" init "$DEMO/relay" --listen "127.0.0.1:$port" "${as_user[@]}" | tee "$DEMO/init.out"
fp=$(sed -n 's/^host key fingerprint: //p' "$DEMO/init.out")
echo "An auditor makes the recording key off the relay; only its public half goes there:"
"$BIN/handoff-tech" keygen --out "$DEMO/auditors.key" >/dev/null
"$BIN/handoff-relay" recording-key "$DEMO/relay" "$DEMO/auditors.key.pub"
ssh-keygen -q -t ed25519 -N '' -C alice@demo -f "$DEMO/alice"
"$BIN/handoff-relay" user add "$DEMO/relay" alice --role tech --tier L1 --key "$DEMO/alice.pub"
"$BIN/handoff-relay" serve "$DEMO/relay" >"$DEMO/relay.out" 2>"$DEMO/relay.log" &
PIDS="$PIDS $!"
wait_file_line 10 "$DEMO/relay.out" serving || exit 1
echo "relay serving on 127.0.0.1:$port (log: $DEMO/relay.log)"

export HANDOFF_RELAY="127.0.0.1:$port" HANDOFF_IDENTITY="$DEMO/alice" HANDOFF_HOST_KEY="$fp"
say "2. Technician alice (L1) opens a ticket and issues a support code"
echo "\$ handoff-tech ticket new \"Printer does not print\""
ticket=$("$BIN/handoff-tech" ticket new "Printer does not print") || exit 1
echo "$ticket"
echo "\$ handoff-tech invite $ticket"
code=$("$BIN/handoff-tech" invite "$ticket") || exit 1
echo "$code      <- alice reads this to the customer on the phone"

say "3. The customer's desktop: a virtual display with applications on it"
n=$((50 + RANDOM % 50))
Xvfb ":$n" -screen 0 1024x768x24 -nolisten tcp -noreset >"$DEMO/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do xdpyinfo -display ":$n" >/dev/null 2>&1 && break; sleep 0.1; done
DISPLAY=":$n" xsetroot -solid '#2e5e8c' 2>/dev/null
DISPLAY=":$n" xclock -geometry 260x260+60+60 -update 1 >/dev/null 2>&1 &
PIDS="$PIDS $!"
DISPLAY=":$n" xeyes -geometry 240x160+380+90 >/dev/null 2>&1 &
PIDS="$PIDS $!"
DISPLAY=":$n" xlogo -geometry 200x200+700+400 >/dev/null 2>&1 &
PIDS="$PIDS $!"
echo "customer display :$n (1024x768) with xclock, xeyes and xlogo"

say "4. The customer runs the helper with the code and is asked for consent"
mkfifo "$DEMO/consent"
"$BIN/handoff-helper" --relay "127.0.0.1:$port" --host-key "$fp" --code "$code" --display ":$n" --ui tty \
	<"$DEMO/consent" >"$DEMO/helper.out" 2>"$DEMO/helper.log" &
PIDS="$PIDS $!"
exec 7>"$DEMO/consent"
wait_file_line 15 "$DEMO/helper.out" "^CONNECTED" || { cat "$DEMO/helper.log"; exit 1; }
sed 's/^/customer sees: /' "$DEMO/helper.out"

say "5. The technician views ticket $ticket"
if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then
	"$BIN/handoff-tech" view "$ticket" 2>"$DEMO/viewer.log" &
	viewer=$!
	PIDS="$PIDS $viewer"
	wait_file_line 15 "$DEMO/helper.out" "^CONSENT" || exit 1
	grep "^CONSENT" "$DEMO/helper.out" | sed 's/^/customer sees: /'
	echo "customer answers: y   (the demo answers for them)"
	echo y >&7
	wait_file_line 10 "$DEMO/helper.out" "^SHARING" && grep "^SHARING" "$DEMO/helper.out" | sed 's/^/customer sees: /'
	echo
	echo "The viewer window on $DISPLAY shows the customer's desktop; mouse and keys reach it."
	echo "Close the window or press Ctrl-C to stop."
	wait "$viewer"
else
	echo "No display here (DISPLAY is unset or unreachable): the viewer runs headless and"
	echo "saves what the technician sees as a picture instead of opening a window."
	mkfifo "$DEMO/viewer.cmd"
	"$BIN/handoff-tech" view "$ticket" --headless <"$DEMO/viewer.cmd" >"$DEMO/viewer.out" 2>"$DEMO/viewer.log" &
	PIDS="$PIDS $!"
	exec 8>"$DEMO/viewer.cmd"
	wait_file_line 15 "$DEMO/helper.out" "^CONSENT" || exit 1
	grep "^CONSENT" "$DEMO/helper.out" | sed 's/^/customer sees: /'
	echo "customer answers: y   (the demo answers for them)"
	echo y >&7
	echo "wait-frame" >&8
	wait_file_line 20 "$DEMO/viewer.out" "^ok" || { cat "$DEMO/viewer.log"; exit 1; }
	sleep 1.5
	echo "wait-frame" >&8
	echo "snapshot $DEMO/technician-view.png" >&8
	wait_file_line 10 "$DEMO/viewer.out" "^ok$" || { cat "$DEMO/viewer.log"; exit 1; }
	echo "saved: $DEMO/technician-view.png  (what alice sees of the customer's screen)"
	echo quit >&8
fi
sleep 1
rec=$(ls "$DEMO"/relay/recordings/*/*.hrec 2>/dev/null | head -1)
if [ -n "$rec" ]; then
	say "6. The session was recorded, sealed for the auditors"
	echo "$rec"
	"$BIN/handoff-tech" replay "$rec" --key "$DEMO/auditors.key" --headless --snapshot "$DEMO/replayed.png" | tail -1
	echo "replayed with the auditors' key: $DEMO/replayed.png"
fi
