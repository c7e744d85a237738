/*
 * Webhooks without a network: the outbox rows store_chain_append writes
 * (one per receiver that wants the kind, none for an inactive receiver),
 * the order the store hands them out in (a ticket's head only, so a
 * failing event holds its ticket and no other), failures and recoveries
 * counted once (a success elsewhere does not end a failure), retry and
 * status; the body of an escalation (packet inline,
 * SHA-256s, clearance withheld); relay.conf's webhook settings and their
 * refusals; the back-off's bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "event.h"
#include "hex.h"
#include "store.h"
#include "teststore.h"
#include "webhook.h"

struct fixture {
	struct teststore ts;
	const char *dir; /* the store's temporary directory: test_conf writes relay.conf there */
	struct store *st;
	int64_t t1, t2;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_ticket_spec spec = { .summary = "Printer \"0x12\"", .priority = "P3", .tier = "L1" };
	char err[256];

	assert_int_equal(teststore_make(&f->ts), 0);
	f->dir = f->ts.dir;
	if (store_open(f->ts.spec, &f->st, err, sizeof(err)) != STORE_OK)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &f->t1), STORE_OK);
	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &f->t2), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const written[] = { "relay.conf", "desk.secret" };
	char path[160];

	store_close(f->st);
	for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, written[i]);
		unlink(path);
	}
	teststore_drop(&f->ts);
	free(f);
	return 0;
}

struct rows {
	int n;
	char receiver[8][32];
	int64_t seq[8], attempts[8];
};

static int collect(const struct store_outbox_row *r, void *ctx)
{
	struct rows *rows = ctx;

	if (rows->n == 8)
		return 1;
	snprintf(rows->receiver[rows->n], sizeof(rows->receiver[0]), "%s", r->receiver);
	rows->seq[rows->n] = r->seq;
	rows->attempts[rows->n++] = r->attempts;
	return 0;
}

static struct rows due(struct store *st, int64_t now)
{
	struct rows rows = { 0 };

	assert_int_equal(store_outbox_due(st, NULL, NULL, now, 8, collect, &rows), STORE_OK);
	return rows;
}

/* What relay `claimant` reads as due of receiver "desk". */
static struct rows due_for(struct store *st, const char *claimant, int64_t now)
{
	struct rows rows = { 0 };

	assert_int_equal(store_outbox_due(st, "desk", claimant, now, 8, collect, &rows), STORE_OK);
	return rows;
}

struct status {
	int n;
	struct store_outbox_status s[4];
	char err[4][128], name[4][32];
};

static int status_row(const struct store_outbox_status *s, void *ctx)
{
	struct status *all = ctx;

	all->s[all->n] = *s;
	snprintf(all->err[all->n], sizeof(all->err[0]), "%s", s->last_error);
	snprintf(all->name[all->n], sizeof(all->name[0]), "%s", s->name);
	all->n++;
	return 0;
}

