# shellcheck shell=bash
# Three relays against one (issue 18), sourced by bench/run.sh for BENCH_PARTS=relays (not in
# the default; about 6 minutes). One PostgreSQL of the bench's own (durable, fsync and
# synchronous_commit on as an operator's would be, unless BENCH_PARTS has route, whose server
# it then shares), a database for each set of relays, and on it (a) one relay, then (b) three
# relays of one store (code.key copied, as docs/operator.md says). Each set is measured for:
#   1. idle customers: BENCH_RELAYS_IDLE (1500) helper stand-ins, each signed in with a code of
#      its own and holding what a waiting helper holds (the control channel and its forward),
#      dealt round the relays (bench_tool idle-helpers, BENCH_RELAYS_LOGINS (8) signing in at
#      once): the relays' RSS and descriptors before and with them, their CPU for the sign-ins
#      and over BENCH_RELAYS_HOLD (10) s of holding;
#   2. streams: BENCH_RELAYS_STREAMS (30) helper stand-ins sending BENCH_RELAYS_STREAM_BYTES
#      (50 MB) each, all at once, to as many stock ssh -L, each stream's two ends on one relay
#      (routing is bench/route.sh's), recording off as in bench/load.sh: MB/s in total and the
#      relays' CPU per MB;
#   3. chain appends: BENCH_RELAYS_WRITERS (6) technicians' `chat N` streams (stock ssh, a
#      ticket each), dealt round the relays, BENCH_RELAYS_LINES (500) lines each written at
#      once: appends per second from the first line written to the last one echoed back to its
#      writer (each line is one event of the one chain, committed before it is echoed); then
#      `verify`, and the chain's seqs checked in the store (no gap, none twice, every link to
#      the record before);
#   4. code redemptions: BENCH_RELAYS_CODES (300) tickets with codes issued through the relays,
#      then typed in by BENCH_RELAYS_THREADS (16) customers at once, each code on the relay after
#      the one that issued it (bench_tool redeem): redemptions per second, then each code spent
#      exactly once in the store.
# Printed side by side: 1 relay | 3 relays. Every client comes from 127.0.0.1, which the relays'
# pre-authentication cap per source (8, for a customer's NAT) would hold to 8 logins at a time:
# the bench's relays have max_unauthenticated_per_source = 64 (the cap on all sources stays 64).

RELAYS_IDLE=${BENCH_RELAYS_IDLE:-1500}
RELAYS_LOGINS=${BENCH_RELAYS_LOGINS:-8}
RELAYS_HOLD=${BENCH_RELAYS_HOLD:-10}
RELAYS_STREAMS=${BENCH_RELAYS_STREAMS:-30}
RELAYS_STREAM_BYTES=${BENCH_RELAYS_STREAM_BYTES:-50000000}
RELAYS_WRITERS=${BENCH_RELAYS_WRITERS:-6}
RELAYS_LINES=${BENCH_RELAYS_LINES:-500}
RELAYS_CODES=${BENCH_RELAYS_CODES:-300}
RELAYS_THREADS=${BENCH_RELAYS_THREADS:-16}

# The figures of each set, "SET.NAME" -> value, and the rows' order.
declare -A RELAYS_RES
RELAYS_ROWS=()

# relays_put SET NAME LABEL VALUE: a figure for the table.
relays_put() {
	RELAYS_RES["$1.$2"]=$4
	case " ${RELAYS_ROWS[*]} " in *" $2 "*) ;; *) RELAYS_ROWS+=("$2") ;; esac
	RELAYS_RES["label.$2"]=$3
}

