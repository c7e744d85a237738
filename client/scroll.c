/*
 * scroll.c: see scroll.h.
 *
 * Three passes over the rectangle, none of them a search over shifts:
 *  1. which rows changed, and the columns where anything changed (a
 *     window's border or the desktop beside a scrolled pane stays out of
 *     the row hashes, or no row of the pane would match);
 *  2. a hash of each row of both pictures over those columns;
 *  3. every changed row whose hash is found exactly once in the old
 *     picture votes for the distance between the two. Rows found more
 *     than once (the empty rows between lines, a flat background) say
 *     nothing about where they came from and do not vote.
 * The distance with most votes is then checked row by row on the hashes:
 * it must explain at least half of the changed rows it can reach (the rows
 * that scrolled in came from outside, whatever the distance: on a slow link
 * the screen may have scrolled by most of its height between two grabs),
 * so that text that is rewritten in place (a new page, a terminal redrawn) is not taken for a
 * scroll because a few of its rows happen to repeat. A hash collision can
 * only make the move wrong for a row, never the picture: the driver
 * compares the moved framebuffer with the grab byte for byte afterwards
 * and sends whatever differs.
 */
#include "scroll.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A shift needs this many votes of unique rows before it is checked. */
#define SCROLL_MIN_VOTES 4

struct helper_scroll_row {
	uint64_t hash;
	int row;
};

/* Pixels [0, n) of a row; only equality matters, so any good mix will do. */
static uint64_t helper_scroll_hash(const uint8_t *p, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)n;
	int i = 0;

	for (; i + 2 <= n; i += 2) {
		uint64_t v;

		memcpy(&v, p + (size_t)i * 4, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	if (i < n) {
		uint32_t v;

		memcpy(&v, p + (size_t)i * 4, 4);
		h = (h ^ v) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	return h;
}

static int helper_scroll_cmp(const void *a, const void *b)
{
	const struct helper_scroll_row *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->row - y->row;
}

/* The old row whose hash is h when exactly one has it, else -1. */
static int helper_scroll_unique(const struct helper_scroll_row *sorted, int n, uint64_t h)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (sorted[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || sorted[lo].hash != h || (lo + 1 < n && sorted[lo + 1].hash == h))
		return -1;
	return sorted[lo].row;
}

/* Pass 1: the changed rows (flags in chg) and the columns [*x0, *x1) where anything changed. */
static int helper_scroll_extent(const uint8_t *old, size_t old_stride, const uint8_t *cur, size_t cur_stride,
				int w, int h, uint8_t *chg, int *x0, int *x1)
{
	int left = w, right = -1, changed = 0;

	for (int j = 0; j < h; j++) {
		const uint8_t *a = old + (size_t)j * old_stride, *b = cur + (size_t)j * cur_stride;

		chg[j] = memcmp(a, b, (size_t)w * 4) != 0;
		if (!chg[j])
			continue;
		changed++;
		/* Only the pixels outside the columns found so far are looked at. */
		for (int l = 0; l < left; l++) {
			if (memcmp(a + (size_t)l * 4, b + (size_t)l * 4, 4) != 0) {
				left = l;
				break;
			}
		}
		for (int r = w - 1; r > right; r--) {
			if (memcmp(a + (size_t)r * 4, b + (size_t)r * 4, 4) != 0) {
				right = r;
				break;
			}
		}
	}
	*x0 = left;
	*x1 = right + 1;
	return changed;
}

int helper_scroll_find(const uint8_t *old, size_t old_stride, const uint8_t *cur, size_t cur_stride, int w,
		       int h, struct helper_scroll *out)
{
	uint8_t *chg = NULL;
	uint64_t *oh = NULL, *ch = NULL;
	struct helper_scroll_row *sorted = NULL;
	int *votes = NULL;
	int changed, reachable = 0, x0, x1, best = 0, rc = -1;
	struct helper_scroll s = { 0 };

	*out = (struct helper_scroll){ 0 };
	if (w <= 0 || h < 2)
		return 0;
	chg = malloc((size_t)h);
	oh = malloc((size_t)h * sizeof(*oh));
	ch = malloc((size_t)h * sizeof(*ch));
	sorted = malloc((size_t)h * sizeof(*sorted));
	votes = calloc((size_t)(2 * h - 1), sizeof(*votes));
	if (chg == NULL || oh == NULL || ch == NULL || sorted == NULL || votes == NULL)
		goto out;
	rc = 0;
	changed = helper_scroll_extent(old, old_stride, cur, cur_stride, w, h, chg, &x0, &x1);
	s.changed = changed;
	if (changed < SCROLL_MIN_ROWS)
		goto out;
	for (int j = 0; j < h; j++) {
		oh[j] = helper_scroll_hash(old + (size_t)j * old_stride + (size_t)x0 * 4, x1 - x0);
		ch[j] = helper_scroll_hash(cur + (size_t)j * cur_stride + (size_t)x0 * 4, x1 - x0);
		sorted[j] = (struct helper_scroll_row){ .hash = oh[j], .row = j };
	}
	qsort(sorted, (size_t)h, sizeof(*sorted), helper_scroll_cmp);
	for (int j = 0; j < h; j++) {
		int from;

		if (!chg[j] || (from = helper_scroll_unique(sorted, h, ch[j])) < 0)
			continue;
		votes[j - from + h - 1]++;
	}
	for (int k = 0; k < 2 * h - 1; k++)
		if (k != h - 1 && votes[k] > votes[best])
			best = k;
	if (best == h - 1 || votes[best] < SCROLL_MIN_VOTES)
		goto out;
	s.dy = best - (h - 1);
	s.x0 = x0;
	s.x1 = x1;
	s.y0 = -1;
	for (int j = s.dy > 0 ? s.dy : 0; j < (s.dy < 0 ? h + s.dy : h); j++) {
		if (!chg[j])
			continue;
		reachable++;
		if (ch[j] != oh[j - s.dy])
			continue;
		if (s.y0 < 0)
			s.y0 = j;
		s.y1 = j + 1;
		s.explained++;
	}
	if (s.explained < SCROLL_MIN_ROWS || 2 * s.explained < reachable)
		goto out;
	rc = 1;
out:
	if (rc >= 0)
		*out = rc == 1 ? s : (struct helper_scroll){ .changed = s.changed };
	free(chg);
	free(oh);
	free(ch);
	free(sorted);
	free(votes);
	return rc;
}
