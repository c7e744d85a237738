# The Request Tracker connector (issue 20) against a real RT 5 (Debian's
# request-tracker5, its REST 2 API), started here on loopback with its own
# SQLite database and site configuration in the test's folder, its tokens
# made with RT's own Perl API (RT::AuthToken). The L1 -> L2 story, with a
# customer's helper connected, reaches RT as a ticket in the queue of each
# tier, correspondence and comments; the handover note, transcript and log
# bundle read back through RT's REST API have Handoff's SHA-256; RT stopped
# during the story (the relay restarted meanwhile) and started again gets
# every event once, in order; a comment added in RT becomes a note of the
# Handoff ticket (once, and not sent back); resolving resolves in RT; an
# RT URL that answers garbage and a token RT refuses are said in words by
# webhooks status; an answer lost does not make a second RT ticket.
. "$(dirname "$0")/lib.sh"

command -v rt-setup-database-5 >/dev/null || fail "request-tracker5 is not installed (scripts/deps.sh test)"
R="$E2E_TMP/rt"
mkdir -m 711 "$R"
owner=$(id -un)
[ "$(id -u)" = 0 ] && owner=nobody
P_RT=$(free_port) || fail "no free port"
P_BAD=$(free_port) || fail "no free port"

# RT's site configuration: its database here, mail to a file, logs to stderr, nothing of /etc's.
cat >"$R/RT_SiteConfig.pm" <<EOF
Set(\$rtname, 'handoff-test');
Set(\$Organization, 'handoff.test');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$R/rt.db');
Set(\$WebPath, '');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $P_RT);
Set(\$WebBaseURL, 'http://127.0.0.1:$P_RT');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
Set(\$LogToSTDERR, 'error');
Set(\$MailCommand, 'testfile');
Set(\$CorrespondAddress, 'rt\@handoff.test');
Set(\$CommentAddress, 'rt-comment\@handoff.test');
1;
EOF
mkdir "$R/site.d"
export RT_SITE_CONFIG="$R/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$R/site.d"
# rt_init DIR: RT's database, two users with tokens (handoff, the relay's; carol, a desk agent who
# comments in RT) and three queues, made in DIR (rt.db, NAME.token) through RT's own tools.
rt_init() {
	sed -i "s|^Set(\$DatabaseName, .*|Set(\$DatabaseName, '$1/rt.db');|" "$R/RT_SiteConfig.pm"
	rt-setup-database-5 --action init --skip-create >"$R/init.log" 2>&1 ||
		fail "rt-setup-database failed: $(tail -5 "$R/init.log")"
	perl -e "$RT_USERS" "$1" >"$R/tokens.log" 2>&1 || fail "RT users and tokens: $(tail -5 "$R/tokens.log")"
	sed -i "s|^Set(\$DatabaseName, .*|Set(\$DatabaseName, '$R/rt.db');|" "$R/RT_SiteConfig.pm"
}
RT_USERS='
use strict; use warnings;
use lib "/usr/share/request-tracker5/lib";
use RT; RT::LoadConfig(); RT::Init();
my $dir = shift;
for my $q ("Handoff L1", "Handoff L2", "Handoff L3") {
	my $queue = RT::Queue->new(RT->SystemUser);
	my ($ok, $msg) = $queue->Create(Name => $q);
	die "queue $q: $msg" unless $ok;
}
for my $name ("handoff", "carol") {
	my $u = RT::User->new(RT->SystemUser);
	my ($ok, $msg) = $u->Create(Name => $name, Privileged => 1, EmailAddress => "$name\@handoff.test");
	die "user $name: $msg" unless $ok;
	for my $right (qw(SeeQueue ShowTicket CreateTicket ModifyTicket CommentOnTicket ReplyToTicket
			  ShowTicketComments ManageAuthTokens)) {
		($ok, $msg) = $u->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
		die "right $right: $msg" unless $ok;
	}
	my $t = RT::AuthToken->new(RT::CurrentUser->new($u));
	my ($id, $m, $token) = $t->Create(Owner => $u->id, Description => "handoff e2e");
	die "token $name: $m" unless $id;
	open(my $f, ">", "$dir/$name.token") or die "$dir/$name.token: $!";
	print $f "$token\n";
	close($f);
}
'
# The initialised database takes ~9 s (under load) to make: a pristine copy is kept outside the
# clone, one per RT version and setup (the key hashes RT_USERS), made again when unfinished.
RT_VERSION=$(dpkg-query -W -f='${Version}' request-tracker5 2>/dev/null | tr -c 'A-Za-z0-9.+~\n' '_')
RT_CACHE=${HANDOFF_RT_CACHE:-/var/cache/handoff/rt}
mkdir -p "$RT_CACHE" 2>/dev/null && [ -w "$RT_CACHE" ] || RT_CACHE=$E2E_TMP/rt-cache
mkdir -p "$RT_CACHE" && chmod 700 "$RT_CACHE" 2>/dev/null
RT_PRISTINE="$RT_CACHE/$RT_VERSION-$(printf '%s' "$RT_USERS" | sha256sum | cut -c1-16)"
t0=$(date +%s.%N)
exec 7>"$RT_PRISTINE.lock"
flock -w 120 7 || fail "another test holds $RT_PRISTINE"
if [ ! -f "$RT_PRISTINE/.handoff-ready" ]; then
	rm -rf "$RT_PRISTINE"
	mkdir -m 700 "$RT_PRISTINE"
	rt_init "$RT_PRISTINE"
	touch "$RT_PRISTINE/.handoff-ready"
	made="made"
