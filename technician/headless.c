/*
 * headless.c: see headless.h.
 *
 * stdin and the RFB socket are polled together and stdin is read with
 * read(2) into our own line buffer, never through stdio: a FILE would
 * swallow lines poll() then cannot see. Commands run strictly one after
 * the other, so a test may write all its commands at once: lines that
 * arrive while a wait-frame is pending stay in the buffer until it is
 * answered.
 *
 * A monitor picked (--monitor, or the monitor command) is the screen as
 * far as snapshot, move and click go: snapshots are cropped to it and
 * coordinates are relative to its corner, so a script written for one
 * monitor works on whichever it is given. The helper's screen
 * descriptions are printed as "info" lines as they arrive, at any time,
 * like chat lines.
 */
#include "headless.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <X11/Xlib.h>

#include "keys.h"
#include "utf8.h"
#include "monitor.h"
#include "snapshot.h"

#define TECH_HEADLESS_LINE_MAX 8192
#define TECH_HEADLESS_WAIT_DEFAULT_MS 10000L
#define TECH_HEADLESS_WAIT_MAX_MS 3600000L
#define TECH_HEADLESS_KEYS_MAX 8
#define TECH_HEADLESS_TICK_MS 1000
#define TECH_HEADLESS_SAID_MAX 256

struct tech_headless {
	struct tech_vnc *vnc;
	struct tech_chat *chat;
	int (*ask_control)(void *ctx, tech_chat_line_fn fn, void *fn_ctx);
	void *ask_ctx;
	char in[TECH_HEADLESS_LINE_MAX];
	size_t in_len;
	bool in_eof;
	bool quit;
	bool waiting;             /* a wait-frame is pending */
	unsigned long wait_for;   /* full_updates count that answers it */
	long long wait_until_ms;  /* monotonic deadline */
	long long next_tick_ms;   /* next round-trip probe and encoding decision */
	int buttons;              /* RFB button mask currently held */
	int x, y;                 /* last pointer position sent, framebuffer pixels */
	struct tech_monitor_pick pick;  /* the monitor asked for, and the one shown */
	bool pick_known;          /* the screen is known: described, or pictured without a description */
};

static long long tech_headless_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 1, 2)))
static void tech_headless_reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Parses up to max decimal integers separated by blanks; the count, or -1. */
static int tech_headless_ints(const char *s, long *out, int max)
{
	int n = 0;

	for (;;) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return -1;
		errno = 0;
		out[n] = strtol(s, &end, 10);
		if (end == s || errno != 0 || (*end != '\0' && *end != ' ' && *end != '\t'))
			return -1;
		n++;
		s = end;
	}
}

static void tech_headless_wait_frame(struct tech_headless *h, const char *args)
{
	long ms = TECH_HEADLESS_WAIT_DEFAULT_MS;
	int n = tech_headless_ints(args, &ms, 1);

	if (n < 0 || ms <= 0 || ms > TECH_HEADLESS_WAIT_MAX_MS) {
		tech_headless_reply("error usage: wait-frame [TIMEOUT_MS], 1..%ld",
				    TECH_HEADLESS_WAIT_MAX_MS);
		return;
	}
	/*
	 * An unchanged screen sends no incremental updates, so ask for all of
	 * it: the answer is then a complete, current picture.
	 */
	if (tech_vnc_request_full(h->vnc) != 0) {
		tech_headless_reply("error the session is gone");
		return;
	}
	h->waiting = true;
	h->wait_for = h->vnc->full_updates + 1;
	h->wait_until_ms = tech_headless_now_ms() + ms;
}

static const struct screeninfo *tech_headless_info(const struct tech_headless *h)
{
	return h->vnc->has_info ? &h->vnc->info : NULL;
}

/*
 * The framebuffer part the commands work on. Until the screen is known a
 * monitor asked for is not known to be missing; afterwards a missing one
 * is said once on stderr, and the whole screen used until it is back.
 */
static void tech_headless_box(struct tech_headless *h, struct tech_rect *box)
{
	struct tech_vnc *v = h->vnc;

	if (!h->pick_known)
		tech_monitor_box(NULL, 0, v->width, v->height, box);
	else if (tech_monitor_pick_update(&h->pick, tech_headless_info(h), v->width, v->height, box))
		fprintf(stderr, "handoff-tech: monitor %d is not shared; showing all\n", h->pick.wanted);
}

/* The helper described its screen anew, or the first picture came without a description. */
static void tech_headless_screen_changed(struct tech_headless *h)
{
	struct tech_rect box;

	h->pick_known = true;
	if (h->vnc->info_changed) {
		char line[TECH_MONITOR_DESCRIBE_MAX];

		h->vnc->info_changed = false;
		tech_monitor_describe(&h->vnc->info, line, sizeof(line));
		tech_headless_reply("info %s", line);
	}
	tech_headless_box(h, &box);
}

