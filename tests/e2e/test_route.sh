# Routing between relays (relay/route.c): relays a and b on one PostgreSQL,
# the customer's helper on relay b, the technician on relay a. alice views
# through a with `handoff-tech view` headless (pixel for pixel, her click
# arrives, chat both ways and the customer's pause cross, each line once),
# view only and then control asked on a, and with a stock
# `ssh -L ...:ticket-N:5900` to a; the consent is asked by b's helper, the
# recording made once, on b, and it replays. bob, who may not view alice's
# ticket, gets the same refusal through a as on b, and b refuses him by
# itself too when a relay asks for him. b's peer endpoint refuses a key no
# relay registered, and runs only `control N` for a relay's login; a
# refuses b when b's host key is not the one the store pins. A third
# relay, c, routes to b too until its audit key is retired, after which b
# refuses it. L1 on b escalated on a, taken and resolved on a by L2: b's
# customer hears each once. b killed under a live customer: a says it
# cannot reach it, stops believing its rows 90 s after its last heartbeat,
# and b clears them when it starts again.
. "$(dirname "$0")/lib.sh"

# The relays' test clock: a crashed relay's rows go stale after 90 s of it (the end of the test).
export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
start_postgres
start_xvfb 320 240
draw_pattern
RELAY_NAME=relay-a start_relay "store = $PG_URL"
add_user bob tech L1
add_user carol tech L2
A_DIR=$RELAY_DIR A_PORT=$RELAY_PORT A_FP=$RELAY_FP A_PID=$RELAY_PID A_LOG=$RELAY_LOG

new_relay_home relay-b "store = $PG_URL"
echo "peer_address = $RELAY_HOST:$RELAY_PORT" >>"$RELAY_DIR/relay.conf"
# The relays of one store check support codes alike: code.key is relay a's (docs/operator.md).
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
B_DIR=$RELAY_DIR B_PORT=$RELAY_PORT B_FP=$RELAY_FP B_PID=$RELAY_PID B_LOG=$RELAY_LOG
[ "$(db_query "SELECT count(*) FROM relays WHERE address <> '' AND host_key LIKE 'ssh-ed25519 %'")" = 2 ] ||
	fail "the relays did not register for routing: $(db_query "SELECT address, host_key FROM relays")"
[ "$(db_query "SELECT address FROM relays r JOIN relay_keys k USING (pubkey) WHERE k.name LIKE '%relay-b'")" = \
	"$RELAY_HOST:$B_PORT" ] || fail "relay b's peer address: $(db_query "SELECT address FROM relays")"

at_a() { RELAY_PORT=$A_PORT RELAY_FP=$A_FP RELAY_DIR=$A_DIR RELAY_LOG=$A_LOG "$@"; }
at_b() { RELAY_PORT=$B_PORT RELAY_FP=$B_FP RELAY_DIR=$B_DIR RELAY_LOG=$B_LOG "$@"; }

# The code is issued on b, where the customer's helper signs in (any relay of the store would take it).
TICKET=$(at_b as alice ticket new "Routed screen") || fail "ticket new failed"
CODE=$(at_b as alice invite "$TICKET") || fail "invite failed"
at_b start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(cat "$E2E_TMP/helper.log")"
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c 'SELECT count(*) FROM live_sessions WHERE ticket_id=$TICKET')\" = 1 ]" ||
	fail "relay b did not record that it holds ticket $TICKET"

# alice on relay a, headless viewer: b's helper asks the customer.
at_a start_viewer "$TICKET"
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt on b's helper: $(tail -5 "$A_LOG")"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/seen.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/seen.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the routed picture differs from the customer's screen: $(cat "$E2E_TMP/compare.out")"
grep -q "routing: ticket $TICKET's customer is on relay" "$A_LOG" || fail "relay a did not route: $(tail -5 "$A_LOG")"
grep -q "relay .* logged in for technician alice" "$B_LOG" || fail "relay b did not see a relay's login: $(tail -5 "$B_LOG")"
note "handoff-tech view through relay a: $(cat "$E2E_TMP/compare.out")"
viewer_cmd 10 "click 123 234"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 123 234" || fail "the routed click did not arrive"
# Chat crosses both ways (the chain, read by each relay: relay/peerchat.c), each line once.
viewer_cmd 10 "chat Hello from relay a"
wait_line 10 "$HELPER_OUT" "^CHAT alice (help desk): Hello from relay a" || fail "b's customer did not get a's line"
echo "Hello from the customer on b" >&7
wait_line 10 "$VIEWER_OUT" "^chat \[.*\] customer: Hello from the customer on b" ||
	fail "the viewer on a did not get the customer's line: $(tail -3 "$VIEWER_OUT")"