static void test_outbox_rows_and_order(void **state)
{
	struct fixture *f = *state;
	const struct store_outbox_receiver r[2] = { { "desk", "all" }, { "chat", ",chat,resolved," } };
	struct rows rows;
	struct status st = { 0 };
	int flag = -1;
	int64_t count = 0;

	/* Before any receiver: nothing queued. */
	assert_int_equal(relay_audit_event(f->st, f->t1, 1000, EVENT_CREATED, "alice", "L1", NULL, "x"), STORE_OK);
	assert_int_equal(due(f->st, 1000).n, 0);
	assert_int_equal(store_outbox_receivers_set(f->st, r, 2), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1001, EVENT_CHAT, "alice", "L1", NULL, "hello"), STORE_OK); /* 2 */
	assert_int_equal(relay_audit_event(f->st, f->t1, 1002, EVENT_NOTE, "alice", "L1", NULL, "n"), STORE_OK);     /* 3 */
	assert_int_equal(relay_audit_event(f->st, f->t2, 1003, EVENT_CHAT, "alice", "L1", NULL, "other"), STORE_OK); /* 4 */
	/* Heads only: desk's 2 (ticket 1) and 4 (ticket 2), chat's 2 and 4; the note waits behind desk's 2. */
	rows = due(f->st, 2000);
	assert_int_equal(rows.n, 4);
	assert_int_equal(rows.seq[0], 2);
	assert_int_equal(rows.seq[1], 2);
	assert_int_equal(rows.seq[2], 4);
	assert_int_equal(rows.seq[3], 4);
	/* desk's 2 fails: it holds ticket 1 (3 stays back) but not ticket 2. */
	assert_int_equal(store_outbox_failed(f->st, "desk", 2, 2000, 2100, "HTTP 500 from the receiver", &flag), STORE_OK);
	assert_int_equal(flag, 1);
	assert_int_equal(store_outbox_failed(f->st, "desk", 2, 2001, 2100, "HTTP 500 again", &flag), STORE_OK);
	assert_int_equal(flag, 0); /* already failing: no second failing event */
	rows = due(f->st, 2050);
	for (int i = 0; i < rows.n; i++)
		assert_false(strcmp(rows.receiver[i], "desk") == 0 && rows.seq[i] != 4);
	assert_int_equal(store_outbox_delivered(f->st, "desk", 4, 2050, &flag), STORE_OK);
	/* A success elsewhere does not end the failing state while 2 still waits on its failure: no flapping. */
	assert_int_equal(flag, 0);
	/* Past next_at the failed head is due again, with its attempts; retry makes it due at once. */
	rows = due(f->st, 2100);
	assert_int_equal(rows.n, 3);
	assert_int_equal(store_outbox_retry(f->st, "desk", &count), STORE_OK);
	assert_int_equal(count, 2);
	rows = due(f->st, 2001);
	for (int i = 0; i < rows.n; i++)
		if (strcmp(rows.receiver[i], "desk") == 0 && rows.seq[i] == 2)
			assert_int_equal(rows.attempts[i], 2);
	assert_int_equal(store_outbox_delivered(f->st, "desk", 2, 2101, &flag), STORE_OK);
	assert_int_equal(flag, 1); /* recovered: nothing of desk waits on a failure now */
	/* Delivering a row twice is refused (it is gone). */
	assert_int_equal(store_outbox_delivered(f->st, "desk", 2, 2101, NULL), STORE_NOT_FOUND);
	rows = due(f->st, 2101);
	assert_int_equal(rows.n, 3); /* desk's note 3, chat's 2 and 4 */
	/* An inactive receiver keeps its rows but gets no new ones and is not handed out. */
	assert_int_equal(store_outbox_receivers_set(f->st, r, 1), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->t2, 1004, EVENT_CHAT, "alice", "L1", NULL, "more"), STORE_OK); /* 5 */
	rows = due(f->st, 2101);
	for (int i = 0; i < rows.n; i++)
		assert_string_equal(rows.receiver[i], "desk");
	assert_int_equal(store_outbox_status(f->st, status_row, &st), STORE_OK);
	assert_int_equal(st.n, 2);
	assert_string_equal(st.name[0], "chat");
	assert_int_equal(st.s[0].active, 0);
	assert_int_equal(st.s[0].pending, 2);
	assert_string_equal(st.name[1], "desk");
	assert_int_equal(st.s[1].delivered, 2);
	assert_int_equal(st.s[1].pending, 2); /* 3 and 5 */
	assert_int_equal(st.s[1].failing_since, 0);
	assert_string_equal(st.err[1], "");
}

/*
 * Two relays of one store share the outbox: a row relay a claimed is not
 * due for relay b, nor is the rest of its ticket, until a delivers it or
 * a's lease is over (a died); b's claim of a's row is refused, a's own
 * claim extends its lease.
 */
