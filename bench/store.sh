#!/bin/sh
# bench/store.sh BUILD: audit chain appends per second, SQLite beside
# PostgreSQL (a server of its own from tests/postgres.sh, durability ON:
# fsync and synchronous_commit as an operator's would be), 1 and 2 writers.
# BENCH_APPENDS records per writer (2000).
set -u
BUILD=${1:-build}
N=${BENCH_APPENDS:-2000}
TOOL=$BUILD/bench/store_append
tmp=$(mktemp -d /tmp/handoff-bench-store.XXXXXX) || exit 1
chmod 755 "$tmp"
trap 'sh tests/postgres.sh stop "$tmp/pg" 2>/dev/null; rm -rf "$tmp"' EXIT
url=$(HANDOFF_PG_DURABLE=1 sh tests/postgres.sh start "$tmp/pg") || exit 1
echo "store      writers records appends/s"
for writers in 1 2; do
	rm -f "$tmp/handoff.db"*
	"$TOOL" "$tmp/handoff.db" "$writers" "$N" || exit 1
	"$TOOL" "$url" "$writers" "$N" || exit 1
done
