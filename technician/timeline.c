/*
 * timeline.c: see timeline.h.
 */
#include "timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "event.h"
#include "export.h"
#include "textesc.h"

struct tech_timeline_load {
	struct tech_timeline *tl;
	size_t cap;
	uint64_t ticket;
	uint64_t start_us;
	int failed;
};

/* The kinds worth seeing beside the screen. */
static int tech_timeline_wanted(const char *kind)
{
	static const char *const kinds[] = {
		EVENT_CHAT,           EVENT_CONSENT_ASKED,     EVENT_CONSENT_GRANTED, EVENT_CONSENT_DENIED,
		EVENT_CONSENT_REVOKED, EVENT_TECHNICIAN_JOINED, EVENT_TECHNICIAN_LEFT, EVENT_ESCALATED,
		EVENT_TAKEN,          EVENT_RESOLVED,          EVENT_LOGS_REQUESTED,  EVENT_LOGS_REFUSED,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

static void tech_timeline_add(uint64_t seq, const struct chain_event *e, void *ctx)
{
	struct tech_timeline_load *x = ctx;
	struct tech_timeline_event *ev;
	char raw[3 * TECH_TIMELINE_LINE_MAX];
	uint64_t at_us;

	(void)seq;
	if (x->failed || e->ticket != x->ticket || !tech_timeline_wanted(e->kind))
		return;
	if (x->tl->n == x->cap) {
		size_t want = x->cap ? 2 * x->cap : 32;
		struct tech_timeline_event *grown = realloc(x->tl->events, want * sizeof(*grown));

		if (grown == NULL) {
			x->failed = 1;
			return;
		}
		x->tl->events = grown;
		x->cap = want;
	}
	ev = &x->tl->events[x->tl->n++];
	at_us = (uint64_t)(e->at > 0 ? e->at : 0) * 1000000u;
	/*
	 * An event before the recording (the chat before the viewer came) keeps
	 * how long before: at 0 it would read as if it happened with the first
	 * frame. Events have whole seconds, the recording microseconds: only
	 * an event whose whole second lies before the start is surely before;
	 * one in the start's own second stays at 0.
	 */
	ev->t_us = at_us > x->start_us ? at_us - x->start_us : 0;
	ev->before_us = at_us + 1000000u <= x->start_us ? x->start_us - at_us : 0;
	snprintf(raw, sizeof(raw), "%s %s%s%s%s%s%s", e->kind, e->actor,
		 e->role[0] && strcmp(e->role, e->actor) != 0 ? " (" : "",
		 e->role[0] && strcmp(e->role, e->actor) != 0 ? e->role : "",
		 e->role[0] && strcmp(e->role, e->actor) != 0 ? ")" : "", e->detail[0] ? ": " : "", e->detail);
	/* The text comes from the ticket (a customer typed some of it): one line, no terminal controls. */
	tech_timeline_escape(raw, ev->line, sizeof(ev->line));
}

void tech_timeline_escape(const char *text, char *out, size_t outlen)
{
	/* One escaping for every terminal the relay's and the ticket's text reaches (textesc.h). */
	textesc_string(text, NULL, out, outlen);
}

int tech_timeline_load(struct tech_timeline *tl, const char *path, const char *pubfile, uint64_t ticket,
		       uint64_t start_us, char *err, size_t errlen)
{
	struct tech_timeline_load x = { .tl = tl, .ticket = ticket, .start_us = start_us };
	struct export_report rep;
	uint8_t pub[CHAIN_PUB_LEN];
	char why[512];
	struct stat st;
	void *map = MAP_FAILED;
	int fd = -1, rc = -1;

	memset(tl, 0, sizeof(*tl));
	if (chain_pub_load(pubfile, pub, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "audit key: %s", why);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > EXPORT_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno) : "not an export file");
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (export_verify(map, (size_t)st.st_size, pub, &rep, tech_timeline_add, &x, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s does not verify: %s", path, why);
		goto out;
	}
	if (rep.ticket != ticket) {
		snprintf(err, errlen, "%s is the export of ticket %llu, the recording is of ticket %llu", path,
			 (unsigned long long)rep.ticket, (unsigned long long)ticket);
		goto out;
	}
	if (x.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		tech_timeline_free(tl);
	return rc;
}

void tech_timeline_free(struct tech_timeline *tl)
{
	free(tl->events);
	tl->events = NULL;
	tl->n = 0;
}