static void test_outbox_claims(void **state)
{
	struct fixture *f = *state;
	const struct store_outbox_receiver r[1] = { { "desk", "all" } };
	struct rows rows;

	assert_int_equal(store_outbox_receivers_set(f->st, r, 1), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1000, EVENT_CHAT, "alice", "L1", NULL, "one"), STORE_OK);   /* 1 */
	assert_int_equal(relay_audit_event(f->st, f->t1, 1001, EVENT_CHAT, "alice", "L1", NULL, "two"), STORE_OK);   /* 2 */
	assert_int_equal(relay_audit_event(f->st, f->t2, 1002, EVENT_CHAT, "alice", "L1", NULL, "other"), STORE_OK); /* 3 */
	assert_int_equal(due_for(f->st, "relay-a", 2000).n, 2);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-a", 2000, 2060), STORE_OK);
	/* b sees ticket 2's head only; its claim of a's row is refused, a's own goes through (a longer lease). */
	rows = due_for(f->st, "relay-b", 2001);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.seq[0], 3);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-b", 2001, 2061), STORE_NOT_FOUND);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-a", 2001, 2090), STORE_OK);
	assert_int_equal(due_for(f->st, "relay-a", 2001).n, 2);
	/* a dies with the row: past its lease b may take it, and then a may not. */
	assert_int_equal(due_for(f->st, "relay-b", 2089).n, 1);
	rows = due_for(f->st, "relay-b", 2090);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.seq[0], 1);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-b", 2090, 2150), STORE_OK);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-a", 2091, 2151), STORE_NOT_FOUND);
	/* Delivered, its ticket's next row is due for either relay; a row that is gone cannot be claimed. */
	assert_int_equal(store_outbox_delivered(f->st, "desk", 1, 2091, NULL), STORE_OK);
	rows = due_for(f->st, "relay-a", 2091);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.seq[0], 2);
	assert_int_equal(store_outbox_claim(f->st, "desk", 1, "relay-a", 2091, 2151), STORE_NOT_FOUND);
	/* Without a claimant every head is due, claimed or not (webhooks status, tests). */
	assert_int_equal(store_outbox_claim(f->st, "desk", 2, "relay-b", 2091, 2151), STORE_OK);
	assert_int_equal(due_for(f->st, NULL, 2092).n, 2);
	assert_int_equal(due_for(f->st, "relay-a", 2092).n, 1);
}

/* The outbox row and the event are one: a rolled-back event leaves no row. */
static void test_outbox_in_the_event_transaction(void **state)
{
	struct fixture *f = *state;
	const struct store_outbox_receiver r = { "desk", "all" };

	assert_int_equal(store_outbox_receivers_set(f->st, &r, 1), STORE_OK);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1001, EVENT_CHAT, "alice", "L1", NULL, "gone"), STORE_OK);
	assert_int_equal(due(f->st, 2000).n, 1);
	store_rollback(f->st);
	assert_int_equal(due(f->st, 2000).n, 0);
}

static const struct relay_webhook_conf desk_l1 = {
	.name = "desk", .url = "https://desk.example/hook", .kinds = "all", .clearance = "L1", .timeout = 5,
	.backoff_max = 60, .inline_max = 1024,
};

static void attach(struct fixture *f, const char *kind, const char *clearance, const char *text, int64_t *id)
{
	char sha[65], detail[600];
	uint8_t digest[32];

	assert_int_equal(store_attachment_add(f->st, f->t1, 1100, kind, "a.txt", "alice", clearance, text, strlen(text), id,
					      sha),
			 STORE_OK);
	assert_int_equal(hex_decode(sha, 64, digest, 32), 0);
	assert_int_equal(event_attachment_format(detail, sizeof(detail), *id, kind, "a.txt", strlen(text), digest), 0);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1100, EVENT_ATTACHMENT_ADDED, "alice", "L1", NULL, detail),
			 STORE_OK);
}

static char *body_of(struct fixture *f, const struct relay_webhook_conf *r, int64_t seq)
{
	struct buf b;
	char *s;

	buf_init(&b, RELAY_WEBHOOK_BODY_MAX);
	assert_int_equal(relay_webhook_body(f->st, r, "handoff-test", seq, f->t1, &b), STORE_OK);
	s = strndup((const char *)buf_ptr(&b), buf_len(&b));
	buf_free(&b);
	return s;
}

