/*
 * replay.c: see replay.h. The headless player lives here; the window is
 * replaywin.c. Both pace playback the same way (playback.h): a message is
 * decoded once the play clock passes the time its first byte was recorded.
 * Without --speed the headless player has no clock at all and runs as
 * fast as libvncclient decodes.
 */
#include "keys.h"
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>

#include "export.h"
#include "playback.h"
#include "replaywin.h"
#include "timefmt.h"
#include "snapshot.h"

#define TECH_REPLAY_EXIT_USAGE 2
#define TECH_REPLAY_SPEED_MIN 0.01
#define TECH_REPLAY_SPEED_MAX 1000.0
/* The headless clock never sleeps longer than this, so a slow replay still notices its end. */
#define TECH_REPLAY_TICK_US 200000

static const char tech_replay_usage[] =
	"usage: handoff-tech replay FILE --key PRIV [--headless] [--speed X]\n"
	"                           [--snapshot OUT.ppm|OUT.png] [--until SECONDS]\n"
	"  plays a sealed recording; PRIV is the auditors' private key (keygen)\n"
	"  window: space play/pause, + and - speed, left/right 10 s back/forward,\n"
	"          click the timeline to jump, o overlay on/off, q or Escape to quit\n"
	"  --headless   no window: print the technician's input as lines, then\n"
	"               \"ok WxH frames=N duration=S\"; as fast as possible unless --speed\n"
	"  --speed X    playback speed (1 = as recorded)\n"
	"  --snapshot F the framebuffer at the end (or at --until) to F (headless)\n"
	"  --until S    stop at S seconds into the recording (window: start there, paused)\n"
	"  --events EXPORT --audit-key PUB\n"
	"               the ticket's chat, consent and escalation events from a verified\n"
	"               export on the timeline (headless: \"event T KIND WHO: TEXT\" lines;\n"
	"               \"event before the recording (-S s) ...\" for earlier ones)\n"
	"  handoff-tech replay EXPORT --recording ID --key PRIV [--audit-key PUB] [...]\n"
	"               plays recording ID (its path or file name, as `recordings N`\n"
	"               lists it) out of an export; with --audit-key the export is\n"
	"               verified first and its events join the timeline\n";

struct tech_replay_opts {
	const char *file, *key, *snapshot;
	const char *events, *audit_key; /* an export whose ticket events join the timeline */
	const char *recording;          /* FILE is an export; this recording of it is played */
	bool headless;
	double speed;         /* 0: not given */
	bool has_until;
	uint64_t until_us;
};

int tech_replay_seconds(const char *s, uint64_t *us)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0) || v > 1e9)
		return -1;
	*us = (uint64_t)(v * 1e6 + 0.5);
	return 0;
}

/* Names from the recording go to a terminal and into scripts: no control characters. */
static void tech_replay_clean(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outlen; in++)
		out[n++] = (unsigned char)*in < 0x20 || *in == 0x7f ? '?' : *in;
	out[n] = '\0';
}

/* What an auditor must know about a recording that opened. */
static void tech_replay_notes(const struct tech_recfile *rf)
{
	if (tech_recfile_truncated(rf))
		fprintf(stderr, "handoff-tech: recording is truncated (the relay stopped while recording); "
			"playing what there is\n");
	if (rf->header.flags & RECORDING_NO_INPUT)
		fprintf(stderr, "handoff-tech: the operator kept no technician input in this recording\n");
	else if (rf->input.stopped)
		fprintf(stderr, "handoff-tech: technician input: %s\n", rf->input.note);
	if (rf->input.format_changed_us != 0)
		fprintf(stderr, "handoff-tech: the viewer changed its pixel format at %.3f s; "
			"the picture after that may be wrong\n", (double)rf->input.format_changed_us / 1e6);
	if (rf->clock_stepped_back)
		fprintf(stderr, "handoff-tech: the relay's clock stepped back during the recording\n");
}

