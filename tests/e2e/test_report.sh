# report (issue 19, part 4): the desk's numbers from the audit chain's events, checked against
# a known story told through handoff-tech with the relay's test clock (durations within the
# real seconds the test itself takes): three tickets, one resolved with a knowledge base
# article, one escalated from L1 and breaching its SLA, one P1 starting at L2. Every grouping
# (tier, tech, priority, kb), the window, --csv, a self-contained --html page whose SVG
# charts a headless Chromium draws (pixels checked), the same numbers after a restart, and
# bad dates and groupings refused; the same numbers from the tickets' verified exports.
. "$(dirname "$0")/lib.sh"

export HANDOFF_CLOCK_OFFSET_FILE="$E2E_TMP/clock"
echo 0 >"$HANDOFF_CLOCK_OFFSET_FILE"
start_relay "sla_p2 = 0 2500" "escalate_after_l1 = 0" "escalate_after_l2 = 0"
add_user bob tech L2
add_user audrey auditor

t1=$(as alice ticket new Printer jammed) || fail "ticket new failed"
t2=$(as alice ticket new VPN drops) || fail "ticket new failed"
as alice triage "$t2" --impact medium --urgency high >/dev/null || fail "triage failed"
t3=$(as alice ticket new --priority P1 Mail is down) || fail "ticket new failed"
kb=$(as alice kb add --tier L1 --title Jammed printer --symptoms paper jam light --fix open tray B) || fail "kb add failed"
relay_clock 1000
as alice resolve "$t1" --note cleared the jam --kb "$kb" >/dev/null || fail "resolve failed"
relay_clock 1500
as alice escalate "$t2" --to L2 --note tunnel logs attached >/dev/null || fail "escalate failed"
relay_clock 2000
as bob take "$t2" >/dev/null && as bob take "$t3" >/dev/null || fail "take failed"
relay_clock 2600
wait_events 10 "$t2" sla-breach 1 || fail "no SLA breach for the P2 ticket"
relay_clock 3000
as bob resolve "$t2" --note new VPN profile >/dev/null && as bob resolve "$t3" --note mail queue restarted >/dev/null ||
	fail "resolve failed"
note "the story: 3 tickets, 1 resolved by an article, 1 escalated from L1, 1 SLA breach, 1 P1 at L2"

check() { # WHAT JSON PYTHON-ASSERTIONS
	python3 - "$2" "$3" <<'PY' || fail "report $1: $(cat "$2")"
import json, sys
r = json.load(open(sys.argv[1]))
g = {x["key"]: x for x in r["groups"]}
t = r["total"]
tiers = {x["tier"]: x for x in r["tiers"]}
near = lambda v, want: v is not None and want <= v <= want + 150
exec(sys.argv[2])
PY
}
as audrey report --json >"$E2E_TMP/total.json" || fail "report --json failed"
check total "$E2E_TMP/total.json" '
assert (t["opened"], t["resolved"], t["escalations"], t["sla_breaches"], t["reopened"], t["resolved_by_kb"]) == (3, 3, 1, 1, 0, 1), t
assert near(t["mttr"], 2333), t["mttr"]
assert t["first_response"] == 0, t
assert r["groups"] == [] and r["by"] == "total"
assert tiers["L1"]["stays"] == 2 and near(tiers["L1"]["mean_time"], 1250) and tiers["L1"]["escalated"] == 1 and tiers["L1"]["escalation_pct"] == 50, tiers["L1"]
assert tiers["L2"]["stays"] == 2 and near(tiers["L2"]["mean_time"], 2250) and tiers["L2"]["escalation_pct"] == 0, tiers["L2"]
assert tiers["L3"]["stays"] == 0 and tiers["L3"]["mean_time"] is None
'
as audrey report --by tier --json >"$E2E_TMP/tier.json" || fail "report --by tier failed"
check "--by tier" "$E2E_TMP/tier.json" '
assert sorted(g) == ["L1", "L2"], g
assert (g["L1"]["opened"], g["L1"]["resolved"], g["L1"]["resolved_by_kb"], g["L1"]["escalations"]) == (1, 1, 1, 0), g["L1"]
assert (g["L2"]["opened"], g["L2"]["resolved"], g["L2"]["sla_breaches"], g["L2"]["escalations"]) == (2, 2, 1, 1), g["L2"]
assert near(g["L1"]["mttr"], 1000) and near(g["L2"]["mttr"], 3000), g
'
as audrey report --by tech --json >"$E2E_TMP/tech.json" || fail "report --by tech failed"
check "--by tech" "$E2E_TMP/tech.json" 'assert sorted(g) == ["alice", "bob"] and g["alice"]["resolved"] == 1 and g["bob"]["resolved"] == 2, g'
as audrey report --by priority --json >"$E2E_TMP/prio.json" || fail "report --by priority failed"
check "--by priority" "$E2E_TMP/prio.json" 'assert sorted(g) == ["P1", "P2", "P3"] and g["P2"]["sla_breaches"] == 1, g'
as audrey report --by kb --json >"$E2E_TMP/kb.json" || fail "report --by kb failed"
check "--by kb" "$E2E_TMP/kb.json" "assert sorted(g) == ['#$kb', 'none'] and g['#$kb']['resolved_by_kb'] == 1 and g['none']['resolved'] == 2, g"
note "report --json: totals, time in tier and escalation rate per tier, and every grouping match the story"

