# The routed path (relay/route.c) against the direct one, sourced by
# bench/run.sh for BENCH_PARTS=route (not in the default). Two relays on one
# PostgreSQL of the bench's own; the customer on relay b. "direct" is the
# technician's ssh -L to b, where the customer is; "routed" is the same
# ssh -L to relay a, which carries the stream to b over its own SSH
# connection. Both paths run alternately, run after run, so that load from
# elsewhere falls on both alike:
#   1. BENCH_ROUTE_RUNS (RUNS) runs of BYTES from the helper stand-in
#      (bench_tool helper) on b, read by bench_tool sink: MB/s;
#   2. end to end with the real helper, the workloads typing and full
#      (tests/tools/workload.c) and the measuring viewer (bench/vncmeter.c):
#      frame latency p50/p95, frames/s, KB/s, as bench/latency.sh measures.
# Printed side by side, with routed / direct per pair of runs.

route_bench() {
	local runs=${BENCH_ROUTE_RUNS:-$RUNS} run wl path
	start_postgres
	RELAY_NAME=route-a start_relay "store = $PG_URL" "recording = off"
	R_A="$RELAY_DIR|$RELAY_PORT|$RELAY_FP|$RELAY_PID|$RELAY_LOG"
	RELAY_DIR=$E2E_TMP/route-b
	RELAY_PORT=$(free_port)
	local as_user=()
	[ "$(id -u)" != 0 ] || as_user=(--user nobody)
	"$BIN/handoff-relay" init "$RELAY_DIR" --listen "127.0.0.1:$RELAY_PORT" "${as_user[@]}" >"$RELAY_DIR.init" ||
		fail "relay b init failed"
	RELAY_FP=$(sed -n 's/^host key fingerprint: //p' "$RELAY_DIR.init")
	printf 'store = %s\nrecording = off\n' "$PG_URL" >>"$RELAY_DIR/relay.conf"
	RELAY_LOG=$RELAY_DIR.log
	restart_relay
	R_B="$RELAY_DIR|$RELAY_PORT|$RELAY_FP|$RELAY_PID|$RELAY_LOG"
	use() { IFS='|' read -r RELAY_DIR RELAY_PORT RELAY_FP RELAY_PID RELAY_LOG <<<"$1"; }

	echo
	echo "routing: $runs runs of $((BYTES / 1000000)) MB each, customer on relay b, recording off on both"
	: >"$E2E_TMP/route-direct.mbs"
	: >"$E2E_TMP/route-routed.mbs"
	for run in $(seq 1 "$runs"); do
		for path in direct routed; do
			use "$R_B"
			new_ticket_code "route bench $run $path"
			"$TOOL" helper "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$BYTES" >"$E2E_TMP/bh.out" 2>&1 &
			local bh=$!
			wait_line 10 "$E2E_TMP/bh.out" "^live" || fail "bench helper: $(cat "$E2E_TMP/bh.out")"
			[ "$path" = routed ] && use "$R_A"
			local lport sl
			lport=$(free_port)
			# shellcheck disable=SC2046
			ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N -L "127.0.0.1:$lport:ticket-$TICKET:5900" handoff@127.0.0.1 &
			sl=$!
			wait_port "$lport" || fail "ssh -L did not listen"
			"$TOOL" sink 127.0.0.1 "$lport" "$BYTES" | tee -a "$E2E_TMP/route-$path.mbs" | sed "s#^#  $path run $run: #"
			kill "$sl" 2>/dev/null
			wait "$bh" 2>/dev/null
		done
	done
	local d r ratio
	d=$(awk '{print $1}' "$E2E_TMP/route-direct.mbs" | median)
	r=$(awk '{print $1}' "$E2E_TMP/route-routed.mbs" | median)
	ratio=$(paste -d' ' "$E2E_TMP/route-direct.mbs" "$E2E_TMP/route-routed.mbs" |
		awk '{printf "%.2f\n", $(NF / 2 + 1) / $1}' | median)

	start_xvfb 1280 800
	: >"$E2E_TMP/route.rows"
	echo
	echo "routing end to end: ${LAT_SECONDS} s per workload, Xvfb 1280x800, loopback"
	for wl in ${BENCH_ROUTE_WORKLOADS:-typing full}; do
		for run in $(seq 1 "${BENCH_ROUTE_E2E_RUNS:-3}"); do
			for path in direct routed; do
				route_row "$path" "$wl"
			done
		done
	done
	use "$R_A"
	stop_relay
	use "$R_B"
	stop_relay

	echo
	echo "| path | workload | latency p50 ms | p95 ms | frames/s | KB/s on the wire |"
	echo "| --- | --- | --- | --- | --- | --- |"
	sort -s -t'|' -k3,3 -k2,2 "$E2E_TMP/route.rows"
	echo
	echo "| one stream, $((BYTES / 1000000)) MB one way (median of $runs) | direct (ssh -L to b) | routed (ssh -L to a, a to b) | routed / direct, run by run (median) |"
	echo "| --- | --- | --- | --- |"
	echo "| MB/s | $d | $r | ${ratio}x |"
	{
		echo "| one stream, $((BYTES / 1000000)) MB, recording off, technician and customer on relay b (median of $runs) | $d MB/s | |"
		echo "| the same, technician on relay a, routed to b | $r MB/s | |"
		echo "| the same, routed / direct of runs made back to back (median) | ${ratio}x | |"
	} >>"$SUMMARY"
}

