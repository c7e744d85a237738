# Exports of a recording held by another relay (relay/peerrec.c) against
# exports where it is, sourced by bench/run.sh for BENCH_PARTS=peerexport
# (not in the default). Two relays on one PostgreSQL of the bench's own;
# one recorded session of BENCH_PEEREXPORT_BYTES (100 MB) spliced on relay
# b (bench_tool's helper stand-in to a stock ssh -L), so its recording is
# b's. Then RUNS times, alternately: audrey's export of that ticket on b
# (the file read from b's disk) and on a (the file fetched from b over the
# peers' SSH path, checked against its record, then exported), each to
# /dev/null: ms and MB/s of the export as handoff-tech receives it.
peerexport_bench() {
	local bytes=${BENCH_PEEREXPORT_BYTES:-100000000} run r t0 ms size
	start_postgres
	RELAY_NAME=peerexp-a start_relay "store = $PG_URL"
	add_user audrey auditor
	local a_port=$RELAY_PORT a_fp=$RELAY_FP a_pid=$RELAY_PID a_log=$RELAY_LOG a_dir=$RELAY_DIR
	new_relay_home peerexp-b "store = $PG_URL"
	echo "peer_address = 127.0.0.1:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
	cp -p "$a_dir/code.key" "$RELAY_DIR/code.key"
	restart_relay
	local b_port=$RELAY_PORT b_fp=$RELAY_FP b_pid=$RELAY_PID b_log=$RELAY_LOG b_dir=$RELAY_DIR

	echo
	echo "peer export: a ticket with a $((bytes / 1000000)) MB recording on relay b, exported on b and on a, $RUNS runs each"
	run=0
	relay_splice "the recording to export, on b" /dev/null "$bytes" "bench peer export"
	local big=$TICKET
	big_closed() { [ "$(event_count "$big" recording-closed)" -ge 1 ]; }
	wait_for 60 big_closed || fail "the recording of ticket $big was not closed"
	size=$(stat -c %s "$b_dir"/recordings/"$big"/*.hrec)
	: >"$E2E_TMP/peerexp-b.ms"
	: >"$E2E_TMP/peerexp-a.ms"
	for run in $(seq 1 "$RUNS"); do
		for r in b a; do
			if [ "$r" = b ]; then RELAY_PORT=$b_port RELAY_FP=$b_fp; else RELAY_PORT=$a_port RELAY_FP=$a_fp; fi
			t0=$(date +%s%N)
			tech_ssh audrey export "$big" >/dev/null || fail "the export on $r failed"
			ms=$(( ($(date +%s%N) - t0) / 1000000 ))
			echo "$ms" >>"$E2E_TMP/peerexp-$r.ms"
			echo "  export on $r run $run: $ms ms"
		done
	done
	grep -q "fetched from relay" "$a_log" || fail "relay a did not fetch the recording from b"
	local mb mb_ms ma ma_ms
	mb_ms=$(median <"$E2E_TMP/peerexp-b.ms")
	ma_ms=$(median <"$E2E_TMP/peerexp-a.ms")
	mb=$(awk -v s="$size" -v m="$mb_ms" 'BEGIN {printf "%.0f", s / 1000 / (m > 0 ? m : 1)}')
	ma=$(awk -v s="$size" -v m="$ma_ms" 'BEGIN {printf "%.0f", s / 1000 / (m > 0 ? m : 1)}')
	RELAY_PID=$a_pid RELAY_LOG=$a_log stop_relay
	RELAY_PID=$b_pid RELAY_LOG=$b_log stop_relay
	echo
	echo "| export of a ticket with a $((size / 1000000)) MB recording on b | median ms | MB/s |"
	echo "| --- | --- | --- |"
	echo "| on b (its own disk) | $mb_ms | $mb |"
	echo "| on a (fetched from b) | $ma_ms | $ma |"
	{
		echo "| export of a ticket with a $((size / 1000000)) MB recording, on the relay that holds it (median of $RUNS) | $mb_ms ms ($mb MB/s) | |"
		echo "| the same on another relay of the store, which fetches it (median of $RUNS) | $ma_ms ms ($ma MB/s) | |"
	} >>"$SUMMARY"
}
