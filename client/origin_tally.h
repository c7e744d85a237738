/*
 * origin_tally: the presses a viewer made that the helper's window ignored
 * (origin.h), counted per viewer and handed to the relay's record at most
 * once a second each, so a technician hammering a button makes one record
 * a second, not one per press. The same on every platform: origin_x11.c
 * and origin_win32.c keep one and forward helper_origin_take_ignored and
 * helper_origin_timeout to it. Main loop only.
 */
#ifndef HANDOFF_HELPER_ORIGIN_TALLY_H
#define HANDOFF_HELPER_ORIGIN_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#define HELPER_ORIGIN_TALLY_VIEWERS 16
#define HELPER_ORIGIN_TALLY_REPORT_MS 1000

struct helper_origin_tally_slot {
	uint32_t viewer;
	uint32_t pending;       /* presses ignored since the last report */
	int64_t last_ms;        /* when the last report went, or -1 */
	bool used;
};

struct helper_origin_tally {
	struct helper_origin_tally_slot slot[HELPER_ORIGIN_TALLY_VIEWERS];
};

void helper_origin_tally_init(struct helper_origin_tally *t);
/* One more ignored press of viewer's; past HELPER_ORIGIN_TALLY_VIEWERS viewers with presses pending, logged and not counted. */
void helper_origin_tally_count(struct helper_origin_tally *t, uint32_t viewer);
/* A viewer whose presses are due for the record at now_ms: true with *viewer and *count, then call again. */
bool helper_origin_tally_take(struct helper_origin_tally *t, int64_t now_ms, uint32_t *viewer, uint32_t *count);
/* Milliseconds until a held-back report is due, or -1 when none waits. */
int helper_origin_tally_timeout(const struct helper_origin_tally *t, int64_t now_ms);

#endif
