#!/bin/bash
# make bench: Handoff against its peers on this machine, on loopback only.
#   1. end to end (bench/latency.sh): latency, frames/s, bytes/s, CPU and
#      relay memory for Handoff, x11vnc and x0vncserver, direct and through
#      an OpenSSH relay (sshd with ssh -R and ssh -L), four workloads;
#   2. relay load (bench/load.sh): idle sessions and memory per session,
#      concurrent streams and relay CPU per MB, beside sshd;
#   3. throughput of one spliced session: bytes from a helper stand-in through
#      handoff-relay to `ssh -L`, recording off and recording as by default
#      run after run, beside the same bytes through sshd with `ssh -R` and
#      `ssh -L`; the runs are printed side by side;
#   4. time from handoff-helper start to the first frame at the viewer, step by
#      step from the processes' own timestamps;
#   5. (BENCH_PARTS=export, not in the default) one spliced session alone and
#      while an auditor exports, again and again, a ticket with a large
#      recording: its throughput and the longest gap between two reads at the
#      viewer's end (an export inside the relay's loop stops every splice);
#   6. (BENCH_PARTS=wan, not in the default; root) the end-to-end rows again
#      with the customer behind three emulated links (bench/wan.sh), and the
#      quality of the picture the viewer is left with;
#   7. (BENCH_PARTS=store, not in the default) audit chain appends per second
#      on SQLite and on PostgreSQL, one writer and two (bench/store.sh);
#   8. (BENCH_PARTS=wayland) typing, scroll and full on sway headless shared
#      by the helper's Wayland backend (wlroots screen copy), beside the same
#      workloads shared by its X11 backend, then on GNOME (mutter headless,
#      the portal and PipeWire), in one run (bench/wayland.sh);
#   9. (BENCH_PARTS=route, not in the default) the routed path between two
#      relays on one PostgreSQL beside the direct one: one stream's MB/s and
#      frame latency end to end (bench/route.sh);
#  10. (BENCH_PARTS=windows) typing, scroll and full shared by handoff-helper.exe
#      under Wine on Xvfb, beside the same workloads shared by the Linux helper
#      on the same Xvfb, in one run (bench/windows.sh);
#  11. (BENCH_PARTS=relays, not in the default) three relays on one PostgreSQL
#      against one: idle customers held, 30 streams at once, chain appends and
#      code redemptions per second, side by side (bench/relays.sh).
#  12. (BENCH_PARTS=peerexport, not in the default) an export of a ticket whose
#      recording another relay of the store holds, beside the export on that
#      relay (bench/peerexport.sh).
# Tuning: BENCH_PARTS (default "latency load splice firstframe wayland windows"),
# BENCH_SECONDS (per workload, 6), BENCH_WORKLOADS, BENCH_BYTES (1000 MB),
# BENCH_RUNS (5), BENCH_IDLE (500), BENCH_STREAMS (10), BENCH_EXPORT_BYTES
# (the exported recording, 300 MB), BENCH_PEEREXPORT_BYTES (the peer export's, 100 MB), BENCH_WL_WORKLOADS and BENCH_WIN_WORKLOADS (typing scroll full),
# BENCH_WL_GNOME (1; 0 leaves the GNOME rows out).
set -u
BUILD=${1:-build}
ROOT=$(pwd)
BIN="$ROOT/$BUILD/bin"
BENCH="$ROOT/$BUILD/bench"
TOOL="$BENCH/bench_tool"
BYTES=${BENCH_BYTES:-1000000000}
RUNS=${BENCH_RUNS:-5}
PARTS=${BENCH_PARTS:-latency load splice firstframe wayland windows}
export E2E_KEEP=${E2E_KEEP:-0} TOOLS="$ROOT/$BUILD/tests"
export BIN
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/bench/latency.sh"
. "$ROOT/bench/load.sh"
. "$ROOT/tests/e2e/link_lib.sh"
. "$ROOT/bench/wan.sh"
. "$ROOT/bench/wayland.sh"
. "$ROOT/bench/route.sh"
. "$ROOT/bench/relays.sh"
. "$ROOT/bench/peerexport.sh"
. "$ROOT/bench/windows.sh"

has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# The parts that measure against the peers; export and firstframe measure Handoff alone.
PEERS=0
for p in latency load splice wan; do has_part "$p" && PEERS=1; done
# The peers come from Debian's packages, like everything else here.
need=""
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v x11vnc >/dev/null 2>&1 || need="$need x11vnc"
command -v X0tigervnc >/dev/null 2>&1 || need="$need tigervnc-scraping-server"
command -v Xvfb >/dev/null 2>&1 || need="$need xvfb"
if [ "$PEERS" = 1 ] && [ -n "$need" ]; then
	echo "bench: installing$need (the peers)"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null ||
		fail "cannot install$need"
