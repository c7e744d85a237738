#!/bin/bash
# make demo: the main job on this machine, end to end, on the embedded defaults.
# A relay in a local folder, two technicians (alice L1, bob L2), a ticket and
# its support code, a customer desktop (a virtual X display with applications
# on it) where the customer's own window (the SDL helper) asks for consent and
# chats, the technician's viewer (a window on your display, or headless with
# a snapshot), a chat line each way, an escalation from L1 to L2 with its
# packet, and a replay of the sealed recording. Screenshots of the customer's
# display are saved in build/demo/ and named at the end.
#
# Ctrl-C at any point still ends the session, waits for the recording to be
# closed and replays it to build/demo/replayed.png before stopping everything.
set -u
BUILD=${1:-build}
BIN="$(pwd)/$BUILD/bin"
DEMO="$(pwd)/$BUILD/demo"
PIDS=""
VIEWER=""
HELPER=""
FINISHED=0
SHOTS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_file_line() { # SECONDS FILE PATTERN
	for _ in $(seq 1 $(($1 * 10))); do
		grep -q -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "demo: timed out waiting for '$3' in $2" >&2
	return 1
}

stop_all() {
	trap - INT TERM EXIT
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	echo
	echo "demo: stopped everything it started (files in $DEMO)"
	exit 0
}

# The customer's window, driven as a person would: it prints its buttons and
# each state it has drawn (HANDOFF_UI_TRACE=1); clicks land on the buttons.
WIN_OUT="$DEMO/helper.out"
WIN_X=0 WIN_Y=0
MARK=0
mark() { MARK=$(wc -l <"$WIN_OUT"); }
wait_state() { # SECONDS PATTERN: the window drew that state since the last mark
	for _ in $(seq 1 $(($1 * 10))); do
		tail -n +$((MARK + 1)) "$WIN_OUT" 2>/dev/null | grep -q "^UI state $2" && return 0
		sleep 0.1
	done
	echo "demo: the customer's window never showed '$2'" >&2
	return 1
}
click() { # BUTTON
	local x y w h
	read -r x y w h <<<"$(sed -n "s/^UI button $1 \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p" "$WIN_OUT" | head -1)"
	[ -n "$h" ] && DISPLAY=":$n" xdotool mousemove $((WIN_X + x + w / 2)) $((WIN_Y + y + h / 2)) click 1
}
field() { # FIELD: click into an entry field
	local x y w h
	read -r x y w h <<<"$(sed -n "s/^UI field $1 \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4/p" "$WIN_OUT" | head -1)"
	[ -n "$h" ] && DISPLAY=":$n" xdotool mousemove $((WIN_X + x + 20)) $((WIN_Y + y + h / 2)) click 1
}
chat_count() { grep '^UI state' "$WIN_OUT" | tail -1 | sed -n 's/.* chat=\([0-9]*\).*/\1/p'; }
shot() { # NAME: the customer's whole display as PNG
	local f="$DEMO/customer-$((${#SHOTS[@]} + 1))-$1.png"
	DISPLAY=":$n" xwd -root -silent >"$DEMO/root.xwd" 2>/dev/null &&
		ffmpeg -loglevel error -y -i "$DEMO/root.xwd" "$f" 2>/dev/null && SHOTS+=("$f")
	rm -f "$DEMO/root.xwd"
}

