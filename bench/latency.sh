# The end-to-end benchmark, sourced by bench/run.sh (which has sourced
# tests/e2e/lib.sh and started sshd; see start_sshd there).
#
# One Xvfb 1280x800; for every system and every workload, fresh processes:
# the workload X client (tests/tools/workload.c) draws numbered frames, the system
# under test shares the screen, and the measuring viewer (bench/vncmeter.c)
# notes when each frame number first shows in its framebuffer. Both use
# CLOCK_MONOTONIC on this machine, so latency is one clock's difference.
#
# Systems:
#   handoff          handoff-helper -> handoff-relay -> ssh -L (stock OpenSSH) -> viewer
#   handoff direct   the helper's capture and libvncserver with a TCP port
#                    (bench/helper_direct.c): no SSH, no relay
#   handoff wayland (wlr)   the same on sway (BENCH_PARTS=wayland, bench/wayland.sh)
#   handoff windows (Wine)  handoff-helper.exe under Wine on the same Xvfb, with a Windows
#                    workload (BENCH_PARTS=windows, bench/windows.sh)
#   x11vnc, x0vncserver             viewer straight to the server's port
#   x11vnc, x0vncserver via sshd    ssh -R on the sharing side, sshd as relay, ssh -L
# CPU is utime+stime from /proc over the workload's SECONDS, in % of one
# core: "sharing" is the server (plus its ssh -R when tunnelled; the helper
# does its own SSH), "relay" is handoff-relay or sshd and its children.
# Peak memory is VmHWM of the relay (summed over sshd's processes).

LAT_SECONDS=${BENCH_SECONDS:-6}
LAT_GRACE=2
LAT_SYSTEMS=("handoff" "handoff direct" "x0vncserver" "x0vncserver via sshd" "x11vnc" "x11vnc via sshd")
[ -n "${BENCH_SYSTEMS:-}" ] && IFS=, read -r -a LAT_SYSTEMS <<<"$BENCH_SYSTEMS"

# cpu_ticks PID...: utime+stime summed (fields after the command name, which may hold spaces).
cpu_ticks() {
	local t=0 pid v
	for pid in "$@"; do
		v=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# hwm_kb PID...: peak resident memory summed.
hwm_kb() {
	local t=0 pid v
	for pid in "$@"; do
		v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# tree PID: the process and all its descendants.
tree() {
	local p
	echo "$1"
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		tree "$p"
	done
}

# wait_port PORT: something listens on 127.0.0.1:PORT.
wait_port() {
	wait_for 15 sh -c "ss -ltn 'sport = :$1' | grep -q ':$1 '"
}

# wait_port_shared PORT: the same on the sharing side (the customer's namespace in the WAN bench).
wait_port_shared() {
	wait_for 15 "${CUST_RUN[@]}" sh -c "ss -ltn 'sport = :$1' | grep -q ':$1 '"
}

# stop_pids PID...: TERM, then KILL what is left.
stop_pids() {
	local pid
	for pid in "$@"; do kill "$pid" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && return 0
		sleep 0.1
	done
	for pid in "$@"; do kill -9 "$pid" 2>/dev/null; done
}

# tunnel VNCPORT: ssh -R on the sharing side and ssh -L on the viewer's,
# through sshd; sets TUN_PORT (the viewer's port) and TUN_R TUN_L (pids).
tunnel() {
	local mid
	mid=$(free_port)
	TUN_PORT=$(free_port)
	# shellcheck disable=SC2086
	"${CUST_RUN[@]}" ssh $SSHD_OPTS -N -R "127.0.0.1:$mid:127.0.0.1:$1" "root@${SSHD_HOST:-127.0.0.1}" &
	TUN_R=$!
	track $TUN_R
	wait_port "$mid" || fail "ssh -R did not listen"
	# shellcheck disable=SC2086
	ssh $SSHD_OPTS -N -L "127.0.0.1:$TUN_PORT:127.0.0.1:$mid" root@127.0.0.1 &
	TUN_L=$!
	track $TUN_L
	wait_port "$TUN_PORT" || fail "ssh -L did not listen"
}

# lat_go SYSTEM PID: the workload's go, then its end: SIGUSR1, or a line on the Windows
# workload's stdin (fd 9, closed after the end).
lat_go() {
	case "$1" in
	"handoff windows"*)
		if [ -n "${LAT_WIN_STARTED:-}" ]; then
			echo end >&9
			exec 9>&-
			LAT_WIN_STARTED=""
		else
			echo go >&9
			LAT_WIN_STARTED=1
		fi
		;;
	*) kill -USR1 "$2" ;;
	esac
}

