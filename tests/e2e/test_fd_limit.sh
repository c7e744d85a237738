#!/bin/bash
# The relay at its descriptor limit (found by bench/relays.sh, issue 18):
#   - a relay whose RLIMIT_NOFILE (soft and hard) is 64 holds what it can of
#     80 technician sessions (stock OpenSSH, one after the other); each one
#     past the limit is refused at once (its ssh ends by itself: before, it
#     waited in a backlog that could not move, while the relay's loop spun on
#     the readable listening socket at a whole core and wrote a log line per
#     turn, a million in 3 s); the log says so in one line per 10 s;
#   - once sessions leave, a new one gets in (service resumes);
#   - a relay started with a soft limit of 64 and a higher hard one (as
#     systemd starts services: 1024 and 524288) raises the soft limit to the
#     hard one and holds all 80.
. "$(dirname "$0")/lib.sh"

REAL_BIN=$BIN
# with_limit ULIMIT-ARGS: BIN becomes a folder where handoff-relay runs under `ulimit ULIMIT-ARGS`.
with_limit() {
	BIN=$E2E_TMP/bin-$#-${2:-x}
	mkdir -p "$BIN"
	for b in "$REAL_BIN"/*; do ln -sf "$b" "$BIN/"; done
	rm -f "$BIN/handoff-relay"
	printf '#!/bin/sh\nulimit %s || exit 1\nexec "%s" "$@"\n' "$*" "$REAL_BIN/handoff-relay" >"$BIN/handoff-relay"
	chmod 755 "$BIN/handoff-relay"
}

# sessions N: N technician sessions (ssh -N), each started once the one before is in or has ended;
# sets SESSIONS (their pids) and IN (how many the relay logged in).
sessions() {
	local i before pid
	SESSIONS=""
	for i in $(seq 1 "$1"); do
		before=$(grep -c "technician alice (L1) logged in" "$RELAY_LOG" || true)
		# shellcheck disable=SC2046
		ssh $(ssh_opts) -i "$E2E_TMP/alice" -N handoff@127.0.0.1 2>"$E2E_TMP/s$i.err" &
		pid=$!
		track $pid
		SESSIONS="$SESSIONS $pid"
		wait_for 30 sh -c "[ \"\$(grep -c 'technician alice (L1) logged in' '$RELAY_LOG')\" -gt $before ] || ! kill -0 $pid" ||
			fail "session $i neither got in nor ended: $(cat "$E2E_TMP/s$i.err")"
	done
	IN=$(grep -c "technician alice (L1) logged in" "$RELAY_LOG" || true)
}

# At the limit: 64 descriptors for everything.
with_limit -n 64
RELAY_NAME=capped start_relay
grep -q "descriptors: up to 64 open at once" "$RELAY_LOG" || fail "the relay did not log its limit: $(head -5 "$RELAY_LOG")"
sessions 80
refused=0
for pid in $SESSIONS; do kill -0 "$pid" 2>/dev/null || refused=$((refused + 1)); done
if [ "$IN" -ge 80 ] || [ $((IN + refused)) != 80 ]; then
	fail "$IN sessions in and $refused refused of 80"
fi
grep -q "out of descriptors (Too many open files): refusing new connections" "$RELAY_LOG" ||
	fail "the relay did not say it is out of descriptors: $(tail -5 "$RELAY_LOG")"
# One line per 10 s, not one per turn of the loop.
lines=$(grep -c "out of descriptors\|accept failed" "$RELAY_LOG")
[ "$lines" -le 5 ] || fail "$lines log lines about accepting"
ticks0=$(sed 's/^.*) //' "/proc/$RELAY_PID/stat" | awk '{print $12 + $13}')
note "at 64 descriptors: $IN sessions held, $refused refused at once, $lines log line(s) about it; relay CPU ticks so far $ticks0"
# shellcheck disable=SC2086
kill $SESSIONS 2>/dev/null
wait_for 30 fds_at_most "$RELAY_PID" 30 || fail "the relay still holds $(open_fds "$RELAY_PID") descriptors"
as alice whoami >"$E2E_TMP/whoami.out" || fail "no session after the others left: $(tail -3 "$RELAY_LOG")"
note "after they left: $(cat "$E2E_TMP/whoami.out")"
stop_relay

# A soft limit below the hard one is raised.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 200 ] || fail "this shell's hard limit ($hard) leaves no room to test the raise"
with_limit -S -n 64
RELAY_NAME=raised start_relay
grep -q "descriptors: up to $hard open at once" "$RELAY_LOG" || fail "the soft limit was not raised to $hard: $(grep descriptors "$RELAY_LOG")"
grep -q "^Max open files *$hard *$hard " "/proc/$RELAY_PID/limits" || fail "limits: $(grep 'open files' "/proc/$RELAY_PID/limits")"
sessions 80
[ "$IN" = 80 ] || fail "$IN of 80 sessions in with the soft limit raised"
note "soft limit 64 raised to $hard: 80 of 80 sessions in"
# shellcheck disable=SC2086
kill $SESSIONS 2>/dev/null
stop_relay