int tech_replay_open(struct tech_recfile *rf, const char *file, const char *key)
{
	char err[512];

	if (tech_recfile_open(rf, file, key, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		return -1;
	}
	tech_replay_notes(rf);
	return 0;
}

/*
 * The recording id out of the export at file, checked against the SHA-256
 * of the record that names it (the caller verifies the whole export when it
 * has the audit key). 0, or -1 with the reason printed.
 */
static int tech_replay_open_export(struct tech_recfile *rf, const char *file, const char *id, const char *key)
{
	struct event_recording ref;
	const uint8_t *bytes;
	size_t len;
	char err[600];
	struct stat st;
	void *map = MAP_FAILED;
	int fd, rc = -1;

	memset(rf, 0, sizeof(*rf));
	tech_clientmsg_init(&rf->input);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		fprintf(stderr, "handoff-tech: %s: %s\n", file, fd < 0 ? strerror(errno) : "not an export file");
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "handoff-tech: %s: %s\n", file, strerror(errno));
		goto out;
	}
	if (export_recording_find(map, (size_t)st.st_size, id, &bytes, &len, &ref, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s: %s\n", file, err);
		goto out;
	}
	if (tech_recfile_open_mem(rf, bytes, len, ref.path, key, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		goto out;
	}
	tech_replay_notes(rf);
	rc = 0;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int tech_replay_args(int argc, char **argv, struct tech_replay_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--headless") == 0) {
			o->headless = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(tech_replay_usage, stdout);
			return 1;
		}
		if (a[0] != '-' && o->file == NULL) {
			o->file = a;
			continue;
		}
		if (v == NULL)
			goto usage;
		if (strcmp(a, "--key") == 0) {
			o->key = v;
		} else if (strcmp(a, "--snapshot") == 0) {
			o->snapshot = v;
		} else if (strcmp(a, "--recording") == 0) {
			o->recording = v;
		} else if (strcmp(a, "--events") == 0) {
			o->events = v;
		} else if (strcmp(a, "--audit-key") == 0) {
			o->audit_key = v;
		} else if (strcmp(a, "--until") == 0) {
			if (tech_replay_seconds(v, &o->until_us) != 0)
				goto usage;
			o->has_until = true;
		} else if (strcmp(a, "--speed") == 0) {
			char *end;

			o->speed = strtod(v, &end);
			if (end == v || *end != '\0' || !(o->speed >= TECH_REPLAY_SPEED_MIN) ||
			    o->speed > TECH_REPLAY_SPEED_MAX)
				goto usage;
		} else {
			goto usage;
		}
		i++;
	}
	if (o->file == NULL || o->key == NULL)
		goto usage;
	/* Out of an export, --audit-key alone verifies it and takes the events from it. */
	if (o->recording != NULL && o->audit_key != NULL && o->events == NULL)
		o->events = o->file;
	if ((o->events == NULL) != (o->audit_key == NULL)) {
		fprintf(stderr, "handoff-tech: --events EXPORT needs --audit-key PUB (and the other way round)\n");
		return TECH_REPLAY_EXIT_USAGE;
	}
	if (o->snapshot != NULL && !o->headless) {
		fprintf(stderr, "handoff-tech: --snapshot needs --headless\n");
		return TECH_REPLAY_EXIT_USAGE;
	}
	return 0;
usage:
	fputs(tech_replay_usage, stderr);
	return TECH_REPLAY_EXIT_USAGE;
}

static void tech_replay_print_event(const struct tech_clientmsg_event *e)
{
	char name[64];

	if (e->kind == TECH_CLIENTMSG_KEY) {
		tech_keys_name(e->keysym, name, sizeof(name));
		printf("input %.3f key %s %s\n", (double)e->t_us / 1e6, name, e->down ? "down" : "up");
	} else {
		printf("input %.3f pointer %u %u buttons %u\n", (double)e->t_us / 1e6, e->x, e->y, e->buttons);
	}
}

static void tech_replay_print_ticket_event(const struct tech_timeline_event *e)
{
	if (e->before_us > 0)
		printf("event before the recording (-%.1f s) %s\n", (double)e->before_us / 1e6, e->line);
	else
		printf("event %.3f %s\n", (double)e->t_us / 1e6, e->line);
}

/* How far the input events and the ticket's events have been printed. */
struct tech_replay_cursor {
	size_t input;
	size_t timeline;
};

/* Prints the input events and the ticket's events up to t_us not printed yet, in time order. */
static void tech_replay_print_until(const struct tech_recfile *rf, struct tech_replay_cursor *c, uint64_t t_us)
{
	for (;;) {
		uint64_t ti = c->input < rf->input.n_events ? rf->input.events[c->input].t_us : UINT64_MAX;
		uint64_t tt = c->timeline < rf->timeline.n ? rf->timeline.events[c->timeline].t_us : UINT64_MAX;

		if (ti <= tt && ti <= t_us)
			tech_replay_print_event(&rf->input.events[c->input++]);
		else if (tt < ti && tt <= t_us)
			tech_replay_print_ticket_event(&rf->timeline.events[c->timeline++]);
		else
			break;
	}
	fflush(stdout);
}

static uint64_t tech_replay_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Plays up to end_us on a clock running at speed. */
static int tech_replay_clocked(struct tech_playback *pb, double speed, uint64_t end_us,
			       struct tech_replay_cursor *printed, char *err, size_t errlen)
{
	const struct tech_recfile *rf = pb->rf;
	uint64_t start = tech_replay_now_us();

