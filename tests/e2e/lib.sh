# Shared by the end-to-end tests: start real processes on loopback, wait for
# them with bounded loops, and stop everything on exit. Sourced by bash.
# Expects BIN (the build's bin/ directory) and TOOLS (its tests/ directory).

set -u
E2E_TMP=$(mktemp -d /tmp/handoff-e2e.XXXXXX)
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# start_postgres sets it: the URL of this test's PostgreSQL server (db_query reads it).
PG_URL=""
# Where the relay listens and everyone reaches it; the tests keep loopback. The WAN bench
# (bench/wan.sh) sets the desk's end of its emulated link, and CUST_RUN to the command that
# runs a program in the customer's network namespace (start_helper uses it).
RELAY_HOST=${RELAY_HOST:-127.0.0.1}
[ -n "${CUST_RUN+set}" ] || CUST_RUN=()
E2E_PIDS=""
E2E_FAILED=0

e2e_cleanup() {
	for pid in $E2E_PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in $E2E_PIDS; do
		kill -9 "$pid" 2>/dev/null || true
	done
	e2e_release_ports
	[ -z "$PG_URL" ] || sh "$E2E_LIB_DIR/../postgres.sh" stop "$E2E_TMP/pg" 2>/dev/null || true
	# A test that failed with a filesystem mounted in its folder (the disk-full case).
	awk -v t="$E2E_TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | while read -r m; do
		umount "$m" 2>/dev/null || true
	done
	if [ "${E2E_KEEP:-0}" = 1 ] || [ "$E2E_FAILED" = 1 ]; then
		echo "  (files kept in $E2E_TMP)"
	else
		rm -rf "$E2E_TMP"
	fi
}
trap e2e_cleanup EXIT

fail() {
	E2E_FAILED=1
	echo "  FAIL: $*"
	exit 1
}

note() {
	echo "  $*"
}