# Pause on b: the stream stops in the helper, and a's viewer is told.
echo pause >&7
wait_line 10 "$HELPER_OUT" "^PAUSED" || fail "the helper did not pause"
wait_line 10 "$VIEWER_OUT" "^chat .*the customer paused sharing" || fail "a's viewer was not told of the pause: $(tail -3 "$VIEWER_OUT")"
echo resume >&7
wait_line 10 "$VIEWER_OUT" "^chat .*the customer resumed sharing" || fail "a's viewer was not told of the resume"
[ "$(grep -c "Hello from the customer on b" "$VIEWER_OUT")" = 1 ] || fail "the customer's line came twice: $(grep -c Hello "$VIEWER_OUT")"
[ "$(grep -c "^CHAT alice (help desk): Hello from relay a" "$HELPER_OUT")" = 1 ] || fail "a's line reached the customer twice"
note "chat both ways and pause/resume across relays"
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer did not exit"
wait "$VIEWER_PID" || fail "the viewer exited non-zero: $(tail -5 "$E2E_TMP/viewer.log")"
wait_line 10 "$HELPER_OUT" "^STOPPED sharing with alice" || fail "b's helper did not see the routed viewer leave"

# View only through a, then control asked on a: b's helper asks again, and the stream gets control.
at_a start_viewer_as alice "$TICKET" viewer-vo --view-only
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 2 || fail "no consent prompt for the view-only viewer"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "control"
wait_line 10 "$HELPER_OUT" "who can already see your screen, asks to also control it" ||
	fail "b's customer was not asked for control: $(grep CONSENT "$HELPER_OUT" | tail -1)"
echo y >&7
wait_line 10 "$E2E_TMP/viewer-vo.log" "the customer allowed view and control at" ||
	fail "the routed stream did not get control: $(tail -3 "$E2E_TMP/viewer-vo.log")"
viewer_cmd 10 "click 77 88"
wait_line 10 "$E2E_TMP/xprobe.out" "^button 1 77 88" || fail "the click after control did not arrive"
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "the view-only viewer did not exit"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 2 || fail "b's helper did not see it leave"
note "view only through a, then control asked on a and granted on b"

# A stock OpenSSH ssh -L to relay a, and a VNC client that is not ours.
at_a start_ssh_tunnel
"$TOOLS/vncgrab" 127.0.0.1 "$lport" "$E2E_TMP/grab.ppm" 20 >"$E2E_TMP/grab.out" 2>&1 &
grab=$!
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 3 || fail "no consent prompt for the ssh -L viewer"
echo y >&7
wait "$grab" || fail "vncgrab through relay a failed: $(cat "$E2E_TMP/grab.out")"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/grab.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the picture through ssh -L to relay a differs: $(cat "$E2E_TMP/compare.out")"
note "ssh -L to relay a + libvncclient: $(cat "$E2E_TMP/compare.out")"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 3 || fail "b's helper did not see the ssh -L viewer leave"

