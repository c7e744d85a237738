#!/bin/bash
# make bench: the relay against OpenSSH on this machine, on loopback.
#   1. throughput of one spliced session: bytes from a helper stand-in through
#      handoff-relay to `ssh -L` (recording off, then recording as by default),
#      beside the same bytes through sshd with `ssh -R` and `ssh -L`;
#   2. relay memory per idle authenticated session;
#   3. time from handoff-helper start to the first frame at the viewer.
# BENCH_BYTES (default 300 MB) and BENCH_RUNS (default 3) tune it.
set -u
BUILD=${1:-build}
ROOT=$(pwd)
BIN="$ROOT/$BUILD/bin"
TOOL="$ROOT/$BUILD/bench/bench_tool"
BYTES=${BENCH_BYTES:-300000000}
RUNS=${BENCH_RUNS:-3}
IDLE=${BENCH_IDLE:-200}
export E2E_KEEP=0 TOOLS="$ROOT/$BUILD/tests"
export BIN
. "$ROOT/tests/e2e/lib.sh"

if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
	echo "bench: installing openssh-server (the peer relay)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null ||
		fail "cannot install openssh-server"
fi
mkdir -p /run/sshd

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "bench: $RUNS runs of $((BYTES / 1000000)) MB each, on $(nproc) cores"

# 1a. handoff-relay, recording every byte (the default), then with recording off
# (like for like with OpenSSH, which records nothing).
splice_runs() { # LABEL FILE
	: >"$2"
	for run in $(seq 1 "$RUNS"); do
		new_ticket_code "bench $run"
		"$TOOL" helper "127.0.0.1:$RELAY_PORT" "$RELAY_FP" "$CODE" "$BYTES" >"$E2E_TMP/bh.out" 2>&1 &
		bh=$!
		wait_line 10 "$E2E_TMP/bh.out" "^live" || fail "bench helper: $(cat "$E2E_TMP/bh.out")"
		lport=$(free_port)
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -c aes128-gcm@openssh.com -i "$E2E_TMP/alice" -N -L "127.0.0.1:$lport:ticket-$TICKET:5900" handoff@127.0.0.1 &
		sl=$!
		wait_for 10 sh -c "ss -ltn 'sport = :$lport' | grep -q $lport" || fail "ssh -L did not listen"
		"$TOOL" sink 127.0.0.1 "$lport" "$BYTES" | tee -a "$2" | sed "s#^#  handoff-relay ($1) run $run: #"
		kill "$sl" 2>/dev/null
		wait "$bh" 2>/dev/null
	done
}
RELAY_NAME=unrecorded start_relay "recording = off"
splice_runs "not recording" "$E2E_TMP/handoff-off.mbs"
stop_relay
start_relay
splice_runs "recording" "$E2E_TMP/handoff.mbs"
rm -rf "$RELAY_DIR/recordings"
relay_rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$RELAY_PID/status"; }

# 2. idle sessions
rss0=$(relay_rss_kb)
idle_pids=""
for _ in $(seq 1 "$IDLE"); do
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -i "$E2E_TMP/alice" -N handoff@127.0.0.1 </dev/null &
	idle_pids="$idle_pids $!"
done
wait_for 60 sh -c "[ \$(grep -c 'technician alice (L1) logged in' '$RELAY_LOG') -ge $((IDLE + RUNS * 3)) ]" ||
	echo "  (not every idle session logged in)"
sleep 1
rss1=$(relay_rss_kb)
kill $idle_pids 2>/dev/null
per_session=$(( (rss1 - rss0) / IDLE ))
echo "  relay RSS: $rss0 KB idle, $rss1 KB with $IDLE idle technician sessions: $per_session KB each"
stop_relay

# 1b. OpenSSH: sshd as the relay, ssh -R from the source side, ssh -L to the sink.
sshd_port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/sshd_host"
cat "$E2E_TMP/alice.pub" >"$E2E_TMP/authorized_keys"
cat >"$E2E_TMP/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $E2E_TMP/sshd_host
AuthorizedKeysFile $E2E_TMP/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
CONF
/usr/sbin/sshd -D -e -f "$E2E_TMP/sshd_config" 2>"$E2E_TMP/sshd.log" &
track $!
wait_for 10 sh -c "ss -ltn 'sport = :$sshd_port' | grep -q $sshd_port" || fail "sshd did not start: $(cat "$E2E_TMP/sshd.log")"
sopts="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -c aes128-gcm@openssh.com -i $E2E_TMP/alice -p $sshd_port"
: >"$E2E_TMP/openssh.mbs"
for run in $(seq 1 "$RUNS"); do
	src=$(free_port)
	mid=$(free_port)
	dst=$(free_port)
	"$TOOL" source "$src" "$BYTES" >"$E2E_TMP/src.out" &
	sp=$!
	wait_line 10 "$E2E_TMP/src.out" listening || fail "source did not listen"
	# shellcheck disable=SC2086
	ssh $sopts -N -R "127.0.0.1:$mid:127.0.0.1:$src" root@127.0.0.1 &
	r=$!
	# shellcheck disable=SC2086
	ssh $sopts -N -L "127.0.0.1:$dst:127.0.0.1:$mid" root@127.0.0.1 &
	l=$!
	wait_for 10 sh -c "ss -ltn 'sport = :$mid' | grep -q $mid && ss -ltn 'sport = :$dst' | grep -q $dst" ||
		fail "ssh -R/-L did not listen"
	"$TOOL" sink 127.0.0.1 "$dst" "$BYTES" | tee -a "$E2E_TMP/openssh.mbs" | sed "s#^#  OpenSSH sshd -R/-L run $run: #"
	kill "$r" "$l" "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
done

# 3. helper start to first frame
start_xvfb 1024 768
DISPLAY=$XDISPLAY xclock -update 1 >/dev/null 2>&1 &
track $!
RELAY_NAME=ff start_relay
: >"$E2E_TMP/ff.ms"
for run in $(seq 1 "$RUNS"); do
	new_ticket_code "first frame $run"
	t0=$(date +%s%N)
	start_helper "$CODE" "ff$run"
	wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect"
	t1=$(date +%s%N)
	start_viewer "$TICKET"
	echo "wait-frame 20000" >&8
	wait_line 15 "$HELPER_OUT" "^CONSENT" || fail "no consent prompt"
	echo y >&7
	wait_line 20 "$VIEWER_OUT" "^ok" || fail "no first frame"
	t2=$(date +%s%N)
	echo "$(( (t2 - t0) / 1000000 ))" >>"$E2E_TMP/ff.ms"
	echo "  first frame run $run: $(( (t2 - t0) / 1000000 )) ms (connected after $(( (t1 - t0) / 1000000 )) ms)"
	echo quit >&8
	echo end >&7
	sleep 0.5
done
stop_relay

h=$(awk '{print $1}' "$E2E_TMP/handoff.mbs" | median)
hoff=$(awk '{print $1}' "$E2E_TMP/handoff-off.mbs" | median)
o=$(awk '{print $1}' "$E2E_TMP/openssh.mbs" | median)
f=$(median <"$E2E_TMP/ff.ms")
echo
echo "| figure (median of $RUNS, loopback, $(nproc) cores) | Handoff | OpenSSH |"
echo "| --- | --- | --- |"
echo "| one spliced session, $((BYTES / 1000000)) MB one way, recording off | $hoff MB/s | $o MB/s (sshd, ssh -R + ssh -L) |"
echo "| the same, recorded and sealed (the default) | $h MB/s | |"
echo "| relay memory per idle authenticated session | $per_session KB | |"
echo "| handoff-helper start to first frame at the viewer (1024x768) | $f ms | |"