# lat_row SYSTEM WORKLOAD: one measured run; appends a line to $LAT_ROWS.
lat_row() {
	local sys=$1 wl=$2 port vport share="" relay="" extra="" row="$E2E_TMP/lat-${LAT_TAG:-}$1-$2"
	row=${row//[ (),]/_}
	local frames="$row.frames" xdisplay=$XDISPLAY
	case "$sys" in
	"handoff wayland"*)
		# On the Wayland desktop (bench/wayland.sh), as its user: its OUT where that user writes.
		frames="$WL_DIR/$(basename "$row").frames"
		xdisplay=""
		wl_exec "$WL_TOOLS/wlworkload" "$wl" "$LAT_SECONDS" "$frames" hold >"$row.wl" 2>&1 &
		;;
	"handoff windows"*)
		# Under Wine (bench/windows.sh): the go and the end on its stdin (fd 9), its times on
		# CLOCK_MONOTONIC_RAW until lat_wine_frames moves them.
		rm -f "$row.win"
		mkfifo "$row.win"
		wine "$WIN/tests/winworkload.exe" "$wl" "$LAT_SECONDS" "Z:$row.wframes" hold <"$row.win" >"$row.wl" 2>&1 &
		exec 9>"$row.win"
		;;
	*) DISPLAY=$XDISPLAY "$TOOLS/workload" "$wl" "$LAT_SECONDS" "$frames" hold >"$row.wl" 2>&1 & ;;
	esac
	local wpid=$!
	track $wpid
	wait_line 20 "$row.wl" "^ready" || fail "workload $wl did not start: $(cat "$row.wl")"

	case "$sys" in
	handoff | "handoff wayland"* | "handoff windows"*)
		local backend=${sys#handoff}
		RELAY_NAME="relay-${LAT_TAG:-}${backend//[ ()]/}$wl" start_relay ${LAT_RELAY_CONF:+"$LAT_RELAY_CONF"}
		new_ticket_code "bench $wl"
		case "$sys" in
		handoff) start_helper "$CODE" "helper-$wl" ;;
		"handoff windows"*) start_win_helper "$CODE" "winhelper-$wl" ;;
		*)
			# LAT_WL_CAPTURE: which Wayland backend (LAT_WL_DIALOG, below, answers the desktop's own
			# question where it asks one).
			start_wl_helper "$CODE" --capture "${LAT_WL_CAPTURE:-wayland}"
			;;
		esac
		wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "${HELPER_OUT%.out}.log")"
		vport=$(free_port)
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N -L "127.0.0.1:$vport:ticket-$TICKET:5900" "handoff@$RELAY_HOST" &
		extra=$!
		track "$extra"
		wait_port "$vport" || fail "ssh -L to the relay did not listen"
		share=$HELPER_PID
		relay=$RELAY_PID
		;;
	"handoff direct")
		vport=$(free_port)
		"$BENCH/helper_direct" "$XDISPLAY" "$vport" >"$row.srv" 2>&1 &
		share=$!
		track "$share"
		wait_line 10 "$row.srv" "^listening" || fail "helper_direct did not start: $(cat "$row.srv")"
		;;
	x11vnc*)
		port=$(free_port)
		"${CUST_RUN[@]}" x11vnc -display "$XDISPLAY" -rfbport "$port" -localhost -shared -forever -nopw -quiet \
			>"$row.srv" 2>&1 &
		share=$!
		track "$share"
		wait_port_shared "$port" || fail "x11vnc did not listen: $(tail -5 "$row.srv")"
		vport=$port
		;;
	x0vncserver*)
		port=$(free_port)
		"${CUST_RUN[@]}" X0tigervnc -display "$XDISPLAY" -rfbport "$port" -SecurityTypes None -localhost \
			-interface 127.0.0.1 >"$row.srv" 2>&1 &
		share=$!
		track "$share"
		wait_port_shared "$port" || fail "x0vncserver did not listen: $(tail -5 "$row.srv")"
		vport=$port
		;;
	esac
	case "$sys" in
	*"via sshd")
		tunnel "$port"
		vport=$TUN_PORT
		share="$share $TUN_R"
		extra="$TUN_R $TUN_L"
		;;
	esac

	# The final picture is held against the X screen only; on Wayland nothing reads the screen back.
	"$BENCH/vncmeter" 127.0.0.1 "$vport" $((LAT_SECONDS + LAT_GRACE)) "$row.seen" ${xdisplay:+"$xdisplay"} >"$row.vm" 2>"$row.vmerr" &
	local vm=$!
	track $vm
	case "$sys" in
	handoff | "handoff wayland"* | "handoff windows"*)
		wait_line 30 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
		echo y >&7
		;;
	esac
	case "$sys" in
	"handoff wayland"*)
		# GNOME's portal asks after the customer's yes; the screen is captured once it is answered.
		[ -z "${LAT_WL_DIALOG:-}" ] || "$LAT_WL_DIALOG"
		wait_line 30 "$E2E_TMP/helper.log" "capturing Wayland" ||
			fail "$sys: the helper captures no Wayland: $(grep capturing "$E2E_TMP/helper.log")"
		;;
	esac
	wait_line 30 "$row.vm" "^ready" || fail "$sys: the viewer got no first screen: $(cat "$row.vmerr")"
	case "$sys" in
	*"via sshd") relay=$(tree "$SSHD_PID") ;;
	esac
	local s0 r0 s1 r1 hwm=0
	# shellcheck disable=SC2086
	s0=$(cpu_ticks $share)
	# shellcheck disable=SC2086
	r0=$(cpu_ticks $relay)
	lat_go "$sys" "$wpid"
	wait_line $((LAT_SECONDS + 30)) "$row.wl" "^done" || fail "workload $wl did not finish: $(cat "$row.wl")"
	case "$sys" in
	"handoff windows"*) lat_wine_frames "$row.wframes" "$frames" ;;
	esac
	# shellcheck disable=SC2086
	s1=$(cpu_ticks $share)
	# shellcheck disable=SC2086
	r1=$(cpu_ticks $relay)
	# The last frame stays up until the viewer has held its picture against it.
	wait "$vm" 2>/dev/null
	lat_go "$sys" "$wpid"
	wait "$wpid" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$relay" ] && hwm=$(hwm_kb $relay)
	local bytes psnr exact settled
	bytes=$(awk '/^bytes/ {print $2}' "$row.vm")
	read -r psnr exact settled < <(awk '/^quality/ {print $3, $5, $7}' "$row.vm")
	# shellcheck disable=SC2086
	stop_pids $extra $share
	case "$sys" in
	handoff | "handoff wayland"* | "handoff windows"*) exec 7>&- && stop_relay ;;
	esac
	# Latency of every frame seen (ms), frames/s, and the rest of the row.
	awk -v sys="$sys" -v wl="$wl" -v secs="$LAT_SECONDS" -v bytes="${bytes:-0}" \
		-v scpu=$((s1 - s0)) -v rcpu=$((r1 - r0)) -v hz="$(getconf CLK_TCK)" -v hwm="$hwm" -v relay="$relay" \
		-v psnr="${psnr:--}" -v exact="${exact:--}" -v settled="${settled:--}" -v bpf="${LAT_BPF:-0}" -v last="${LAT_LAST:-0}" '
		NR == FNR { w[$1] = $2; if ($1 + 0 > lastf + 0) lastf = $1; next }
		($1 in w) { lat[++n] = ($2 - w[$1]) / 1e6 }
		$1 == lastf { lastseen = $2 }
		END {
			# insertion sort: a few hundred values at most
			for (i = 2; i <= n; i++) { v = lat[i]; for (j = i - 1; j > 0 && lat[j] > v; j--) lat[j + 1] = lat[j]; lat[j + 1] = v }
			p50 = n ? sprintf("%.1f", lat[int((n - 1) * 0.50) + 1]) : "-"
			p95 = n ? sprintf("%.1f", lat[int((n - 1) * 0.95) + 1]) : "-"
			printf "| %s | %s | %s | %s | %.1f | %.0f | %.0f | %s | %s | %s | %s | %s |", sys, wl, p50, p95, n / secs,
				bytes / secs / 1000, scpu * 100 / hz / secs,
				relay == "" ? "-" : sprintf("%.0f", rcpu * 100 / hz / secs),
				relay == "" ? "-" : sprintf("%.1f", hwm / 1024), psnr, exact, settled
			# LAT_BPF: one more column, the bytes on the wire per frame seen.
			if (bpf) printf " %s |", n ? sprintf("%.0f", bytes / n) : "-"
			# LAT_LAST: one more column, how old the last frame of the motion was when the viewer showed it.
			if (last) printf " %s |", lastseen != "" ? sprintf("%.0f", (lastseen - w[lastf]) / 1e6) : "-"
			printf "\n"
		}' "$frames" "$row.seen" >>"$LAT_ROWS"
	echo "  $(tail -1 "$LAT_ROWS")"
}

latency_table() {
	LAT_ROWS="$E2E_TMP/latency.rows"
	: >"$LAT_ROWS"
	start_xvfb 1280 800
	echo
	echo "end to end: ${LAT_SECONDS} s per workload, Xvfb 1280x800, loopback"
	local wl sys
	for wl in ${BENCH_WORKLOADS:-typing scroll full full60 idle}; do
		for sys in "${LAT_SYSTEMS[@]}"; do
			lat_row "$sys" "$wl"
		done
	done
}

lat_header() {
	echo "| system | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire | CPU sharing side % | CPU relay % | relay peak RSS MB | final PSNR dB | exact pixels % | settled ms |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
}
