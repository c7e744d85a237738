/*
 * exec_kb.c: see exec_kb.h. Articles' changes and suggestions are
 * knowledge.c's, reviews review.c's; this file parses, checks rights and
 * prints, and never shows an article above the reader's tier.
 */
#include "exec_kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb.h"
#include "timefmt.h"
#include "utf8.h"

/* An article number, as kb and resolve --kb take it. */
int exec_parse_kb(struct exec_ctx *x, const char *arg, int64_t *id)
{
	char *end;
	long long n;

	if (arg == NULL || arg[0] < '1' || arg[0] > '9' || (n = strtoll(arg, &end, 10)) <= 0 || *end != '\0' ||
	    n > 100000000000LL) {
		buf_printf(x->err, "%s: not an article number: ", x->argv[0]);
		exec_text(x->err, arg ? arg : "");
		buf_printf(x->err, "\n");
		return -1;
	}
	*id = n;
	return 0;
}

/* The rank of articles the caller may read: auditors all, technicians up to their tier. */
int exec_kb_rank(const struct exec_ctx *x)
{
	return x->conn->role == RELAY_ROLE_AUDITOR ? 3 : relay_tier_rank(x->conn->user.tier);
}

int exec_kb_exists(const struct store_kb *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return 0;
}

/* After resolving a P1/P2: what its review lacks, since close will ask for it. */
void exec_review_pending_note(struct exec_ctx *x, const struct store_ticket *t)
{
	bool cause = false, prevention = false;

	if (!relay_review_needed(t->priority) || relay_review_state(x->relay, t->id, &cause, &prevention) != 0 ||
	    (cause && prevention))
		return;
	buf_printf(x->out,
		    "%s: the review lacks its %s (review %lld --cause TEXT... --prevention TEXT...; close needs it)\n",
		    t->priority, relay_review_missing_words(cause, prevention), (long long)t->id);
}

/* The review list is read on the loop: a page of it, as queue and kb list show. */
#define EXEC_REVIEW_ROWS 100

struct exec_review_list {
	struct exec_ctx *x;
	int rows;
};

static int exec_review_row(const struct store_ticket *t, void *ctx)
{
	struct exec_review_list *l = ctx;
	struct exec_ctx *x = l->x;
	bool cause = false, prevention = false;

	if (++l->rows > EXEC_REVIEW_ROWS)
		return 1;
	if (relay_review_state(x->relay, t->id, &cause, &prevention) != 0)
		return 1;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "missing", relay_review_missing_words(cause, prevention));
		emit_kstring(&x->j, "summary", t->summary);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s missing %-20s ", (long long)t->id, t->priority, t->tier, t->state,
		    relay_review_missing_words(cause, prevention));
	exec_text(x->out, t->summary);
	buf_printf(x->out, "\n");
	return 0;
}

/*
 * review: without N, the P1/P2 tickets whose review lacks a cause or a
 * prevention; with N, sets them (every field given is a reviewed record).
 */