static void tech_headless_snapshot(struct tech_headless *h, const char *file)
{
	struct tech_vnc *v = h->vnc;
	struct tech_rect box;
	uint8_t *crop = NULL;
	const uint8_t *fb = v->fb;
	char err[512];

	if (*file == '\0') {
		tech_headless_reply("error usage: snapshot FILE");
		return;
	}
	tech_headless_box(h, &box);
	if (fb != NULL && (box.w != v->width || box.h != v->height)) {
		crop = malloc((size_t)box.w * (size_t)box.h * 4);
		if (crop == NULL) {
			tech_headless_reply("error out of memory");
			return;
		}
		for (int y = 0; y < box.h; y++)
			memcpy(crop + (size_t)y * (size_t)box.w * 4,
			       v->fb + ((size_t)(box.y + y) * (size_t)v->width + (size_t)box.x) * 4, (size_t)box.w * 4);
		fb = crop;
	}
	if (tech_snapshot_write(file, fb, box.w, box.h, err, sizeof(err)) != 0)
		tech_headless_reply("error %s", err);
	else
		tech_headless_reply("ok");
	free(crop);
}

/* X,Y relative to the monitor shown to a framebuffer pixel; false (answered) when outside it. */
static bool tech_headless_point(struct tech_headless *h, long x, long y)
{
	struct tech_rect box;

	tech_headless_box(h, &box);
	if (x < 0 || y < 0 || x >= box.w || y >= box.h) {
		tech_headless_reply("error %ld,%ld is outside the %dx%d screen", x, y, box.w, box.h);
		return false;
	}
	h->x = box.x + (int)x;
	h->y = box.y + (int)y;
	return true;
}

static void tech_headless_monitor(struct tech_headless *h, const char *args)
{
	struct tech_vnc *v = h->vnc;
	const struct screeninfo *si = tech_headless_info(h);
	struct tech_rect box;
	char label[TECH_MONITOR_LABEL_MAX];
	long n = 0;

	while (*args == ' ' || *args == '\t')
		args++;
	if (strcmp(args, "all") != 0 && (tech_headless_ints(args, &n, 1) != 1 || n < 1 ||
					 n > SCREENINFO_MONITORS_MAX)) {
		tech_headless_reply("error usage: monitor N|all (N from 1 to %d)", SCREENINFO_MONITORS_MAX);
		return;
	}
	if (n != 0 && tech_monitor_box(si, (int)n, v->width, v->height, &box) == 0) {
		tech_headless_reply("error monitor %ld is not shared (%u monitors)", n,
				    si != NULL ? (unsigned)si->count : 0u);
		return;
	}
	h->pick.wanted = (int)n;
	h->pick_known = true;
	tech_headless_box(h, &box);
	tech_monitor_label(si, h->pick.shown, &box, label, sizeof(label));
	tech_headless_reply("ok %s", label);
}

static void tech_headless_move(struct tech_headless *h, const char *args)
{
	long v[2];

	if (tech_headless_ints(args, v, 2) != 2) {
		tech_headless_reply("error usage: move X Y");
		return;
	}
	if (!tech_headless_point(h, v[0], v[1]))
		return;
	if (tech_vnc_pointer(h->vnc, h->x, h->y, h->buttons) != 0) {
		tech_headless_reply("error the session is gone");
		return;
	}
	tech_headless_reply("ok");
}

static void tech_headless_click(struct tech_headless *h, const char *args)
{
	long v[3] = { 0, 0, 1 };
	int n = tech_headless_ints(args, v, 3);
	int bit;

	if (n != 2 && n != 3) {
		tech_headless_reply("error usage: click X Y [BUTTON]");
		return;
	}
	if (v[2] < 1 || v[2] > 5) {
		tech_headless_reply("error BUTTON is 1 to 5");
		return;
	}
	if (!tech_headless_point(h, v[0], v[1]))
		return;
	bit = 1 << (v[2] - 1);
	if (tech_vnc_pointer(h->vnc, h->x, h->y, h->buttons | bit) != 0 ||
	    tech_vnc_pointer(h->vnc, h->x, h->y, h->buttons & ~bit) != 0) {
		tech_headless_reply("error the session is gone");
		return;
	}
	h->buttons &= ~bit;
	tech_headless_reply("ok");
}

