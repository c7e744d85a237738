# Outbound webhooks that lose nothing (issue 20): a ticket's story reaches
# an HTTPS receiver of our own (tests/tools/hookrecv.c, a CA made here with
# openssl req) once per event, in order per ticket, every signature checked
# by the verification function we ship; while the receiver answers 500 or
# is down, and across a relay restart with events undelivered, nothing is
# lost; a receiver whose certificate names another host, or whose host
# does not resolve, is reported in words by `webhooks status` and keeps
# its events; one that stalls holds only its own; forged, changed and
# replayed deliveries are refused; relay.conf's typos are refused.
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/e2e/hooks_lib.sh
. "$(dirname "$0")/hooks_lib.sh"
# A CA, a certificate for localhost and one for another name, both signed by it; three receivers.
hooks_setup desk wrongname slow -- localhost wrong.example

# start_receiver NAME PORT CERT: hookrecv for NAME, answering as $H/NAME.mode says.
start_receiver() {
	"$TOOLS/hookrecv" --port "$2" --cert "$H/$3.pem" --key "$H/$3.key" --secret-file "$H/$1.secret" \
		--out "$H/$1" --mode-file "$H/$1.mode" >"$H/$1.out" 2>&1 &
	eval "RECV_$1=\$!"
	track $!
	wait_line 10 "$H/$1.out" "^listening" || fail "receiver $1 did not start: $(cat "$H/$1.out")"
}
P_DESK=$(free_port) || fail "no free port"
P_WRONG=$(free_port) || fail "no free port"
P_SLOW=$(free_port) || fail "no free port"
echo ok >"$H/desk.mode"
echo ok >"$H/wrongname.mode"
echo stall >"$H/slow.mode"
start_receiver desk "$P_DESK" localhost
start_receiver wrongname "$P_WRONG" wrong.example
start_receiver slow "$P_SLOW" localhost

start_relay "webhook.desk.url = https://localhost:$P_DESK/hook" \
	"webhook.desk.secret_file = $H/desk.secret" \
	"webhook.desk.ca_file = $H/ca.pem" \
	"webhook.desk.backoff_max = 1" \
	"webhook.desk.clearance = L3" \
	"webhook.wrongname.url = https://localhost:$P_WRONG/hook" \
	"webhook.wrongname.secret_file = $H/wrongname.secret" \
	"webhook.wrongname.ca_file = $H/ca.pem" \
	"webhook.wrongname.backoff_max = 1" \
	"webhook.slow.url = https://localhost:$P_SLOW/hook" \
	"webhook.slow.secret_file = $H/slow.secret" \
	"webhook.slow.ca_file = $H/ca.pem" \
	"webhook.slow.events = chat, resolved" \
	"webhook.slow.timeout = 2" \
	"webhook.slow.backoff_max = 1" \
	"webhook.nowhere.url = https://no-such-host.invalid/hook" \
	"webhook.nowhere.secret_file = $H/desk.secret" \
	"webhook.nowhere.events = resolved" \
	"webhook.nowhere.backoff_max = 1"
add_user bob tech L2
DB="$RELAY_DIR/handoff.db"

# seqs_of TICKET: the ticket's event numbers, in order, one a line.
seqs_of() {
	sqlite3 "$DB" "SELECT id FROM events WHERE ticket_id=$1 ORDER BY id"
}
# got RECEIVER TICKET: the seqs RECEIVER accepted for TICKET, in the order it got them.
got() {
	sed -n "s/^ok seq=\([0-9]*\) ticket=$2 .*/\1/p" "$H/$1/log"
}
# all_arrived RECEIVER TICKET: every event of TICKET reached RECEIVER.
all_arrived() {
	[ "$(got "$1" "$2" | sort -n | uniq)" = "$(seqs_of "$2")" ]
}
webhooks() {
	"$BIN/handoff-relay" webhooks "$RELAY_DIR" "$@"
}

# The story, L1 to L2, with text that is data: quotes, a backslash, controls, Japanese.
T=$(as alice ticket new --priority P3 --customer "Jane \"JR\" Roe" "Printer shows error 0x12") ||
	fail "ticket new failed"
as alice chat "$T" "Hello, I am Alice; path C:\\temp, tab	here, プリンター" || fail "chat failed"
as alice note "$T" "$(printf 'bell \a and escape \033[2J')" || fail "note failed"
wait_for 15 all_arrived desk "$T" || fail "the first events did not arrive: $(tail -3 "$H/desk/log")"
note "open and chat arrived, signed"

# The receiver answers 500 for a while: the events wait, in order, and one failing event is audited.
echo 500 >"$H/desk.mode"
as alice chat "$T" "While the desk's system is broken" || fail "chat failed"
wait_line 15 "$H/desk/log" "^refused-500" || fail "the receiver was not tried while answering 500"
wait_for 10 sh -c "'$BIN/handoff-relay' webhooks '$RELAY_DIR' status | grep -q 'FAILING for .*HTTP 500 from the receiver'" ||
	fail "status does not say HTTP 500: $(webhooks status)"
