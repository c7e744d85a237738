/*
 * exec_kb.h: the knowledge base's commands (kb add|edit|show|search|list)
 * and the review of major incidents (exec_kb.c), and what resolve borrows
 * from them (an article's number, the review still owed).
 */
#ifndef HANDOFF_RELAY_EXEC_KB_H
#define HANDOFF_RELAY_EXEC_KB_H

#include "exec_args.h"

/* An article number (kb ID, resolve --kb ID); -1 after saying why. */
int exec_parse_kb(struct exec_ctx *x, const char *arg, int64_t *id);
/* The highest tier rank the caller may read: auditors all, technicians their own. */
int exec_kb_rank(const struct exec_ctx *x);
/* A store_kb_fn that only notes the article is there. */
int exec_kb_exists(const struct store_kb *a, void *ctx);
/* After resolving a P1/P2: the review it still owes, on stdout. */
void exec_review_pending_note(struct exec_ctx *x, const struct store_ticket *t);

/* One per command of exec.c's table. */
int exec_review(struct exec_ctx *x);
int exec_kb_add(struct exec_ctx *x);
int exec_kb_edit(struct exec_ctx *x);
int exec_kb_show(struct exec_ctx *x);
int exec_kb_list(struct exec_ctx *x);
int exec_kb_search(struct exec_ctx *x);

#endif