else
	made="copied from $RT_PRISTINE"
fi
cp "$RT_PRISTINE/rt.db" "$RT_PRISTINE/handoff.token" "$RT_PRISTINE/carol.token" "$R/"
exec 7>&-
t2=$(date +%s.%N)
chmod 600 "$R/handoff.token" "$R/carol.token"
chown "$owner" "$R/handoff.token"

rt_up() {
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_RT/REST/2.0/" | grep -q '^[24]'
}
start_rt() {
	/usr/share/request-tracker5/libexec/rt-server --host 127.0.0.1 --port "$P_RT" --max-workers 2 \
		>>"$R/server.log" 2>&1 &
	RT_PID=$!
	track $RT_PID
	wait_for 60 rt_up || fail "RT did not start: $(tail -5 "$R/server.log")"
}
stop_rt() {
	kill "$RT_PID"
	wait "$RT_PID" 2>/dev/null
	! rt_up || fail "RT still answers"
}
start_rt
t3=$(date +%s.%N)
note "RT $RT_VERSION up: $(awk -v a="$t0" -v c="$t2" -v d="$t3" 'BEGIN { printf "database and tokens %.1f s", c - a }') ($made), $(awk -v c="$t2" -v d="$t3" 'BEGIN { printf "server start %.1f s", d - c }')"

# rt GET|POST|PUT PATH [JSON] [USER]: RT's REST 2 as USER (carol by default), the answer on stdout.
rt() {
	local tok
	tok=$(cat "$R/${4:-carol}.token")
	if [ -n "${3:-}" ]; then
		curl -sf -X "$1" -H "Authorization: token $tok" -H 'Content-Type: application/json' --data-binary "$3" \
			"http://127.0.0.1:$P_RT/REST/2.0$2"
	else
		curl -sf -X "$1" -H "Authorization: token $tok" "http://127.0.0.1:$P_RT/REST/2.0$2"
	fi
}

# Something at a URL that answers every request with a 200 and a page of HTML: not RT.
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        body = b"<html><body>Welcome to nginx!\x1b[2J</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = answer
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$P_BAD" >"$R/bad.log" 2>&1 &
track $!
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$P_BAD/" || fail "the garbage server did not start"
# A token RT does not know (the right form, another secret).
sed 's/-[0-9a-f]*$/-00000000000000000000000000000000/' "$R/handoff.token" >"$R/bad.token"
chmod 600 "$R/bad.token"
chown "$owner" "$R/bad.token"

# RT's answers lost: a link that holds every chunk 1.2 s each way, for a receiver whose tries time out
# after 2 s; RT does the work of each request all the same.
P_SLOW=$(free_port) || fail "no free port"
"$TOOLS/slowproxy" "$P_SLOW" "$P_RT" 1200 >"$R/slowproxy.out" 2>&1 &
SLOW_PID=$!
track $SLOW_PID
wait_line 10 "$R/slowproxy.out" "^listening" || fail "slowproxy did not start"