# Days on the relay's clock (3000 s ahead), so that a run near midnight picks the same days.
now=$(($(date +%s) + 3000))
today=$(date -u -d "@$now" +%F)
tomorrow=$(date -u -d "@$((now + 86400))" +%F)
as audrey report --since "$tomorrow" --json >"$E2E_TMP/later.json" || fail "report --since failed"
check "--since tomorrow" "$E2E_TMP/later.json" 'assert (t["opened"], t["resolved"], t["sla_breaches"]) == (0, 0, 0), t'
yesterday=$(date -u -d "@$((now - 86400))" +%F)
as audrey report --since "$yesterday" --until "$today" --json >"$E2E_TMP/window.json" || fail "report window failed"
check window "$E2E_TMP/window.json" 'assert (t["opened"], t["resolved"]) == (3, 3), t'
as audrey report --by tier --csv >"$E2E_TMP/r.csv" || fail "report --csv failed"
[ "$(head -1 "$E2E_TMP/r.csv")" = "tier,opened,resolved,mttr_s,first_response_s,escalations,sla_breaches,reopened,resolved_by_kb" ] &&
	grep -q '^"L2",2,2,' "$E2E_TMP/r.csv" && grep -q '^"total",3,3,' "$E2E_TMP/r.csv" || fail "report --csv: $(cat "$E2E_TMP/r.csv")"
as audrey report --by tier >"$E2E_TMP/r.txt" || fail "report failed"
grep -q "^L1: 2 stays ended, mean time in tier .*, escalated 1 (50%)$" "$E2E_TMP/r.txt" || fail "report text: $(cat "$E2E_TMP/r.txt")"
as audrey report --by tier --html >"$E2E_TMP/r.html" || fail "report --html failed"
[ "$(grep -o '<svg' "$E2E_TMP/r.html" | wc -l)" = 3 ] && [ "$(grep -o '<rect' "$E2E_TMP/r.html" | wc -l)" = 6 ] ||
	fail "the page has not 3 charts of 2 bars"
grep -Eq '<script|<link|src=|href=|url\(' "$E2E_TMP/r.html" && fail "the page reaches outside itself"
grep -o 'http[^"]*' "$E2E_TMP/r.html" | grep -vqx 'http://www.w3.org/2000/svg' && fail "the page names an address"
# Debian's Chromium, headless, draws the page to a PNG; each chart's bars are there in their colour.
timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
	--disable-component-update --user-data-dir="$E2E_TMP/chromium" --window-size=800,1400 \
	--screenshot="$E2E_TMP/r.png" "file://$E2E_TMP/r.html" >"$E2E_TMP/chromium.log" 2>&1 ||
	fail "chromium could not render the page: $(tail -3 "$E2E_TMP/chromium.log")"