fi
mkdir -p /run/sshd
# 500 idle sessions and their descriptors, on both sides.
ulimit -n 4096 2>/dev/null || true

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# start_sshd: OpenSSH's sshd on loopback as the peers' relay; sets SSHD_PID
# SSHD_PORT SSHD_OPTS (client options for root@127.0.0.1 with alice's key).
start_sshd() {
	SSHD_PORT=$(free_port)
	[ -f "$E2E_TMP/alice" ] || new_key alice
	[ -f "$E2E_TMP/sshd_host" ] || ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/sshd_host"
	cat "$E2E_TMP/alice.pub" >"$E2E_TMP/authorized_keys"
	cat >"$E2E_TMP/sshd_config" <<CONF
ListenAddress 127.0.0.1
${SSHD_EXTRA_LISTEN:+ListenAddress $SSHD_EXTRA_LISTEN}
Port $SSHD_PORT
HostKey $E2E_TMP/sshd_host
AuthorizedKeysFile $E2E_TMP/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
MaxStartups 100:30:200
CONF
	/usr/sbin/sshd -D -e -f "$E2E_TMP/sshd_config" 2>"$E2E_TMP/sshd.log" &
	SSHD_PID=$!
	track $SSHD_PID
	wait_for 10 sh -c "ss -ltn 'sport = :$SSHD_PORT' | grep -q $SSHD_PORT" ||
		fail "sshd did not start: $(cat "$E2E_TMP/sshd.log")"
	SSHD_OPTS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -c aes128-gcm@openssh.com -i $E2E_TMP/alice -p $SSHD_PORT"
}

echo "bench: $(nproc) cores, parts: $PARTS"
[ "$PEERS" = 1 ] && start_sshd
SUMMARY="$E2E_TMP/summary"
: >"$SUMMARY"

has_part latency && latency_table
has_part load && load_bench
has_part wan && wan_bench
has_part wayland && wayland_bench
has_part windows && windows_bench

# relay_splice LABEL FILE BYTES SUMMARY: BYTES through handoff-relay on a new ticket, from the
# helper stand-in to a stock ssh -L; the sink's figures go to FILE. Leaves TICKET.
relay_splice() {
	new_ticket_code "$4"
	"$TOOL" helper "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$3" >"$E2E_TMP/bh.out" 2>&1 &
	bh=$!
	wait_line 10 "$E2E_TMP/bh.out" "^live" || fail "bench helper: $(cat "$E2E_TMP/bh.out")"
	lport=$(free_port)
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N -L "127.0.0.1:$lport:ticket-$TICKET:5900" handoff@127.0.0.1 &
	sl=$!
	wait_port "$lport" || fail "ssh -L did not listen"
	"$TOOL" sink 127.0.0.1 "$lport" "$3" | tee -a "$2" | sed "s#^#  handoff-relay ($1) run $run: #"
	kill "$sl" 2>/dev/null
	wait "$bh" 2>/dev/null
}