# relays_start N: N relays on a fresh database of the bench's server; sets RS_PORT RS_FP RS_PID
# RS_DIR RS_LOG (arrays, relay 0 first).
relays_start() {
	local n=$1 url i
	psql -X -q -d "$PG_URL" -c "CREATE DATABASE handoff_r$n" >/dev/null || fail "CREATE DATABASE failed"
	url=${PG_URL/\/handoff\?//handoff_r$n?}
	psql -X -q -d "$url" -c "CREATE EXTENSION pg_trgm" >/dev/null || fail "CREATE EXTENSION failed"
	RS_PORT=() RS_FP=() RS_PID=() RS_DIR=() RS_LOG=()
	for i in $(seq 0 $((n - 1))); do
		if [ "$i" = 0 ]; then
			RELAY_NAME=relays$n-$i start_relay "store = $url" "recording = off" "max_unauthenticated_per_source = 64"
			add_user audrey auditor
		else
			new_relay_home "relays$n-$i" "store = $url" "recording = off" "max_unauthenticated_per_source = 64"
			# The relays of one store check each other's codes (test_failover).
			cp -p "${RS_DIR[0]}/code.key" "$RELAY_DIR/code.key"
			restart_relay
		fi
		RS_PORT+=("$RELAY_PORT") RS_FP+=("$RELAY_FP") RS_PID+=("$RELAY_PID") RS_DIR+=("$RELAY_DIR") RS_LOG+=("$RELAY_LOG")
	done
	RELAYS_URL=$url
}

# relays_query SQL: db_query on the set's database.
relays_query() {
	PG_URL=$RELAYS_URL db_query "$1"
}

# relays_use I: relay I is the one tech_ssh, ssh_opts and load_stream_open speak to.
relays_use() {
	RELAY_PORT=${RS_PORT[$1]} RELAY_FP=${RS_FP[$1]} RELAY_PID=${RS_PID[$1]} RELAY_DIR=${RS_DIR[$1]} RELAY_LOG=${RS_LOG[$1]}
}

# relays_sum CMD: CMD PID summed over the relays' processes.
relays_sum() {
	local pid t=0
	for pid in "${RS_PID[@]}"; do t=$((t + $("$1" "$pid"))); done
	echo "$t"
}
relays_rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# relays_settled: every relay's descriptors have stopped changing (the last customers have left).
relays_settled() {
	local pid
	for pid in "${RS_PID[@]}"; do settled_fds "$pid" >/dev/null || return 1; done
}

# relays_issue COUNT WORD OUT: COUNT tickets with a code each, issued through the relays in turn
# (one bench_tool issue per relay, at once); OUT.I gets relay I's "TICKET CODE" lines, OUT the
# customers' lines "127.0.0.1:PORT FP CODE" for the relay after the issuing one, interleaved so
# that customers taken in order alternate between the relays.
relays_issue() {
	local count=$1 word=$2 out=$3 n=${#RS_PORT[@]} i j pids=() files=()
	for i in $(seq 0 $((n - 1))); do
		"$TOOL" issue "127.0.0.1:${RS_PORT[$i]}" "${RS_FP[$i]}" "$E2E_TMP/alice" \
			$((count / n + (i < count % n ? 1 : 0))) "$word-$i" >"$out.$i" 2>"$out.$i.err" &
		pids+=($!)
		track $!
	done
	for i in $(seq 0 $((n - 1))); do
		wait "${pids[$i]}" || fail "issuing codes on relay $i: $(cat "$out.$i.err")"
		j=$(((i + 1) % n))
		awk -v r="127.0.0.1:${RS_PORT[$j]} ${RS_FP[$j]}" '{print r, $2}' "$out.$i" >"$out.$i.lines"
		files+=("$out.$i.lines")
	done
	paste -d'\n' "${files[@]}" | grep -v '^$' >"$out"
	[ "$(wc -l <"$out")" = "$count" ] || fail "$(wc -l <"$out") codes issued, not $count"
}

relays_idle() {
	local set=$1 rss0 rss1 fd0 fd1 c0 c1 c2 t0 t1 ip held
	relays_issue "$RELAYS_IDLE" idle "$E2E_TMP/idle$set"
	rss0=$(relays_sum relays_rss_kb)
	fd0=$(relays_sum open_fds)
	c0=$(relays_sum load_ms)
	t0=$(date +%s%N)
	rm -f "$E2E_TMP/idle$set.in"
	mkfifo "$E2E_TMP/idle$set.in"
	"$TOOL" idle-helpers "$E2E_TMP/idle$set" "$RELAYS_LOGINS" <"$E2E_TMP/idle$set.in" >"$E2E_TMP/idle$set.out" 2>&1 &
	ip=$!
	track $ip
	exec 6>"$E2E_TMP/idle$set.in"
	wait_line 900 "$E2E_TMP/idle$set.out" "^idle" || fail "idle customers: $(tail -3 "$E2E_TMP/idle$set.out")"
	t1=$(date +%s%N)
	c1=$(relays_sum load_ms)
	rss1=$(relays_sum relays_rss_kb)
	fd1=$(relays_sum open_fds)
	sleep "$RELAYS_HOLD" # not a wait: the time over which the held sessions' CPU is measured
	c2=$(relays_sum load_ms)
	held=$(awk '/^idle/ {print $2}' "$E2E_TMP/idle$set.out")
	echo "  $set relay(s): $(cat "$E2E_TMP/idle$set.out")"
	exec 6>&-
	wait "$ip" 2>/dev/null
	relays_settled || fail "the relays did not settle after the idle customers left"
	relays_put "$set" held "idle customers held (of $RELAYS_IDLE, signed in $RELAYS_LOGINS at a time)" "$held"
	relays_put "$set" logins "their sign-ins per second" \
		"$(awk -v n="$held" -v ns=$((t1 - t0)) 'BEGIN {printf "%.0f", n / (ns / 1e9)}')"
	relays_put "$set" rss "relay RSS before, with them (MB, all relays)" \
		"$(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.1f, %.1f", a / 1024, b / 1024}')"
	relays_put "$set" perkb "relay memory per idle customer (KB)" \
		"$(awk -v a="$rss0" -v b="$rss1" -v n="$held" 'BEGIN {printf "%.1f", n ? (b - a) / n : 0}')"
	relays_put "$set" fds "relay descriptors before, with them (all relays)" "$fd0, $fd1"
	relays_put "$set" cpulogin "relay CPU per sign-in (ms)" \
		"$(awk -v c=$((c1 - c0)) -v n="$held" 'BEGIN {printf "%.2f", n ? c / n : 0}')"
	relays_put "$set" cpuhold "relay CPU while they are held (% of a core, all relays)" \
		"$(awk -v c=$((c2 - c1)) -v s="$RELAYS_HOLD" 'BEGIN {printf "%.1f", c / 10 / s}')"
}

relays_streams() {
	local set=$1 n=${#RS_PORT[@]} i k=0 ticket code
	relays_issue "$RELAYS_STREAMS" stream "$E2E_TMP/streams$set"
	: >"$E2E_TMP/st.ports"
	LOAD_PIDS=""
	for i in $(seq 0 $((n - 1))); do
		relays_use "$i"
		while read -r ticket code; do
			k=$((k + 1))
			TICKET=$ticket CODE=$code load_stream_open "$k" "$RELAYS_STREAM_BYTES"
		done <"$E2E_TMP/streams$set.$i"
	done
	load_streams_pump "$E2E_TMP/st.ports" "$RELAYS_STREAM_BYTES" "${RS_PID[@]}"
	# shellcheck disable=SC2086
	stop_pids $LOAD_PIDS
	relays_settled || fail "the relays did not settle after the streams"
	local mb=$((RELAYS_STREAMS * RELAYS_STREAM_BYTES / 1000000))
	echo "  $set relay(s): $RELAYS_STREAMS streams, $mb MB in $(awk -v ns="$LOAD_WALL_NS" 'BEGIN {printf "%.2f", ns / 1e9}') s"
	relays_put "$set" streams "$RELAYS_STREAMS streams at once, MB/s in total" \
		"$(awk -v mb="$mb" -v ns="$LOAD_WALL_NS" 'BEGIN {printf "%.0f", mb / (ns / 1e9)}')"
	relays_put "$set" cpumb "relay CPU per MB (ms, all relays)" \
		"$(awk -v mb="$mb" -v c="$LOAD_CPU_MS" 'BEGIN {printf "%.2f", c / mb}')"
}

# relays_echoes W LINES: reads writer W's chat stream: its first line marks it ready, the time
# the next LINES have come back marks it done (EPOCHREALTIME: no fork between).
relays_echoes() {
	head -n 1 >/dev/null && : >"$E2E_TMP/cw$1.ready"
	[ "$(head -n "$2" | wc -l)" = "$2" ] && echo "${EPOCHREALTIME/./}" >"$E2E_TMP/cw$1.done"
}

relays_appends() {
	local set=$1 n=${#RS_PORT[@]} w t t0 t1 fd writers="" fds=() tickets="" base
	seq 1 "$RELAYS_LINES" | sed 's/$/: a line of chat of about the length people type/' >"$E2E_TMP/chat.lines"
	for w in $(seq 0 $((RELAYS_WRITERS - 1))); do
		relays_use $((w % n))
		t=$(tech_ssh alice ticket new "chain writer $w") || fail "ticket new failed"
		tickets="$tickets${tickets:+,}$t"
		rm -f "$E2E_TMP/cw$w".*
		mkfifo "$E2E_TMP/cw$w.in"
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -i "$E2E_TMP/alice" handoff@127.0.0.1 chat "$t" <"$E2E_TMP/cw$w.in" \
			> >(relays_echoes "$w" "$RELAYS_LINES") 2>"$E2E_TMP/cw$w.err" &
		writers="$writers $!"
		track $!
		exec {fd}>"$E2E_TMP/cw$w.in"
		fds+=("$fd")
		echo "writer $w is ready" >&"$fd"
	done
	for w in $(seq 0 $((RELAYS_WRITERS - 1))); do
		wait_for 30 test -e "$E2E_TMP/cw$w.ready" || fail "chat writer $w: $(cat "$E2E_TMP/cw$w.err")"
	done
	base=$(relays_query "SELECT max(id) FROM events")
	t0=${EPOCHREALTIME/./}
	for fd in "${fds[@]}"; do
		cat "$E2E_TMP/chat.lines" >&"$fd" &
	done
	for w in $(seq 0 $((RELAYS_WRITERS - 1))); do
		wait_for 600 test -e "$E2E_TMP/cw$w.done" ||
			fail "chat writer $w: $(relays_query "SELECT count(*) FROM events WHERE kind='chat' AND ticket_id IN ($tickets)") lines stored"
	done
	t1=$(cat "$E2E_TMP"/cw*.done | sort -n | tail -1)
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	# shellcheck disable=SC2086
	stop_pids $writers
	local total=$((RELAYS_WRITERS * RELAYS_LINES)) stored chain verify
	stored=$(relays_query "SELECT count(*) FROM events WHERE kind='chat' AND ticket_id IN ($tickets)")
	[ "$stored" = $((total + RELAYS_WRITERS)) ] || fail "$stored chat lines stored, not $((total + RELAYS_WRITERS))"
	# Every seq from 1 to the head once, each record linked to the one before (verify checks the hashes).
	chain=$(relays_query "SELECT (count(*) = max(id) AND min(id) = 1)::int || ' ' || count(*) FROM events")
	[ "${chain%% *}" = 1 ] || fail "the chain has a gap or a seq twice: $chain"
	[ "$(relays_query "SELECT count(*) FROM events e JOIN events p ON p.id = e.id - 1 WHERE e.prev_hash <> p.hash")" = 0 ] ||
		fail "a link does not follow the record before"
	relays_use 0
	tech_ssh audrey verify >"$E2E_TMP/verify$set.out" 2>&1 || fail "verify failed: $(cat "$E2E_TMP/verify$set.out")"
	verify=$(head -1 "$E2E_TMP/verify$set.out")
	echo "  $set relay(s): $total chat lines after seq $base, $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e6}') s; $verify"
	relays_put "$set" appends "chain appends per second ($RELAYS_WRITERS chat writers, $RELAYS_LINES lines each)" \
		"$(awk -v n="$total" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / ((b - a) / 1e6)}')"
	relays_put "$set" chain "the chain after: seqs 1 to the head once each, linked" "yes (${chain#* } records)"
	relays_put "$set" verify "verify" "$verify"
}

relays_redeem() {
	local set=$1 spent out
	relays_issue "$RELAYS_CODES" redeem "$E2E_TMP/redeem$set"
	"$TOOL" redeem "$E2E_TMP/redeem$set" "$RELAYS_THREADS" >"$E2E_TMP/redeem$set.out" 2>&1 ||
		fail "redeeming: $(cat "$E2E_TMP/redeem$set.out")"
	out=$(cat "$E2E_TMP/redeem$set.out")
	echo "  $set relay(s): $out"
	spent=$(relays_query "SELECT count(*) FROM codes c JOIN tickets t ON t.id = c.ticket_id WHERE t.summary LIKE 'redeem-%' AND c.used_at IS NOT NULL")
	case $out in "accepted $RELAYS_CODES refused 0 failed 0 "*) ;; *) fail "not every code was accepted once: $out" ;; esac
	[ "$spent" = "$RELAYS_CODES" ] || fail "$spent codes spent in the store, not $RELAYS_CODES"
	relays_put "$set" redeem "code redemptions per second ($RELAYS_THREADS customers at once)" \
		"$(echo "$out" | sed -n 's/.*: \([0-9.]*\)\/s.*/\1/p')"
	relays_put "$set" spent "codes accepted, spent in the store (of $RELAYS_CODES)" "$RELAYS_CODES, $spent"
}

relays_bench() {
	local set i
	echo
	echo "relays: 1 relay, then 3 relays of one PostgreSQL; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ -z "$PG_URL" ]; then
		HANDOFF_PG_DURABLE=1
		export HANDOFF_PG_DURABLE
		start_postgres
		unset HANDOFF_PG_DURABLE
	fi
	for set in 1 3; do
		relays_start "$set"
		relays_idle "$set"
		relays_streams "$set"
		relays_appends "$set"
		relays_redeem "$set"
		for i in $(seq 0 $((set - 1))); do
			relays_use "$i"
			stop_relay
		done
		relays_put "$set" errors "relay log lines at warn or error level" "$(cat "${RS_LOG[@]}" | grep -c -E 'handoff-relay (warn|error): ' || true)"
	done
	echo
	echo "Three relays against one, one PostgreSQL, loopback, $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg):"
	echo
	echo "| figure | 1 relay | 3 relays |"
	echo "| --- | --- | --- |"
	for row in "${RELAYS_ROWS[@]}"; do
		echo "| ${RELAYS_RES[label.$row]} | ${RELAYS_RES[1.$row]:-} | ${RELAYS_RES[3.$row]:-} |"
	done
}
