/*
 * timefmt: Unix times as people read them in command output, transcripts
 * and exports: always UTC, the same on every machine.
 */
#ifndef HANDOFF_TIMEFMT_H
#define HANDOFF_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

enum timefmt_style {
	TIMEFMT_DATETIME, /* 2026-11-23 12:00:00Z */
	TIMEFMT_CLOCK,    /* 12:00:00 */
	TIMEFMT_ISO,      /* 2026-11-23T12:00:00Z */
};

/* at (Unix seconds) into out; "" when it cannot be shown. */
void timefmt_utc(int64_t at, enum timefmt_style style, char *out, size_t outlen);

/*
 * A UTC day, YYYY-MM-DD, into *out (its first second). 0, or -1 for
 * anything else, a day its month does not have (2024-02-31) included.
 */
int timefmt_parse_day(const char *s, int64_t *out);

#endif