as alice escalate "$T" --to L2 --note "Reinstalled the driver; error 0x12 persists" >/dev/null || fail "escalate failed"
# Down altogether: connection refused.
kill "$RECV_desk"
wait "$RECV_desk" 2>/dev/null
wait_for 10 sh -c "'$BIN/handoff-relay' webhooks '$RELAY_DIR' status | grep -q 'cannot connect'" ||
	fail "status does not say the receiver is down: $(webhooks status)"
as bob take "$T" >/dev/null || fail "bob could not take the ticket"
echo ok >"$H/desk.mode"
start_receiver desk "$P_DESK" localhost
wait_for 15 all_arrived desk "$T" || fail "the held events did not arrive: $(webhooks status)"
note "500, then down, then up: every event arrived"

# The relay stops with events undelivered (the receiver down); restarted, it delivers them.
kill "$RECV_desk"
wait "$RECV_desk" 2>/dev/null
as bob chat "$T" "Checking the spooler now" || fail "chat failed"
as bob resolve "$T" --note "Spooler restarted; printing works" >/dev/null || fail "resolve failed"
stop_relay
[ "$(sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox WHERE receiver='desk' AND ticket_id=$T")" -ge 2 ] ||
	fail "nothing was pending for the desk at the restart"
start_receiver desk "$P_DESK" localhost
restart_relay
wait_for 20 all_arrived desk "$T" || fail "the events pending at the restart did not arrive: $(webhooks status)"
note "restart with undelivered events: delivered"

# Exactly once each (nothing was lost in flight), in order.
[ -z "$(got desk "$T" | sort -n | uniq -d)" ] || fail "an event arrived twice: $(got desk "$T" | sort -n | uniq -d)"
[ "$(got desk "$T")" = "$(seqs_of "$T")" ] || fail "events arrived out of order: $(got desk "$T" | tr '\n' ' ')"
! grep -q "^bad" "$H/desk/log" || fail "a delivery failed its signature: $(grep '^bad' "$H/desk/log")"
note "every event once, in order, every signature verified"

# The escalation's packet: transcript and handover note inline, their SHA-256 the store's.
esc=$(sqlite3 "$DB" "SELECT id FROM events WHERE ticket_id=$T AND kind='escalated'")
python3 - "$H/desk/body-$esc.json" "$DB" "$T" <<'EOF' || fail "the escalation packet is wrong"
import base64, hashlib, json, sqlite3, sys
b = json.load(open(sys.argv[1], encoding="utf-8"))
db = sqlite3.connect(sys.argv[2])
assert b["schema"] == 1 and b["kind"] == "escalated" and b["ticket"]["id"] == int(sys.argv[3]), b
assert b["ticket"]["tier"] == "L2" and b["packet"]["from"] == "L1" and b["packet"]["to"] == "L2", b
for key, kind in (("transcript", "transcript"), ("handover_note", "handover-note")):
    a = b["packet"][key]
    content = base64.b64decode(a["content_base64"])
    assert hashlib.sha256(content).hexdigest() == a["sha256"], key
    row = db.execute("SELECT sha256, content FROM attachments WHERE id = ?", (a["id"],)).fetchone()
    assert row[0] == a["sha256"] and bytes(row[1]) == content and a["kind"] == kind, key
assert "Reinstalled the driver" in base64.b64decode(b["packet"]["handover_note"]["content_base64"]).decode()
EOF
# Text from others is data: every body is strict JSON, the odd bytes escaped.
python3 - "$H/desk" <<'EOF' || fail "a body is not strict JSON"
import glob, json, sys
texts = []
for f in glob.glob(sys.argv[1] + "/body-*.json"):
    raw = open(f, "rb").read()
    assert all(c >= 0x20 for c in raw.rstrip(b"\n")), f
    texts.append(json.loads(raw.decode("utf-8"))["detail"] or "")
assert any("C:\\temp, tab\there, プリンター" in t for t in texts), texts
assert any("bell \a and escape \x1b[2J" in t for t in texts), texts
EOF
note "escalation packet inline with matching SHA-256; odd text escaped"

# The receiver that stalls held only its own events; once it answers, it gets the kinds it asked for.
grep -q "^ok" "$H/slow/log" 2>/dev/null && fail "the stalled receiver accepted something"
webhooks status | grep -A4 "^slow:" | grep -q "timed out" || fail "status does not say the receiver timed out: $(webhooks status)"
echo ok >"$H/slow.mode"
webhooks retry slow | grep -q "to be tried again" || fail "webhooks retry failed"
want=$(sqlite3 "$DB" "SELECT id FROM events WHERE ticket_id=$T AND kind IN ('chat', 'resolved') ORDER BY id")
wait_for 15 sh -c "[ \"\$(sed -n 's/^ok seq=\([0-9]*\) ticket=$T .*/\1/p' '$H/slow/log' | sort -n | uniq)\" = \"$want\" ]" ||
	fail "the slow receiver did not get its chat and resolved events: $(cat "$H/slow/log")"
