/*
 * store_append.c: audit chain appends per second through store.h, as the
 * relay makes them (relay_audit_event: the chain's hashes and one
 * transaction per record), by WRITERS threads with a connection each.
 * With a postgresql:// STORE, the writers stand for relays sharing one
 * database; with an SQLite file, for the relay's loop and its job thread.
 *
 *   store_append STORE WRITERS RECORDS   (RECORDS per writer)
 *
 * Prints "STORE-KIND WRITERS RECORDS appends/s"; exits non-zero when an
 * append failed or the chain's count is not WRITERS * RECORDS more.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "store.h"

struct writer {
	const char *spec;
	int64_t ticket;
	int records, failed;
};

static void *store_append_run(void *arg)
{
	struct writer *w = arg;
	struct store *st = NULL;
	char err[256];

	if (store_open(w->spec, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "store_append: %s\n", err);
		w->failed = w->records;
		return NULL;
	}
	for (int i = 0; i < w->records; i++)
		if (relay_audit_event(st, w->ticket, (int64_t)time(NULL), "chat", "alice", "L1", NULL,
				      "a line of chat of about the length people type") != STORE_OK)
			w->failed++;
	store_close(st);
	return NULL;
}

int main(int argc, char **argv)
{
	struct store_ticket_spec spec = { .summary = "bench", .priority = "P3", .tier = "L1" };
	struct writer w[16];
	pthread_t th[16];
	struct store *st = NULL;
	struct timespec t0, t1;
	int64_t ticket, before, after, cps;
	int writers, records, failed = 0;
	char err[256];
	double s;

	if (argc != 4 || (writers = atoi(argv[2])) < 1 || writers > 16 || (records = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: store_append STORE WRITERS(1-16) RECORDS\n");
		return 2;
	}
	if (store_open(argv[1], &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "store_append: %s\n", err);
		return 1;
	}
	if (store_ticket_new(st, &spec, (int64_t)time(NULL), &ticket) != STORE_OK ||
	    store_chain_counts(st, &before, &cps) != STORE_OK) {
		fprintf(stderr, "store_append: the store failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < writers; i++) {
		w[i] = (struct writer){ .spec = argv[1], .ticket = ticket, .records = records };
		if (pthread_create(&th[i], NULL, store_append_run, &w[i]) != 0)
			return 1;
	}
	for (int i = 0; i < writers; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (store_chain_counts(st, &after, &cps) != STORE_OK || failed > 0 || after - before != (int64_t)writers * records) {
		fprintf(stderr, "store_append: %d appends failed, the chain grew by %lld\n", failed,
			(long long)(after - before));
		return 1;
	}
	printf("%-10s %2d %6d %8.0f\n", store_backend_name(st), writers, records, (double)writers * records / s);
	store_close(st);
	return 0;
}