if has_part splice; then
	echo
	echo "splice: $RUNS runs of $((BYTES / 1000000)) MB each"
	# handoff_splice LABEL FILE: one run through handoff-relay, helper stand-in to ssh -L.
	handoff_splice() { relay_splice "$1" "$2" "$BYTES" "bench $run"; }
	# openssh_splice: the same bytes through sshd, ssh -R from the source, ssh -L to the sink.
	openssh_splice() {
		src=$(free_port)
		mid=$(free_port)
		dst=$(free_port)
		"$TOOL" source "$src" "$BYTES" >"$E2E_TMP/src.out" &
		sp=$!
		wait_line 10 "$E2E_TMP/src.out" listening || fail "source did not listen"
		# shellcheck disable=SC2086
		ssh $SSHD_OPTS -N -R "127.0.0.1:$mid:127.0.0.1:$src" root@127.0.0.1 &
		r=$!
		# shellcheck disable=SC2086
		ssh $SSHD_OPTS -N -L "127.0.0.1:$dst:127.0.0.1:$mid" root@127.0.0.1 &
		l=$!
		{ wait_port "$mid" && wait_port "$dst"; } || fail "ssh -R/-L did not listen"
		"$TOOL" sink 127.0.0.1 "$dst" "$BYTES" | tee -a "$E2E_TMP/openssh.mbs" | sed "s#^#  OpenSSH sshd -R/-L run $run: #"
		kill "$r" "$l" "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
	}
	# keep_relay NAME / use_relay NAME: two relays serve at once, so that runs can alternate.
	keep_relay() { eval "R_$1=\"\$RELAY_DIR|\$RELAY_PORT|\$RELAY_FP|\$RELAY_PID|\$RELAY_LOG\""; }
	use_relay() {
		local v
		eval "v=\$R_$1"
		IFS='|' read -r RELAY_DIR RELAY_PORT RELAY_FP RELAY_PID RELAY_LOG <<<"$v"
	}
	# Recording off is like for like with OpenSSH, which records nothing; the
	# recorded runs (the default) alternate with both, so that load from
	# elsewhere falls on all three alike and each recorded run can be set
	# against the unrecorded one just before it.
	: >"$E2E_TMP/handoff-off.mbs"
	: >"$E2E_TMP/openssh.mbs"
	: >"$E2E_TMP/handoff.mbs"
	RELAY_NAME=unrecorded start_relay "recording = off"
	keep_relay off
	RELAY_NAME=recorded start_relay
	keep_relay rec
	for run in $(seq 1 "$RUNS"); do
		use_relay off
		handoff_splice "not recording" "$E2E_TMP/handoff-off.mbs"
		use_relay rec
		handoff_splice "recording" "$E2E_TMP/handoff.mbs"
		# The close hashes the segment's tail (the sync thread hashed the rest as it went):
		# the next runs start after it, so that it falls on none of them.
		wait_count 120 "$RELAY_LOG" "recording .* closed" "$run" || fail "the recording of run $run did not close"
		openssh_splice
	done
	use_relay off
	stop_relay
	use_relay rec
	stop_relay
	# The SHA-256 each close wrote (taken as the file grew) against the files themselves.
	sqlite3 "$RELAY_DIR/handoff.db" "SELECT detail FROM events WHERE kind = 'recording-closed'" |
		while read -r rel sum size state; do
			[ "$(sha256sum <"$RELAY_DIR/$rel" | cut -d' ' -f1)" = "$sum" ] || fail "$rel: the closed event's SHA-256 is not the file's"
			echo "  recorded relay: $rel $state, $size bytes, its SHA-256 the file's"
		done
	h=$(awk '{print $1}' "$E2E_TMP/handoff.mbs" | median)
	hoff=$(awk '{print $1}' "$E2E_TMP/handoff-off.mbs" | median)
	o=$(awk '{print $1}' "$E2E_TMP/openssh.mbs" | median)
	# Each Handoff run against the OpenSSH run right after it, under the same load.
	ratio=$(paste -d' ' "$E2E_TMP/handoff-off.mbs" "$E2E_TMP/openssh.mbs" |
		awk '{printf "%.2f\n", $1 / $(NF / 2 + 1)}' | median)
	# Each recorded run against the unrecorded run just before it.
	paste -d' ' "$E2E_TMP/handoff-off.mbs" "$E2E_TMP/handoff.mbs" |
		awk '{printf "%.2f\n", $(NF / 2 + 1) / $1}' >"$E2E_TMP/rec.ratio"
	rratio=$(median <"$E2E_TMP/rec.ratio")
	echo
	echo "| run | not recording MB/s | recorded MB/s | recorded / not | OpenSSH MB/s |"
	echo "| --- | --- | --- | --- | --- |"
	paste -d' ' <(awk '{print $1}' "$E2E_TMP/handoff-off.mbs") <(awk '{print $1}' "$E2E_TMP/handoff.mbs") \
		"$E2E_TMP/rec.ratio" <(awk '{print $1}' "$E2E_TMP/openssh.mbs") |
		awk '{printf "| %d | %s | %s | %sx | %s |\n", NR, $1, $2, $3, $4}'
	{
		echo "| one spliced session, $((BYTES / 1000000)) MB one way, recording off (median of $RUNS) | $hoff MB/s | $o MB/s (sshd, ssh -R + ssh -L) |"
		echo "| the same, Handoff / OpenSSH of runs made back to back (median) | ${ratio}x | |"
		echo "| the same, recorded and sealed (the default) | $h MB/s | |"
		echo "| the same, recorded / not recording of runs made back to back (median) | ${rratio}x | |"
	} >>"$SUMMARY"
fi