ffmpeg -loglevel error -y -i "$E2E_TMP/r.png" -f rawvideo -pix_fmt rgb24 "$E2E_TMP/r.rgb" || fail "the PNG does not decode"
python3 - "$E2E_TMP/r.rgb" <<'PY' || fail "the rendered page lacks a chart"
import sys
d = open(sys.argv[1], "rb").read()
count = {}
for i in range(0, len(d) - 2, 3):
    px = d[i:i + 3]
    count[px] = count.get(px, 0) + 1
# Resolved (2 bars), mean time to resolve (2 bars), SLA breaches (L2's bar; L1 has none).
for name, rgb in (("resolved", (0x2a, 0x7a, 0xb9)), ("mttr", (0xd9, 0x82, 0x2b)), ("breaches", (0xc2, 0x30, 0x30))):
    n = count.get(bytes(rgb), 0)
    assert n >= 5000, (name, n)
PY
note "the window, --csv, the text table and a self-contained --html page whose 3 inline SVG charts a headless Chromium draws"

rc=0
as audrey report --since 2026-13-01 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'since wants a day as YYYY-MM-DD, got "2026-13-01"' "$E2E_TMP/err" || fail "a bad date: $rc $(cat "$E2E_TMP/err")"
rc=0
as audrey report --since "$tomorrow" --until "$today" 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] || fail "--until before --since: $rc"
rc=0
as audrey report --by colour 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -q "by is tier, tech, priority or kb" "$E2E_TMP/err" || fail "--by colour: $rc $(cat "$E2E_TMP/err")"
rc=0
as audrey report --csv --html 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "two formats: $rc"
rc=0
as alice report 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 3 ] || fail "a technician ran report: $rc"
note "a malformed date, an inverted window, an unknown grouping, two formats and a technician: refused"

# The same numbers from the tickets' exports, verified offline by handoff-tech.
for t in "$t1" "$t2" "$t3"; do
	tech_ssh audrey export "$t" >"$E2E_TMP/t$t.export" || fail "export $t failed"
done
as audrey report --audit-key "$RELAY_DIR/keys/audit_ed25519.pub" --by tier --json \
	"$E2E_TMP/t$t3.export" "$E2E_TMP/t$t1.export" "$E2E_TMP/t$t2.export" >"$E2E_TMP/offline.json" ||
	fail "the offline report failed: $(cat "$E2E_TMP/offline.json")"
cmp -s "$E2E_TMP/tier.json" "$E2E_TMP/offline.json" ||
	fail "the exports give other numbers: $(cat "$E2E_TMP/tier.json" "$E2E_TMP/offline.json")"
cp "$E2E_TMP/t$t2.export" "$E2E_TMP/bad.export"
printf 'X' | dd of="$E2E_TMP/bad.export" bs=1 seek=200 conv=notrunc 2>/dev/null
rc=0
as audrey report --audit-key "$RELAY_DIR/keys/audit_ed25519.pub" --json "$E2E_TMP/t$t1.export" "$E2E_TMP/bad.export" \
	>"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "export verification FAILED" "$E2E_TMP/err" && [ ! -s "$E2E_TMP/out" ] ||
	fail "a damaged export counted: $rc $(cat "$E2E_TMP/err")"
note "handoff-tech report over the three verified exports gives the relay's numbers byte for byte; a damaged export fails it"

stop_relay
restart_relay
as audrey report --by tier --json >"$E2E_TMP/again.json" || fail "report after restart failed"
cmp -s "$E2E_TMP/tier.json" "$E2E_TMP/again.json" || fail "the numbers changed across a restart"
as audrey verify | grep -q "^chain ok" || fail "verify failed"
note "the same numbers after a restart, from the verified chain"
stop_relay
