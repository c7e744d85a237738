# The WAN bench (BENCH_PARTS=wan), sourced by bench/run.sh after latency.sh.
#
# The customer's side runs in a network namespace of its own whose only way
# out is a link emulated packet by packet (bench/linkemu.c: two TUN devices,
# rate, delay, jitter and loss per direction, a bottleneck queue). The desk
# (relay, sshd for the peers, the measuring viewer) stays in the bench's
# namespace on the link's other end. Xvfb and the workload are shared: X
# reaches both namespaces through its socket file, as a customer's own
# programs reach their own display, so only the sharing crosses the link.
#
# Links (the customer's down/up, round trip, loss, jitter):
#   a  20 Mbit/s / 5 Mbit/s, 30 ms                   (home DSL, cable)
#   b   5 Mbit/s / 1 Mbit/s, 80 ms, 0.5 % loss       (4G, a busy hotel)
#   c   2 Mbit/s both ways, 150 ms, 1 % loss, 30 ms jitter   (bad Wi-Fi far away)
# The screen travels up: the customer's upload is what the picture gets.
# Tuning: BENCH_LINKS (default "a b c"), BENCH_WAN_WORKLOADS (default
# "typing scroll full idle"), BENCH_WAN_SYSTEMS (comma-separated, default
# handoff and both peers through sshd).

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

# wan_up LINK: the customer's namespace behind the link; sets CUST_RUN,
# RELAY_HOST and SSHD_HOST to the desk's end, WAN_NS and WAN_EMU (pid).
wan_up() {
	local args net=$(($$ % 200 + 20))
	args=$(wan_link_args "$1") || fail "no link $1 (a, b or c)"
	WAN_NS="handoff-cust-$$"
	WAN_A="hwa$$"
	WAN_B="hwb$$"
	WAN_DESK="10.77.$net.2"
	WAN_CUST="10.77.$net.1"
	ip netns add "$WAN_NS" || fail "cannot make the network namespace $WAN_NS (root needed)"
	rm -f "$E2E_TMP/linkemu.in"
	mkfifo "$E2E_TMP/linkemu.in"
	# shellcheck disable=SC2086
	"$BENCH/linkemu" --tun-a "$WAN_A" --tun-b "$WAN_B" $args --seed 1 <"$E2E_TMP/linkemu.in" \
		>"$E2E_TMP/linkemu.out" 2>"$E2E_TMP/linkemu-$1.err" &
	WAN_EMU=$!
	track $WAN_EMU
	# Its stdin: the emulator ends when the bench closes this, whatever else happens.
	exec 6>"$E2E_TMP/linkemu.in"
	wait_line 10 "$E2E_TMP/linkemu.out" "^ready" || fail "linkemu did not start: $(cat "$E2E_TMP/linkemu-$1.err")"
	ip link set "$WAN_A" netns "$WAN_NS" || fail "cannot move $WAN_A into $WAN_NS"
	ip -n "$WAN_NS" link set lo up
	ip -n "$WAN_NS" addr add "$WAN_CUST" peer "$WAN_DESK" dev "$WAN_A"
	ip -n "$WAN_NS" link set "$WAN_A" mtu 1500 up
	ip addr add "$WAN_DESK" peer "$WAN_CUST" dev "$WAN_B"
	ip link set "$WAN_B" mtu 1500 up
	CUST_RUN=(ip netns exec "$WAN_NS")
	RELAY_HOST=$WAN_DESK
	SSHD_HOST=$WAN_DESK
	wan_reaches() { "${CUST_RUN[@]}" ip route get "$WAN_DESK" >/dev/null 2>&1; }
	wait_for 10 wan_reaches || fail "the customer's namespace has no route to $WAN_DESK"
}

wan_down() {
	exec 6>&-
	wait "$WAN_EMU" 2>/dev/null
	sed 's/^/  /' "$E2E_TMP/linkemu-$1.err"
	ip netns del "$WAN_NS" 2>/dev/null
	CUST_RUN=()
	RELAY_HOST=127.0.0.1
	SSHD_HOST=127.0.0.1
}

wan_bench() {
	local link wl sys systems
	# The loopback parts' sshd comes back afterwards: splice runs after this.
	local keep_pid=${SSHD_PID:-} keep_port=${SSHD_PORT:-} keep_opts=${SSHD_OPTS:-}
	IFS=, read -r -a systems <<<"${BENCH_WAN_SYSTEMS:-handoff,x0vncserver via sshd,x11vnc via sshd}"
	: >"$WAN_ROWS"
	[ -n "${XDISPLAY:-}" ] || start_xvfb 1280 800
	for link in ${BENCH_LINKS:-a b c}; do
		echo
		echo "WAN link $(wan_link_label "$link"): ${LAT_SECONDS} s per workload"
		wan_up "$link"
		# The peers' relay listens on both ends: ssh -R comes over the link, ssh -L from here.
		SSHD_EXTRA_LISTEN=$WAN_DESK start_sshd
		LAT_ROWS="$E2E_TMP/wan-$link.rows"
		: >"$LAT_ROWS"
		for wl in ${BENCH_WAN_WORKLOADS:-typing scroll full idle}; do
			for sys in "${systems[@]}"; do
				lat_row "$sys" "$wl"
			done
		done
		stop_pids "$SSHD_PID"
		wan_down "$link"
		sed "s/^| /| $link | /" "$LAT_ROWS" >>"$WAN_ROWS"
	done
	LAT_ROWS=""
	SSHD_PID=$keep_pid SSHD_PORT=$keep_port SSHD_OPTS=$keep_opts
}

wan_table() {
	echo "| link | system | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire | CPU sharing side % | CPU relay % | relay peak RSS MB | final PSNR dB | exact pixels % | settled ms |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$WAN_ROWS"
}