static void tech_headless_key(struct tech_headless *h, const char *args)
{
	uint32_t syms[TECH_HEADLESS_KEYS_MAX];
	char name[64];
	int n = 0;
	int rc = 0;
	const char *p = args;

	while (*p == ' ')
		p++;
	if (*p == '\0') {
		tech_headless_reply("error usage: key NAME[+NAME...]");
		return;
	}
	/* "+" joins keys; a lone "+" or a trailing one means the plus key itself. */
	while (*p != '\0') {
		size_t len = strcspn(p + 1, "+") + 1;
		KeySym ks;

		if (len >= sizeof(name) || n == TECH_HEADLESS_KEYS_MAX) {
			tech_headless_reply("error key: too long");
			return;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		ks = XStringToKeysym(strcmp(name, "+") == 0 ? "plus" : name);
		if (ks == NoSymbol) {
			tech_headless_reply("error unknown key name '%s'", name);
			return;
		}
		syms[n++] = (uint32_t)ks;
		p += len;
		if (*p == '+' && p[1] != '\0')
			p++;
	}
	for (int i = 0; i < n && rc == 0; i++)
		rc = tech_vnc_key(h->vnc, syms[i], true);
	for (int i = n - 1; i >= 0 && rc == 0; i--)
		rc = tech_vnc_key(h->vnc, syms[i], false);
	if (rc != 0) {
		tech_headless_reply("error the session is gone");
		return;
	}
	tech_headless_reply("ok");
}

static void tech_headless_type(struct tech_headless *h, const char *text)
{
	size_t len = strlen(text);
	size_t off = 0;

	/* Check everything first: half-typed text is worse than none. */
	while (off < len) {
		uint32_t cp;
		int n = utf8_next(text + off, len - off, &cp);

		if (n < 0) {
			tech_headless_reply("error type: the text is not valid UTF-8");
			return;
		}
		if (tech_keys_from_codepoint(cp) == 0) {
			tech_headless_reply("error type: character U+%04X cannot be typed", (unsigned)cp);
			return;
		}
		off += (size_t)n;
	}
	for (off = 0; off < len;) {
		uint32_t cp = 0;
		int n = utf8_next(text + off, len - off, &cp);
		uint32_t ks = tech_keys_from_codepoint(cp);

		if (tech_vnc_key(h->vnc, ks, true) != 0 || tech_vnc_key(h->vnc, ks, false) != 0) {
			tech_headless_reply("error the session is gone");
			return;
		}
		off += (size_t)n;
	}
	tech_headless_reply("ok");
}

static void tech_headless_chat_line(const char *line, void *ctx)
{
	(void)ctx;
	tech_headless_reply("chat %s", line);
}

static void tech_headless_chat(struct tech_headless *h, const char *args)
{
	if (h->chat == NULL) {
		tech_headless_reply("error no chat connection");
		return;
	}
	if (tech_chat_input(h->chat, args, tech_headless_chat_line, h) != 0)
		tech_headless_reply("error chat: the command failed");
	else
		tech_headless_reply("ok");
}

/* The relay's answer is one line; it becomes the reply, so the command keeps its one answer. */
static void tech_headless_keep_line(const char *line, void *ctx)
{
	char *keep = ctx;

	if (keep[0] == '\0')
		snprintf(keep, TECH_HEADLESS_SAID_MAX, "%s", line);
}

static void tech_headless_control(struct tech_headless *h)
{
	char said[TECH_HEADLESS_SAID_MAX] = "";

	if (h->ask_control == NULL) {
		tech_headless_reply("error no connection to ask the relay with");
		return;
	}
	if (h->ask_control(h->ask_ctx, tech_headless_keep_line, said) != 0)
		tech_headless_reply("error %s", said[0] ? said : "control: the relay did not ask");
	else
		tech_headless_reply("ok %s", said);
}

static void tech_headless_stats(struct tech_headless *h)
{
	char enc[48];

	tech_vnc_encoding_name(h->vnc, enc, sizeof(enc));
	tech_headless_reply("ok rtt_ms=%lld encoding=%s updates=%lu scale=%d scale_changes=%lu", h->vnc->rtt_us / 1000, enc,
			    h->vnc->updates, h->vnc->scale, h->vnc->scale_changes);
}

static void tech_headless_command(struct tech_headless *h, char *line)
{
	size_t n = strlen(line);
	char *args;

	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return;
	args = line + strcspn(line, " \t");
	if (*args != '\0')
		*args++ = '\0';
	if (strcmp(line, "wait-frame") == 0)
		tech_headless_wait_frame(h, args);
	else if (strcmp(line, "snapshot") == 0)
		tech_headless_snapshot(h, args);
	else if (strcmp(line, "monitor") == 0)
		tech_headless_monitor(h, args);
	else if (strcmp(line, "move") == 0)
		tech_headless_move(h, args);
	else if (strcmp(line, "click") == 0)
		tech_headless_click(h, args);
	else if (strcmp(line, "key") == 0)
		tech_headless_key(h, args);
	else if (strcmp(line, "type") == 0)
		tech_headless_type(h, args);
	else if (strcmp(line, "stats") == 0)
		tech_headless_stats(h);
	else if (strcmp(line, "chat") == 0)
		tech_headless_chat(h, args);
	else if (strcmp(line, "control") == 0)
		tech_headless_control(h);
	else if (strcmp(line, "quit") == 0) {
		tech_headless_reply("ok");
		h->quit = true;
	} else
		tech_headless_reply("error unknown command '%s' (wait-frame, snapshot, monitor, move, click, key, type, chat, control, stats, quit)",
				    line);
}

/*
 * Runs the first complete line in the buffer, if there is one (or the
 * rest of the buffer once stdin has ended). 1 if a line was taken.
 */
static int tech_headless_next_line(struct tech_headless *h)
{
	char line[TECH_HEADLESS_LINE_MAX + 1];
	char *nl = memchr(h->in, '\n', h->in_len);
	size_t len, used;

	if (nl != NULL) {
		len = (size_t)(nl - h->in);
		used = len + 1;
	} else if (h->in_eof && h->in_len > 0) {
		len = used = h->in_len;
	} else if (h->in_len == sizeof(h->in)) {
		/* A line longer than the buffer: refuse it, and its tail with it. */
		h->in_len = 0;
		tech_headless_reply("error line too long (at most %d bytes)", TECH_HEADLESS_LINE_MAX - 1);
		return 1;
	} else {
		return 0;
	}
	memcpy(line, h->in, len);
	line[len] = '\0';
	memmove(h->in, h->in + used, h->in_len - used);
	h->in_len -= used;
	if (memchr(line, '\0', len) != NULL) {
		tech_headless_reply("error NUL byte in command");
		return 1;
	}
	tech_headless_command(h, line);
	return 1;
}

/* Settles a pending wait-frame if it can be. */
static void tech_headless_check_wait(struct tech_headless *h)
{
	if (!h->waiting)
		return;
	if (h->vnc->full_updates >= h->wait_for) {
		h->waiting = false;
		tech_headless_reply("ok %dx%d", h->vnc->width, h->vnc->height);
	} else if (tech_headless_now_ms() >= h->wait_until_ms) {
		h->waiting = false;
		tech_headless_reply("error timeout: no complete frame arrived");
	}
}

static int tech_headless_read_stdin(struct tech_headless *h)
{
	ssize_t n = read(STDIN_FILENO, h->in + h->in_len, sizeof(h->in) - h->in_len);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		h->in_eof = true;
	h->in_len += (size_t)n;
	return 0;
}

int tech_headless_run(struct tech_vnc *v, struct tech_chat *chat, int monitor,
		      int (*ask_control)(void *ctx, tech_chat_line_fn fn, void *fn_ctx), void *ctx)
{
	struct tech_headless *h = calloc(1, sizeof(*h));
	int rc = 1;

	if (h == NULL)
		return -1;
	h->vnc = v;
	h->chat = chat;
	h->ask_control = ask_control;
	h->ask_ctx = ctx;
	h->pick.wanted = monitor;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = tech_vnc_fd(v), .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = tech_chat_fd(h->chat), .events = POLLIN },
		};
		bool want_stdin;
		int timeout = -1;
		int n;

		long long now = tech_headless_now_ms();

		if (now >= h->next_tick_ms) {
			tech_vnc_tick(v);
			h->next_tick_ms = now + TECH_HEADLESS_TICK_MS;
		}
		if (v->info_changed || (!h->pick_known && v->full_updates > 0))
			tech_headless_screen_changed(h);
		tech_headless_check_wait(h);
		while (!h->waiting && !h->quit && tech_headless_next_line(h))
			;
		if (h->quit || (!h->waiting && h->in_eof && h->in_len == 0)) {
			rc = 0;
			break;
		}
		want_stdin = !h->in_eof && h->in_len < sizeof(h->in);
		if (h->waiting) {
			long long left = h->wait_until_ms - tech_headless_now_ms();

			timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		if (timeout < 0 || timeout > h->next_tick_ms - now)
			timeout = (int)(h->next_tick_ms - now > 0 ? h->next_tick_ms - now : 0);
		/* Bytes libvncclient already read are invisible to poll. */
		if (v->client->buffered > 0)
			timeout = 0;
		/* A negative fd is skipped by poll: no chat, or stdin not wanted now. */
		if (!want_stdin)
			pfd[1].fd = -1;
		n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (v->client->buffered > 0 || (n > 0 && pfd[0].revents != 0)) {
			if (tech_vnc_service(v, 0) != 0)
				break;
		}
		if (want_stdin && n > 0 && pfd[1].revents != 0 && tech_headless_read_stdin(h) != 0)
			h->in_eof = true;
		if (h->chat != NULL && tech_chat_read(h->chat, tech_headless_chat_line, h) != 0) {
			/* Still view.c's to close; we only stop listening. */
			tech_headless_reply("chat (the chat stream ended)");
			h->chat = NULL;
		}
	}
	if (h->waiting)
		tech_headless_reply("error the session ended");
	free(h);
	return rc;
}
