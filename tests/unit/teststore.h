/*
 * teststore.h: the store a unit test opens, on either backend.
 *
 * A test's main runs its store cases once on SQLite and, when
 * HANDOFF_TEST_PG holds a URL (tests/unit/with-postgres.sh sets it), once
 * more on PostgreSQL: teststore_backend says which round it is. Each case
 * gets a fresh, empty store: a temporary directory for SQLite, a schema of
 * its own for PostgreSQL (one CREATE SCHEMA, far quicker than a database
 * per case), named in the URL's search_path so the relay's code opens it
 * as it would any database. pg_trgm lives in public, created once by the
 * script, which is why public follows on the path.
 */
#ifndef HANDOFF_TESTS_TESTSTORE_H
#define HANDOFF_TESTS_TESTSTORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

enum teststore_kind { TESTSTORE_SQLITE, TESTSTORE_PG };

/* The round being run; set by teststore_run. */
static enum teststore_kind teststore_backend = TESTSTORE_SQLITE;

struct teststore {
	char dir[64];     /* the temporary directory (both backends: tests put files there) */
	char spec[512];   /* what store_open gets */
	char schema[32];  /* PostgreSQL: the case's schema */
};

/* A fresh store spec in t; 0 or -1. */
static int teststore_make(struct teststore *t)
{
	static unsigned serial;
	const char *url = getenv("HANDOFF_TEST_PG");
	PGconn *conn;
	PGresult *res;
	char sql[96];
	int ok;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/handoff-store.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	if (teststore_backend == TESTSTORE_SQLITE) {
		snprintf(t->spec, sizeof(t->spec), "%s/handoff.db", t->dir);
		return 0;
	}
	if (url == NULL)
		return -1;
	snprintf(t->schema, sizeof(t->schema), "t%ld_%u", (long)getpid(), ++serial);
	conn = PQconnectdb(url);
	/* The name is ours (digits and a letter), not data from outside: it is part of the statement. */
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", t->schema);
	res = PQexec(conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "teststore: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	snprintf(t->spec, sizeof(t->spec), "%s%soptions=-csearch_path%%3D%s%%2Cpublic", url, strchr(url, '?') ? "&" : "?",
		 t->schema);
	return ok ? 0 : -1;
}

static void teststore_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* DROP SCHEMA ... CASCADE lists what it dropped */
}

/* Removes t's store: the schema, or the SQLite files, and the directory. */
static void teststore_drop(struct teststore *t)
{
	char cmd[160];

	if (t->schema[0] != '\0') {
		PGconn *conn = PQconnectdb(getenv("HANDOFF_TEST_PG"));
		char sql[96];

		PQsetNoticeProcessor(conn, teststore_quiet, NULL);
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", t->schema);
		PQclear(PQexec(conn, sql));
		PQfinish(conn);
	}
	if (t->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "%s/handoff.db", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/handoff.db-wal", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/handoff.db-shm", t->dir);
	unlink(cmd);
	rmdir(t->dir);
}

/*
 * Runs a group of store cases on each backend there is; the second
 * round's name gets " (postgresql)". The failures of both rounds add up.
 */
static int teststore_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	char pg_name[128];
	int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);

	if (getenv("HANDOFF_TEST_PG") != NULL) {
		snprintf(pg_name, sizeof(pg_name), "%s (postgresql)", name);
		teststore_backend = TESTSTORE_PG;
		failed += _cmocka_run_group_tests(pg_name, tests, n, NULL, NULL);
		teststore_backend = TESTSTORE_SQLITE;
	}
	return failed;
}

#endif