# route_row PATH WORKLOAD: one end-to-end run, the real helper on b, vncmeter through PATH.
route_row() {
	local path=$1 wl=$2 row="$E2E_TMP/route-$1-$2-$run" vport sl vm wpid
	DISPLAY=$XDISPLAY "$TOOLS/workload" "$wl" "$LAT_SECONDS" "$row.frames" hold >"$row.wl" 2>&1 &
	wpid=$!
	track $wpid
	wait_line 20 "$row.wl" "^ready" || fail "workload $wl did not start: $(cat "$row.wl")"
	use "$R_B"
	new_ticket_code "route e2e $wl $path $run"
	start_helper "$CODE" "route-helper"
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
	[ "$path" = routed ] && use "$R_A"
	vport=$(free_port)
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N -L "127.0.0.1:$vport:ticket-$TICKET:5900" handoff@127.0.0.1 &
	sl=$!
	track $sl
	wait_port "$vport" || fail "ssh -L did not listen"
	"$BENCH/vncmeter" 127.0.0.1 "$vport" $((LAT_SECONDS + LAT_GRACE)) "$row.seen" "$XDISPLAY" >"$row.vm" 2>"$row.vmerr" &
	vm=$!
	track $vm
	wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt ($path)"
	echo y >&7
	wait_line 30 "$row.vm" "^ready" || fail "$path: the viewer got no first screen: $(cat "$row.vmerr")"
	kill -USR1 "$wpid"
	wait_line $((LAT_SECONDS + 30)) "$row.wl" "^done" || fail "workload $wl did not finish"
	wait "$vm" 2>/dev/null
	kill -USR1 "$wpid"
	wait "$wpid" 2>/dev/null
	stop_pids "$sl"
	echo end >&7
	wait "$HELPER_PID" 2>/dev/null
	exec 7>&-
	awk -v path="$path" -v wl="$wl" -v secs="$LAT_SECONDS" -v bytes="$(awk '/^bytes/ {print $2}' "$row.vm")" '
		NR == FNR { w[$1] = $2; next }
		($1 in w) { lat[++n] = ($2 - w[$1]) / 1e6 }
		END {
			for (i = 2; i <= n; i++) { v = lat[i]; for (j = i - 1; j > 0 && lat[j] > v; j--) lat[j + 1] = lat[j]; lat[j + 1] = v }
			p50 = n ? sprintf("%.1f", lat[int((n - 1) * 0.50) + 1]) : "-"
			p95 = n ? sprintf("%.1f", lat[int((n - 1) * 0.95) + 1]) : "-"
			printf "| %s | %s | %s | %s | %.1f | %.0f |\n", path, wl, p50, p95, n / secs, bytes / secs / 1000
		}' "$row.frames" "$row.seen" >>"$E2E_TMP/route.rows"
	echo "  $(tail -1 "$E2E_TMP/route.rows")"
}