note "a stalled receiver held only itself; events filtered by kind"

# The wrong certificate: said in words, nothing lost, one failing event only.
webhooks status >"$E2E_TMP/status"
grep -A5 "^wrongname:" "$E2E_TMP/status" | grep -q "TLS certificate refused" ||
	fail "status does not name the certificate: $(cat "$E2E_TMP/status")"
pending=$(sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox WHERE receiver='wrongname'")
all=$(sqlite3 "$DB" "SELECT count(*) FROM events e WHERE e.id >= (SELECT MIN(seq) FROM webhook_outbox WHERE receiver='wrongname')")
[ "$pending" = "$all" ] || fail "the wrong-name receiver lost events: $pending pending of $all"
grep -A5 "^wrongname:" "$E2E_TMP/status" | grep -q "pending $pending" || fail "status miscounts: $(cat "$E2E_TMP/status")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE kind='webhook-failing' AND detail LIKE 'wrongname:%'")" = 1 ] ||
	fail "the failing receiver flooded the chain"
[ ! -s "$H/wrongname/log" ] || fail "the wrong-name receiver got a request through"
fails=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE kind='webhook-failing' AND detail LIKE 'desk:%'")
recovers=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE kind='webhook-recovered' AND detail = 'desk'")
[ "$fails" -ge 1 ] && [ "$fails" -le 3 ] && [ "$recovers" = "$fails" ] ||
	fail "the desk's outages: $fails failing and $recovers recovered events"
note "wrong certificate name: reported, $pending events kept, audited once"
# A host that does not resolve (.invalid never does, RFC 6761).
grep -A5 "^nowhere:" "$E2E_TMP/status" | grep -q "DNS failure" || fail "status does not say DNS: $(cat "$E2E_TMP/status")"
grep -A5 "^nowhere:" "$E2E_TMP/status" | grep -q "pending 1," || fail "the resolved event is not kept: $(cat "$E2E_TMP/status")"

# Forged, changed and replayed deliveries are refused by the verification we ship (handoff-tech webhook-verify).
first=$(got desk "$T" | head -1)
sig=$(cat "$H/desk/body-$first.sig")
t=$(echo "$sig" | sed 's/^t=\([0-9]*\),.*/\1/')
"$BIN/handoff-tech" webhook-verify --secret-file "$H/desk.secret" --signature "$sig" --now "$t" \
	<"$H/desk/body-$first.json" | grep -q verified || fail "a true delivery did not verify"
sed 's/Printer/Scanner/' "$H/desk/body-$first.json" >"$E2E_TMP/changed.json"
"$BIN/handoff-tech" webhook-verify --secret-file "$H/desk.secret" --signature "$sig" --now "$t" \
	<"$E2E_TMP/changed.json" | grep -q "does not match" || fail "a changed body verified"
"$BIN/handoff-tech" webhook-verify --secret-file "$H/slow.secret" --signature "$sig" --now "$t" \
	<"$H/desk/body-$first.json" | grep -q "does not match" || fail "another secret verified"
"$BIN/handoff-tech" webhook-verify --secret-file "$H/desk.secret" --signature "$sig" --now $((t + 301)) \
	<"$H/desk/body-$first.json" | grep -q "outside the 300 s window" || fail "a replay after the window verified"
"$BIN/handoff-tech" webhook-verify --secret-file "$H/desk.secret" --signature "t=$((t + 301)),${sig#*,}" \
	--now $((t + 301)) <"$H/desk/body-$first.json" | grep -q "does not match" ||
	fail "a replay with a new timestamp verified"
note "forged, changed and replayed signatures refused"

# Typos in relay.conf are refused with their line, before anything serves.
cp "$RELAY_DIR/relay.conf" "$E2E_TMP/relay.conf.good"
for bad in "webhook.desk.evnts = chat" "webhook_url = http://localhost/" "webhook.a_name_longer_than_thirty_two_chars.url = https://x/" \
	"webhook.desk.events = chat, nosuchkind"; do
	cp "$E2E_TMP/relay.conf.good" "$RELAY_DIR/relay.conf"
	echo "$bad" >>"$RELAY_DIR/relay.conf"
	webhooks status >/dev/null 2>"$E2E_TMP/err" && fail "relay.conf took: $bad"
	grep -q "relay.conf:[0-9]*:" "$E2E_TMP/err" || fail "no line for \"$bad\": $(cat "$E2E_TMP/err")"
done
cp "$E2E_TMP/relay.conf.good" "$RELAY_DIR/relay.conf"
chmod 644 "$H/desk.secret"
webhooks status >/dev/null 2>"$E2E_TMP/err" && fail "a secret others may read was taken"
grep -q "chmod 600" "$E2E_TMP/err" || fail "the open secret was not explained: $(cat "$E2E_TMP/err")"
chmod 600 "$H/desk.secret"
note "relay.conf typos and an open secret refused"

stop_relay
