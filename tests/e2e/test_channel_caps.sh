#!/bin/bash
# Issue 14, item 2: one technician's channels and their buffers are capped.
# A connection of ours (tests/tools/chanflood, libssh) opens 25 `chat N`
# followers that never read: 20 follow (max_channels_per_connection), the
# next ones are refused with the relay's reason on stderr, and past a few
# more the open itself fails. A second connection of the same technician
# meets max_channels_per_user. Then 600 KB of chat lines are written: each
# unread follower is closed at its 256 KiB backlog instead of growing, and
# the relay's RSS stays under a generous bound (printed before, during,
# after).
. "$(dirname "$0")/lib.sh"

start_relay "max_channels_per_connection = 20" "max_channels_per_user = 30"
new_ticket_code "Channel caps"
tech_ssh alice ticket take "$TICKET" >/dev/null 2>&1 || true
# A follower's first bytes are this line: chanflood tells followers from refusals by what they send.
tech_ssh alice chat "$TICKET" "before the flood" >/dev/null || fail "chat failed"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$RELAY_PID/status"; }
rss_before=$(rss)

mkfifo "$E2E_TMP/a.in" "$E2E_TMP/b.in"
"$TOOLS/chanflood" 127.0.0.1 "$RELAY_PORT" "$E2E_TMP/alice" "$TICKET" 25 <"$E2E_TMP/a.in" >"$E2E_TMP/a.out" 2>&1 &
A_PID=$!
track $A_PID
exec 5>"$E2E_TMP/a.in"
wait_line 60 "$E2E_TMP/a.out" "^chanflood:" || fail "chanflood did not finish opening: $(tail -3 "$E2E_TMP/a.out")"
grep -q "^chanflood: 20 following, 5 refused" "$E2E_TMP/a.out" || fail "per-connection cap: $(tail -1 "$E2E_TMP/a.out")"
grep -q "^refused: handoff-relay: too many channels on this connection: 20 open, at most 20 (relay.conf: max_channels_per_connection)" \
	"$E2E_TMP/a.out" || fail "no clear reason for the refused channels: $(cat "$E2E_TMP/a.out")"
note "one connection: 20 chat followers, the rest refused: $(grep -m1 '^refused' "$E2E_TMP/a.out")"

"$TOOLS/chanflood" 127.0.0.1 "$RELAY_PORT" "$E2E_TMP/alice" "$TICKET" 12 <"$E2E_TMP/b.in" >"$E2E_TMP/b.out" 2>&1 &
B_PID=$!
track $B_PID
exec 6>"$E2E_TMP/b.in"
wait_line 60 "$E2E_TMP/b.out" "^chanflood:" || fail "second chanflood did not finish: $(tail -3 "$E2E_TMP/b.out")"
grep -q "^chanflood: 10 following, 2 refused" "$E2E_TMP/b.out" || fail "per-user cap: $(tail -1 "$E2E_TMP/b.out")"
grep -q "^refused: handoff-relay: too many channels for alice: 30 open over all connections, at most 30 (relay.conf: max_channels_per_user)" \
	"$E2E_TMP/b.out" || fail "no clear reason for the per-user refusal: $(cat "$E2E_TMP/b.out")"
note "a second connection of alice's: 10 more, then max_channels_per_user"
exec 6>&-
wait "$B_PID" 2>/dev/null

# 150 lines of 4000 characters, through a stock OpenSSH chat stream; nobody reads the 20 followers.
for i in $(seq 1 150); do printf 'line %03d %s\n' "$i" "$(head -c 3990 /dev/zero | tr '\0' x)"; done >"$E2E_TMP/lines"
tech_ssh alice chat "$TICKET" <"$E2E_TMP/lines" >/dev/null 2>"$E2E_TMP/writer.err" &
W_PID=$!
track $W_PID
# What the socket took before it filled is not counted against a stream, so one or two may stay open.
wait_count 60 "$RELAY_LOG" "conn [0-9]*: chat stream of ticket $TICKET is not being read; closed" 15 ||
	fail "the unread followers were not closed: $(grep -c 'not being read' "$RELAY_LOG") of 20"
# The writer's own stream stays open after its input ends (chat N keeps showing new lines).
chat_kept() { [ "$(event_count "$TICKET" chat)" = 151 ]; }
wait_for 60 chat_kept || fail "the writer's lines were not all kept: $(event_count "$TICKET" chat) of 151"
note "$(grep -c 'not being read' "$RELAY_LOG") of the 20 unread followers closed at their backlog; the writer's 150 lines all kept"
rss_during=$(rss)
kill "$W_PID" 2>/dev/null || true
exec 5>&-
wait "$A_PID" 2>/dev/null
wait_line 10 "$RELAY_LOG" "conn 4: technician alice left" || fail "the flooding connection did not end"
rss_after=$(rss)
note "relay RSS: $((rss_before / 1024)) MB before, $((rss_during / 1024)) MB with 20 unread followers and 600 KB of chat, $((rss_after / 1024)) MB after"
# Generous: the sanitizer build's own overhead is most of it. Uncapped, 1000 followers took 1.05 GB.
[ "$rss_during" -lt $((400 * 1024)) ] || fail "relay RSS $((rss_during / 1024)) MB under the channel flood"
stop_relay
echo "  ok"
