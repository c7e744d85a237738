/*
 * origin_tally.c: see origin_tally.h.
 */
#include "origin_tally.h"

#include "log.h"

void helper_origin_tally_init(struct helper_origin_tally *t)
{
	*t = (struct helper_origin_tally){ 0 };
	for (int i = 0; i < HELPER_ORIGIN_TALLY_VIEWERS; i++)
		t->slot[i].last_ms = -1;
}

void helper_origin_tally_count(struct helper_origin_tally *t, uint32_t viewer)
{
	struct helper_origin_tally_slot *slot = NULL;

	for (int i = 0; i < HELPER_ORIGIN_TALLY_VIEWERS && slot == NULL; i++)
		if (t->slot[i].used && t->slot[i].viewer == viewer)
			slot = &t->slot[i];
	for (int i = 0; i < HELPER_ORIGIN_TALLY_VIEWERS && slot == NULL; i++)
		if (!t->slot[i].used || t->slot[i].pending == 0)
			slot = &t->slot[i];
	if (slot == NULL) {
		log_warn("origin: more than %d viewers with ignored input; viewer %u not counted",
			 HELPER_ORIGIN_TALLY_VIEWERS, viewer);
		return;
	}
	if (!slot->used || slot->viewer != viewer)
		*slot = (struct helper_origin_tally_slot){ .viewer = viewer, .last_ms = -1, .used = true };
	slot->pending++;
}

bool helper_origin_tally_take(struct helper_origin_tally *t, int64_t now_ms, uint32_t *viewer, uint32_t *count)
{
	for (int i = 0; i < HELPER_ORIGIN_TALLY_VIEWERS; i++) {
		struct helper_origin_tally_slot *s = &t->slot[i];

		if (!s->used || s->pending == 0)
			continue;
		if (s->last_ms >= 0 && now_ms - s->last_ms < HELPER_ORIGIN_TALLY_REPORT_MS)
			continue;
		*viewer = s->viewer;
		*count = s->pending;
		s->pending = 0;
		s->last_ms = now_ms;
		return true;
	}
	return false;
}

int helper_origin_tally_timeout(const struct helper_origin_tally *t, int64_t now_ms)
{
	int64_t best = -1;

	for (int i = 0; i < HELPER_ORIGIN_TALLY_VIEWERS; i++) {
		const struct helper_origin_tally_slot *s = &t->slot[i];
		int64_t due;

		if (!s->used || s->pending == 0)
			continue;
		due = s->last_ms < 0 ? 0 : s->last_ms + HELPER_ORIGIN_TALLY_REPORT_MS - now_ms;
		if (due < 0)
			due = 0;
		if (best < 0 || due < best)
			best = due;
	}
	return (int)best;
}
