# The WAN bench (BENCH_PARTS=wan), sourced by bench/run.sh after latency.sh.
#
# The customer's side (the helper, or x0vncserver/x11vnc and their ssh -R)
# runs behind a link emulated packet by packet (tests/e2e/link_lib.sh and
# tests/tools/linkemu.c); the desk (relay, sshd for the peers, the measuring
# viewer) stays on the link's other end. Xvfb and the workload are shared:
# X reaches both sides through its socket file, as a customer's own programs
# reach their display, so only the sharing crosses the link.
#
# Links (the customer's down/up, round trip, loss, jitter):
#   a  20 Mbit/s / 5 Mbit/s, 30 ms                   (home DSL, cable)
#   b   5 Mbit/s / 1 Mbit/s, 80 ms, 0.5 % loss       (4G, a busy hotel)
#   c   2 Mbit/s both ways, 150 ms, 1 % loss, 30 ms jitter   (bad Wi-Fi far away)
# The screen travels up: the customer's upload is what the picture gets.
# Tuning: BENCH_LINKS (default "a b c"), BENCH_WAN_WORKLOADS (default
# "typing scroll full idle"), BENCH_WAN_SYSTEMS (comma-separated, default
# handoff and both peers through sshd), BENCH_WAN_SETTLE (seconds the meter
# waits for the picture to stop changing after the workload, default 40).

WAN_ROWS="$E2E_TMP/wan.rows"

wan_link_args() {
	case $1 in
	a) echo "--down 20000 --up 5000 --rtt 30" ;;
	b) echo "--down 5000 --up 1000 --rtt 80 --loss 0.5" ;;
	c) echo "--down 2000 --up 2000 --rtt 150 --loss 1 --jitter 30" ;;
	*) return 1 ;;
	esac
}

wan_link_label() {
	case $1 in
	a) echo "a: 20/5 Mbit/s, 30 ms" ;;
	b) echo "b: 5/1 Mbit/s, 80 ms, 0.5 % loss" ;;
	c) echo "c: 2/2 Mbit/s, 150 ms, 1 % loss, 30 ms jitter" ;;
	esac
}

wan_bench() {
	local link wl sys systems
	# A full screen's lossless refinement takes ~20 s at 1 Mbit/s: the final picture is read after it.
	local VNCMETER_SETTLE_SECONDS=${BENCH_WAN_SETTLE:-40}
	export VNCMETER_SETTLE_SECONDS
	# "No frame older than 500 ms after motion stops" (issue 21): the age of the motion's last frame when shown.
	local LAT_LAST=1
	# The loopback parts' sshd comes back afterwards: splice runs after this.
	local keep_pid=${SSHD_PID:-} keep_port=${SSHD_PORT:-} keep_opts=${SSHD_OPTS:-}
	IFS=, read -r -a systems <<<"${BENCH_WAN_SYSTEMS:-handoff,x0vncserver via sshd,x11vnc via sshd}"
	: >"$WAN_ROWS"
	[ -n "${XDISPLAY:-}" ] || start_xvfb 1280 800
	for link in ${BENCH_LINKS:-a b c}; do
		echo
		echo "WAN link $(wan_link_label "$link"): ${LAT_SECONDS} s per workload"
		wan_link_args "$link" >/dev/null || fail "no link $link (a, b or c)"
		# shellcheck disable=SC2046
		link_up "$link" $(wan_link_args "$link")
		SSHD_HOST=$LINK_DESK
		# The peers' relay listens on both ends: ssh -R comes over the link, ssh -L from here.
		SSHD_EXTRA_LISTEN=$LINK_DESK start_sshd
		LAT_ROWS="$E2E_TMP/wan-$link.rows"
		LAT_TAG="$link-"
		: >"$LAT_ROWS"
		for wl in ${BENCH_WAN_WORKLOADS:-typing scroll full idle}; do
			for sys in "${systems[@]}"; do
				lat_row "$sys" "$wl"
			done
		done
		stop_pids "$SSHD_PID"
		link_down
		SSHD_HOST=127.0.0.1
		sed "s/^| /| $link | /" "$LAT_ROWS" >>"$WAN_ROWS"
	done
	LAT_ROWS=""
	LAT_TAG=""
	SSHD_PID=$keep_pid SSHD_PORT=$keep_port SSHD_OPTS=$keep_opts
}

wan_table() {
	echo "| link | system | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire | CPU sharing side % | CPU relay % | relay peak RSS MB | final PSNR dB | exact pixels % | settled ms | last frame ms |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$WAN_ROWS"
}