static void test_body_escalation(void **state)
{
	struct fixture *f = *state;
	struct relay_webhook_conf l2 = desk_l1, lean = desk_l1;
	int64_t tr, hn, seq = 0;
	uint8_t head[32];
	char *b;

	assert_int_equal(relay_audit_event(f->st, f->t1, 1000, EVENT_OPENED_AS, "alice", "L1", NULL,
					   "tier L1, priority P3, owner alice: Printer"),
			 STORE_OK);
	attach(f, "transcript", "", "alice: hello\n", &tr);
	attach(f, "handover-note", "", "tried \"that\"", &hn);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1100, EVENT_ESCALATED, "alice", "L1", NULL,
					   "L1 -> L2: tried \"that\""),
			 STORE_OK);
	assert_int_equal(store_chain_head(f->st, &seq, head), STORE_OK);
	b = body_of(f, &desk_l1, seq);
	assert_non_null(strstr(b, "\"schema\":1,\"id\":\"handoff-test:4\",\"relay\":\"handoff-test\",\"seq\":4,"
				  "\"kind\":\"escalated\",\"ticket\":{\"id\":1,\"tier\":\"L2\""));
	assert_non_null(strstr(b, "\"detail\":\"L1 -> L2: tried \\\"that\\\"\""));
	assert_non_null(strstr(b, "\"packet\":{\"from\":\"L1\",\"to\":\"L2\",\"transcript\":{\"id\":1,"));
	/* "alice: hello\n" in base64 */
	assert_non_null(strstr(b, "\"content_base64\":\"YWxpY2U6IGhlbGxvCg==\""));
	assert_non_null(strstr(b, "\"handover_note\":{\"id\":2,"));
	free(b);
	/* Larger than inline_max: a reference only. */
	lean.inline_max = 4;
	b = body_of(f, &lean, seq);
	assert_null(strstr(b, "YWxpY2U6IGhlbGxvCg=="));
	assert_non_null(strstr(b, "\"fetch\":\"ticket attachment 1 1\""));
	free(b);
	/* An L2 escalation's packet is cleared for L2: an L1 receiver gets the event, not its content. */
	attach(f, "transcript", "L2", "secret words", &tr);
	assert_int_equal(relay_audit_event(f->st, f->t1, 1200, EVENT_ESCALATED, "bob", "L2", "L2", "L2 -> L3: root cause"),
			 STORE_OK);
	assert_int_equal(store_chain_head(f->st, &seq, head), STORE_OK);
	b = body_of(f, &desk_l1, seq);
	assert_non_null(strstr(b, "\"withheld\":true,\"detail\":null"));
	assert_null(strstr(b, "root cause"));
	assert_null(strstr(b, "c2VjcmV0IHdvcmRz")); /* "secret words" */
	assert_non_null(strstr(b, "\"handover_note\":null"));
	free(b);
	snprintf(l2.clearance, sizeof(l2.clearance), "L2");
	b = body_of(f, &l2, seq);
	assert_non_null(strstr(b, "root cause"));
	assert_non_null(strstr(b, "c2VjcmV0IHdvcmRz"));
	free(b);
}

/* A relay.conf in dir with text; loads its webhooks. */
static int load(const char *dir, const char *text, struct relay_webhooks_conf *c, char *err, size_t errlen)
{
	char path[256];
	struct config cfg = { 0 };
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/relay.conf", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);
	assert_int_equal(config_load(path, &cfg, err, errlen), 0);
	rc = relay_webhook_conf_load(&cfg, path, c, err, errlen);
	config_free(&cfg);
	return rc;
}