start_xvfb 320 240
start_relay "log_sources = facts" \
	"webhook.desk.kind = rt" \
	"webhook.desk.rt_url = http://127.0.0.1:$P_RT/" \
	"webhook.desk.rt_token_file = $R/handoff.token" \
	"webhook.desk.rt_queue_l1 = Handoff L1" \
	"webhook.desk.rt_queue_l2 = Handoff L2" \
	"webhook.desk.rt_queue_l3 = Handoff L3" \
	"webhook.desk.clearance = L3" \
	"webhook.desk.backoff_max = 1" \
	"webhook.desk.poll_interval = 1" \
	"webhook.lost.kind = rt" \
	"webhook.lost.rt_url = http://127.0.0.1:$P_SLOW" \
	"webhook.lost.rt_token_file = $R/handoff.token" \
	"webhook.lost.rt_queue_l1 = Handoff L3" \
	"webhook.lost.events = created, resolved" \
	"webhook.lost.timeout = 2" \
	"webhook.lost.backoff_max = 1" \
	"webhook.badtoken.kind = rt" \
	"webhook.badtoken.rt_url = http://127.0.0.1:$P_RT" \
	"webhook.badtoken.rt_token_file = $R/bad.token" \
	"webhook.badtoken.events = created" \
	"webhook.badtoken.backoff_max = 5" \
	"webhook.notrt.kind = rt" \
	"webhook.notrt.rt_url = http://127.0.0.1:$P_BAD" \
	"webhook.notrt.rt_token_file = $R/bad.token" \
	"webhook.notrt.events = created" \
	"webhook.notrt.backoff_max = 1"
add_user bob tech L2
DB="$RELAY_DIR/handoff.db"
webhooks() {
	"$BIN/handoff-relay" webhooks "$RELAY_DIR" "$@"
}
pending() {
	sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox WHERE receiver='desk'"
}
delivered_all() {
	[ "$(pending)" = 0 ]
}
rt_id() {
	sqlite3 "$DB" "SELECT rt_id FROM rt_links WHERE receiver='desk' AND ticket_id=$T"
}

# The story, L1 to L2; the text is data (quotes, a backslash, controls, Japanese).
T=$(as alice ticket new --priority P3 --customer "Jane \"JR\" Roe" "Printer shows error 0x12") ||
	fail "ticket new failed"
# The customer connects, so that the escalation collects the log bundle (with consent).
CODE=$(as alice invite "$T") || fail "invite failed"
start_helper "$CODE"
wait_line 15 "$HELPER_OUT" "^CONNECTED" || fail "helper did not connect: $(tail -3 "$E2E_TMP/helper.log")"
as alice chat "$T" "Hello, I am Alice; path C:\\temp, プリンター" || fail "chat failed"
as alice note "$T" "$(printf 'bell \a and escape \033[2J')" || fail "note failed"
wait_for 20 delivered_all || fail "the first events did not reach RT: $(webhooks status)"
N=$(rt_id)
[ -n "$N" ] || fail "no RT ticket is linked"
as alice ticket show "$T" | grep -q "Request Tracker (desk): RT ticket $N, http://127.0.0.1:$P_RT/Ticket/Display.html?id=$N" ||
	fail "ticket show does not name the RT ticket: $(as alice ticket show "$T")"
rt GET "/ticket/$N" | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["Queue"]["id"] and t["Subject"].endswith("Printer shows error 0x12"), t
' || fail "the RT ticket is not what Handoff opened"
note "opened in RT as ticket $N (queue of L1), shown by ticket show"
wait_for 20 sh -c "'$BIN/handoff-relay' webhooks '$RELAY_DIR' status | grep -A5 '^lost:' | grep -q 'RT timed out'" ||
	fail "the receiver behind the slow link did not time out: $(webhooks status)"
webhooks status >"$E2E_TMP/lost-status"
# The link is fast from now on (its tries would otherwise keep RT busy): checked at the end.
kill -USR1 "$SLOW_PID"
webhooks retry lost >/dev/null

as alice escalate "$T" --to L2 --note "Reinstalled the driver; error 0x12 persists" >/dev/null || fail "escalate failed"
wait_line 15 "$HELPER_OUT" "^LOGS alice" || fail "no log consent prompt: $(tail -3 "$HELPER_OUT")"
echo y >&7
wait_line 15 "$HELPER_OUT" "^LOGS sent" || fail "the logs were not sent"
wait_for 10 sh -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM attachments WHERE ticket_id=$T AND kind='logs'\")\" = 1 ]" ||
	fail "the log bundle is not attached"
wait_for 20 delivered_all || fail "the escalation and the logs did not reach RT: $(webhooks status)"
# RT stops in the middle of the story: the events wait in the outbox, said in words.
stop_rt
as bob take "$T" >/dev/null || fail "bob could not take the ticket"
as bob chat "$T" "Checking the spooler while RT is down" || fail "chat failed"
as bob note "$T" "Spooler queue had 3 stuck jobs" || fail "note failed"
wait_for 15 sh -c "'$BIN/handoff-relay' webhooks '$RELAY_DIR' status | grep -A5 '^desk:' | grep -q 'FAILING.*cannot connect to RT'" ||
	fail "status does not say RT is down: $(webhooks status)"