# The end, also after Ctrl-C: the technician leaves, the relay closes the
# recording, the auditors' key replays it.
finish() {
	trap - INT TERM
	[ "$FINISHED" = 1 ] && return
	FINISHED=1
	say "The session ends; the recording is closed and replayed for the auditors"
	if [ -n "$VIEWER" ] && kill -0 "$VIEWER" 2>/dev/null; then
		{ echo quit >&8; } 2>/dev/null || kill "$VIEWER" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$VIEWER" 2>/dev/null || break; sleep 0.1; done
		kill "$VIEWER" 2>/dev/null
	fi
	if [ -n "$HELPER" ] && kill -0 "$HELPER" 2>/dev/null; then
		mark
		click end && wait_state 10 "screen=ended" && { shot ended; echo "the customer clicked End session"; }
	fi
	# A segment is open while its .open marker is there.
	for _ in $(seq 1 100); do
		ls "$DEMO"/relay/recordings/*/*.hrec.open >/dev/null 2>&1 || break
		sleep 0.1
	done
	local rec
	rec=$(ls -tr "$DEMO"/relay/recordings/*/*.hrec 2>/dev/null | head -1)
	if [ -n "$rec" ]; then
		echo "$rec"
		"$BIN/handoff-tech" replay "$rec" --key "$DEMO/auditors.key" --headless --snapshot "$DEMO/replayed.png" |
			tail -1
		echo "replayed with the auditors' key: $DEMO/replayed.png"
	else
		echo "nothing was recorded (the session never started sharing)"
	fi
	if [ ${#SHOTS[@]} -gt 0 ]; then
		echo
		echo "The customer's display, as the customer saw it:"
		printf '  %s\n' "${SHOTS[@]}"
	fi
	[ -f "$DEMO/technician-view.png" ] && echo "What alice saw: $DEMO/technician-view.png"
}
interrupted() {
	echo
	echo "demo: interrupted; ending the session and replaying what was recorded"
	finish
	stop_all
}
# The programs run in sessions of their own, so that Ctrl-C reaches only
# this script, which then ends the session in order instead of leaving a
# recording open.
trap interrupted INT TERM
trap stop_all EXIT

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
for who in alice:L1 bob:L2; do
	ssh-keygen -q -t ed25519 -N '' -C "${who%:*}@demo" -f "$DEMO/${who%:*}"
	"$BIN/handoff-relay" user add "$DEMO/relay" "${who%:*}" --role tech --tier "${who#*:}" --key "$DEMO/${who%:*}.pub"
done
setsid "$BIN/handoff-relay" serve "$DEMO/relay" >"$DEMO/relay.out" 2>"$DEMO/relay.log" &
PIDS="$PIDS $!"
wait_file_line 10 "$DEMO/relay.out" serving || exit 1
echo "relay serving on 127.0.0.1:$port (log: $DEMO/relay.log)"

export HANDOFF_RELAY="127.0.0.1:$port" HANDOFF_IDENTITY="$DEMO/alice" HANDOFF_HOST_KEY="$fp"
bob() { HANDOFF_IDENTITY="$DEMO/bob" "$BIN/handoff-tech" "$@"; }
say "2. Technician alice (L1) opens a ticket and issues a support code"
echo "\$ handoff-tech ticket new \"Printer does not print\""
ticket=$("$BIN/handoff-tech" ticket new "Printer does not print") || exit 1
echo "$ticket"
echo "\$ handoff-tech invite $ticket"
code=$("$BIN/handoff-tech" invite "$ticket") || exit 1
echo "$code      <- alice reads this to the customer on the phone"

say "3. The customer's desktop: a virtual display with applications on it"
# Xvfb picks a free display itself and writes its number once it accepts connections: a
# number picked here could be another server's, whose screen the demo would then share.
setsid Xvfb -displayfd 9 -screen 0 1024x768x24 -nolisten tcp -noreset 9>"$DEMO/xvfb.display" >"$DEMO/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 100); do grep -q '^[0-9]' "$DEMO/xvfb.display" 2>/dev/null && break; sleep 0.1; done
n=$(head -1 "$DEMO/xvfb.display")
[ -n "$n" ] || { echo "demo: Xvfb did not start: $(tail -3 "$DEMO/xvfb.log")" >&2; exit 1; }
DISPLAY=":$n" xsetroot -solid '#2e5e8c' 2>/dev/null
DISPLAY=":$n" setsid xclock -geometry 200x200+800+20 -update 1 >/dev/null 2>&1 &
PIDS="$PIDS $!"
DISPLAY=":$n" setsid xeyes -geometry 200x120+800+260 >/dev/null 2>&1 &
PIDS="$PIDS $!"
DISPLAY=":$n" setsid xlogo -geometry 200x200+800+420 >/dev/null 2>&1 &
PIDS="$PIDS $!"
echo "customer display :$n (1024x768) with xclock, xeyes and xlogo"

say "4. The customer opens the helper with the code: their own window on their display"
HANDOFF_UI_TRACE=1 setsid "$BIN/handoff-helper" --relay "127.0.0.1:$port" --host-key "$fp" --code "$code" --display ":$n" \
	--ui sdl --org "Demo IT" </dev/null >"$WIN_OUT" 2>"$DEMO/helper.log" &
HELPER=$!
PIDS="$PIDS $HELPER"
wait_state 20 "screen=main" || { tail -5 "$DEMO/helper.log"; exit 1; }
read -r WIN_X WIN_Y _ <<<"$(sed -n 's/^UI window \([0-9]*\) \([0-9]*\) .*/\1 \2/p' "$WIN_OUT")"
shot connected
echo "the helper's window is open on :$n and connected to the relay; nothing is shared yet"

say "5. Technician alice views ticket $ticket; the customer clicks Allow in their window"
mark
if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then
	setsid "$BIN/handoff-tech" view "$ticket" 2>"$DEMO/viewer.log" &
	VIEWER=$!
	PIDS="$PIDS $VIEWER"
	windowed=1
else
	echo "No display here (DISPLAY is unset or unreachable): the viewer runs headless and"
	echo "saves what the technician sees as a picture instead of opening a window."
	mkfifo "$DEMO/viewer.cmd"
	setsid "$BIN/handoff-tech" view "$ticket" --headless <"$DEMO/viewer.cmd" >"$DEMO/viewer.out" 2>"$DEMO/viewer.log" &
	VIEWER=$!
	PIDS="$PIDS $VIEWER"
	exec 8>"$DEMO/viewer.cmd"
	windowed=0
fi
wait_state 15 "screen=main question=consent" || exit 1
shot consent
echo "the customer's window asks: alice from Demo IT's help desk asks to view and control the screen"
mark
click allow
wait_state 15 "screen=main question=none watching=1" || exit 1
shot sharing
echo "customer clicked: Allow   (the window's banner now says who is watching)"
if [ "$windowed" = 0 ]; then
	echo "wait-frame" >&8
	wait_file_line 20 "$DEMO/viewer.out" "^ok" || { cat "$DEMO/viewer.log"; exit 1; }
fi

say "6. A chat line each way"
c=$(chat_count)
echo "\$ handoff-tech chat $ticket \"Hello, this is Alice from the help desk. What does the printer say?\""
mark
"$BIN/handoff-tech" chat "$ticket" "Hello, this is Alice from the help desk. What does the printer say?"
wait_state 10 "screen=main .* chat=$((c + 1))" && echo "it appears in the customer's window"
mark
field chat
DISPLAY=":$n" xdotool type --delay 30 "It says error 0x12 since this morning"
DISPLAY=":$n" xdotool key Return
if wait_state 10 "screen=main .* chat=$((c + 2)) entry=0"; then
	shot chat
	echo "the customer typed into their window: It says error 0x12 since this morning"
fi
echo "\$ handoff-tech ticket show $ticket   (the transcript, as the relay recorded it)"
"$BIN/handoff-tech" ticket show "$ticket" | grep -E "chat|customer:|alice \(L1\):" | tail -4
if [ "$windowed" = 0 ]; then
	echo "wait-frame" >&8
	echo "snapshot $DEMO/technician-view.png" >&8
	wait_file_line 10 "$DEMO/viewer.out" "^ok$" || { cat "$DEMO/viewer.log"; exit 1; }
	echo "saved: $DEMO/technician-view.png  (what alice sees of the customer's screen)"
else
	echo
	echo "The viewer window on $DISPLAY shows the customer's desktop and the helper's window;"
	echo "mouse and keys reach it. The escalation follows in 15 s (Ctrl-C ends and replays)."
	for _ in $(seq 1 150); do kill -0 "$VIEWER" 2>/dev/null || break; sleep 0.1; done
fi

say "7. Alice escalates to L2 with a handover note; bob (L2) reads the packet and takes it"
echo "\$ handoff-tech escalate $ticket --to L2 --note \"Error 0x12 since this morning; driver reinstalled, still failing\""
mark
"$BIN/handoff-tech" escalate "$ticket" --to L2 --note "Error 0x12 since this morning; driver reinstalled, still failing"
if wait_state 15 "screen=main question=logs"; then
	shot logs-question
	echo "the customer's window asks to collect logs for the specialist; the customer clicks Allow"
	click allow
fi
for _ in $(seq 1 100); do
	bob ticket show "$ticket" 2>/dev/null | grep -q "logs" && break
	sleep 0.1
done
echo "\$ handoff-tech queue        (as bob, L2)"
bob queue
echo "\$ handoff-tech ticket show $ticket   (as bob: the escalation packet)"
bob ticket show "$ticket"
echo "\$ handoff-tech take $ticket   (as bob)"
mark
bob take "$ticket"
# The window tells the customer about the takeover; a picture of it if it drew one.
wait_state 5 "screen=main" 2>/dev/null && shot taken
say "8. Done"
finish