int exec_review(struct exec_ctx *x)
{
	const char *cause, *prevention;
	struct exec_review_list list = { .x = x };
	struct store_ticket t;
	size_t before;
	int rc;

	if (exec_options(x) != 0 || x->nwords > 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	cause = x->opt_value[0];
	prevention = x->opt_value[1];
	if (x->nwords == 0) {
		if (cause != NULL || prevention != NULL) {
			exec_usage(x);
			return EXIT_USAGE;
		}
		if (exec_allowed(x, RELAY_ACT_REVIEW_LIST, NULL) != 0)
			return EXIT_DENIED;
		if (x->json) {
			emit_object_begin(&x->j);
			emit_key(&x->j, "awaiting_review");
			emit_array_begin(&x->j);
		} else {
			buf_printf(x->out, "P1/P2 tickets awaiting review:\n");
		}
		before = buf_len(x->out);
		rc = EXIT_OK;
		if (store_review_pending(x->relay->store, EXEC_REVIEW_ROWS + 1, exec_review_row, &list) != STORE_OK) {
			buf_printf(x->err, "review: the store failed\n");
			rc = EXIT_FAIL;
		}
		exec_empty(x, before);
		if (x->json) {
			emit_array_end(&x->j);
			emit_kbool(&x->j, "more", list.rows > EXEC_REVIEW_ROWS);
			emit_object_end(&x->j);
			emit_newline(&x->j);
		} else if (list.rows > EXEC_REVIEW_ROWS) {
			buf_printf(x->out, "  (the first %d shown: review some to see the rest)\n", EXEC_REVIEW_ROWS);
		}
		return rc;
	}
	if (cause == NULL && prevention == NULL) {
		buf_printf(x->err, "review: give --cause TEXT... and/or --prevention TEXT...\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if ((cause != NULL && exec_text_ok(x, "cause", cause) != 0) ||
	    (prevention != NULL && exec_text_ok(x, "prevention", prevention) != 0))
		return EXIT_USAGE;
	if (!relay_review_needed(t.priority)) {
		buf_printf(x->err, "review: ticket %lld is %s; only P1 and P2 incidents are reviewed\n", (long long)t.id,
			    t.priority);
		return EXIT_FAIL;
	}
	if (relay_review_set(x->relay, t.id, &x->conn->user, cause, prevention) != 0) {
		buf_printf(x->err, "review: the store failed; nothing was changed\n");
		return EXIT_FAIL;
	}
	{
		bool has_cause = false, has_prevention = false;

		if (relay_review_state(x->relay, t.id, &has_cause, &has_prevention) != 0)
			return EXIT_FAIL;
		if (x->json) {
			emit_object_begin(&x->j);
			emit_kint(&x->j, "ticket", t.id);
			emit_kstring(&x->j, "missing", relay_review_missing_words(has_cause, has_prevention));
			emit_object_end(&x->j);
			emit_newline(&x->j);
		} else if (has_cause && has_prevention) {
			buf_printf(x->out, "ticket %lld reviewed\n", (long long)t.id);
		} else {
			buf_printf(x->out, "ticket %lld: review recorded; still missing its %s\n", (long long)t.id,
				    relay_review_missing_words(has_cause, has_prevention));
		}
	}
	return EXIT_OK;
}

/* A field an article holds: valid UTF-8 within its cap (NULL: not given, fine unless required). */
static int exec_kb_field(struct exec_ctx *x, const char *what, const char *v, size_t max, bool required)
{
	size_t n = v ? strlen(v) : 0;

	if (v == NULL && !required)
		return 0;
	if (n == 0) {
		buf_printf(x->err, "%s: the %s is empty\n", x->argv[0], what);
		return -1;
	}
	if (n > max) {
		buf_printf(x->err, "%s: the %s is %zu bytes; at most %zu are kept\n", x->argv[0], what, n, max);
		return -1;
	}
	if (!utf8_valid(v, n)) {
		buf_printf(x->err, "%s: the %s is not UTF-8\n", x->argv[0], what);
		return -1;
	}
	return 0;
}

/* --tier of an article: public or L1..L3, no higher than the writer's own (they could not read it). */
static int exec_kb_tier(struct exec_ctx *x, const char *tier)
{
	int rank = relay_knowledge_rank(tier);

	if (rank < 0) {
		buf_printf(x->err, "%s: --tier is public, L1, L2 or L3\n", x->argv[0]);
		return -1;
	}
	if (rank > relay_tier_rank(x->conn->user.tier)) {
		buf_printf(x->err, "%s: an %s technician cannot write an article for %s only\n", x->argv[0],
			    x->conn->user.tier, tier);
		return -1;
	}
	return 0;
}

/* kb add/edit options in usage order: tier, title, symptoms, fix, cause (edit: after ID). */
static int exec_kb_fields(struct exec_ctx *x, struct store_kb *a, bool required)
{
	if ((x->opt_value[0] != NULL || required) && exec_kb_tier(x, x->opt_value[0]) != 0)
		return -1;
	if (exec_kb_field(x, "title", x->opt_value[1], STORE_KB_TITLE_MAX, required) != 0 ||
	    exec_kb_field(x, "symptoms", x->opt_value[2], RELAY_KB_FIELD_MAX, required) != 0 ||
	    exec_kb_field(x, "fix", x->opt_value[3], RELAY_KB_FIELD_MAX, required) != 0 ||
	    exec_kb_field(x, "cause", x->opt_value[4], RELAY_KB_FIELD_MAX, false) != 0)
		return -1;
	a->tier = x->opt_value[0];
	a->title = x->opt_value[1];
	a->symptoms = x->opt_value[2];
	a->fix = x->opt_value[3];
	a->cause = x->opt_value[4];
	a->author = x->conn->user.name;
	return 0;
}

static void exec_kb_done(struct exec_ctx *x, int64_t id, const char *what)
{
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", id);
		emit_kstring(&x->j, "done", what);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%lld\n", (long long)id);
}

int exec_kb_add(struct exec_ctx *x)
{
	struct store_kb a = { .id = 0 };
	int64_t id;

	if (exec_options(x) != 0 || x->nwords != 0 || x->opt_value[0] == NULL || x->opt_value[1] == NULL ||
	    x->opt_value[2] == NULL || x->opt_value[3] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_kb_fields(x, &a, true) != 0)
		return EXIT_USAGE;
	if (relay_knowledge_add(x->relay, &a, &x->conn->user, &id) != 0) {
		buf_printf(x->err, "kb add: the store failed; nothing was changed\n");
		return EXIT_FAIL;
	}
	exec_kb_done(x, id, "added");
	return EXIT_OK;
}

int exec_kb_edit(struct exec_ctx *x)
{
	static const char *const names[5] = { "tier", "title", "symptoms", "fix", "cause" };
	struct store_kb a = { .id = 0 };
	char fields[64] = "";
	size_t used = 0;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_parse_kb(x, x->first_word, &a.id) != 0 || exec_kb_fields(x, &a, false) != 0)
		return EXIT_USAGE;
	for (int k = 0; k < 5; k++)
		if (x->opt_value[k] != NULL)
			used += (size_t)snprintf(fields + used, sizeof(fields) - used, "%s%s", used ? ", " : "", names[k]);
	if (used == 0) {
		buf_printf(x->err, "kb edit: nothing to change (give --tier, --title, --symptoms, --fix or --cause)\n");
		return EXIT_USAGE;
	}
	/* Only what one may read may be edited: an L1 cannot learn an L3 article's number is taken. */
	if (store_kb_get(x->relay->store, a.id, exec_kb_rank(x), exec_kb_exists, NULL) != STORE_OK) {
		buf_printf(x->err, "kb edit: no knowledge base article %lld\n", (long long)a.id);
		return EXIT_FAIL;
	}
	rc = relay_knowledge_edit(x->relay, &a, fields, &x->conn->user);
	if (rc != 0) {
		buf_printf(x->err, rc == STORE_NOT_FOUND ? "kb edit: no knowledge base article %lld\n"
						      : "kb edit: the store failed on article %lld; nothing was changed\n",
			    (long long)a.id);
		return EXIT_FAIL;
	}
	exec_kb_done(x, a.id, "edited");
	return EXIT_OK;
}

static int exec_kb_show_row(const struct store_kb *a, void *ctx)
{
	struct exec_ctx *x = ctx;
	char created[32], updated[32];

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", a->id);
		emit_kstring(&x->j, "tier", a->tier);
		emit_kstring(&x->j, "title", a->title);
		emit_kstring(&x->j, "symptoms", a->symptoms);
		emit_kstring(&x->j, "cause", a->cause);
		emit_kstring(&x->j, "fix", a->fix);
		emit_kstring(&x->j, "author", a->author);
		emit_kint(&x->j, "created_at", a->created_at);
		emit_kint(&x->j, "updated_at", a->updated_at);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		return 0;
	}
	timefmt_utc(a->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	timefmt_utc(a->updated_at, TIMEFMT_DATETIME, updated, sizeof(updated));
	buf_printf(x->out, "article %lld [%s] ", (long long)a->id, a->tier);
	exec_text(x->out, a->title);
	buf_printf(x->out, "\n  symptoms: ");
	exec_text(x->out, a->symptoms);
	buf_printf(x->out, "\n  cause:    ");
	exec_text(x->out, a->cause[0] ? a->cause : "-");
	buf_printf(x->out, "\n  fix:      ");
	exec_text(x->out, a->fix);
	buf_printf(x->out, "\n  by ");
	exec_text(x->out, a->author);
	buf_printf(x->out, ", %s; changed %s\n", created, updated);
	return 0;
}

int exec_kb_show(struct exec_ctx *x)
{
	int64_t id;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_parse_kb(x, x->first_word, &id) != 0)
		return EXIT_USAGE;
	rc = store_kb_get(x->relay->store, id, exec_kb_rank(x), exec_kb_show_row, x);
	if (rc == STORE_NOT_FOUND) {
		/* The same words for an article above one's tier: its existence is not for them either. */
		buf_printf(x->err, "kb show: no knowledge base article %lld\n", (long long)id);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		buf_printf(x->err, "kb show: the store failed\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* kb list and kb search: one line per article, or one JSON object each. */
struct exec_kb_list {
	struct exec_ctx *x;
	const struct relay_kb_terms *terms;   /* search: every one must occur; NULL for list */
	char *text;
	size_t shown;
};

#define EXEC_KB_SHOWN_MAX 50

static int exec_kb_list_row(const struct store_kb *a, void *ctx)
{
	struct exec_kb_list *l = ctx;
	struct exec_ctx *x = l->x;
	char line[STORE_KB_TITLE_MAX + 1];
	size_t n;

	if (l->terms != NULL) {
		snprintf(l->text, 4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8, "%s\n%s\n%s\n%s", a->title, a->symptoms,
			 a->cause, a->fix);
		if (relay_kb_hits(l->terms, l->text) < l->terms->n)
			return 0;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", a->id);
		emit_kstring(&x->j, "tier", a->tier);
		emit_kstring(&x->j, "title", a->title);
		emit_kstring(&x->j, "symptoms", a->symptoms);
		emit_object_end(&x->j);
	} else {
		buf_printf(x->out, "%6lld  %-6s ", (long long)a->id, a->tier);
		exec_text(x->out, a->title);
		n = utf8_cut(a->symptoms, strlen(a->symptoms), 80);
		memcpy(line, a->symptoms, n);
		line[n] = '\0';
		buf_printf(x->out, "\n        ");
		exec_text(x->out, line);
		buf_printf(x->out, "%s\n", n < strlen(a->symptoms) ? "..." : "");
	}
	return ++l->shown == EXEC_KB_SHOWN_MAX;
}

/*
 * How many articles the store hands over (-1: all the searcher may read).
 * Short terms cannot use the index and are checked here, row by row, so
 * every candidate must come: the index's first 200, or the first 10,000
 * articles, could all lack them while a later one has them. Otherwise
 * every row the index gives matches, and 50 are shown.
 */
static int exec_kb_candidates(const struct relay_kb_terms *terms)
{
	for (size_t i = 0; terms != NULL && i < terms->n; i++)
		if (relay_kb_short(terms->term[i]))
			return -1;
	return 200;
}

static int exec_kb_list_run(struct exec_ctx *x, const char *match, const struct relay_kb_terms *terms)
{
	struct exec_kb_list l = { .x = x, .terms = terms };
	size_t before;
	int rc;

	l.text = malloc(4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8);
	if (l.text == NULL)
		return EXIT_FAIL;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_key(&x->j, "articles");
		emit_array_begin(&x->j);
	}
	before = buf_len(x->out);
	rc = store_kb_find(x->relay->store, match, exec_kb_rank(x), exec_kb_candidates(terms), exec_kb_list_row, &l);
	exec_empty(x, before);
	if (x->json) {
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	free(l.text);
	if (rc != STORE_OK) {
		buf_printf(x->err, "%s: the store failed\n", x->argv[0]);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int exec_kb_list(struct exec_ctx *x)
{
	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	return exec_kb_list_run(x, NULL, NULL);
}

int exec_kb_search(struct exec_ctx *x)
{
	struct relay_kb_terms *terms = malloc(sizeof(*terms));
	char *match = malloc(RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)), *words = malloc(CMDLINE_MAX + 2);
	int rc = EXIT_USAGE;

	if (terms == NULL || match == NULL || words == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (exec_options(x) != 0 || x->nwords == 0) {
		exec_usage(x);
		goto out;
	}
	snprintf(words, CMDLINE_MAX + 2, "%s%s%s", x->first_word, x->nwords > 1 ? " " : "", x->words);
	relay_kb_terms_words(words, terms);
	rc = exec_kb_list_run(x, relay_kb_match(terms, "AND", match, RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)) == 0
				       ? match : NULL, terms);
out:
	free(words);
	free(match);
	free(terms);
	return rc;
}
