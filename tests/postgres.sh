#!/bin/sh
# postgres.sh start DIR | stop DIR: a throwaway PostgreSQL server for the tests.
#
# start makes a cluster in DIR (which must not exist; its parent is
# writable) with Debian's server (postgresql-15), listening on a Unix
# socket in DIR only (no TCP port, nothing for other tests to collide
# with), with a database "handoff" that has pg_trgm, and prints the URL
# store_open takes. Durability is off (fsync, synchronous_commit): a test
# server never outlives its test, and the writes are what takes the time;
# HANDOFF_PG_DURABLE=1 keeps PostgreSQL's defaults (bench/store.sh).
# As root it runs as nobody (initdb refuses root), who then owns DIR.
# stop ends it at once and removes DIR. down stops the server and keeps
# its data, up starts it again (a database restart under a live relay).
set -eu

die() {
	echo "postgres.sh: $*" >&2
	exit 1
}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || die "no PostgreSQL server: install postgresql-15 (make deps)"

# Commands as the server's owner: nobody when we are root.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

[ $# -eq 2 ] || die "usage: postgres.sh start|stop|down|up DIR"
dir=$2

serve() {
	fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ "${HANDOFF_PG_DURABLE:-0}" != 1 ] || fast=""
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-k $dir -c listen_addresses= $fast -c max_connections=60" start >/dev/null; then
		cat "$dir/server.log" >&2
		die "the server did not start"
	fi
}

case $1 in
start)
	[ ! -e "$dir" ] || die "$dir exists"
	mkdir -m 700 "$dir"
	[ "$(id -u)" -ne 0 ] || chown nobody "$dir"
	if ! as_owner "$bindir/initdb" -D "$dir/data" -U handoff -A trust -E UTF8 --locale=C.UTF-8 -N \
		>"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	fi
	serve
	as_owner "$bindir/psql" -q -X -h "$dir" -U handoff -d postgres -c "CREATE DATABASE handoff" >/dev/null
	as_owner "$bindir/psql" -q -X -h "$dir" -U handoff -d handoff -c "CREATE EXTENSION pg_trgm" >/dev/null
	echo "postgresql:///handoff?host=$dir&user=handoff"
	;;
down)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || die "the server did not stop"
	;;
up)
	serve
	;;
stop)
	[ -d "$dir/data" ] || die "$dir holds no server"
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	die "usage: postgres.sh start|stop|down|up DIR"
	;;
esac
