# Relay load, sourced by bench/run.sh (after start_sshd).
#   idle:    BENCH_IDLE authenticated technician sessions held open by one
#            bench_tool process; relay RSS before and after, per session.
#   streams: BENCH_STREAMS sessions at once, each a helper stand-in sending
#            LOAD_BYTES through handoff-relay (recording off, like sshd) to an
#            `ssh -L` and a sink; the same through sshd with ssh -R/-L.
#            Relay CPU (utime+stime) per MB relayed, and the total rate.

LOAD_IDLE=${BENCH_IDLE:-500}
LOAD_STREAMS=${BENCH_STREAMS:-10}
LOAD_BYTES=${BENCH_STREAM_BYTES:-50000000}

relay_rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$RELAY_PID/status"; }

load_idle() {
	RELAY_NAME=idle start_relay
	local rss0 rss1 ip
	sleep 0.5
	rss0=$(relay_rss_kb)
	mkfifo "$E2E_TMP/idle.in"
	"$TOOL" idle "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$E2E_TMP/alice" "$LOAD_IDLE" \
		<"$E2E_TMP/idle.in" >"$E2E_TMP/idle.out" 2>&1 &
	ip=$!
	track $ip
	exec 6>"$E2E_TMP/idle.in"
	wait_line 120 "$E2E_TMP/idle.out" "^idle" || fail "idle sessions: $(tail -3 "$E2E_TMP/idle.out")"
	sleep 1
	rss1=$(relay_rss_kb)
	exec 6>&-
	wait $ip 2>/dev/null
	echo "  relay RSS: $rss0 KB, then $rss1 KB with $LOAD_IDLE idle technician sessions"
	echo "| relay memory per idle authenticated session ($LOAD_IDLE at once) | $(( (rss1 - rss0) / LOAD_IDLE )) KB | |" >>"$SUMMARY"
	stop_relay
}

# load_ms PID...: CPU milliseconds used so far.
load_ms() {
	echo $(( $(cpu_ticks "$@") * 1000 / $(getconf CLK_TCK) ))
}

# load_stream_open I BYTES: stream I's helper stand-in signed in with $CODE on the relay in use
# (RELAY_PORT, RELAY_FP), sending BYTES once a technician asks, and a stock ssh -L to its ticket
# ($TICKET) there; adds their pids to LOAD_PIDS and the local port to $E2E_TMP/st.ports.
load_stream_open() {
	local lport
	"$TOOL" helper "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$2" >"$E2E_TMP/st$1.out" 2>&1 &
	LOAD_PIDS="$LOAD_PIDS $!"
	track $!
	wait_line 10 "$E2E_TMP/st$1.out" "^live" || fail "stream helper $1: $(cat "$E2E_TMP/st$1.out")"
	lport=$(free_port)
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N \
		-L "127.0.0.1:$lport:ticket-$TICKET:5900" handoff@127.0.0.1 &
	LOAD_PIDS="$LOAD_PIDS $!"
	track $!
	wait_port "$lport" || fail "ssh -L $1 did not listen"
	echo "$lport" >>"$E2E_TMP/st.ports"
}

# load_streams_pump PORTS BYTES PID...: a sink reads BYTES from each port listed in the file
# PORTS, all at once; sets LOAD_WALL_NS (the first sink's start to the last one's end) and
# LOAD_CPU_MS (what the PIDs used meanwhile).
load_streams_pump() {
	local ports=$1 bytes=$2 sinks="" c0 t0 port
	shift 2
	c0=$(load_ms "$@")
	t0=$(date +%s%N)
	while read -r port; do
		"$TOOL" sink 127.0.0.1 "$port" "$bytes" >>"$ports.sink" 2>&1 &
		sinks="$sinks $!"
	done <"$ports"
	# shellcheck disable=SC2086
	wait $sinks
	LOAD_WALL_NS=$(($(date +%s%N) - t0))
	LOAD_CPU_MS=$(($(load_ms "$@") - c0))
}

load_streams_handoff() {
	RELAY_NAME=streams start_relay "recording = off"
	local i
	LOAD_PIDS=""
	for i in $(seq 1 "$LOAD_STREAMS"); do
		new_ticket_code "stream $i"
		load_stream_open "$i" "$LOAD_BYTES"
	done
	load_streams_pump "$E2E_TMP/st.ports" "$LOAD_BYTES" "$RELAY_PID"
	# shellcheck disable=SC2086
	stop_pids $LOAD_PIDS
	stop_relay
	load_line "handoff-relay" "$LOAD_CPU_MS" "$LOAD_WALL_NS"
}

load_streams_sshd() {
	local i pids="" src mid dst
	: >"$E2E_TMP/sst.ports"
	for i in $(seq 1 "$LOAD_STREAMS"); do
		src=$(free_port)
		mid=$(free_port)
		dst=$(free_port)
		"$TOOL" source "$src" "$LOAD_BYTES" >"$E2E_TMP/sst$i.out" 2>&1 &
		pids="$pids $!"
		track $!
		wait_line 10 "$E2E_TMP/sst$i.out" listening || fail "source $i did not listen"
		# shellcheck disable=SC2086
		ssh $SSHD_OPTS -N -R "127.0.0.1:$mid:127.0.0.1:$src" root@127.0.0.1 &
		pids="$pids $!"
		track $!
		# shellcheck disable=SC2086
		ssh $SSHD_OPTS -N -L "127.0.0.1:$dst:127.0.0.1:$mid" root@127.0.0.1 &
		pids="$pids $!"
		track $!
		{ wait_port "$mid" && wait_port "$dst"; } || fail "ssh -R/-L $i did not listen"
		echo "$dst" >>"$E2E_TMP/sst.ports"
	done
	# shellcheck disable=SC2046
	load_streams_pump "$E2E_TMP/sst.ports" "$LOAD_BYTES" $(tree "$SSHD_PID")
	# shellcheck disable=SC2086
	stop_pids $pids
	load_line "sshd" "$LOAD_CPU_MS" "$LOAD_WALL_NS"
}

# load_line WHO CPU_MS WALL_NS
load_line() {
	local mb=$((LOAD_STREAMS * LOAD_BYTES / 1000000))
	awk -v who="$1" -v cpu="$2" -v ns="$3" -v mb="$mb" -v n="$LOAD_STREAMS" 'BEGIN {
		printf "  %s: %d streams, %d MB in %.2f s (%.0f MB/s), relay CPU %.0f ms: %.2f ms per MB\n",
			who, n, mb, ns / 1e9, mb / (ns / 1e9), cpu, cpu / mb }'
	awk -v who="$1" -v cpu="$2" -v ns="$3" -v mb="$mb" -v n="$LOAD_STREAMS" 'BEGIN {
		printf "%.2f ms/MB, %.0f MB/s\n", cpu / mb, mb / (ns / 1e9) }' >"$E2E_TMP/load-$1"
}

load_bench() {
	echo
	echo "relay load"
	load_idle
	: >"$E2E_TMP/st.ports"
	load_streams_handoff
	load_streams_sshd
	echo "| relay CPU per MB, $LOAD_STREAMS streams at once, recording off | $(cat "$E2E_TMP/load-handoff-relay") | $(cat "$E2E_TMP/load-sshd") (sshd) |" >>"$SUMMARY"
}