# stacks PID: where each thread of PID is, for a failure that is a wait gone too long
# (a flake in CI is then read from its log, not guessed at).
stacks() {
	command -v gdb >/dev/null || return 0
	gdb -batch -p "$1" -ex "thread apply all bt 12" 2>/dev/null | grep -E '^(#|Thread)' | head -60 | sed 's/^/    /'
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds.
wait_for() {
	local limit=$1 i=0
	shift
	while [ "$i" -lt $((limit * 10)) ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_line SECONDS FILE PATTERN: waits until FILE has a line matching PATTERN.
wait_line() {
	wait_for "$1" grep -q -- "$3" "$2"
}

# count_at_least FILE PATTERN N: N or more lines of FILE match PATTERN.
count_at_least() {
	test "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3"
}

# wait_count SECONDS FILE PATTERN N: waits until N lines of FILE match PATTERN.
wait_count() {
	wait_for "$1" count_at_least "$2" "$3" "$4"
}

track() {
	E2E_PIDS="$E2E_PIDS $1"
}

# A port below Linux's ephemeral range (32768-60999), so that no outgoing
# connection of ours can hold it, used by no socket in any state, and
# reserved for this test until it exits: tests running side by side pick
# ports at the same time and bind them later, so each port is claimed
# with an atomic mkdir in E2E_PORTS (owned by this shell's pid; a claim
# whose owner is gone is taken back). A program outside the tests could
# still bind it meanwhile; start_relay tries another port then.
E2E_PORTS=/tmp/handoff-e2e-ports
free_port() {
	local p owner
	mkdir -m 1777 "$E2E_PORTS" 2>/dev/null || true
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		if ! mkdir "$E2E_PORTS/$p" 2>/dev/null; then
			owner=$(cat "$E2E_PORTS/$p/owner" 2>/dev/null || true)
			[ -n "$owner" ] && [ ! -d "/proc/$owner" ] && rm -rf "${E2E_PORTS:?}/$p"
			continue
		fi
		echo $$ >"$E2E_PORTS/$p/owner"
		if ! ss -tan | awk '{print $4}' | grep -q ":$p\$"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Gives back this test's port claims (from e2e_cleanup).
e2e_release_ports() {
	local d
	for d in "$E2E_PORTS"/*/; do
		[ "$(cat "$d/owner" 2>/dev/null)" = "$$" ] && rm -rf "$d"
	done
	return 0
}

# start_xvfb WIDTH HEIGHT: sets XDISPLAY to a fresh Xvfb.
# The X server picks its own free display number (-displayfd: it takes the
# number's lock file itself, so tests side by side never share a display)
# and writes it to fd 9 once it accepts connections.
E2E_XSERVERS=0
start_xvfb() {
	local w=$1 h=$2 f
	E2E_XSERVERS=$((E2E_XSERVERS + 1))
	f="$E2E_TMP/xvfb-$E2E_XSERVERS.display"
	Xvfb -displayfd 9 -screen 0 "${w}x${h}x24" -nolisten tcp -noreset 9>"$f" \
		>"$E2E_TMP/xvfb-$E2E_XSERVERS.log" 2>&1 &
	track $!
	wait_for 10 grep -q '^[0-9]' "$f" || fail "Xvfb did not start: $(tail -3 "$E2E_TMP/xvfb-$E2E_XSERVERS.log")"
	XDISPLAY=":$(head -1 "$f")"
	wait_for 10 xdpyinfo -display "$XDISPLAY" || fail "Xvfb $XDISPLAY does not answer"
}

# start_xorg_monitors: sets XDISPLAY to a fresh Xorg on the dummy driver,
# 1600x600 split into two RandR monitors, LEFT (800x600+0+0) and RIGHT
# (800x600+800+0), that can also switch to 800x600 (xrandr -s). Xvfb has
# neither: it ignores --setmonitor and cannot change its size. The dummy
# driver needs no console or VT, so this runs where Xvfb does.
start_xorg_monitors() {
	local n conf="$E2E_TMP/xorg-dummy.conf"
	cat >"$conf" <<'XORG'
Section "Device"
	Identifier "dummy"
	Driver "dummy"
	VideoRam 64000
EndSection
Section "Monitor"
	Identifier "monitor"
	HorizSync 5.0-1000.0
	VertRefresh 5.0-200.0
	Modeline "1600x600" 60 1600 1601 1602 1603 600 601 602 603
	Modeline "800x600" 30 800 801 802 803 600 601 602 603
EndSection
Section "Screen"
	Identifier "screen"
	Device "dummy"
	Monitor "monitor"
	DefaultDepth 24
	SubSection "Display"
		Depth 24
		Modes "1600x600" "800x600"
	EndSubSection
EndSection
XORG
	E2E_XSERVERS=$((E2E_XSERVERS + 1))
	n=$E2E_XSERVERS
	Xorg -displayfd 9 -config "$conf" -noreset -nolisten tcp -logfile "$E2E_TMP/xorg-$n.log" 9>"$E2E_TMP/xorg-$n.display" \
		>"$E2E_TMP/xorg-$n.out" 2>&1 &
	track $!
	wait_for 15 grep -q '^[0-9]' "$E2E_TMP/xorg-$n.display" || fail "Xorg did not start (see xorg-$n.log)"
	XDISPLAY=":$(head -1 "$E2E_TMP/xorg-$n.display")"
	wait_for 15 xdpyinfo -display "$XDISPLAY" || fail "Xorg $XDISPLAY does not answer (see xorg-$n.log)"
	# A monitor naming the output replaces the output's own; RIGHT has no output of its own.
	DISPLAY=$XDISPLAY xrandr --setmonitor LEFT 800/211x600/159+0+0 DUMMY0 >/dev/null &&
		DISPLAY=$XDISPLAY xrandr --setmonitor RIGHT 800/211x600/159+800+0 none >/dev/null ||
		fail "xrandr could not split $XDISPLAY into two monitors"
	[ "$(DISPLAY=$XDISPLAY xrandr --listmonitors | head -1)" = "Monitors: 2" ] ||
		fail "Xorg $XDISPLAY does not show two monitors"
}

# start_rfbevil MODE SUMMARY: tests/tools/rfbevil as the customer's VNC
# server in MODE (the mode file $E2E_TMP/mode can be rewritten later), on a
# new ticket reached through the real relay by tests/tools/fakehelper. Sets
# EVIL_PORT, TICKET and CODE.
start_rfbevil() {
	EVIL_PORT=$(free_port) || fail "no free port"
	echo "$1" >"$E2E_TMP/mode"
	"$TOOLS/rfbevil" "$EVIL_PORT" "@$E2E_TMP/mode" >"$E2E_TMP/evil.out" 2>&1 &
	track $!
	wait_line 10 "$E2E_TMP/evil.out" "^listening" || fail "rfbevil did not start"
	new_ticket_code "$2"
	"$TOOLS/fakehelper" "$RELAY_HOST:$RELAY_PORT" "$RELAY_FP" "$CODE" "$EVIL_PORT" >"$E2E_TMP/fake.out" 2>&1 &
	track $!
	wait_line 15 "$E2E_TMP/fake.out" "^live" || fail "fakehelper did not go live: $(cat "$E2E_TMP/fake.out")"
}

# The technician's SDL window on $TECH_X (tests that look at handoff-tech's window).
# start_tech_window ARGS...: `handoff-tech view $TICKET ARGS` there; sets win.
# SDL and the X libraries keep allocations until exit that are not ours.
start_tech_window() {
	DISPLAY=$TECH_X ASAN_OPTIONS=detect_leaks=0 "$BIN/handoff-tech" --relay "$RELAY_HOST:$RELAY_PORT" \
		--identity "$E2E_TMP/alice" --host-key "$RELAY_FP" view "$TICKET" "$@" \
		</dev/null >"$E2E_TMP/window.out" 2>>"$E2E_TMP/window.log" &
	win=$!
	track $win
}
# tech_window_geom TITLE-PATTERN: "W H X Y" of the viewer window whose title matches.
tech_window_geom() {
	DISPLAY=$TECH_X xwininfo -root -tree |
		sed -n "s/.*\"Handoff.*ticket [0-9]* .* $1\".*  \([0-9]*\)x\([0-9]*\)+\([0-9-]*\)+\([0-9-]*\).*/\1 \2 \3 \4/p" | head -1
}
# wait_tech_window TITLE W H: waits until that window has that size; sets ww wh wx wy.
wait_tech_window() {
	wait_for 15 sh -c "DISPLAY=$TECH_X xwininfo -root -tree | grep -q '\"Handoff.*$1\".* $2x$3+'" ||
		fail "the window never became $2x$3 ($1): $(tech_window_geom "$1")"
	read -r ww wh wx wy <<<"$(tech_window_geom "$1")"
}
# click_scaled RW RH RX RY: with the viewer window at ww wh wx wy (its 4-pixel
# frame included) showing an RW x RH picture scaled with its aspect kept,
# clicks where remote pixel RX,RY is shown and checks that the customer's
# xprobe saw the click within 2 pixels of it. Sets pw ph (the picture's
# size in the window) and bx by (where the click landed).
click_scaled() {
	local rw=$1 rh=$2 rx=$3 ry=$4 ox oy before
	pw=$(((wh - 8) * rw / rh))
	[ "$pw" -le $((ww - 8)) ] || pw=$((ww - 8))
	ph=$((pw * rh / rw))
	ox=$((wx + (ww - pw) / 2))
	oy=$((wy + (wh - ph) / 2))
	before=$(grep -c "^button 1 " "$E2E_TMP/xprobe.out")
	DISPLAY=$TECH_X xdotool mousemove $((ox + rx * pw / rw + 1)) $((oy + ry * ph / rh + 1)) click 1 ||
		fail "xdotool click failed"
	wait_count 10 "$E2E_TMP/xprobe.out" "^button 1 " $((before + 1)) || fail "the scaled click did not arrive"
	read -r bx by <<<"$(sed -n 's/^button 1 \([0-9]*\) \([0-9]*\)$/\1 \2/p' "$E2E_TMP/xprobe.out" | tail -1)"
	local dx=$((bx - rx)) dy=$((by - ry))
	[ "${dx#-}" -le 2 ] && [ "${dy#-}" -le 2 ] ||
		fail "a click at the scaled position of $rx,$ry (picture ${pw}x${ph} in ${ww}x${wh}) landed on $bx,$by"
}
# tech_px X Y: the colour of the technician's display at X,Y, as rrggbb.
tech_px() {
	DISPLAY=$TECH_X "$TOOLS/xprobe" pixel "$1" "$2" | sed 's/^pixel #//'
}

# draw_pattern: xprobe's test pattern on $XDISPLAY, drawn before it returns.
draw_pattern() {
	DISPLAY=$XDISPLAY "$TOOLS/xprobe" pattern >"$E2E_TMP/xprobe.out" 2>&1 &
	track $!
	wait_line 10 "$E2E_TMP/xprobe.out" "^ready" || fail "xprobe did not draw"
}

# start_ssh_tunnel: a stock OpenSSH `ssh -L` as alice to ticket $TICKET;
# sets lport, the local port any VNC client can use.
start_ssh_tunnel() {
	lport=$(free_port) || fail "no free port"
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -i "$E2E_TMP/alice" -N -L "127.0.0.1:$lport:ticket-$TICKET:5900" handoff@$RELAY_HOST \
		2>"$E2E_TMP/ssh-L.log" &
	track $!
	wait_for 10 sh -c "ss -ltn 'sport = :$lport' | grep -q $lport" || fail "ssh -L did not listen"
}

# new_key NAME: an Ed25519 key pair at $E2E_TMP/NAME(.pub)
new_key() {
	ssh-keygen -q -t ed25519 -N '' -C "$1@handoff-test" -f "$E2E_TMP/$1"
}

# start_relay [CONFIG-LINE...]: a relay home with technician alice (L1);
# sets RELAY_DIR RELAY_PORT RELAY_FP RELAY_PID RELAY_LOG.
start_relay() {
	RELAY_DIR="$E2E_TMP/${RELAY_NAME:-relay}"
	RELAY_PORT=$(free_port) || fail "no free port"
	# As root (CI), the relay refuses to run as root: its home belongs to nobody, whom serve
	# becomes after binding; the test folder must then be passable (not readable) for nobody.
	local as_user=()
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$E2E_TMP"
		as_user=(--user nobody)
	fi
	"$BIN/handoff-relay" init "$RELAY_DIR" --listen "$RELAY_HOST:$RELAY_PORT" "${as_user[@]}" >"$RELAY_DIR.init" ||
		fail "relay init failed"
	RELAY_FP=$(sed -n 's/^host key fingerprint: //p' "$RELAY_DIR.init")
	[ -n "$RELAY_FP" ] || fail "relay init printed no fingerprint"
	for line in "$@"; do
		echo "$line" >>"$RELAY_DIR/relay.conf"
	done
	[ -f "$E2E_TMP/alice" ] || new_key alice
	# The auditors' recording key: made off the relay, only its public half installed.
	[ -f "$E2E_TMP/recording.key" ] ||
		"$BIN/handoff-tech" keygen --out "$E2E_TMP/recording.key" >/dev/null || fail "keygen failed"
	"$BIN/handoff-relay" recording-key "$RELAY_DIR" "$E2E_TMP/recording.key.pub" >/dev/null ||
		fail "recording-key failed"
	"$BIN/handoff-relay" user add "$RELAY_DIR" alice --role tech --tier L1 --key "$E2E_TMP/alice.pub" \
		>/dev/null || fail "user add failed"
	RELAY_LOG="$RELAY_DIR.log"
	local try
	for try in 1 2 3 4 5; do
		"$BIN/handoff-relay" serve "$RELAY_DIR" >"$RELAY_DIR.out" 2>"$RELAY_LOG" &
		RELAY_PID=$!
		track $RELAY_PID
		wait_for 10 relay_settled
		grep -q serving "$RELAY_DIR.out" && break
		# Its port was taken between free_port and the bind (by something outside the tests).
		grep -q "cannot listen on" "$RELAY_LOG" && ! kill -0 "$RELAY_PID" 2>/dev/null && [ "$try" -lt 5 ] ||
			fail "relay did not start: $(cat "$RELAY_LOG")"
		RELAY_PORT=$(free_port) || fail "no free port"
		sed -i "s/^listen = .*/listen = $RELAY_HOST:$RELAY_PORT/" "$RELAY_DIR/relay.conf"
		note "the relay's port was taken; trying $RELAY_PORT"
	done
}

# relay_settled: the relay says it serves, or it has exited.
relay_settled() {
	grep -q serving "$RELAY_DIR.out" || ! kill -0 "$RELAY_PID" 2>/dev/null
}

# restart_relay: serves the same relay home again (after stop_relay or a kill -9).
restart_relay() {
	: >"$RELAY_DIR.out" # emptied here, so the last run's "serving" is not mistaken for this one's
	"$BIN/handoff-relay" serve "$RELAY_DIR" >>"$RELAY_DIR.out" 2>>"$RELAY_LOG" &
	RELAY_PID=$!
	track $RELAY_PID
	wait_line 10 "$RELAY_DIR.out" "serving" || fail "the relay did not restart: $(tail -5 "$RELAY_LOG")"
}

# new_relay_home NAME [LINE...]: another relay's home (for a second relay on the same store: its users
# are the store's, so none is added), LINEs appended to its relay.conf, the auditors' recording key
# installed; sets RELAY_DIR RELAY_PORT RELAY_FP RELAY_LOG. restart_relay serves it.
new_relay_home() {
	local as_user=() line
	RELAY_DIR=$E2E_TMP/$1
	shift
	RELAY_PORT=$(free_port) || fail "no free port"
	[ "$(id -u)" != 0 ] || as_user=(--user nobody)
	"$BIN/handoff-relay" init "$RELAY_DIR" --listen "$RELAY_HOST:$RELAY_PORT" "${as_user[@]}" >"$RELAY_DIR.init" ||
		fail "init of $RELAY_DIR failed"
	RELAY_FP=$(sed -n 's/^host key fingerprint: //p' "$RELAY_DIR.init")
	for line in "$@"; do
		echo "$line" >>"$RELAY_DIR/relay.conf"
	done
	"$BIN/handoff-relay" recording-key "$RELAY_DIR" "$E2E_TMP/recording.key.pub" >/dev/null ||
		fail "recording-key for $RELAY_DIR failed"
	RELAY_LOG=$RELAY_DIR.log
}

# stop_relay: SIGTERM, wait, and fail on a non-zero exit (LeakSanitizer reports exit non-zero).
stop_relay() {
	kill -TERM "$RELAY_PID" 2>/dev/null
	local rc=0
	wait "$RELAY_PID" || rc=$?
	[ "$rc" = 0 ] || fail "relay exited with $rc: $(tail -30 "$RELAY_LOG")"
}

ssh_opts() {
	echo "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -p $RELAY_PORT"
}

# tech_ssh KEY COMMAND...: a stock OpenSSH client running a relay command.
tech_ssh() {
	local key=$1
	shift
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -i "$E2E_TMP/$key" "handoff@$RELAY_HOST" "$@"
}

tech() {
	"$BIN/handoff-tech" --relay "$RELAY_HOST:$RELAY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" "$@"
}

new_ticket_code() {
	TICKET=$(tech_ssh alice ticket new "$1") || fail "ticket new failed"
	CODE=$(tech_ssh alice invite "$TICKET") || fail "invite failed"
}

# try_helper NAME CODE [ARGS...]: a helper run expected to end by itself (refusals);
# sets HELPER_RC and leaves its stderr in $E2E_TMP/NAME.err.
try_helper() {
	local name=$1 code=$2
	shift 2
	HELPER_RC=0
	timeout 20 "$BIN/handoff-helper" --relay "$RELAY_HOST:$RELAY_PORT" --host-key "$RELAY_FP" --code "$code" \
		--display "$XDISPLAY" --ui tty "$@" </dev/null >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" ||
		HELPER_RC=$?
}

# start_helper CODE [NAME [ARGS...]]: the customer's helper on $XDISPLAY, answering consent
# from a fifo; ARGS go to the helper. Sets HELPER_PID HELPER_OUT HELPER_IN (write answers to
# it: echo y >&7).
start_helper() {
	local code=$1 name=${2:-helper}
	shift
	[ $# -gt 0 ] && shift
	HELPER_OUT="$E2E_TMP/$name.out"
	HELPER_IN="$E2E_TMP/$name.in"
	rm -f "$HELPER_IN"
	mkfifo "$HELPER_IN"
	"${CUST_RUN[@]}" "$BIN/handoff-helper" --relay "$RELAY_HOST:$RELAY_PORT" --host-key "$RELAY_FP" --code "$code" \
		--display "$XDISPLAY" --ui tty "$@" <"$HELPER_IN" >"$HELPER_OUT" 2>"$E2E_TMP/$name.log" &
	HELPER_PID=$!
	track $HELPER_PID
	exec 7>"$HELPER_IN"
}

# start_viewer TICKET: a headless handoff-tech viewer for alice, driven through a fifo (fd 8).
start_viewer() {
	start_viewer_as alice "$1"
}

# viewer_cmd SECONDS COMMAND: sends one headless command and waits for its answer line.
viewer_cmd() {
	local before
	before=$(grep -c -E '^(ok|error)' "$VIEWER_OUT" 2>/dev/null || true)
	echo "$2" >&8
	wait_count "$1" "$VIEWER_OUT" '^ok\|^error' $((before + 1)) ||
		fail "viewer did not answer '$2': $(tail -5 "$E2E_TMP/viewer.log")"
	local answer
	answer=$(grep -E '^(ok|error)' "$VIEWER_OUT" | tail -1)
	case "$answer" in
	ok*) ;;
	*) fail "viewer answered '$answer' to '$2'" ;;
	esac
}

# stats_until SECONDS PATTERN: asks the viewer for its stats once a second until they match
# (the viewer measures its round trip once a second, so the sleep is its pace, not a wait).
stats_until() {
	local i
	for i in $(seq 1 "$1"); do
		viewer_cmd 60 stats
		grep '^ok rtt' "$VIEWER_OUT" | tail -1 | grep -q "$2" && return 0
		sleep 1
	done
	return 1
}

# clip_viewer NAME ANSWER ARGS...: a vncclip viewer through the tunnel's $lport, the customer
# answering its consent prompt with ANSWER. Sets CLIP_PID.
clip_viewer() {
	local name=$1 answer=$2 n
	shift 2
	n=$(grep -c "^CONSENT" "$HELPER_OUT")
	"$TOOLS/vncclip" 127.0.0.1 "$lport" 30 "$@" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" &
	CLIP_PID=$!
	track $CLIP_PID
	wait_count 15 "$HELPER_OUT" "^CONSENT" $((n + 1)) || fail "$name: no consent prompt"
	echo "$answer" >&7
}

open_fds() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# steady SECONDS COMMAND...: COMMAND's output once it has stopped changing (the same in three
# runs 0.1 s apart), for a value that settles after the event a test can see (a window being
# laid out, connections still closing); fails when it still changes after SECONDS.
steady() {
	local limit=$1 out last="" same=0 i=0
	shift
	while [ "$i" -lt $((limit * 10)) ]; do
		out=$("$@" 2>/dev/null)
		if [ "$out" = "$last" ]; then
			same=$((same + 1))
			if [ "$same" -ge 2 ]; then
				echo "$out"
				return 0
			fi
		else
			same=0
		fi
		last=$out
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# settled_fds PID: the process's descriptor count once it has stopped changing, for a baseline
# taken while connections may still be closing.
settled_fds() {
	steady 10 open_fds "$1" || {
		echo "  the descriptors of $1 never settled: $(open_fds "$1")" >&2
		return 1
	}
}

# fds_at_most PID N: the process has N or fewer open descriptors.
fds_at_most() {
	test "$(open_fds "$1")" -le "$2"
}

# add_user NAME ROLE [TIER]: a key pair and a registered relay user.
add_user() {
	[ -f "$E2E_TMP/$1" ] || new_key "$1"
	if [ "$2" = auditor ] || [ "$2" = desk ]; then
		"$BIN/handoff-relay" user add "$RELAY_DIR" "$1" --role "$2" --key "$E2E_TMP/$1.pub" >/dev/null
	else
		"$BIN/handoff-relay" user add "$RELAY_DIR" "$1" --role tech --tier "$3" --key "$E2E_TMP/$1.pub" >/dev/null
	fi || fail "user add $1 failed"
}

# as USER COMMAND...: a relay command through handoff-tech as USER.
as() {
	local user=$1
	shift
	"$BIN/handoff-tech" --relay "$RELAY_HOST:$RELAY_PORT" --identity "$E2E_TMP/$user" --host-key "$RELAY_FP" "$@"
}

# start_viewer_as USER TICKET [NAME [VIEW-ARGS...]]: a headless viewer for USER; commands go
# to fd 8. It runs the binary itself, not the `as` function, so $! is the viewer's pid.
start_viewer_as() {
	VIEWER_OUT="$E2E_TMP/${3:-viewer}.out"
	VIEWER_IN="$E2E_TMP/${3:-viewer}.in"
	rm -f "$VIEWER_IN"
	mkfifo "$VIEWER_IN"
	# shellcheck disable=SC2086 # VIEWER_OPTS: the program's own options (--verbose), word by word
	"$BIN/handoff-tech" ${VIEWER_OPTS:-} --relay "$RELAY_HOST:$RELAY_PORT" --identity "$E2E_TMP/$1" --host-key "$RELAY_FP" \
		view "$2" --headless "${@:4}" <"$VIEWER_IN" >"$VIEWER_OUT" 2>"$E2E_TMP/${3:-viewer}.log" &
	VIEWER_PID=$!
	track $VIEWER_PID
	exec 8>"$VIEWER_IN"
}

# share_with_viewer: the helper for $CODE connects, a headless viewer of
# alice's asks, the customer allows view and control, the first frame arrives.
share_with_viewer() {
	start_helper "$CODE"
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
	start_viewer "$TICKET"
	wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
	echo y >&7
	viewer_cmd 20 "wait-frame"
}

# relay_clock SECONDS: sets the relay's test clock (the offset in HANDOFF_CLOCK_OFFSET_FILE) and
# waits until the relay has taken it: it rereads the file once a tick and logs each change.
relay_clock() {
	local now before
	now=$(cat "$HANDOFF_CLOCK_OFFSET_FILE" 2>/dev/null || true)
	[ "${now:-0}" = "$1" ] && return 0
	before=$(grep -c "the test clock is now offset by $1 s\$" "$RELAY_LOG" || true)
	echo "$1" >"$HANDOFF_CLOCK_OFFSET_FILE"
	wait_count 10 "$RELAY_LOG" "the test clock is now offset by $1 s\$" $((before + 1)) ||
		fail "the relay did not take the clock offset $1: $(tail -3 "$RELAY_LOG")"
}

# start_postgres: a PostgreSQL server of this test's own (tests/postgres.sh: Unix socket only,
# in $E2E_TMP/pg, as nobody when root, stopped at exit); sets PG_URL, for start_relay
# "store = $PG_URL", and from then on db_query asks it instead of the relay's handoff.db.
start_postgres() {
	# As root the server runs as nobody, who must pass through the test folder.
	[ "$(id -u)" != 0 ] || chmod 711 "$E2E_TMP"
	PG_URL=$(sh "$E2E_LIB_DIR/../postgres.sh" start "$E2E_TMP/pg") || fail "PostgreSQL did not start"
}

# postgres_down, postgres_up: the test's PostgreSQL server stopped (its data kept) and started again.
postgres_down() {
	sh "$E2E_LIB_DIR/../postgres.sh" down "$E2E_TMP/pg" || fail "PostgreSQL did not stop"
}
postgres_up() {
	sh "$E2E_LIB_DIR/../postgres.sh" up "$E2E_TMP/pg" || fail "PostgreSQL did not start again"
}

# db_query SQL: one query's rows, |-separated, from the store (PostgreSQL when started, else handoff.db).
db_query() {
	if [ -n "$PG_URL" ]; then
		psql -X -A -t -q -d "$PG_URL" -c "$1"
	else
		sqlite3 "$RELAY_DIR/handoff.db" "$1"
	fi
}

# event_count TICKET KIND: how many events of KIND the ticket has (read from the database).
event_count() {
	db_query "SELECT count(*) FROM events WHERE ticket_id=$1 AND kind='$2'"
}

# events_are TICKET KIND N: the ticket has exactly N events of KIND.
events_are() {
	[ "$(event_count "$1" "$2")" = "$3" ]
}

# wait_events SECONDS TICKET KIND N: waits until the ticket has exactly N events of KIND.
wait_events() {
	wait_for "$1" events_are "$2" "$3" "$4"
}