[ "$(pending)" -ge 3 ] || fail "the events during RT's outage are not kept: $(pending) pending"
# The relay restarted too, with the events undelivered: it takes them up again.
stop_relay
restart_relay
start_rt
wait_for 30 delivered_all || fail "the events held while RT was down did not arrive: $(webhooks status)"
note "RT stopped and started again: $(sqlite3 "$DB" "SELECT count(*) FROM events WHERE kind='webhook-failing' AND detail LIKE 'desk:%'") failing event(s) audited, the rest delivered"

# A comment added in RT by a desk agent becomes a note of the Handoff ticket, once, and is not sent back.
rt POST "/ticket/$N/comment" '{"ContentType":"text/plain","Content":"From the desk: \"call back\" at 14:00 \\\\ C:\\\\temp \u001b[31m red"}' >/dev/null ||
	fail "carol could not comment in RT"
has_rt_note() {
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE ticket_id=$T AND kind='note' AND actor='rt:desk' AND detail LIKE '%comment by carol: From the desk%'")" = 1 ]
}
wait_for 20 has_rt_note || fail "the RT comment did not become a note: $(tail -5 "$RELAY_LOG")"
as bob ticket show "$T" >"$E2E_TMP/show"
grep -q 'rt:desk.*RT #'"$N"', comment by carol: From the desk: "call back" at 14:00 \\ C:\\temp \\x1b\[31m red' "$E2E_TMP/show" ||
	grep -q 'comment by carol' "$E2E_TMP/show" || fail "ticket show lacks the RT note: $(cat "$E2E_TMP/show")"
! grep -q $'\033' "$E2E_TMP/show" || fail "ticket show printed RT's escape byte raw"

as bob resolve "$T" --note "Spooler restarted; printing works" >/dev/null || fail "resolve failed"
wait_for 20 delivered_all || fail "the resolution did not reach RT: $(webhooks status)"
sleep_polls() { # two polls more: the note must still be alone
	[ "$(sqlite3 "$DB" "SELECT seen_txn FROM rt_links WHERE receiver='desk' AND ticket_id=$T")" -gt 0 ]
}
wait_for 10 sleep_polls || fail "the poll keeps no mark"
has_rt_note || fail "the RT comment became more than one note"

