#!/bin/sh
# with-postgres.sh COMMAND...: runs COMMAND with a PostgreSQL server of its
# own (tests/postgres.sh) and HANDOFF_TEST_PG set to its URL, so that the
# unit tests run their store cases on PostgreSQL too (tests/unit/teststore.h);
# the server is stopped and removed after, whatever COMMAND's status, which
# is this script's.
set -u

here=$(dirname "$0")
base=$(mktemp -d "${TMPDIR:-/tmp}/handoff-pg.XXXXXX") || exit 2
chmod 755 "$base"
dir=$base/pg
cleanup() {
	sh "$here/../postgres.sh" stop "$dir" 2>/dev/null
	rmdir "$base" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
url=$(sh "$here/../postgres.sh" start "$dir") || exit 2
HANDOFF_TEST_PG=$url
export HANDOFF_TEST_PG
"$@"
