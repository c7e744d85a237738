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

#endif