# Recorded once, on b, where the customer is; b wrote the consent and joined records.
wait_for 10 sh -c "ls '$B_DIR'/recordings/$TICKET/*.hrec >/dev/null 2>&1" || fail "no recording on relay b"
[ -d "$A_DIR/recordings/$TICKET" ] && fail "relay a recorded the routed stream too"
[ "$(event_count "$TICKET" consent-granted)" = 4 ] || fail "not four consent-granted records (three views, one control): $(event_count "$TICKET" consent-granted)"
[ "$(event_count "$TICKET" technician-joined)" = 3 ] || fail "technician-joined counted $(event_count "$TICKET" technician-joined) times"
seg=$(ls "$B_DIR"/recordings/"$TICKET"/*.hrec | head -1)
"$BIN/handoff-tech" replay "$seg" --key "$E2E_TMP/recording.key" --headless --snapshot "$E2E_TMP/replayed.ppm" \
	>"$E2E_TMP/replay.out" 2>&1 || fail "b's recording does not replay: $(cat "$E2E_TMP/replay.out")"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/replayed.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "b's recording does not show the customer's screen: $(cat "$E2E_TMP/compare.out")"
note "recorded on relay b only ($(ls "$B_DIR"/recordings/"$TICKET" | wc -l) segments); replays: $(cat "$E2E_TMP/compare.out")"

# bob may not view alice's ticket: the same words through a as on b.
view_refused() {
	local rc=0
	echo quit | timeout 20 "$BIN/handoff-tech" --relay "$RELAY_HOST:$RELAY_PORT" --identity "$E2E_TMP/bob" \
		--host-key "$RELAY_FP" view "$TICKET" --headless >/dev/null 2>"$E2E_TMP/$1.err" || rc=$?
	[ "$rc" = 1 ] || fail "bob's view through $1 exited $rc: $(cat "$E2E_TMP/$1.err")"
}
at_a view_refused via-a
at_b view_refused via-b
grep -q "ticket $TICKET belongs to alice" "$E2E_TMP/via-a.err" || fail "bob's refusal through a: $(cat "$E2E_TMP/via-a.err")"
cmp -s "$E2E_TMP/via-a.err" "$E2E_TMP/via-b.err" ||
	fail "bob is refused differently through a: $(cat "$E2E_TMP/via-a.err") / b: $(cat "$E2E_TMP/via-b.err")"
# b checks by itself: relay a's key asking b for bob's view (what a never does) is refused there.
cp "$A_DIR/host_ed25519" "$E2E_TMP/a-host" && chmod 600 "$E2E_TMP/a-host" || fail "cannot read relay a's host key"
lport=$(free_port) || fail "no free port"
# shellcheck disable=SC2046
ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/a-host" -N -L "127.0.0.1:$lport:ticket-$TICKET:5900" bob@$RELAY_HOST \
	2>"$E2E_TMP/ssh-bob.log" &
track $!
wait_for 10 sh -c "ss -ltn 'sport = :$lport' | grep -q $lport" || fail "ssh -L as relay a did not listen: $(cat "$E2E_TMP/ssh-bob.log")"
"$TOOLS/vncgrab" 127.0.0.1 "$lport" "$E2E_TMP/bob.ppm" 10 >"$E2E_TMP/bobgrab.out" 2>&1 && fail "bob saw the screen through b"
grep -q "belongs to alice" "$E2E_TMP/bobgrab.out" || fail "b did not refuse bob by itself: $(cat "$E2E_TMP/bobgrab.out")"
note "bob refused alike: '$(head -1 "$E2E_TMP/via-a.err")'; b alone: '$(grep -m1 'belongs' "$E2E_TMP/bobgrab.out")'"
# A relay's login runs no command but control N.
# shellcheck disable=SC2046
ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/a-host" alice@$RELAY_HOST queue >"$E2E_TMP/peerq.out" 2>&1 &&
	fail "a relay's login ran a command on b: $(cat "$E2E_TMP/peerq.out")"
grep -q "a relay's login runs only control N" "$E2E_TMP/peerq.out" || fail "unexpected refusal: $(cat "$E2E_TMP/peerq.out")"

# A key no relay (and nobody) registered is refused by b's endpoint.
new_key stranger
# shellcheck disable=SC2046
ssh $(RELAY_PORT=$B_PORT ssh_opts) -i "$E2E_TMP/stranger" -N -L "127.0.0.1:1:ticket-$TICKET:5900" alice@$RELAY_HOST \
	>"$E2E_TMP/stranger.out" 2>&1 && fail "a stranger's key logged in to relay b"
grep -q "Permission denied" "$E2E_TMP/stranger.out" || fail "unexpected refusal: $(cat "$E2E_TMP/stranger.out")"

# b's host key in the store replaced by another: a refuses to send alice there.
b_key=$(db_query "SELECT r.host_key FROM relays r JOIN relay_keys k USING (pubkey) WHERE k.name LIKE '%relay-b'")
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/impostor"
db_query "UPDATE relays SET host_key = '$(cut -d' ' -f1,2 "$E2E_TMP/impostor.pub")' FROM relay_keys k WHERE k.pubkey = relays.pubkey AND k.name LIKE '%relay-b'" >/dev/null
rc=0
echo quit | timeout 20 "$BIN/handoff-tech" --relay "$RELAY_HOST:$A_PORT" --identity "$E2E_TMP/alice" \
	--host-key "$A_FP" view "$TICKET" --headless >/dev/null 2>"$E2E_TMP/mismatch.err" || rc=$?
[ "$rc" = 1 ] || fail "the view with b's key mismatched exited $rc: $(cat "$E2E_TMP/mismatch.err")"
grep -q "not the one the store pins" "$E2E_TMP/mismatch.err" || fail "no clear message: $(cat "$E2E_TMP/mismatch.err")"
[ "$(grep -c "^CONSENT" "$HELPER_OUT")" = 4 ] || fail "b's helper was asked for the mismatched route"
note "host key mismatch: $(head -1 "$E2E_TMP/mismatch.err")"
db_query "UPDATE relays SET host_key = '$b_key' FROM relay_keys k WHERE k.pubkey = relays.pubkey AND k.name LIKE '%relay-b'" >/dev/null

# A third relay, c: alice views through it as well (three relays on the store); then c's audit key
# is retired (from a's home, as an operator retires a relay) and b no longer admits c, while a still can.
new_relay_home relay-c "store = $PG_URL"
cp -p "$A_DIR/code.key" "$RELAY_DIR/code.key"
restart_relay
C_DIR=$RELAY_DIR C_PORT=$RELAY_PORT C_FP=$RELAY_FP C_PID=$RELAY_PID C_LOG=$RELAY_LOG
at_c() { RELAY_PORT=$C_PORT RELAY_FP=$C_FP RELAY_DIR=$C_DIR RELAY_LOG=$C_LOG "$@"; }
at_c start_viewer_as alice "$TICKET" viewer-c
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 4 || fail "no consent prompt for the view through c"
echo y >&7
viewer_cmd 20 "wait-frame"
viewer_cmd 10 "snapshot $E2E_TMP/seen-c.ppm"
DISPLAY=$XDISPLAY "$TOOLS/xprobe" compare "$E2E_TMP/seen-c.ppm" >"$E2E_TMP/compare.out" 2>&1 ||
	fail "the picture through relay c differs: $(cat "$E2E_TMP/compare.out")"
viewer_cmd 10 "quit"
wait_for 10 sh -c "! kill -0 $VIEWER_PID" || fail "viewer c did not exit"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 4 || fail "b's helper did not see c's viewer leave"
"$BIN/handoff-relay" audit-key "$A_DIR" retire "$C_DIR/keys/audit_ed25519.pub" >"$E2E_TMP/retire.out" 2>&1 ||
	fail "audit-key retire failed: $(cat "$E2E_TMP/retire.out")"
rc=0
echo quit | timeout 20 "$BIN/handoff-tech" --relay "$RELAY_HOST:$C_PORT" --identity "$E2E_TMP/alice" \
	--host-key "$C_FP" view "$TICKET" --headless >/dev/null 2>"$E2E_TMP/retired.err" || rc=$?
[ "$rc" = 1 ] || fail "the view through retired relay c exited $rc: $(cat "$E2E_TMP/retired.err")"
grep -q "refused this relay's key" "$E2E_TMP/retired.err" || fail "no clear message: $(cat "$E2E_TMP/retired.err")"
[ "$(grep -c "^CONSENT" "$HELPER_OUT")" = 5 ] || fail "b's helper was asked for a retired relay's view"
note "three relays: c routed pixel-exact; c's key retired: $(head -1 "$E2E_TMP/retired.err")"
RELAY_PID=$C_PID stop_relay

# L1 to L2 across relays: alice views on b itself and escalates on a; b ends her view, tells
# its customer and asks for the logs there; carol (L2) takes on a and resolves on a: b's customer
# is told each time, and its session ends.
at_b start_viewer "$TICKET" viewer-b
wait_count 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" 5 || fail "no consent prompt for alice on b"
echo y >&7
viewer_cmd 20 "wait-frame"
at_a as alice escalate "$TICKET" --to L2 --note "Routed; error persists" >/dev/null || fail "escalate on a failed"
wait_count 10 "$HELPER_OUT" "^STOPPED sharing with alice" 5 || fail "b did not end alice's view at a's escalation"
wait_line 10 "$HELPER_OUT" "^LOGS alice from the help desk asks" || fail "b's customer was not asked for the logs"
echo n >&7
wait_events 10 "$TICKET" logs-refused 1 || fail "the refusal was not recorded"
events_are "$TICKET" logs-unavailable 0 || fail "a said the logs were unavailable for b's customer"
at_a as carol take "$TICKET" >/dev/null || fail "carol could not take the ticket on a"
wait_line 10 "$HELPER_OUT" "^STATUS carol from the technical support team is now helping you\.$" ||
	fail "b's customer was not told who took over: $(tail -3 "$HELPER_OUT")"
at_a as carol resolve "$TICKET" --note "Fixed across relays" | grep -q resolved || fail "resolve on a failed"
wait_line 10 "$HELPER_OUT" "^SESSION ENDED" || fail "b's customer was not told the session ended"
wait_for 10 sh -c "! kill -0 $HELPER_PID" || fail "helper did not end"
[ "$(grep -c "^STATUS carol" "$HELPER_OUT")" = 1 ] || fail "the take was told twice"
note "escalate, take and resolve on a reached the customer on b"
# b cleared its row when its customer left.
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c 'SELECT count(*) FROM live_sessions')\" = 0 ]" ||
	fail "relay b kept ticket $TICKET's live row after its customer left"

# b killed (-9) under a live customer and a routed view: the view ends and a goes on; b's row
# stays, so a says it cannot reach b; once b's heartbeat is 90 s old (a's clock moved on) a no
# longer believes it; b started again clears it.
T2=$(at_b as alice ticket new "Crash") || fail "ticket new failed"
CODE=$(at_b as alice invite "$T2") || fail "invite failed"
at_b start_helper "$CODE" helper2
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "the second helper did not connect"
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c 'SELECT count(*) FROM live_sessions WHERE ticket_id=$T2')\" = 1 ]" ||
	fail "relay b did not record that it holds ticket $T2"
# A routed view is on when b dies: a's viewer is told the stream ended, and a goes on.
at_a start_viewer_as alice "$T2" viewer-crash
wait_line 15 "$HELPER_OUT" "^CONSENT alice from the help desk asks" || fail "no consent prompt for the second ticket"
echo y >&7
viewer_cmd 20 "wait-frame"
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
wait_for 15 sh -c "! kill -0 $VIEWER_PID" || fail "a's viewer kept a stream from dead b"
kill -0 "$A_PID" || fail "relay a died with b: $(tail -5 "$A_LOG")"
routed_view() {
	local rc=0
	echo quit | timeout 30 "$BIN/handoff-tech" --relay "$RELAY_HOST:$A_PORT" --identity "$E2E_TMP/alice" \
		--host-key "$A_FP" view "$T2" --headless >/dev/null 2>"$E2E_TMP/$1.err" || rc=$?
	[ "$rc" = 1 ] || fail "the view of ticket $T2 through a exited $rc: $(cat "$E2E_TMP/$1.err")"
}
routed_view crashed
grep -q "cannot reach relay .*relay-b" "$E2E_TMP/crashed.err" || fail "no clear message: $(cat "$E2E_TMP/crashed.err")"
at_a relay_clock 100
routed_view stale
grep -q "no live session for ticket $T2" "$E2E_TMP/stale.err" || fail "a still believes dead b: $(cat "$E2E_TMP/stale.err")"
at_b restart_relay
B_PID=$RELAY_PID
wait_for 10 sh -c "[ \"\$(psql -XAtq -d '$PG_URL' -c 'SELECT count(*) FROM live_sessions')\" = 0 ]" ||
	fail "b started again kept the row of the customer it lost"
note "b killed: '$(head -1 "$E2E_TMP/crashed.err")'; after 90 s: '$(head -1 "$E2E_TMP/stale.err")'; b restarted cleared its row"
kill "$HELPER_PID" 2>/dev/null
RELAY_PID=$A_PID stop_relay
RELAY_PID=$B_PID stop_relay