if has_part export; then
	echo
	EXPORT_BYTES=${BENCH_EXPORT_BYTES:-300000000}
	echo "export: $RUNS runs of $((BYTES / 1000000)) MB spliced, alone and while a ticket with a $((EXPORT_BYTES / 1000000)) MB recording is exported"
	# export_splice LABEL FILE BYTES: one recorded run, helper stand-in to ssh -L; leaves TICKET.
	export_splice() { relay_splice "$1" "$2" "$3" "bench export $1 $run"; }
	RELAY_NAME=exporting start_relay
	add_user audrey auditor
	run=0
	export_splice "the recording to export" /dev/null "$EXPORT_BYTES"
	BIG=$TICKET
	big_closed() { [ "$(event_count "$BIG" recording-closed)" -ge 1 ]; }
	wait_for 30 big_closed || fail "the recording of ticket $BIG was not closed"
	: >"$E2E_TMP/alone.mbs"
	: >"$E2E_TMP/exporting.mbs"
	: >"$E2E_TMP/exports"
	for run in $(seq 1 "$RUNS"); do
		export_splice "alone" "$E2E_TMP/alone.mbs" "$BYTES"
		rm -f "$E2E_TMP/exports.stop"
		# Export after export, to /dev/null, for as long as the splice lasts.
		(
			while [ ! -e "$E2E_TMP/exports.stop" ]; do
				t0=$(date +%s%N)
				tech_ssh audrey export "$BIG" >/dev/null || exit 1
				echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >>"$E2E_TMP/exports"
			done
		) &
		exporter=$!
		export_splice "during exports" "$E2E_TMP/exporting.mbs" "$BYTES"
		: >"$E2E_TMP/exports.stop"
		wait "$exporter" || fail "an export failed: $(tail -3 "$RELAY_LOG")"
	done
	stop_relay
	gap_of() { sed -n 's/.*longest gap \([0-9]*\) ms.*/\1/p' "$1"; }
	a=$(awk '{print $1}' "$E2E_TMP/alone.mbs" | median)
	e=$(awk '{print $1}' "$E2E_TMP/exporting.mbs" | median)
	ga=$(gap_of "$E2E_TMP/alone.mbs" | median)
	ge=$(gap_of "$E2E_TMP/exporting.mbs" | median)
	gmax=$(gap_of "$E2E_TMP/exporting.mbs" | sort -n | tail -1)
	x=$(median <"$E2E_TMP/exports")
	echo "  $(wc -l <"$E2E_TMP/exports") exports of $((EXPORT_BYTES / 1000000)) MB ran during the splices, $x ms each (median)"
	{
		echo "| one spliced session, $((BYTES / 1000000)) MB, recorded, alone (median of $RUNS) | $a MB/s, longest gap $ga ms | |"
		echo "| the same while a ticket with a $((EXPORT_BYTES / 1000000)) MB recording is exported again and again | $e MB/s, longest gap $ge ms (worst run $gmax ms) | |"
	} >>"$SUMMARY"
fi

if has_part store; then
	echo
	sh "$ROOT/bench/store.sh" "$BUILD" || fail "the store bench failed"
fi

has_part route && route_bench
has_part relays && relays_bench
has_part peerexport && peerexport_bench

