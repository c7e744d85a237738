# A customer behind a real-looking link, for the tests and the WAN bench
# (sourced after lib.sh). The customer's side runs in a network namespace of
# its own whose only way out is a link emulated packet by packet
# ($TOOLS/linkemu: two TUN devices, rate, delay, jitter and loss per
# direction, a bottleneck queue; this kernel has no netem). The desk (relay,
# viewers) stays in this namespace on the link's other end. X reaches both
# sides through its socket file, as a customer's own programs reach their
# display, so only what is shared crosses the link. Needs root.

# link_up NAME LINKEMU-ARGS...: sets CUST_RUN (runs a program on the
# customer's side), RELAY_HOST (the desk's end: start_relay listens there,
# start_helper connects there), LINK_DESK and LINK_CUST (the two addresses).
link_up() {
	local name=$1 net=$(($$ % 200 + 20))
	shift
	[ "$(id -u)" = 0 ] || fail "the emulated link needs root (network namespaces and TUN devices)"
	[ -c /dev/net/tun ] || fail "the emulated link needs /dev/net/tun"
	LINK_NAME=$name
	LINK_NS="handoff-cust-$$"
	LINK_A="hla$$"
	LINK_B="hlb$$"
	LINK_DESK="10.77.$net.2"
	LINK_CUST="10.77.$net.1"
	ip netns add "$LINK_NS" || fail "cannot make the network namespace $LINK_NS"
	rm -f "$E2E_TMP/linkemu.in"
	mkfifo "$E2E_TMP/linkemu.in"
	"$TOOLS/linkemu" --tun-a "$LINK_A" --tun-b "$LINK_B" "$@" --seed 1 <"$E2E_TMP/linkemu.in" \
		>"$E2E_TMP/linkemu-$name.out" 2>"$E2E_TMP/linkemu-$name.err" &
	LINK_EMU=$!
	track $LINK_EMU
	# Its stdin: the emulator ends when this closes, whatever else happens.
	exec 6>"$E2E_TMP/linkemu.in"
	wait_line 10 "$E2E_TMP/linkemu-$name.out" "^ready" ||
		fail "linkemu did not start: $(cat "$E2E_TMP/linkemu-$name.err")"
	ip link set "$LINK_A" netns "$LINK_NS" || fail "cannot move $LINK_A into $LINK_NS"
	ip -n "$LINK_NS" link set lo up
	ip -n "$LINK_NS" addr add "$LINK_CUST" peer "$LINK_DESK" dev "$LINK_A"
	ip -n "$LINK_NS" link set "$LINK_A" mtu 1500 up
	ip addr add "$LINK_DESK" peer "$LINK_CUST" dev "$LINK_B"
	ip link set "$LINK_B" mtu 1500 up
	CUST_RUN=(ip netns exec "$LINK_NS")
	RELAY_HOST=$LINK_DESK
	link_routed() { "${CUST_RUN[@]}" ip route get "$LINK_DESK" >/dev/null 2>&1; }
	wait_for 10 link_routed || fail "the customer's namespace has no route to $LINK_DESK"
	trap 'link_gone; e2e_cleanup' EXIT
}

# The namespace goes even when a test fails (the TUN devices go with linkemu).
link_gone() {
	[ -n "${LINK_NS:-}" ] && ip netns del "$LINK_NS" 2>/dev/null
	LINK_NS=""
}

# link_down: prints what the link carried and dropped, and takes it away.
link_down() {
	exec 6>&-
	wait "$LINK_EMU" 2>/dev/null
	sed 's/^/  /' "$E2E_TMP/linkemu-$LINK_NAME.err"
	link_gone
	CUST_RUN=()
	RELAY_HOST=127.0.0.1
}

# thin_uplink_view TITLE: Xvfb 1280x800 with the pattern, the customer behind a 1 Mbit/s, 200 ms
# uplink, a ticket TITLE, and alice's headless viewer (with $VIEWER_OPTS) allowed and showing the
# first frame, asking for JPEG as the round trip makes it.
thin_uplink_view() {
	start_xvfb 1280 800
	draw_pattern
	link_up uplink --down 5000 --up 1000 --rtt 200 --queue 200
	start_relay
	new_ticket_code "$1"
	start_helper "$CODE"
	wait_line 30 "$HELPER_OUT" "^CONNECTED" ||
		fail "the helper did not connect over the link: $(tail -5 "$E2E_TMP/helper.log")"
	start_viewer "$TICKET"
	wait_line 30 "$HELPER_OUT" "^CONSENT alice from the help desk" || fail "no consent prompt"
	echo y >&7
	viewer_cmd 120 "wait-frame 120000"
	stats_until 60 "encoding=tight jpeg q[0-9]" ||
		fail "the viewer did not ask for JPEG over 200 ms: $(grep '^ok rtt' "$VIEWER_OUT" | tail -1)"
}

# full_motion SECONDS: every pixel changes, 30 times a second, for SECONDS; then the pattern shows
# again. Sets MOTION_PID.
full_motion() {
	DISPLAY=$XDISPLAY "$TOOLS/workload" full "$1" "$E2E_TMP/frames" >"$E2E_TMP/workload.out" 2>&1 &
	MOTION_PID=$!
	track $MOTION_PID
	wait_line 20 "$E2E_TMP/workload.out" "^ready" || fail "the workload did not start: $(cat "$E2E_TMP/workload.out")"
	kill -USR1 "$MOTION_PID"
}

# wait_exact SECONDS: until the viewer's snapshot ($E2E_TMP/still.ppm) is the X screen pixel for pixel.
wait_exact() {
	exact() {
		viewer_cmd 120 "snapshot $E2E_TMP/still.ppm"
		DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/still.ppm" >"$E2E_TMP/still.cmp" 2>&1
	}
	wait_for "$1" exact || fail "the still picture never became exact: $(cat "$E2E_TMP/still.cmp")"
}
