#!/bin/bash
# The desk at scale (issue 19): `kb search` over BENCH_KB_ARTICLES (10,000)
# articles and `report` over BENCH_TICKETS (100,000) tickets' events, through
# OpenSSH, each BENCH_RUNS (5) times; prints the median and the slowest.
# The rows are written straight into the relay's database with sqlite3 while
# the relay is stopped (created, opened-as and, for some, escalated,
# resolved, resolved-by-kb and sla-breach events, without chain hashes:
# report reads the events, not the hashes); the articles go through the
# same triggers that keep the FTS5 index.
#
#   bash bench/desk.sh [BUILD]      (default build; not part of make check)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
make -C "$ROOT" -s BUILD="$BUILD" all >/dev/null || exit 1
export BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tests"
. "$ROOT/tests/e2e/lib.sh"

TICKETS=${BENCH_TICKETS:-100000}
ARTICLES=${BENCH_KB_ARTICLES:-10000}
RUNS=${BENCH_RUNS:-5}

start_relay
add_user audrey auditor
add_user bob tech L2
stop_relay
sqlite3 "$RELAY_DIR/handoff.db" <<SQL || fail "could not fill the database"
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $TICKETS)
INSERT INTO tickets (id, summary, state, tier, priority, created_at, updated_at, tier_since)
SELECT i, 'ticket ' || i, CASE WHEN i % 2 = 0 THEN 'resolved' ELSE 'open' END, CASE WHEN i % 5 = 0 THEN 'L2' ELSE 'L1' END,
       'P' || (1 + i % 4), 1700000000 + i * 60, 1700000000 + i * 60, 1700000000 + i * 60 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $TICKETS),
ev(t, at, kind, actor, role, detail, o) AS (
  SELECT i, 1700000000 + i * 60, 'created', 'alice', 'L1', 'ticket ' || i, 0 FROM n
  UNION ALL SELECT i, 1700000000 + i * 60, 'opened-as', 'alice', 'L1',
       'tier L1, priority P' || (1 + i % 4) || ', owner alice: ticket ' || i, 1 FROM n
  UNION ALL SELECT i, 1700000000 + i * 60 + 900, 'escalated', 'alice', 'L1', 'L1 -> L2: tried', 2 FROM n WHERE i % 5 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 1200, 'sla-breach', 'relay', 'relay', 'resolve: target passed', 3 FROM n WHERE i % 7 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 3600, 'resolved', 'alice', 'L1', 'fixed', 4 FROM n WHERE i % 2 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 3600, 'resolved-by-kb', 'alice', 'L1', '#' || (1 + i % $ARTICLES), 5 FROM n WHERE i % 10 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 4000, 'reviewed', 'bob', 'L2', 'cause: mailbox quota ' || i || ' filled the disk', 6 FROM n WHERE i % 8 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 4000, 'reviewed', 'bob', 'L2', 'prevention: alert at 80 percent', 7 FROM n WHERE i % 8 = 0
  UNION ALL SELECT i, 1700000000 + i * 60 + 5000, 'reopened', 'alice', 'L1', 'came back', 8 FROM n WHERE i % 20 = 0)
INSERT INTO events (ticket_id, at, kind, actor, role, clearance, detail) SELECT t, at, kind, actor, role, '', detail FROM ev ORDER BY at, t, o;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ARTICLES)
INSERT INTO kb (title, symptoms, cause, fix, tier, author, created_at, updated_at)
SELECT 'article ' || i || CASE WHEN i % 100 = 1 THEN ' プリンターで印刷できない' ELSE ' mailbox quota' END,
       'symptom ' || hex(randomblob(16)) || ' 0x' || printf('%08X', i) || CASE WHEN i % 3 = 0 THEN ' スプーラーがエラーを返す' ELSE ' disk full' END,
       'cause ' || i, 'fix ' || hex(randomblob(24)), CASE WHEN i % 4 = 0 THEN 'L3' ELSE 'L1' END, 'alice', 0, 0 FROM n;
COMMIT;
SQL
restart_relay
events=$(sqlite3 "$RELAY_DIR/handoff.db" "SELECT count(*) FROM events")

# time_ms USER COMMAND...: milliseconds of one command through OpenSSH, output kept in $E2E_TMP/last.
time_ms() {
	local a b
	a=$(date +%s%N)
	tech_ssh "$@" >"$E2E_TMP/last" || fail "'$*' failed: $(head -3 "$E2E_TMP/last")"
	b=$(date +%s%N)
	echo $(((b - a) / 1000000))
}
measure() { # LABEL USER COMMAND...
	local label=$1 t=() i
	shift
	for ((i = 0; i < RUNS; i++)); do t+=("$(time_ms "$@")"); done
	printf '%s\n' "${t[@]}" | sort -n >"$E2E_TMP/times"
	printf '%-44s median %6s ms, slowest %6s ms (%s)\n' "$label" "$(sed -n "$(((RUNS + 1) / 2))p" "$E2E_TMP/times")" \
		"$(tail -1 "$E2E_TMP/times")" "$(wc -l <"$E2E_TMP/last") lines"
}
echo "desk at scale: $TICKETS tickets ($events events), $ARTICLES articles; $RUNS runs each, through OpenSSH"
measure "whoami (the ssh round trip alone)" alice whoami
measure "kb search 0x00001F41 (one article)" alice kb search 0x00001F41
measure "kb search スプーラー (trigram, 1 in 3, auditor)" audrey kb search スプーラー
measure "kb search 印刷 (2 characters: no index, auditor)" audrey kb search 印刷
measure "kb list (L1: 7,500 readable, 50 shown)" alice kb list
measure "review (37,500 P1/P2 awaiting one, auditor)" audrey review
measure "ticket new (recurrence: 12,500 reviewed causes)" alice ticket new the mailbox quota filled the disk
measure "report --json" audrey report --json
measure "report --by tier --json" audrey report --by tier --json
measure "report --by kb --html" audrey report --by kb --html
stop_relay