# Read back through RT's REST API: the queue, the status, every event once in order, the packet's SHA-256.
relay_id=$(rt GET "/ticket/$N" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Subject"].split(" ")[0][1:])')
python3 - "$P_RT" "$R/carol.token" "$N" "$DB" "$T" "$relay_id" <<'EOF' || fail "RT's copy of the story is wrong"
import base64, hashlib, json, re, sqlite3, sys, urllib.request
port, tokfile, n, dbpath, t, relay = sys.argv[1:]
tok = open(tokfile).read().strip()
def get(path):
    req = urllib.request.Request("http://127.0.0.1:%s/REST/2.0%s" % (port, path), headers={"Authorization": "token " + tok})
    return json.load(urllib.request.urlopen(req))
def pages(path):
    page = 1
    while True:
        r = get(path + ("&" if "?" in path else "?") + "per_page=100&page=%d" % page)
        yield from r["items"]
        if "next_page" not in r:
            break
        page += 1
db = sqlite3.connect(dbpath)
ticket = get("/ticket/" + n)
queue = get("/queue/" + ticket["Queue"]["id"])
assert queue["Name"] == "Handoff L2", queue["Name"]
assert ticket["Status"] == "resolved", ticket["Status"]
# Every event the receiver takes, once, in order, each tagged with its id in the text RT keeps.
kinds = ("created", "ticket-opened-by-customer", "opened-as", "chat", "note", "escalated", "attachment-added", "taken", "resolved")
want = [r[0] for r in db.execute("SELECT id FROM events WHERE ticket_id = ? AND kind IN (%s) AND actor <> 'rt:desk' ORDER BY id"
                                 % ",".join("?" * len(kinds)), (int(t),) + kinds)]
# One page of the ticket's attachments gives every text RT keeps, in order, with who wrote it.
got, files, carol = [], {}, 0
for a in pages("/ticket/%s/attachments?fields=TransactionId,ContentType,Filename,Content,Creator" % n):
    if a["Filename"]:
        # The exact bytes (a collection's Content is decoded text): base64 from the attachment itself.
        content = base64.b64decode(get("/attachment/" + a["id"])["Content"])
        files[a["Filename"]] = hashlib.sha256(content).hexdigest()
    elif a["ContentType"] == "text/plain":
        got += [int(s) for s in re.findall(r"\(event " + re.escape(relay) + r":(\d+)\)", a["Content"])]
        carol += a["Creator"]["id"] == "carol"
assert got == want, (got, want)
# The packet: the handover note, the transcript and the log bundle attached, with Handoff's SHA-256.
rows = db.execute("SELECT name, sha256 FROM attachments WHERE ticket_id = ? AND kind IN ('transcript', 'handover-note', 'logs')", (int(t),)).fetchall()
assert len(rows) == 3, rows
for name, sha in rows:
    assert files.get(name) == sha, (name, sha, files)
# The desk's own comment is not sent back: one text by carol.
assert carol == 1, carol
print("events %d, attachments %d" % (len(got), len(rows)))
EOF
note "read back from RT: queue L2, resolved, every event once in order, the packet's and the logs' SHA-256 equal"

# The receiver whose answers were lost: its first try created an RT ticket, whose answer never came;
# once the link is fast, the next try finds that ticket by its tag instead of making a second.
grep -A5 "^lost:" "$E2E_TMP/lost-status" | grep -q "RT timed out" || fail "status did not say the answers were lost: $(cat "$E2E_TMP/lost-status")"
lost_done() {
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox WHERE receiver='lost'")" = 0 ]
}
wait_for 30 lost_done || fail "the receiver behind the slow link did not catch up: $(webhooks status)"
lost_rt=$(sqlite3 "$DB" "SELECT rt_id FROM rt_links WHERE receiver='lost' AND ticket_id=$T")
[ -n "$lost_rt" ] && [ "$lost_rt" != "$N" ] || fail "the receiver behind the slow link is not linked to a ticket of its own: $lost_rt"
grep -q "webhook lost: Handoff ticket $T is RT ticket $lost_rt, found by its tag" "$RELAY_LOG" ||
	fail "the lost answer's ticket was not found by its tag: $(grep 'webhook lost' "$RELAY_LOG" | tail -5)"
rt GET "/tickets?per_page=10&query=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("Queue = '"'"'Handoff L3'"'"'"))')" \
	>"$E2E_TMP/lost.json" || fail "RT's search failed"
python3 - "$E2E_TMP/lost.json" "$lost_rt" <<'EOF' || fail "an answer lost made a second RT ticket: $(cat "$E2E_TMP/lost.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [int(t["id"]) for t in r["items"]] == [int(sys.argv[2])], r
EOF
note "answers lost on a slow link: RT ticket $lost_rt found again by its tag, not made twice"

# An RT URL that answers garbage: said in words, the event kept.
webhooks status >"$E2E_TMP/status"
grep -A5 "^notrt:" "$E2E_TMP/status" | grep -q "FAILING.*but not JSON" || fail "status does not say RT answered garbage: $(cat "$E2E_TMP/status")"
grep -A5 "^notrt:" "$E2E_TMP/status" | grep -q "pending 1," || fail "the garbage-answered event is not kept: $(cat "$E2E_TMP/status")"
! grep -q $'\033' "$E2E_TMP/status" || fail "status printed the garbage's escape byte raw"
grep -A1 "^desk:" "$E2E_TMP/status" | grep -q "Request Tracker at http://127.0.0.1:$P_RT" || fail "status does not name RT: $(cat "$E2E_TMP/status")"
grep -A5 "^badtoken:" "$E2E_TMP/status" | grep -q "FAILING.*with HTTP 401.*is the token in rt_token_file valid" ||
	fail "status does not say RT refused the token: $(cat "$E2E_TMP/status")"
! grep -q "$(cat "$R/handoff.token")" "$RELAY_LOG" "$E2E_TMP/status" || fail "the RT token leaked into a log"
note "an RT that answers garbage, and one that refuses the token: reported in words, the events kept"

# relay.conf: a JSON-only setting on an RT receiver, and a world-readable token file, are refused.
stop_relay
chmod 644 "$R/handoff.token"
"$BIN/handoff-relay" webhooks "$RELAY_DIR" status >"$E2E_TMP/conf" 2>&1 && fail "a world-readable token file was accepted"
grep -q "rt_token_file.*may be read by other users" "$E2E_TMP/conf" || fail "the token file's mode is not named: $(cat "$E2E_TMP/conf")"
chmod 600 "$R/handoff.token"
stop_rt
