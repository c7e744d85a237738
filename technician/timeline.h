/*
 * timeline: what happened on the ticket while a recording ran (chat lines,
 * consent, escalation, takeover), taken from a verified export so that a
 * replay shows the conversation beside the screen. Only an export that
 * verifies against the audit key is used: a timeline is evidence too.
 */
#ifndef HANDOFF_TECH_TIMELINE_H
#define HANDOFF_TECH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#define TECH_TIMELINE_LINE_MAX 200

struct tech_timeline_event {
	uint64_t t_us;                        /* offset from the recording's start; 0 for events before it */
	uint64_t before_us;                   /* how long before the recording's start; 0 for events during it */
	char line[TECH_TIMELINE_LINE_MAX];    /* "chat alice (L1): hello", escaped as tech_timeline_escape does */
};

struct tech_timeline {
	struct tech_timeline_event *events;   /* owned, in time order */
	size_t n;
};

/*
 * Loads the events of ticket from the export at path, verified with the
 * audit public key in pubfile, as offsets from start_us (events before the
 * recording are at 0, with before_us saying how long before). 0, or -1
 * with err.
 */
int tech_timeline_load(struct tech_timeline *tl, const char *path, const char *pubfile, uint64_t ticket,
		       uint64_t start_us, char *err, size_t errlen);
void tech_timeline_free(struct tech_timeline *tl);

/*
 * Writes text from the ticket (a customer typed some of it) to out as one
 * printable line, escaped as textesc.h says for every terminal (a newline
 * shows as \n). Stops, at a whole character or escape, when out (outlen
 * bytes with its NUL) is full.
 */
void tech_timeline_escape(const char *text, char *out, size_t outlen);

#endif