if has_part firstframe; then
	echo
	# us: microseconds of the wall clock, from bash itself (no fork).
	us() { echo "${EPOCHREALTIME/./}"; }
	# stamp FILE [ANSWER]: each line of stdin into FILE with the time it came; a consent prompt is
	# answered at once into the fifo ANSWER, so the customer's reaction time is not counted.
	stamp() {
		while IFS= read -r l; do
			printf '%s %s\n' "$(us)" "$l" >>"$1"
			case $l in CONSENT*) [ -n "${2:-}" ] && echo y >"$2" ;; esac
		done
	}
	# log_us FILE PATTERN: the time of FILE's last log line matching PATTERN (HH:MM:SS.mmm, UTC).
	log_us() {
		local t
		t=$(grep -- "$2" "$1" | tail -1 | cut -d' ' -f1)
		[ -n "$t" ] || { echo 0; return; }
		echo $(($(date -u -d "$(date -u +%F) $t" +%s%N) / 1000))
	}
	ms() { echo $((($2 - $1) / 1000)); }
	start_xvfb 1024 768
	DISPLAY=$XDISPLAY xclock -update 1 >/dev/null 2>&1 &
	track $!
	RELAY_NAME=ff start_relay
	: >"$E2E_TMP/ff.ms"
	: >"$E2E_TMP/ff.rows"
	for run in $(seq 1 "$RUNS"); do
		new_ticket_code "first frame $run"
		H="$E2E_TMP/ffh$run"
		V="$E2E_TMP/ffv$run"
		mkfifo "$H.in" "$V.in"
		t0=$(us)
		"$BIN/handoff-helper" --relay "$RELAY_HOST:$RELAY_PORT" --host-key "$RELAY_FP" --code "$CODE" \
			--display "$XDISPLAY" --ui tty <"$H.in" 2>"$H.log" | stamp "$H.out" "$H.in" &
		exec 7>"$H.in"
		wait_line 15 "$H.out" " CONNECTED" || fail "helper did not connect"
		# The technician starts the viewer once the customer is there (a person's gap, not counted).
		tv=$(us)
		"$BIN/handoff-tech" --relay "$RELAY_HOST:$RELAY_PORT" --identity "$E2E_TMP/alice" --host-key "$RELAY_FP" \
			view "$TICKET" --headless <"$V.in" 2>"$V.log" | stamp "$V.out" &
		exec 8>"$V.in"
		echo "wait-frame 20000" >&8
		wait_line 20 "$V.out" " ok" || fail "no first frame"
		tc=$(awk '/ CONNECTED/ {print $1; exit}' "$H.out")
		tp=$(awk '/ CONSENT/ {print $1; exit}' "$H.out")
		tf=$(awk '/ ok/ {print $1; exit}' "$V.out")
		hlog=$(log_us "$H.log" "handoff-helper info: speaking")
		hconn=$(log_us "$H.log" "connecting to the relay")
		hin=$(log_us "$H.log" "connected to the relay")
		rask=$(log_us "$RELAY_LOG" "viewer [0-9]*: alice (L1) asks")
		rview=$(log_us "$RELAY_LOG" "alice is viewing ticket $TICKET")
		hjoin=$(log_us "$H.log" "joined")
		total=$(((tc - t0 + tf - tv) / 1000))
		echo "$total" >>"$E2E_TMP/ff.ms"
		echo "| $run | $(ms "$t0" "$hlog") | $(ms "$hlog" "$hconn") | $(ms "$hconn" "$hin") | $(ms "$hin" "$tc") | $(ms "$tv" "$rask") | $(ms "$rask" "$tp") | $(ms "$tp" "$rview") | $(ms "$rview" "$hjoin") | $(ms "$hjoin" "$tf") | $total |" >>"$E2E_TMP/ff.rows"
		echo "  first frame run $run: $total ms (helper start to connected $(ms "$t0" "$tc"), viewer start to frame $(ms "$tv" "$tf"))"
		echo quit >&8
		echo end >&7
		exec 7>&- 8>&-
		sleep 0.5
	done
	stop_relay
	echo
	echo "Start to first frame (ms; log lines have ms, so a step can read -1 or 0):"
	echo
	echo "| run | helper exec to its first log | to connecting | SSH connect and auth | to CONNECTED shown | viewer start to the relay asking | to the prompt | prompt to splice | splice to RFB client | RFB handshake, first update, viewer | total |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$E2E_TMP/ff.rows"
	f=$(median <"$E2E_TMP/ff.ms")
	echo "| handoff-helper start to connected, plus handoff-tech start to first frame (1024x768, consent answered at once, median of $RUNS) | $f ms | |" >>"$SUMMARY"
fi

if [ -s "${LAT_ROWS:-/nonexistent}" ]; then
	echo
	echo "End to end, $LAT_SECONDS s per workload (Xvfb 1280x800, loopback, $(nproc) cores):"
	echo
	lat_header
	cat "$LAT_ROWS"
fi
if [ -s "${WL_ROWS:-/nonexistent}" ]; then
	echo
	echo "Wayland (sway headless, wlroots screen copy; GNOME, mutter headless, portal and PipeWire) beside X11 (Xvfb), $LAT_SECONDS s per workload, 1280x800, loopback, $(nproc) cores:"
	echo
	wayland_table
fi
if [ -s "${WIN_ROWS:-/nonexistent}" ]; then
	echo
	echo "Windows (handoff-helper.exe under $WINE_VERSION, GDI) beside Linux (X11), $LAT_SECONDS s per workload, the same Xvfb 1280x800, loopback, $(nproc) cores:"
	echo
	windows_table
fi
if [ -s "$WAN_ROWS" ]; then
	echo
	echo "End to end behind emulated links, $LAT_SECONDS s per workload (Xvfb 1280x800, $(nproc) cores):"
	echo
	wan_table
fi
if [ -s "$SUMMARY" ]; then
	echo
	echo "| figure (loopback, $(nproc) cores) | Handoff | OpenSSH |"
	echo "| --- | --- | --- |"
	cat "$SUMMARY"
fi