	for (;;) {
		uint64_t t = (uint64_t)((double)(tech_replay_now_us() - start) * speed);
		uint64_t due = end_us, wait_us;

		if (t > end_us)
			t = end_us;
		if (tech_playback_until(pb, t, err, errlen) < 0)
			return -1;
		tech_replay_print_until(rf, printed, t);
		if (t >= end_us)
			return 0;
		/* Sleep until the next message or input event is due. */
		if (tech_playback_next_us(pb) < due)
			due = tech_playback_next_us(pb);
		if (printed->input < rf->input.n_events && rf->input.events[printed->input].t_us < due)
			due = rf->input.events[printed->input].t_us;
		if (printed->timeline < rf->timeline.n && rf->timeline.events[printed->timeline].t_us < due)
			due = rf->timeline.events[printed->timeline].t_us;
		wait_us = (uint64_t)((double)(due > t ? due - t : 0) / speed);
		if (wait_us > TECH_REPLAY_TICK_US)
			wait_us = TECH_REPLAY_TICK_US;
		if (wait_us > 0) {
			struct timespec ts = { .tv_sec = (time_t)(wait_us / 1000000u),
					       .tv_nsec = (long)(wait_us % 1000000u) * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

static int tech_replay_headless(const struct tech_recfile *rf, const struct tech_replay_opts *o)
{
	struct tech_playback pb;
	uint64_t end_us = rf->duration_us;
	struct tech_replay_cursor printed = { 0, 0 };
	char err[512];
	int rc = 1;

	if (o->has_until && o->until_us < end_us)
		end_us = o->until_us;
	if (tech_playback_open(&pb, rf, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		goto out;
	}
	if (o->speed > 0) {
		if (tech_replay_clocked(&pb, o->speed, end_us, &printed, err, sizeof(err)) != 0) {
			fprintf(stderr, "handoff-tech: %s\n", err);
			goto out;
		}
	}
	/*
	 * As fast as possible, and also what a clocked run leaves: without
	 * --until everything, including a message the recording ends inside.
	 */
	if (tech_playback_until(&pb, o->has_until ? end_us : UINT64_MAX, err, sizeof(err)) < 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		goto out;
	}
	tech_replay_print_until(rf, &printed, end_us);
	if (o->snapshot != NULL &&
	    tech_snapshot_write(o->snapshot, pb.vnc.fb, pb.vnc.width, pb.vnc.height, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		goto out;
	}
	printf("ok %dx%d frames=%lu duration=%.3f\n", pb.vnc.width, pb.vnc.height, pb.vnc.updates,
	       (double)end_us / 1e6);
	fflush(stdout);
	rc = 0;
out:
	tech_playback_close(&pb);
	return rc;
}

int tech_replay_main(int argc, char **argv)
{
	struct tech_replay_opts o = { 0 };
	struct tech_recfile rf;
	char who[RECORDING_NAME_MAX + 1], tier[sizeof(rf.header.tier)], when[32] = "?";
	int rc = tech_replay_args(argc, argv, &o);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (o.recording != NULL ? tech_replay_open_export(&rf, o.file, o.recording, o.key) != 0
				: tech_replay_open(&rf, o.file, o.key) != 0) {
		tech_recfile_close(&rf);
		return 1;
	}
	if (o.recording != NULL && o.audit_key == NULL)
		fprintf(stderr, "handoff-tech: the export was not verified (no --audit-key): the recording matches the "
			"SHA-256 in its record, but nothing here proves the relay wrote that record\n");
	if (o.events != NULL) {
		char err[600];

		if (tech_timeline_load(&rf.timeline, o.events, o.audit_key, rf.header.ticket, rf.header.start_us, err,
				       sizeof(err)) != 0) {
			fprintf(stderr, "handoff-tech: %s\n", err);
			tech_recfile_close(&rf);
			return 1;
		}
	}
	tech_replay_clean(rf.header.technician, who, sizeof(who));
	tech_replay_clean(rf.header.tier, tier, sizeof(tier));
	timefmt_utc((int64_t)(rf.header.start_us / 1000000u), TIMEFMT_ISO, when, sizeof(when));
	if (o.headless) {
		printf("recording ticket %llu viewer %u technician %s tier %s start %s duration %.3f\n",
		       (unsigned long long)rf.header.ticket, rf.header.viewer, who[0] ? who : "-",
		       tier[0] ? tier : "-", when, (double)rf.duration_us / 1e6);
		rc = tech_replay_headless(&rf, &o);
	} else {
		char title[256];

		snprintf(title, sizeof(title), "Handoff replay \u2014 ticket %llu \u2014 %s (%s) \u2014 %s",
			 (unsigned long long)rf.header.ticket, who[0] ? who : "?", tier[0] ? tier : "?", when);
		rc = tech_replaywin_run(&rf, title, o.speed > 0 ? o.speed : 1.0, o.has_until ? o.until_us : 0,
					o.has_until);
	}
	tech_recfile_close(&rf);
	return rc;
}