static void test_conf(void **state)
{
	struct fixture *f = *state;
	struct relay_webhooks_conf c;
	char err[512], text[2048], secret[200];
	static const char *const bad[][2] = {
		{ "webhook.desk.url = http://desk.example/\n", "https://" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.evnts = chat\n", "unknown setting" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.events = chat, nosuch\n", "not an event kind" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.events = chat,,note\n", "empty kind" },
		{ "webhook.desk.events = chat\n", "no webhook.desk.url" },
		{ "webhook.desk.url = https://desk.example/\n", "needs webhook.desk.secret_file" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.secret = short\n", "16 to 256 bytes" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.secret = 0123456789abcdef\n"
		  "webhook.desk.clearance = L4\n",
		  "L1, L2 or L3" },
		{ "webhook..url = https://x/\n", "webhook.NAME.SETTING" },
		{ "webhook.desk.url = https://desk.example/\nwebhook.desk.secret_file = relative\n", "absolute path" },
		{ "webhook_url = https://a/\nwebhook_secret = 0123456789abcdef\nwebhook.default.url = https://b/\n",
		  "same receiver" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(load(f->dir, bad[i][0], &c, err, sizeof(err)), -1);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i][1]);
	}
	/* A secret file others may read is refused; 0600 is taken, its newline cut. */
	snprintf(secret, sizeof(secret), "%s/desk.secret", f->dir);
	{
		FILE *fp = fopen(secret, "w");

		assert_non_null(fp);
		fputs("0123456789abcdef0123\n", fp);
		fclose(fp);
	}
	chmod(secret, 0644);
	snprintf(text, sizeof(text),
		 "webhook_url = https://desk.example/hook\nwebhook_secret = 0123456789abcdefXY\n"
		 "webhook.rt.url = https://rt.example/\nwebhook.rt.secret_file = %s\nwebhook.rt.events = chat, escalated\n"
		 "webhook.rt.timeout = 7\n",
		 secret);
	assert_int_equal(load(f->dir, text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(secret, 0600);
	assert_int_equal(load(f->dir, text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.r[0].name, "default");
	assert_string_equal(c.r[0].kinds, "all");
	assert_int_equal(c.r[0].secret_len, 18);
	assert_string_equal(c.r[0].clearance, "L1");
	assert_string_equal(c.r[1].name, "rt");
	assert_string_equal(c.r[1].kinds, ",chat,escalated,");
	assert_int_equal(c.r[1].secret_len, 20);
	assert_memory_equal(c.r[1].secret, "0123456789abcdef0123", 20);
	assert_int_equal(c.r[1].timeout, 7);
	relay_webhook_conf_clear(&c);
	/* The secret in relay.conf only while relay.conf is the owner's alone. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/relay.conf", f->dir);
		load(f->dir, "webhook_url = https://a/\nwebhook_secret = 0123456789abcdef\n", &c, err, sizeof(err));
		chmod(path, 0640);
		struct config cfg = { 0 };

		assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
		assert_int_equal(relay_webhook_conf_load(&cfg, path, &c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "may be read by other users"));
		config_free(&cfg);
	}
}

struct links {
	int n;
	char receiver[4][32];
	int64_t ticket[4], rt_id[4], seen[4];
};

static int link_row(const struct store_rt_link *l, void *ctx)
{
	struct links *all = ctx;

	snprintf(all->receiver[all->n], sizeof(all->receiver[0]), "%s", l->receiver);
	all->ticket[all->n] = l->ticket;
	all->rt_id[all->n] = l->rt_id;
	all->seen[all->n] = l->seen_txn;
	all->n++;
	return all->n == 4;
}

/* Request Tracker links (relay/rt.c): set, replaced, the poll's mark that never moves back, closed tickets left out. */
static void test_rt_links(void **state)
{
	struct fixture *f = *state;
	struct links l = { 0 };

	assert_int_equal(store_rt_link_seen(f->st, "desk", f->t1, 5), STORE_NOT_FOUND);
	assert_int_equal(store_rt_link_set(f->st, "desk", f->t1, 12, 1000), STORE_OK);
	assert_int_equal(store_rt_link_set(f->st, "other", f->t1, 3, 1000), STORE_OK);
	assert_int_equal(store_rt_link_set(f->st, "desk", f->t2, 13, 1000), STORE_OK);
	assert_int_equal(store_rt_links(f->st, NULL, 0, 0, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.receiver[0], "desk");
	assert_int_equal(l.ticket[0], f->t1);
	assert_string_equal(l.receiver[1], "other");
	assert_int_equal(l.ticket[2], f->t2);
	/* One ticket's, one receiver's. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, "desk", f->t1, 0, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.rt_id[0], 12);
	assert_int_equal(l.seen[0], 0);
	/* The mark moves forward only. */
	assert_int_equal(store_rt_link_seen(f->st, "desk", f->t1, 50), STORE_OK);
	assert_int_equal(store_rt_link_seen(f->st, "desk", f->t1, 40), STORE_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, "desk", f->t1, 0, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.seen[0], 50);
	/* Linked again (an RT ticket found by its tag): the new id, the mark from the start. */
	assert_int_equal(store_rt_link_set(f->st, "desk", f->t1, 14, 1001), STORE_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, "desk", f->t1, 0, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.rt_id[0], 14);
	assert_int_equal(l.seen[0], 0);
	/* A closed ticket is no longer polled, and still shown. */
	assert_int_equal(store_ticket_update(f->st, f->t2, "closed", NULL, -1, 1002), STORE_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, "desk", 0, 1, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ticket[0], f->t1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, "desk", f->t2, 0, 10, link_row, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	/* The limit. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_rt_links(f->st, NULL, 0, 0, 1, link_row, &l), STORE_OK);
	assert_int_equal(l.n, 1);
}

/* A kind = rt receiver: its settings, its defaults, and its refusals. */
static void test_conf_rt(void **state)
{
	struct fixture *f = *state;
	struct relay_webhooks_conf c;
	char err[512], text[2048], token[200];
	FILE *fp;

	snprintf(token, sizeof(token), "%s/desk.secret", f->dir);
	fp = fopen(token, "w");
	assert_non_null(fp);
	fputs("1-27-774cdfe3147760a52bc07dd304d5008e\n", fp);
	fclose(fp);
	chmod(token, 0600);
	snprintf(text, sizeof(text),
		 "webhook.rt.kind = rt\nwebhook.rt.rt_url = http://127.0.0.1:8080//\nwebhook.rt.rt_token_file = %s\n"
		 "webhook.rt.rt_queue_l1 = Desk L1\nwebhook.rt.rt_queue_l3 = Experts\n",
		 token);
	assert_int_equal(load(f->dir, text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].kind, RELAY_WEBHOOK_RT);
	assert_string_equal(c.r[0].url, "http://127.0.0.1:8080");
	assert_string_equal(c.r[0].rt_token, "1-27-774cdfe3147760a52bc07dd304d5008e");
	assert_string_equal(c.r[0].rt_queue[0], "Desk L1");
	assert_string_equal(c.r[0].rt_queue[1], "Desk L1"); /* unset: the tier below's */
	assert_string_equal(c.r[0].rt_queue[2], "Experts");
	assert_non_null(strstr(c.r[0].kinds, ",escalated,"));
	assert_null(strstr(c.r[0].kinds, ",code-issued,"));
	assert_int_equal(c.r[0].poll_interval, 60);
	assert_int_equal(c.r[0].inline_max, 4 * 1024 * 1024);
	relay_webhook_conf_clear(&c);
	{
		char bad[6][1024];
		static const char *const why[] = { "http:// only to 127.0.0.1", "takes rt_url and rt_token_file, not url",
						   "needs webhook.rt.rt_token_file",
						   "without quotes", "add desk.kind = rt", "json (the default) or rt" };

		snprintf(bad[0], sizeof(bad[0]), "webhook.rt.kind = rt\nwebhook.rt.rt_url = http://rt.example/\n"
			 "webhook.rt.rt_token_file = %s\n", token);
		snprintf(bad[1], sizeof(bad[1]), "webhook.rt.kind = rt\nwebhook.rt.url = https://rt.example/\n"
			 "webhook.rt.rt_url = https://rt.example/\nwebhook.rt.rt_token_file = %s\n", token);
		snprintf(bad[2], sizeof(bad[2]), "webhook.rt.kind = rt\nwebhook.rt.rt_url = https://rt.example/\n");
		snprintf(bad[3], sizeof(bad[3]), "webhook.rt.kind = rt\nwebhook.rt.rt_url = https://rt.example/\n"
			 "webhook.rt.rt_token_file = %s\nwebhook.rt.rt_queue_l2 = it's\n", token);
		snprintf(bad[4], sizeof(bad[4]), "webhook.desk.url = https://desk.example/\n"
			 "webhook.desk.secret = 0123456789abcdef\nwebhook.desk.rt_url = https://rt.example/\n");
		snprintf(bad[5], sizeof(bad[5]), "webhook.rt.kind = jira\nwebhook.rt.rt_url = https://rt.example/\n");
		for (size_t i = 0; i < 6; i++) {
			err[0] = '\0';
			assert_int_equal(load(f->dir, bad[i], &c, err, sizeof(err)), -1);
			if (strstr(err, why[i]) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, why[i]);
		}
	}
	/* Regression: five kinds the relay records (reopened, closed, reviewed, recurrence, self-help-shown) were refused. */
	assert_int_equal(load(f->dir,
			      "webhook.desk.url = https://desk.example/\nwebhook.desk.secret = 0123456789abcdef\n"
			      "webhook.desk.events = reopened, closed, reviewed, recurrence, self-help-shown\n",
			      &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.r[0].kinds, ",reopened,closed,reviewed,recurrence,self-help-shown,");
	relay_webhook_conf_clear(&c);
	chmod(token, 0640);
	assert_int_equal(load(f->dir, text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "may be read by other users"));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(relay_webhook_backoff(1, 600, 0), 1);
	assert_int_equal(relay_webhook_backoff(2, 600, 0), 2);
	assert_int_equal(relay_webhook_backoff(5, 600, 0), 16);
	/* Capped, and drawn in [half, all]. */
	assert_int_equal(relay_webhook_backoff(40, 600, 0), 600);
	assert_int_equal(relay_webhook_backoff(1000000, 600, 0), 600);
	for (uint32_t r = 0; r < 2000; r += 7) {
		int64_t d = relay_webhook_backoff(6, 600, r);

		assert_true(d >= 16 && d <= 32);
	}
	assert_int_equal(relay_webhook_backoff(3, 1, 12345), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox_rows_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_in_the_event_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_escalation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rt_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_rt, setup, teardown),
		cmocka_unit_test(test_backoff),
	};

	return teststore_run("webhook", tests, sizeof(tests) / sizeof(tests[0]));
}
