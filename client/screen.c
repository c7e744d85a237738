/*
 * screen.c: libvncserver without a listening socket (see screen.h).
 *
 * Why libvncserver runs its own threads (rfbRunEventLoop in the
 * background) instead of being driven from our loop with
 * rfbProcessEvents: its reads and writes block on the client socket.
 * rfbWriteExact waits, in select(), until the socketpair has drained, and
 * the only thing that drains our socketpair is the pump in our own SSH
 * loop. Called from that loop, a large framebuffer update would wait for a
 * pump that cannot run until the update returns: a deadlock. With one
 * thread pair per client, a slow viewer only blocks its own thread, and the
 * SSH window pushes back through the pump to that thread alone.
 *
 * Lifetime of a client: we create it (rfbNewClient on our socketpair end),
 * configure it, and start its thread. From then on libvncserver owns it and
 * frees it on its own thread when the socket reaches EOF; we never keep an
 * rfbClientPtr. The clientGoneHook, which runs on that thread just before
 * the free, records the thread so that the main loop can join it, and
 * counts the client out; helper_screen_close waits for the count to reach
 * zero before it shuts libvncserver down.
 *
 * The framebuffer is written by the main thread while client threads encode
 * from it. That is how libvncserver is meant to be used: a tile caught
 * half-written is followed by a fresh "modified" mark and sent again.
 */
#include "screen.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfb.h>
#include <rfb/rfbregion.h>

#include "buf.h"
#include "hsock.h"
#include "input.h"
#include "log.h"
#include "pace.h"
#include "screeninfo.h"
#include "wake.h"

/* How long close waits for client threads to notice their socket closed. */
#define CLOSE_WAIT_SECONDS 5
/* Viewers that can be told about the screen at once; more simply are not told. */
#define INFO_CLIENTS_MAX 64
/* How long the screen must stay unchanged before what went out lossy is sent again without loss. */
#define REFINE_STILL_US 300000
/* Rows sent again per update: a refinement cut in bands lets a key press in between go first. */
#define REFINE_BAND_ROWS 64

/* The smallest side a scaled picture may have. */
#define SCALE_MIN_SIDE 64
/* How long a scale change waits for the viewer's SetScale (ours answers within a round trip). */
#define SCALE_WAIT_US 10000000

/* Ours, in the client's clientData slot: libvncserver never reads it. */
struct helper_screen_client {
	uint32_t tag;          /* the viewer id (input.h), and how set_control finds the client */
	pthread_mutex_t lock;  /* pace: the output thread starts updates, the input thread sees requests */
	struct helper_pace pace;
	/*
	 * Scaling (issue 21), under lock. The output thread tells the viewer
	 * (hinted) and waits (awaiting) until the input thread has read the
	 * viewer's SetScale, which signals scaled. picture_scaled: counted in
	 * the screen's scaled_viewers, from the first scaled picture until the
	 * whole screen has gone out at full size again (full_pending: the update
	 * going out is that one).
	 */
	pthread_cond_t scaled;
	bool can_scale;        /* listed SCREENINFO_SCALE_ENCODING */
	int hinted;            /* 1, 2 or 4 */
	bool awaiting;
	bool picture_scaled, full_pending;
	int scaled_w, scaled_h; /* the screen's size when it was scaled: another size means back to 1 */
};

/* A viewer that asked for screeninfo, and the generation it was sent last. */
struct helper_screen_info_client {
	rfbClientPtr cl;
	unsigned sent;
};

struct helper_screen {
	rfbScreenInfoPtr rfb;
	uint8_t *fb;
	int width, height;
	struct helper_capture_format fmt;
	struct helper_input *input;     /* not owned; NULL: no remote control */
	pthread_t owner;                /* the main thread */
	struct wake wake;               /* a viewer asked for an update */
	atomic_bool paused;             /* set by the main loop, read by client threads */
	atomic_uint refused;            /* SCREENINFO_HELD | SCREENINFO_INPUT_REFUSED, likewise */
	/* Where framebuffer (0, 0) is on the display, and whether input may land there. */
	atomic_int origin_x, origin_y;
	atomic_bool live;
	/*
	 * The lossless refinement. Main thread only: what changed since it was
	 * last sent without loss (unrefined), the bands marked again in this still
	 * moment and not yet known to have arrived (refined), the request count
	 * when the last band was marked. Shared: when the capture last changed
	 * pixels, whether any update went out lossy, requests seen.
	 */
	sraRegionPtr unrefined, refined;
	unsigned refine_requests;
	atomic_llong last_change_us;
	atomic_bool refining;           /* bands are being sent again: updates go out lossless */
	atomic_bool damage_pending;
	atomic_bool lossy_sent;
	atomic_int link_fd;             /* the helper's connection to the relay, for its round trip; -1 */
	atomic_uint requests;
	/*
	 * Scaling: viewers whose picture is not whole at full size (no
	 * refinement until none), and the main thread's ask to bring them
	 * back because the screen is still (cleared by the next change).
	 * scale_lock lets one viewer at a time change scale: libvncserver's
	 * rfbScalingSetup, on that viewer's input thread, adds to the screen's
	 * list of scaled copies under that client's own lock only.
	 */
	atomic_int scaled_viewers;
	atomic_bool unscale;
	atomic_bool resizing;           /* the main thread is in rfbNewFramebuffer: see helper_screen_rescale */
	pthread_mutex_t scale_lock;
	/*
	 * A scroll being published (helper_screen_copy_begin to _end), main
	 * thread only: the move, and every viewer whose send lock is held,
	 * each with a reference so libvncserver does not free it meanwhile.
	 */
	struct {
		bool active;
		int x, y, w, h, dy;
		rfbClientPtr *held;
		size_t nheld, capheld;
	} copy;

	pthread_mutex_t lock;           /* guards what follows */
	pthread_cond_t changed;
	int clients;
	int sender_threads;             /* clipboard and screeninfo senders still running */
	struct screeninfo layout;       /* flags unused: they differ per viewer */
	unsigned info_generation;       /* bumped whenever layout or pause changes */
	struct helper_screen_info_client info_clients[INFO_CLIENTS_MAX];
	size_t ninfo_clients;
	pthread_t *finished;            /* client threads waiting to be joined */
	size_t nfinished, capfinished;

	/* Set once before viewers arrive, read by their threads. */
	void (*cut_text_hook)(struct helper_clipboard *ctx, const char *text, size_t len, bool utf8);
	struct helper_clipboard *cut_text_ctx;
};

/* libvncserver logs through these globals; route them into our log. */
static void helper_screen_log(const char *fmt, ...)
	__attribute__((format(gnu_printf, 1, 2)));
static void helper_screen_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	log_format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("libvncserver: %s", line);
}

static void helper_screen_err(const char *fmt, ...)
	__attribute__((format(gnu_printf, 1, 2)));
static void helper_screen_err(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	log_format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* It complains that a socketpair has no TCP_NODELAY; that is expected. */
	if (strstr(line, "TCP_NODELAY") != NULL)
		log_debug("libvncserver: %s", line);
	else
		log_warn("libvncserver: %s", line);
}

static int helper_screen_shift(uint32_t mask)
{
	int shift = 0;

	while (mask != 0 && !(mask & 1u)) {
		mask >>= 1;
		shift++;
	}
	return shift;
}

/* Declares the display's own pixel layout, so rows need no conversion. */
static void helper_screen_set_format(struct helper_screen *s)
{
	rfbPixelFormat *f = &s->rfb->serverFormat;

	f->bitsPerPixel = 32;
	f->depth = 24;
	f->trueColour = TRUE;
	f->redMax = 255;
	f->greenMax = 255;
	f->blueMax = 255;
	f->redShift = (uint8_t)helper_screen_shift(s->fmt.red_mask);
	f->greenShift = (uint8_t)helper_screen_shift(s->fmt.green_mask);
	f->blueShift = (uint8_t)helper_screen_shift(s->fmt.blue_mask);
}

static struct helper_screen_client *helper_screen_client_of(rfbClientPtr cl)
{
	return cl->clientData;
}

/* The viewer id helper_screen_add_client was given. */
static uint32_t helper_screen_viewer(rfbClientPtr cl)
{
	return helper_screen_client_of(cl)->tag;
}

static int64_t helper_screen_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* libvncserver already drops input from view-only clients; we check again. */
static void helper_screen_on_pointer(int buttons, int x, int y, rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;

	if (cl->viewOnly || s->input == NULL || atomic_load(&s->paused) || !atomic_load(&s->live))
		return;
	helper_input_pointer(s->input, helper_screen_viewer(cl), buttons, x + atomic_load(&s->origin_x),
			     y + atomic_load(&s->origin_y));
	/* Keeps libvncserver's idea of the cursor position for the other viewers. */
	rfbDefaultPtrAddEvent(buttons, x, y, cl);
}

static void helper_screen_on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;

	if (cl->viewOnly || s->input == NULL || atomic_load(&s->paused) || !atomic_load(&s->live))
		return;
	helper_input_key(s->input, helper_screen_viewer(cl), down != 0, (uint32_t)keysym);
}

/*
 * Each update's quality is decided here, on the client's own output thread,
 * between these two hooks (libvncserver sends every update in between): the
 * quality the viewer asked for is kept in a thread-local while the update
 * goes out as decided, and put back after.
 *
 * Lossless, whatever the viewer asked, when the picture cannot or did not
 * change: while paused a viewer can only get the picture from before the
 * pause again, and re-encoded as JPEG it would come out blurrier than, and
 * different from, what the technician already sees; while refining, what is
 * sent is what went out lossy before the screen stopped
 * (helper_screen_refine), and text must end up sharp. Not merely because
 * the screen is still: a viewer that joins a still screen gets its first
 * picture at its own quality (a lossless photo can take 25 s on a 1 Mbit/s
 * uplink) and the sharp one band by band after.
 *
 * Otherwise at most the quality the link carries (pace.h), never above the
 * viewer's own choice; a viewer that asked for no JPEG gets none.
 */
static _Thread_local struct {
	unsigned sent_before;          /* rfbStatGetSentBytes when the update began */
	bool held;
	int tight, turbo, subsamp;     /* what the viewer asked */
	int set_tight, set_turbo;      /* what this update used instead */
} helper_screen_asked;

/* JPEG quality (libjpeg's 1-100) and chroma subsampling for each level the pacing lowers a viewer to. */
static const int helper_screen_turbo_quality[PACE_LEVEL_MAX + 1] = { 10, 20, 30, 40, 50, 60, 70, 80, 88, 95 };
/* TurboVNC's subsampling numbers: 1 is 4:2:0 (half the chroma), used on the lower levels. */
#define HELPER_SCREEN_SUBSAMP_420 1
#define HELPER_SCREEN_SUBSAMP_BELOW 6

/* The JPEG quality level (0-9) the viewer asked for, or -1 when it asked for no JPEG. */
static int helper_screen_asked_level(rfbClientPtr cl)
{
	if (cl->tightQualityLevel >= 0)
		return cl->tightQualityLevel > PACE_LEVEL_MAX ? PACE_LEVEL_MAX : cl->tightQualityLevel;
	if (cl->turboQualityLevel >= 0)
		return cl->turboQualityLevel >= 100 ? PACE_LEVEL_MAX : cl->turboQualityLevel / 10;
	return -1;
}


void helper_screen_set_link(struct helper_screen *s, int fd)
{
	atomic_store(&s->link_fd, fd);
}

void helper_screen_set_damage_pending(struct helper_screen *s, bool pending)
{
	atomic_store(&s->damage_pending, pending);
}

static void helper_screen_hold(rfbClientPtr cl, int tight, int turbo, int subsamp)
{
	helper_screen_asked.held = true;
	helper_screen_asked.tight = cl->tightQualityLevel;
	helper_screen_asked.turbo = cl->turboQualityLevel;
	helper_screen_asked.subsamp = cl->turboSubsampLevel;
	helper_screen_asked.set_tight = tight;
	helper_screen_asked.set_turbo = turbo;
	cl->tightQualityLevel = tight;
	cl->turboQualityLevel = turbo;
	if (subsamp >= 0)
		cl->turboSubsampLevel = subsamp;
}

/*
 * The pixels the update about to go out carries: what changed and was asked
 * for, as libvncserver's output thread is about to read it (it holds the
 * send lock, not the update lock, when it calls the display hook). Not the
 * copyRegion: a scroll's CopyRect is 16 bytes whatever its size, and to a
 * viewer that does not offer CopyRect libvncserver has already added the
 * copy to modifiedRegion.
 */
static uint64_t helper_screen_update_pixels(rfbClientPtr cl)
{
	sraRectangleIterator *it;
	sraRegionPtr r;
	sraRect rect;
	uint64_t n = 0;

	pthread_mutex_lock(&cl->updateMutex);
	r = sraRgnCreateRgn(cl->modifiedRegion);
	sraRgnAnd(r, cl->requestedRegion);
	pthread_mutex_unlock(&cl->updateMutex);
	it = sraRgnGetIterator(r);
	while (it != NULL && sraRgnIteratorNext(it, &rect))
		n += (uint64_t)(rect.x2 - rect.x1) * (uint64_t)(rect.y2 - rect.y1);
	if (it != NULL)
		sraRgnReleaseIterator(it);
	sraRgnDestroy(r);
	return n;
}

static int helper_screen_info_compose(struct helper_screen *s, rfbClientPtr cl, struct buf *msg,
				      unsigned *generation);

/*
 * Scaling (issue 21). libvncserver scales a client's picture once the
 * viewer sends UltraVNC's SetScale, which its input thread applies at once
 * (rfbScalingSetup: the client's scaledScreen pointer and a new scaled
 * copy) while the output thread may be encoding from the old one: a
 * rectangle computed for one size read from the other's framebuffer, past
 * its end when it shrank. So a viewer may change scale only while its
 * output thread is provably not encoding: here, in the display hook, which
 * runs on that thread before anything of the update is read. The hook
 * writes the screeninfo message with the new scale and waits, sending
 * nothing, until the input thread has read the viewer's SetScale (our
 * viewer answers the hint with SetScale and a FramebufferUpdateRequest, and
 * the request hook, on the input thread after SetScale was applied, says
 * so). Then libvncserver, right after this hook, sees its NewFBSize pending
 * and sends the new size instead of the update; the pixels follow at the
 * new size when the viewer asks for them. Pointer events stay exact: the
 * input thread scales them up by the scale in force when each is read, in
 * the order the viewer sent them around its SetScale.
 *
 * One viewer at a time (scale_lock): the input threads of two viewers in
 * rfbScalingSetup at once would both add to the screen's list of scaled
 * copies, each under its own client's lock.
 */
static int helper_screen_scale_for(struct helper_screen *s, rfbClientPtr cl, struct helper_screen_client *c,
				   int asked, uint64_t pixels)
{
	int scale;

	pthread_mutex_lock(&c->lock);
	if (c->hinted > 1 && (cl->screen->width != c->scaled_w || cl->screen->height != c->scaled_h))
		scale = 1; /* the screen changed size under a scaled picture: full size first */
	else if (asked < 0 || !cl->useNewFBSize || atomic_load(&s->unscale) || atomic_load(&s->refining))
		scale = 1;
	else if (atomic_load(&s->paused))
		scale = c->hinted;
	else
		scale = helper_pace_scale(&c->pace, pixels, (uint64_t)cl->screen->width * (uint64_t)cl->screen->height);
	pthread_mutex_unlock(&c->lock);
	/* A picture too small to read is no help (and libvncserver cannot allocate one of no pixels). */
	while (scale > 1 && (cl->screen->width / scale < SCALE_MIN_SIDE || cl->screen->height / scale < SCALE_MIN_SIDE))
		scale /= 2;
	return scale;
}

static const char *helper_screen_scale_words(int scale)
{
	return scale >= PACE_SCALE_MAX ? "a quarter of its size" : scale == 2 ? "half size" : "full size";
}

static void helper_screen_abs_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* On the output thread, in the display hook (its send lock held): see above. */
static void helper_screen_rescale(struct helper_screen *s, rfbClientPtr cl, struct helper_screen_client *c, int scale,
				  uint64_t pixels)
{
	struct buf msg;
	unsigned generation;
	int64_t asked_at = helper_screen_now_us();
	bool done;
	int was;
	double rate, ms;

	pthread_mutex_lock(&s->scale_lock);
	pthread_mutex_lock(&c->lock);
	was = c->hinted;
	c->hinted = scale;
	c->awaiting = true;
	rate = c->pace.bytes_per_us;
	ms = rate > 0 ? (double)pixels * helper_pace_scale_bytes(&c->pace, was) / rate / 1000.0 : 0;
	pthread_mutex_unlock(&c->lock);
	buf_init(&msg, SCREENINFO_PAYLOAD_MAX + 8);
	if (helper_screen_info_compose(s, cl, &msg, &generation) != 0 ||
	    rfbWriteExact(cl, (const char *)buf_ptr(&msg), (int)buf_len(&msg)) < 0) {
		/* Not told, so it will not ask: nothing changes. */
		pthread_mutex_lock(&c->lock);
		c->hinted = was;
		c->awaiting = false;
		pthread_mutex_unlock(&c->lock);
		goto out;
	}
	pthread_mutex_lock(&c->lock);
	while (c->awaiting && cl->sock != RFB_INVALID_SOCKET && cl->state == RFB_NORMAL) {
		struct timespec until;

		/*
		 * rfbNewFramebuffer, on the main thread, waits for this client's
		 * send lock, which we hold, and the main thread is the pump that
		 * carries the hint out and the SetScale in: neither would ever
		 * come. Letting the update go on instead would let the SetScale
		 * race it later; closing the connection is the safe way out of
		 * a rare moment (a screen resized within a round trip of a change).
		 */
		if (atomic_load(&s->resizing)) {
			log_warn("viewer %u: the screen changed size while its picture changed scale; disconnected",
				 c->tag);
			rfbCloseClient(cl);
			break;
		}
		helper_screen_abs_deadline(&until, 100);
		pthread_cond_timedwait(&c->scaled, &c->lock, &until);
		if (c->awaiting && helper_screen_now_us() - asked_at > SCALE_WAIT_US) {
			/*
			 * Going on without it would let a SetScale that comes later
			 * race this thread, and waiting on would hold scale_lock, so
			 * every other viewer's change of scale, for ever: a viewer
			 * that offered scaling and does not answer is let go.
			 */
			log_warn("viewer %u: no SetScale %d s after it was told the scale; disconnected", c->tag,
				 SCALE_WAIT_US / 1000000);
			rfbCloseClient(cl);
			break;
		}
	}
	done = !c->awaiting;
	c->awaiting = false;
	if (done) {
		sraRegionPtr all = sraRgnCreateRect(0, 0, cl->screen->width, cl->screen->height);

		/*
		 * The viewer's picture at the new size is empty, and libvncclient
		 * asks for all of it after NewFBSize but not after
		 * ExtendedDesktopSize: it is all modified for this viewer.
		 */
		if (all != NULL) {
			LOCK(cl->updateMutex);
			sraRgnOr(cl->modifiedRegion, all);
			UNLOCK(cl->updateMutex);
			sraRgnDestroy(all);
		}
		helper_pace_set_scale(&c->pace, scale);
		c->scaled_w = cl->screen->width;
		c->scaled_h = cl->screen->height;
		if (scale > 1 && !c->picture_scaled) {
			c->picture_scaled = true;
			atomic_fetch_add(&s->scaled_viewers, 1);
		}
	}
	rate = c->pace.bytes_per_us;
	pthread_mutex_unlock(&c->lock);
	if (!done)
		goto out;
	if (scale > was)
		log_info("viewer %u: picture at %s now (%llu pixels changed would take %.0f ms at JPEG level 0; "
			 "the link carries about %.0f KB/s)",
			 c->tag, helper_screen_scale_words(scale), (unsigned long long)pixels, ms, rate * 1e6 / 1024.0);
	else if (atomic_load(&s->unscale))
		log_info("viewer %u: picture at %s now (the screen is still; the lossless refinement follows)", c->tag,
			 helper_screen_scale_words(scale));
	else
		log_info("viewer %u: picture at %s now (the link carries about %.0f KB/s)", c->tag,
			 helper_screen_scale_words(scale), rate * 1e6 / 1024.0);
out:
	buf_free(&msg);
	pthread_mutex_unlock(&s->scale_lock);
}

static void helper_screen_on_display(rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;
	struct helper_screen_client *c = helper_screen_client_of(cl);
	int64_t now = helper_screen_now_us();
	int asked = helper_screen_asked_level(cl);
	uint64_t pixels = 0;
	bool can_scale, picture_scaled;
	int hinted;

	pthread_mutex_lock(&c->lock);
	helper_pace_sent(&c->pace, now);
	can_scale = c->can_scale;
	hinted = c->hinted;
	picture_scaled = c->picture_scaled;
	c->full_pending = false;
	pthread_mutex_unlock(&c->lock);
	helper_screen_asked.sent_before = (unsigned)rfbStatGetSentBytes(cl);
	if (can_scale) {
		int scale;

		pixels = helper_screen_update_pixels(cl);
		scale = helper_screen_scale_for(s, cl, c, asked, pixels);
		if (scale != hinted) {
			helper_screen_rescale(s, cl, c, scale, pixels);
			/* What goes out now is the new size alone; its time counts from here. */
			pthread_mutex_lock(&c->lock);
			helper_pace_sent(&c->pace, helper_screen_now_us());
			pthread_mutex_unlock(&c->lock);
			helper_screen_asked.sent_before = (unsigned)rfbStatGetSentBytes(cl);
			return;
		}
		if (hinted == 1 && picture_scaled &&
		    pixels >= (uint64_t)cl->screen->width * (uint64_t)cl->screen->height) {
			pthread_mutex_lock(&c->lock);
			c->full_pending = true;
			pthread_mutex_unlock(&c->lock);
		}
	}
	if (asked < 0)
		return;
	if (atomic_load(&s->paused) || atomic_load(&s->refining)) {
		helper_screen_hold(cl, -1, -1, -1);
		return;
	}
	atomic_store(&s->lossy_sent, true);
	if (!can_scale)
		pixels = helper_screen_update_pixels(cl);
	pthread_mutex_lock(&c->lock);
	int was = c->pace.level;
	int level = helper_pace_choose(&c->pace, asked, pixels);
	double rate = c->pace.bytes_per_us;
	pthread_mutex_unlock(&c->lock);
	if (level != was && (level < asked || was >= 0))
		log_info("viewer %u: JPEG quality at most %d now (%llu pixels changed; the link carries %s%.0f KB/s)",
			 c->tag, level, (unsigned long long)pixels, rate > 0 ? "about " : "not measured yet, ",
			 rate * 1e6 / 1024.0);
	if (level < asked)
		helper_screen_hold(cl, level, helper_screen_turbo_quality[level],
				   level < HELPER_SCREEN_SUBSAMP_BELOW ? HELPER_SCREEN_SUBSAMP_420 : -1);
}

static void helper_screen_on_display_finished(rfbClientPtr cl, int result)
{
	struct helper_screen_client *c = helper_screen_client_of(cl);
	/* libvncserver counts in an int that a long session wraps: the difference, modulo 2^32, is right. */
	unsigned sent = (unsigned)rfbStatGetSentBytes(cl) - helper_screen_asked.sent_before;

	struct helper_screen *s = cl->screen->screenData;
	bool whole = false;

	pthread_mutex_lock(&c->lock);
	helper_pace_size(&c->pace, sent);
	if (c->full_pending && result && c->picture_scaled) {
		/* The whole screen went out at full size: the refinement may start. */
		c->picture_scaled = false;
		whole = true;
	}
	c->full_pending = false;
	pthread_mutex_unlock(&c->lock);
	if (whole) {
		atomic_fetch_sub(&s->scaled_viewers, 1);
		wake_signal(&s->wake);
	}
	if (!helper_screen_asked.held)
		return;
	helper_screen_asked.held = false;
	/* A SetEncodings read meanwhile says what the viewer wants now: that one stays. */
	if (cl->tightQualityLevel == helper_screen_asked.set_tight &&
	    cl->turboQualityLevel == helper_screen_asked.set_turbo) {
		cl->tightQualityLevel = helper_screen_asked.tight;
		cl->turboQualityLevel = helper_screen_asked.turbo;
		cl->turboSubsampLevel = helper_screen_asked.subsamp;
	}
}

/*
 * Runs on the client's input thread for every FramebufferUpdateRequest.
 * The main loop grabs the screen only when a viewer has asked (see
 * capture.c): this is the only place that knows when one has.
 */
static void helper_screen_on_request(rfbClientPtr cl, rfbFramebufferUpdateRequestMsg *fur)
{
	struct helper_screen *s = cl->screen->screenData;
	struct helper_screen_client *c = helper_screen_client_of(cl);
	int fd = atomic_load(&s->link_fd);
	int64_t link_rtt, now = helper_screen_now_us(), took, rtt;
	size_t bytes;
	bool answer;

	/*
	 * A scale change waits for this: the viewer's SetScale came before
	 * this request and was applied on this thread (helper_screen_rescale).
	 * The request says nothing about the update in flight, which is none.
	 */
	pthread_mutex_lock(&c->lock);
	answer = c->awaiting;
	if (answer && (c->hinted == 1 ? cl->scaledScreen == cl->screen
				      : cl->scaledScreen->width == cl->screen->width / c->hinted &&
					cl->scaledScreen->height == cl->screen->height / c->hinted)) {
		c->awaiting = false;
		pthread_cond_signal(&c->scaled);
	}
	pthread_mutex_unlock(&c->lock);
	if (answer) {
		atomic_fetch_add(&s->requests, 1);
		wake_signal(&s->wake);
		return;
	}
	/*
	 * A viewer asks incrementally once it has drawn an update. A full
	 * request can come at any time (our viewer's 1x1 round-trip probe, a
	 * refresh) and says nothing about the update in flight.
	 */
	if (!fur->incremental) {
		atomic_fetch_add(&s->requests, 1);
		wake_signal(&s->wake);
		return;
	}
	link_rtt = fd >= 0 ? hsock_min_rtt_us(fd) : -1;
	pthread_mutex_lock(&c->lock);
	took = c->pace.start_us != 0 ? now - c->pace.start_us : 0;
	bytes = c->pace.bytes;
	helper_pace_acked(&c->pace, now, link_rtt);
	rtt = helper_pace_rtt(&c->pace, link_rtt);
	pthread_mutex_unlock(&c->lock);
	if (took > 2 * PACE_BUDGET_US)
		log_debug("viewer %u: an update of %zu bytes took %lld ms (round trip %lld ms)", c->tag, bytes,
			  (long long)(took / 1000), (long long)(rtt / 1000));
	atomic_fetch_add(&s->requests, 1);
	wake_signal(&s->wake);
}

/* Clipboard text only from viewers allowed to control, as with input. */
static void helper_screen_on_cut_text(char *str, int len, rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;

	if (cl->viewOnly || s->cut_text_hook == NULL || len < 0) {
		log_info("cut text from a view-only viewer ignored");
		return;
	}
	if (atomic_load(&s->paused)) {
		log_info("cut text from a viewer ignored: sharing is paused");
		return;
	}
	s->cut_text_hook(s->cut_text_ctx, str, (size_t)len, false);
}

/*
 * libvncserver 0.9.14 allocates a node on cl->extensions for every
 * extension a viewer enables and never frees the list when the client goes
 * (rfbDisableExtension unlinks without freeing). The client is past every
 * other thread here, so the list is ours to free.
 */
static void helper_screen_free_extension_nodes(rfbClientPtr cl)
{
	rfbExtensionData *e = cl->extensions;

	cl->extensions = NULL;
	while (e != NULL) {
		rfbExtensionData *next = e->next;

		free(e);
		e = next;
	}
}

/* Runs on the client's own thread, just before libvncserver frees the client. */
static void helper_screen_on_client_gone(rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;
	pthread_t self = pthread_self();

	/* Whatever a controlling viewer held down when it vanished must come up. */
	if (!cl->viewOnly && s->input != NULL)
		helper_input_release(s->input);
	pthread_mutex_lock(&s->lock);
	s->clients--;
	for (size_t i = 0; i < s->ninfo_clients; i++) {
		if (s->info_clients[i].cl == cl) {
			s->info_clients[i] = s->info_clients[--s->ninfo_clients];
			break;
		}
	}
	{
		struct helper_screen_client *c = helper_screen_client_of(cl);

		/* Nobody waits for its whole picture any more. */
		pthread_mutex_lock(&c->lock);
		if (c->picture_scaled)
			atomic_fetch_sub(&s->scaled_viewers, 1);
		c->picture_scaled = false;
		pthread_mutex_unlock(&c->lock);
	}
	if (!pthread_equal(self, s->owner)) {
		if (s->nfinished == s->capfinished) {
			size_t cap = s->capfinished ? s->capfinished * 2 : 8;
			pthread_t *grown = realloc(s->finished, cap * sizeof(*grown));

			if (grown != NULL) {
				s->finished = grown;
				s->capfinished = cap;
			}
		}
		if (s->nfinished < s->capfinished)
			s->finished[s->nfinished++] = self;
		else
			pthread_detach(self); /* cannot record it: let it clean up alone */
	}
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	/*
	 * The loop may be asleep with nothing else to wake it: it must run once
	 * more to join this thread and to tell the capture that one fewer
	 * watches (with none, a Wayland stream stops).
	 */
	wake_signal(&s->wake);
	helper_screen_free_extension_nodes(cl);
	{
		struct helper_screen_client *c = helper_screen_client_of(cl);

		cl->clientData = NULL;
		pthread_cond_destroy(&c->scaled);
		pthread_mutex_destroy(&c->lock);
		free(c);
	}
	log_debug("a viewer's VNC connection closed");
}

/* Every sender thread ends here, so that close can wait for them all. */
static void helper_screen_sender_done(struct helper_screen *s)
{
	pthread_mutex_lock(&s->lock);
	s->sender_threads--;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Runs fn(arg) on a detached thread: writes to viewers may wait for their
 * sockets to drain, and only our main loop drains them. 0 or -1.
 */
static int helper_screen_spawn_sender(struct helper_screen *s, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Counted before it starts, so that close waits for it (see helper_screen_close). */
	pthread_mutex_lock(&s->lock);
	s->sender_threads++;
	pthread_mutex_unlock(&s->lock);
	rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		helper_screen_sender_done(s);
		return -1;
	}
	return 0;
}

/* True when cl asked for screeninfo: it also takes clipboard text as UTF-8. */
static bool helper_screen_is_info_client(struct helper_screen *s, rfbClientPtr cl)
{
	bool found = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ninfo_clients && !found; i++)
		found = s->info_clients[i].cl == cl;
	pthread_mutex_unlock(&s->lock);
	return found;
}

struct helper_screen_cut {
	struct helper_screen *s;
	rfbScreenInfoPtr rfb;
	size_t utf8_len, latin1_len;
	char *utf8, *latin1;      /* both point into text */
	char text[];
};

static void *helper_screen_cut_thread(void *arg)
{
	struct helper_screen_cut *cut = arg;
	rfbServerCutTextMsg msg = { .type = rfbServerCutText, .length = Swap32IfLE((uint32_t)cut->latin1_len) };
	uint8_t head[5];
	rfbClientIteratorPtr it = rfbGetClientIterator(cut->rfb);
	rfbClientPtr cl;

	screeninfo_cut_header(head, (uint32_t)cut->utf8_len);
	while (it != NULL && (cl = rfbClientIteratorNext(it)) != NULL) {
		bool utf8;
		int rc;

		if (cl->viewOnly || cl->state != RFB_NORMAL)
			continue;
		utf8 = helper_screen_is_info_client(cut->s, cl);
		LOCK(cl->sendMutex);
		if (utf8)
			rc = rfbWriteExact(cl, (char *)head, (int)sizeof(head)) < 0 ||
			     rfbWriteExact(cl, cut->utf8, (int)cut->utf8_len) < 0;
		else
			rc = rfbWriteExact(cl, (char *)&msg, sz_rfbServerCutTextMsg) < 0 ||
			     rfbWriteExact(cl, cut->latin1, (int)cut->latin1_len) < 0;
		UNLOCK(cl->sendMutex);
		if (rc)
			log_warn("could not send clipboard text to a viewer");
	}
	if (it != NULL)
		rfbReleaseClientIterator(it);
	helper_screen_sender_done(cut->s);
	free(cut);
	return NULL;
}

int helper_screen_send_cut_text(struct helper_screen *s, const char *utf8, size_t utf8_len, const char *latin1,
				size_t latin1_len)
{
	struct helper_screen_cut *cut;

	if (atomic_load(&s->paused)) {
		log_info("the customer's clipboard was not sent: sharing is paused");
		return 0;
	}
	if (utf8_len > SCREENINFO_CUT_WIRE_MAX || latin1_len > SCREENINFO_CUT_WIRE_MAX ||
	    (cut = malloc(sizeof(*cut) + utf8_len + latin1_len)) == NULL)
		return -1;
	cut->s = s;
	cut->rfb = s->rfb;
	cut->utf8 = cut->text;
	cut->utf8_len = utf8_len;
	cut->latin1 = cut->text + utf8_len;
	cut->latin1_len = latin1_len;
	memcpy(cut->utf8, utf8, utf8_len);
	memcpy(cut->latin1, latin1, latin1_len);
	if (helper_screen_spawn_sender(s, helper_screen_cut_thread, cut) != 0) {
		free(cut);
		return -1;
	}
	return 0;
}

/*
 * A viewer's UTF-8 clipboard text (SCREENINFO_CUT_MSG_TYPE), on its input
 * thread; only the type byte is read yet. The same rules as RFB cut text:
 * only from viewers allowed to control, not while paused, and above the
 * wire cap the viewer is cut off, as libvncserver does for cut text.
 */
static int helper_screen_read_exact(void *ctx, void *p, size_t n)
{
	return rfbReadExact(ctx, p, (int)n) > 0 ? 0 : -1;
}

static rfbBool helper_screen_on_utf8_cut(rfbClientPtr cl, void *data, const rfbClientToServerMsg *msg)
{
	struct helper_screen *s = cl->screen->screenData;
	char *text;
	size_t len;
	int rc;

	(void)data;
	if (msg->type != SCREENINFO_CUT_MSG_TYPE)
		return FALSE;
	rc = screeninfo_read_cut(helper_screen_read_exact, cl, &text, &len);
	if (rc == SCREENINFO_CUT_BAD_TEXT) {
		log_warn("clipboard text from a viewer is not UTF-8; dropped");
		return TRUE;
	}
	if (rc != SCREENINFO_CUT_OK) {
		if (rc == SCREENINFO_CUT_TOO_LONG)
			log_warn("a viewer sent more than %u bytes of clipboard text; disconnected",
				 SCREENINFO_CUT_WIRE_MAX);
		rfbCloseClient(cl);
		return TRUE;
	}
	if (cl->viewOnly || s->cut_text_hook == NULL)
		log_info("cut text from a view-only viewer ignored");
	else if (atomic_load(&s->paused))
		log_info("cut text from a viewer ignored: sharing is paused");
	else
		s->cut_text_hook(s->cut_text_ctx, text, len, true);
	free(text);
	return TRUE;
}

/*
 * The screeninfo message for one viewer: its own rights, the pause, the
 * scale it was last told and the layout of generation *generation. Called
 * with the client's send lock held, so that the scale in it is the one in
 * force where it lands in the stream (helper_screen_rescale changes it
 * under that lock). 0 or -1.
 */
static int helper_screen_info_compose(struct helper_screen *s, rfbClientPtr cl, struct buf *msg,
				      unsigned *generation)
{
	struct helper_screen_client *c = helper_screen_client_of(cl);
	struct screeninfo si;
	uint8_t scale;

	pthread_mutex_lock(&c->lock);
	scale = (uint8_t)c->hinted;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_lock(&s->lock);
	si = s->layout;
	*generation = s->info_generation;
	pthread_mutex_unlock(&s->lock);
	si.flags = (uint8_t)((cl->viewOnly ? 0 : SCREENINFO_CONTROL) |
			     (atomic_load(&s->paused) ? SCREENINFO_PAUSED : 0) | SCREENINFO_UTF8_CLIPBOARD |
			     atomic_load(&s->refused));
	si.scale = scale;
	buf_reset(msg);
	return screeninfo_encode(msg, &si) == 0 ? 0 : -1;
}

/* As helper_screen_info_compose, or -1 when cl never asked for it or already has this generation. */
static int helper_screen_info_for(struct helper_screen *s, rfbClientPtr cl, struct buf *msg, unsigned *generation)
{
	bool wanted = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ninfo_clients; i++)
		if (s->info_clients[i].cl == cl && s->info_clients[i].sent != s->info_generation)
			wanted = true;
	pthread_mutex_unlock(&s->lock);
	if (!wanted)
		return -1;
	return helper_screen_info_compose(s, cl, msg, generation);
}

static void helper_screen_info_sent(struct helper_screen *s, rfbClientPtr cl, unsigned generation)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ninfo_clients; i++)
		if (s->info_clients[i].cl == cl)
			s->info_clients[i].sent = generation;
	pthread_mutex_unlock(&s->lock);
}

/* Brings every viewer that asked for screeninfo up to the newest generation. */
static void *helper_screen_info_thread(void *arg)
{
	struct helper_screen *s = arg;
	rfbClientIteratorPtr it = rfbGetClientIterator(s->rfb);
	rfbClientPtr cl;
	struct buf msg;

	buf_init(&msg, SCREENINFO_PAYLOAD_MAX + 8);
	while (it != NULL && (cl = rfbClientIteratorNext(it)) != NULL) {
		unsigned generation;
		int rc;

		if (cl->state != RFB_NORMAL)
			continue;
		/* The send lock keeps the message out of the middle of an update, and its scale right. */
		LOCK(cl->sendMutex);
		rc = helper_screen_info_for(s, cl, &msg, &generation);
		if (rc == 0)
			rc = rfbWriteExact(cl, (const char *)buf_ptr(&msg), (int)buf_len(&msg)) < 0 ? -2 : 0;
		UNLOCK(cl->sendMutex);
		if (rc == -1)
			continue;
		if (rc != 0)
			log_warn("could not send the screen description to a viewer");
		else
			helper_screen_info_sent(s, cl, generation);
	}
	if (it != NULL)
		rfbReleaseClientIterator(it);
	buf_free(&msg);
	helper_screen_sender_done(s);
	return NULL;
}

static void helper_screen_info_changed(struct helper_screen *s)
{
	bool anyone;

	pthread_mutex_lock(&s->lock);
	s->info_generation++;
	anyone = s->ninfo_clients > 0;
	pthread_mutex_unlock(&s->lock);
	if (anyone && helper_screen_spawn_sender(s, helper_screen_info_thread, s) != 0)
		log_warn("could not start telling viewers about the screen");
}

/*
 * A viewer listed our pseudo-encoding in SetEncodings (on its input
 * thread, inside libvncserver's extension lock): remember it and send it
 * the description from another thread, so nothing here waits for its socket.
 */
static rfbBool helper_screen_info_enable(rfbClientPtr cl, void **data, int encoding)
{
	struct helper_screen *s = cl->screen->screenData;
	bool known = false, added = false;

	(void)data;
	if (encoding == SCREENINFO_SCALE_ENCODING) {
		struct helper_screen_client *c = helper_screen_client_of(cl);

		/* It draws a scaled picture enlarged and answers the scale with SetScale (helper_screen_rescale). */
		pthread_mutex_lock(&c->lock);
		c->can_scale = true;
		pthread_mutex_unlock(&c->lock);
		return TRUE;
	}
	if (encoding != SCREENINFO_ENCODING)
		return FALSE;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->ninfo_clients; i++) {
		if (s->info_clients[i].cl == cl) {
			/* SetEncodings again: send it again, it may be a new decoder. */
			s->info_clients[i].sent = s->info_generation - 1;
			known = true;
		}
	}
	if (!known && s->ninfo_clients < INFO_CLIENTS_MAX) {
		s->info_clients[s->ninfo_clients++] =
			(struct helper_screen_info_client){ .cl = cl, .sent = s->info_generation - 1 };
		added = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (!known && !added)
		log_warn("too many viewers to describe the screen to");
	else if (helper_screen_spawn_sender(s, helper_screen_info_thread, s) != 0)
		log_warn("could not start telling a viewer about the screen");
	return TRUE;
}

static int helper_screen_info_encodings[] = { SCREENINFO_ENCODING, SCREENINFO_SCALE_ENCODING, 0 };
static rfbProtocolExtension helper_screen_info_extension = {
	.pseudoEncodings = helper_screen_info_encodings,
	.enablePseudoEncoding = helper_screen_info_enable,
	.handleMessage = helper_screen_on_utf8_cut,
};

/* ExtendedDesktopSize for stock viewers: the same monitors, as RFB screens. */
static int helper_screen_ext_screens(rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->layout.count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static rfbBool helper_screen_ext_screen(int index, rfbExtDesktopScreen *out, rfbClientPtr cl)
{
	struct helper_screen *s = cl->screen->screenData;
	rfbBool ok = FALSE;

	pthread_mutex_lock(&s->lock);
	if (index >= 0 && index < s->layout.count) {
		const struct screeninfo_monitor *m = &s->layout.monitors[index];

		/* libvncclient ignores a layout with a screen id of 0. */
		*out = (rfbExtDesktopScreen){ .id = (uint32_t)index + 1, .x = (uint16_t)m->x, .y = (uint16_t)m->y,
					      .width = (uint16_t)m->width, .height = (uint16_t)m->height };
		ok = TRUE;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void helper_screen_set_layout(struct helper_screen *s, const struct screeninfo *layout,
			      const struct helper_capture_format *fmt)
{
	bool changed;

	/*
	 * Space and origin are not one atomic step: a pointer event between
	 * them is placed by the old origin in the new space, off by as much as
	 * the origin moved; the next one is right. No lock on the input path.
	 */
	if (s->input != NULL && fmt->space_width > 0 && fmt->space_height > 0)
		helper_input_set_space(s->input, fmt->space_width, fmt->space_height);
	atomic_store(&s->origin_x, fmt->origin_x);
	atomic_store(&s->origin_y, fmt->origin_y);
	atomic_store(&s->live, fmt->live);
	pthread_mutex_lock(&s->lock);
	changed = memcmp(&s->layout, layout, sizeof(*layout)) != 0;
	s->layout = *layout;
	s->layout.flags = 0;
	pthread_mutex_unlock(&s->lock);
	if (changed)
		helper_screen_info_changed(s);
}

int helper_screen_open(struct helper_screen **out, const struct helper_capture_format *fmt,
		       struct helper_input *input, char *err, size_t errlen)
{
	struct helper_screen *s = calloc(1, sizeof(*s));
	int rc = -1;

	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->scale_lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	atomic_init(&s->scaled_viewers, 0);
	atomic_init(&s->unscale, false);
	atomic_init(&s->resizing, false);
	atomic_init(&s->paused, false);
	atomic_init(&s->refused, 0);
	atomic_init(&s->origin_x, 0);
	atomic_init(&s->origin_y, 0);
	atomic_init(&s->live, true);
	atomic_init(&s->link_fd, -1);
	s->layout.count = 1;
	s->layout.monitors[0] = (struct screeninfo_monitor){ .width = (uint32_t)fmt->width,
							     .height = (uint32_t)fmt->height };
	s->owner = pthread_self();
	if (wake_open(&s->wake) != 0) {
		snprintf(err, errlen, "cannot create a wake-up descriptor: %s", strerror(errno));
		goto out;
	}
	s->unrefined = sraRgnCreate();
	s->refined = sraRgnCreate();
	if (s->unrefined == NULL || s->refined == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	s->fmt = *fmt;
	s->input = input;
	s->width = fmt->width;
	s->height = fmt->height;
	s->fb = calloc((size_t)fmt->width * (size_t)fmt->height, 4);
	if (s->fb == NULL) {
		snprintf(err, errlen, "out of memory for a %dx%d framebuffer", fmt->width, fmt->height);
		goto out;
	}
	rfbLog = helper_screen_log;
	rfbErr = helper_screen_err;
	s->rfb = rfbGetScreen(NULL, NULL, fmt->width, fmt->height, 8, 3, 4);
	if (s->rfb == NULL) {
		snprintf(err, errlen, "libvncserver could not create a screen");
		goto out;
	}
	s->rfb->frameBuffer = (char *)s->fb;
	s->rfb->screenData = s;
	s->rfb->desktopName = "Handoff";
	helper_screen_set_format(s);
	/* Never listen: viewers arrive only as SSH channels the customer allowed. */
	s->rfb->port = 0;
	s->rfb->ipv6port = 0;
	s->rfb->autoPort = FALSE;
	s->rfb->httpPort = 0;
	s->rfb->http6Port = 0;
	s->rfb->httpDir = NULL;
	/* Several technicians may watch at once; a new one must not kick the others. */
	s->rfb->alwaysShared = TRUE;
	s->rfb->neverShared = FALSE;
	/*
	 * After an update is marked, libvncserver's output thread waits this
	 * long (ms) for more before it encodes. Our capture marks a whole frame
	 * at once, so there is nothing more to wait for; 0 would make the
	 * thread spin while a client is still in its handshake.
	 */
	s->rfb->deferUpdateTime = 1;
	s->rfb->ptrAddEvent = helper_screen_on_pointer;
	s->rfb->kbdAddEvent = helper_screen_on_key;
	s->rfb->displayHook = helper_screen_on_display;
	s->rfb->displayFinishedHook = helper_screen_on_display_finished;
	s->rfb->setXCutText = helper_screen_on_cut_text;
	s->rfb->numberOfExtDesktopScreensHook = helper_screen_ext_screens;
	s->rfb->getExtDesktopScreenHook = helper_screen_ext_screen;
	/* Registering twice is a no-op in libvncserver; the extension is process-wide. */
	rfbRegisterProtocolExtension(&helper_screen_info_extension);
	rfbInitServer(s->rfb);
	if (s->rfb->listenSock != RFB_INVALID_SOCKET || s->rfb->listen6Sock != RFB_INVALID_SOCKET ||
	    s->rfb->httpListenSock != RFB_INVALID_SOCKET) {
		snprintf(err, errlen, "libvncserver opened a listening socket; refusing to continue");
		goto out;
	}
	rfbRunEventLoop(s->rfb, -1, TRUE);
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL) {
		if (s->unrefined != NULL)
			sraRgnDestroy(s->unrefined);
		if (s->refined != NULL)
			sraRgnDestroy(s->refined);
		if (s->rfb != NULL) {
			rfbShutdownServer(s->rfb, TRUE);
			rfbScreenCleanup(s->rfb);
		}
		free(s->fb);
		wake_close(&s->wake);
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->scale_lock);
		pthread_mutex_destroy(&s->lock);
		free(s);
	}
	return rc;
}

uint8_t *helper_screen_framebuffer(struct helper_screen *s, int *width, int *height, size_t *stride)
{
	*width = s->width;
	*height = s->height;
	*stride = (size_t)s->width * 4;
	return s->fb;
}

void helper_screen_mark(struct helper_screen *s, int x, int y, int w, int h)
{
	sraRegionPtr r = sraRgnCreateRect(x, y, x + w, y + h);

	atomic_store(&s->last_change_us, helper_screen_now_us());
	atomic_store(&s->refining, false);
	/* Motion again: a viewer on its way back to full size may be scaled again. */
	atomic_store(&s->unscale, false);
	if (r != NULL) {
		sraRgnOr(s->unrefined, r);
		sraRgnDestroy(r);
	}
	/* The still moment is over: bands marked in it may yet go out lossy, so they count as changed. */
	sraRgnOr(s->unrefined, s->refined);
	sraRgnMakeEmpty(s->refined);
	rfbMarkRectAsModified(s->rfb, x, y, x + w, y + h);
}

static void helper_screen_copy_release(struct helper_screen *s)
{
	while (s->copy.nheld > 0) {
		rfbClientPtr cl = s->copy.held[--s->copy.nheld];

		pthread_mutex_unlock(&cl->sendMutex);
		rfbDecrClientRef(cl);
	}
	s->copy.active = false;
}

/*
 * Why the send locks: a client's output thread reads the framebuffer
 * without any lock while it encodes. Ordinary marks live with that (a
 * tile caught half-written is marked again), a move cannot: if an update
 * going out now read the move's source after the move, the viewer would
 * hold moved pixels there, and the CopyRect that follows would copy them
 * a second time, with nothing marked to repair it. Only a try: a thread
 * that holds its lock may be waiting for the socketpair, which only this
 * thread's loop drains. And the move is announced only after the frame's
 * pixels are in, just before they are marked: the output thread takes its
 * picture of modifiedRegion before it waits for the send lock, so an
 * announced move would wake it 1 ms (deferUpdateTime) later to send the
 * move without the new lines, which would then wait for the viewer's next
 * request, a round trip on a slow link.
 */
/*
 * Not while a viewer's picture is scaled: libvncserver divides the move by
 * the scale and rounds its rectangles out, so an odd distance would copy
 * the wrong rows of the small picture. The scroll then goes as pixels.
 */
bool helper_screen_copies(struct helper_screen *s)
{
	return atomic_load(&s->scaled_viewers) == 0;
}

int helper_screen_copy_begin(struct helper_screen *s, int x, int y, int w, int h, int dy)
{
	rfbClientIteratorPtr it;
	rfbClientPtr cl;
	size_t stride = (size_t)s->width * 4;
	bool busy = false;

	if (s->copy.active || dy == 0 || w <= 0 || h <= 0 || x < 0 || x + w > s->width || y < 0 ||
	    y + h > s->height || y - dy < 0 || y + h - dy > s->height)
		return -1;
	if (!helper_screen_copies(s))
		return -1;
	it = rfbGetClientIterator(s->rfb);
	if (it == NULL)
		return -1;
	while ((cl = rfbClientIteratorNext(it)) != NULL) {
		if (s->copy.nheld == s->copy.capheld) {
			size_t cap = s->copy.capheld ? 2 * s->copy.capheld : 8;
			rfbClientPtr *held = realloc(s->copy.held, cap * sizeof(*held));

			if (held == NULL) {
				busy = true;
				break;
			}
			s->copy.held = held;
			s->copy.capheld = cap;
		}
		/*
		 * A viewer's first request, before it has one, sets a colour
		 * map (for a palette format) from its input thread under the
		 * update lock, which then waits for the send lock: with that
		 * lock held here, rfbScheduleCopyRegion's wait for the update
		 * lock would never end.
		 */
		if (!cl->readyForSetColourMapEntries || pthread_mutex_trylock(&cl->sendMutex) != 0) {
			busy = true;
			break;
		}
		rfbIncrClientRef(cl);
		s->copy.held[s->copy.nheld++] = cl;
	}
	rfbReleaseClientIterator(it);
	if (busy) {
		helper_screen_copy_release(s);
		return -1;
	}
	/* Rows are taken from dy away: walk away from where they come from, as memmove would. */
	for (int i = 0; i < h; i++) {
		int j = dy < 0 ? y + i : y + h - 1 - i;

		memmove(s->fb + (size_t)j * stride + (size_t)x * 4, s->fb + (size_t)(j - dy) * stride + (size_t)x * 4,
			(size_t)w * 4);
	}
	s->copy.active = true;
	s->copy.x = x;
	s->copy.y = y;
	s->copy.w = w;
	s->copy.h = h;
	s->copy.dy = dy;
	return 0;
}

void helper_screen_copy_announce(struct helper_screen *s)
{
	sraRegionPtr dst, moved;

	if (!s->copy.active)
		return;
	dst = sraRgnCreateRect(s->copy.x, s->copy.y, s->copy.x + s->copy.w, s->copy.y + s->copy.h);
	moved = sraRgnCreateRect(s->copy.x, s->copy.y - s->copy.dy, s->copy.x + s->copy.w,
				 s->copy.y + s->copy.h - s->copy.dy);
	if (dst == NULL || moved == NULL) {
		/* No region, no CopyRect: the moved rows go out as pixels. */
		if (dst != NULL)
			sraRgnDestroy(dst);
		if (moved != NULL)
			sraRgnDestroy(moved);
		rfbMarkRectAsModified(s->rfb, s->copy.x, s->copy.y, s->copy.x + s->copy.w, s->copy.y + s->copy.h);
		return;
	}
	/*
	 * The refinement: what the viewer now has at the destination is what
	 * it had at the source, lossy or not. As with a mark, the still moment
	 * (if any) is over first.
	 */
	atomic_store(&s->last_change_us, helper_screen_now_us());
	atomic_store(&s->refining, false);
	sraRgnOr(s->unrefined, s->refined);
	sraRgnMakeEmpty(s->refined);
	sraRgnAnd(moved, s->unrefined);
	sraRgnOffset(moved, 0, s->copy.dy);
	sraRgnSubtract(s->unrefined, dst);
	sraRgnOr(s->unrefined, moved);
	rfbScheduleCopyRegion(s->rfb, dst, 0, s->copy.dy);
	sraRgnDestroy(moved);
	sraRgnDestroy(dst);
}

void helper_screen_copy_end(struct helper_screen *s)
{
	helper_screen_copy_release(s);
}

/*
 * Still: nothing marked for REFINE_STILL_US and no damage waiting to be
 * grabbed. The second half matters on a slow link: the capture grabs only
 * when a viewer asks, so during motion nothing is marked while an update
 * of several seconds is in flight, though the screen never stopped.
 */
int helper_screen_refine_timeout(struct helper_screen *s)
{
	int64_t left;

	if ((sraRgnEmpty(s->unrefined) && sraRgnEmpty(s->refined)) || atomic_load(&s->damage_pending))
		return -1;
	left = REFINE_STILL_US - (helper_screen_now_us() - atomic_load(&s->last_change_us));
	if (left > 0)
		return (int)((left + 999) / 1000);
	/* A scaled picture first comes back to full size (helper_screen_refine asks once); the wake says when. */
	if (atomic_load(&s->scaled_viewers) > 0)
		return atomic_load(&s->unscale) ? -1 : 0;
	/* Still: the next band goes when a viewer has asked since the last one (the wake says when). */
	return atomic_load(&s->requests) != s->refine_requests ? 0 : -1;
}

/*
 * Still, but a viewer's picture is scaled: it comes back to full size
 * before the refinement, which waits for its whole screen to go out at
 * full size (lossy, at the level the link carries: lossless it would be
 * the whole screen in one update) and then refines all of it. A scaled
 * viewer's thread sleeps until something is modified for it: one pixel
 * wakes it, and its display hook sees the ask.
 */
static void helper_screen_unscale(struct helper_screen *s)
{
	sraRegionPtr all = sraRgnCreateRect(0, 0, s->width, s->height);
	rfbClientIteratorPtr it;
	rfbClientPtr cl;

	atomic_store(&s->unscale, true);
	if (all != NULL) {
		sraRgnOr(s->unrefined, all);
		sraRgnDestroy(all);
	}
	atomic_store(&s->lossy_sent, true);
	it = rfbGetClientIterator(s->rfb);
	while (it != NULL && (cl = rfbClientIteratorNext(it)) != NULL) {
		struct helper_screen_client *c = helper_screen_client_of(cl);
		sraRegionPtr px;
		bool scaled;

		if (c == NULL || cl->sock == RFB_INVALID_SOCKET)
			continue;
		pthread_mutex_lock(&c->lock);
		scaled = c->picture_scaled;
		pthread_mutex_unlock(&c->lock);
		if (!scaled || (px = sraRgnCreateRect(0, 0, 1, 1)) == NULL)
			continue;
		LOCK(cl->updateMutex);
		sraRgnOr(cl->modifiedRegion, px);
		TSIGNAL(cl->updateCond);
		UNLOCK(cl->updateMutex);
		sraRgnDestroy(px);
	}
	if (it != NULL)
		rfbReleaseClientIterator(it);
}

void helper_screen_refine(struct helper_screen *s)
{
	sraRegionPtr box, band;
	sraRectangleIterator *it;
	sraRect r;

	if (helper_screen_refine_timeout(s) != 0)
		return;
	if (atomic_load(&s->scaled_viewers) > 0) {
		helper_screen_unscale(s);
		return;
	}
	s->refine_requests = atomic_load(&s->requests);
	/* A viewer asked after the last band went out: that band has arrived, without loss. */
	sraRgnMakeEmpty(s->refined);
	if (sraRgnEmpty(s->unrefined)) {
		/* All of it: what goes out lossy from now on follows a change, which marks it again. */
		atomic_store(&s->lossy_sent, false);
		return;
	}
	if (!atomic_load(&s->lossy_sent)) {
		/* Nothing went out lossy (every viewer asked for lossless): nothing to send again. */
		sraRgnMakeEmpty(s->unrefined);
		return;
	}
	box = sraRgnBBox(s->unrefined);
	it = box != NULL ? sraRgnGetIterator(box) : NULL;
	if (it == NULL || !sraRgnIteratorNext(it, &r)) {
		if (it != NULL)
			sraRgnReleaseIterator(it);
		if (box != NULL)
			sraRgnDestroy(box);
		return;
	}
	sraRgnReleaseIterator(it);
	sraRgnDestroy(box);
	band = sraRgnCreateRect(r.x1, r.y1, r.x2, r.y1 + REFINE_BAND_ROWS);
	if (band == NULL)
		return;
	sraRgnAnd(band, s->unrefined);
	sraRgnSubtract(s->unrefined, band);
	sraRgnOr(s->refined, band);
	atomic_store(&s->refining, true);
	if (sraRgnEmpty(s->unrefined))
		log_debug("the screen is still: the last band of the lossless refinement goes out");
	rfbMarkRegionAsModified(s->rfb, band);
	sraRgnDestroy(band);
}

void helper_screen_set_cut_text_hook(struct helper_screen *s,
				     void (*hook)(struct helper_clipboard *ctx, const char *text, size_t len, bool utf8),
				     struct helper_clipboard *ctx)
{
	s->cut_text_ctx = ctx;
	s->cut_text_hook = hook;
}

void helper_screen_set_paused(struct helper_screen *s, bool paused)
{
	bool was = atomic_exchange(&s->paused, paused);

	if (was != paused)
		helper_screen_info_changed(s);
	/* A viewer that was dragging or holding Ctrl when the customer paused must not leave it down. */
	if (paused && s->input != NULL)
		helper_input_release(s->input);
}

void helper_screen_set_refused(struct helper_screen *s, uint8_t screeninfo_flags)
{
	unsigned now = screeninfo_flags & (SCREENINFO_HELD | SCREENINFO_INPUT_REFUSED);

	if (atomic_exchange(&s->refused, now) != now)
		helper_screen_info_changed(s);
}

int helper_screen_set_cursor(struct helper_screen *s, int w, int h, int xhot, int yhot,
			     const uint32_t *argb)
{
	const rfbPixelFormat *pf = &s->rfb->serverFormat;
	size_t rowbytes = ((size_t)w + 7) / 8, n = (size_t)w * (size_t)h;
	rfbCursorPtr c;

	if (w <= 0 || h <= 0 || w > 256 || h > 256)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->width = (unsigned short)w;
	c->height = (unsigned short)h;
	c->xhot = (unsigned short)(xhot < 0 ? 0 : xhot >= w ? w - 1 : xhot);
	c->yhot = (unsigned short)(yhot < 0 ? 0 : yhot >= h ? h - 1 : yhot);
	c->richSource = calloc(n, 4);
	c->mask = calloc(rowbytes * (size_t)h, 1);
	c->cleanup = c->cleanupRichSource = c->cleanupMask = TRUE;
	if (c->richSource == NULL || c->mask == NULL) {
		rfbFreeCursor(c);
		return -1;
	}
	/*
	 * The shape in the framebuffer's own pixel format, and a 1-bit mask:
	 * RFB's cursor encodings carry no alpha, so half-transparent pixels
	 * count as shown. Premultiplied colours are what a dark background
	 * would show, which is close enough for a pointer's soft edge.
	 */
	for (size_t i = 0; i < n; i++) {
		uint32_t px = argb[i];
		uint32_t v = ((px >> 16) & 0xffu) << pf->redShift | ((px >> 8) & 0xffu) << pf->greenShift |
			     (px & 0xffu) << pf->blueShift;
		size_t x = i % (size_t)w, y = i / (size_t)w;

		memcpy(c->richSource + i * 4, &v, 4);
		if ((px >> 24) >= 0x40)
			c->mask[y * rowbytes + x / 8] |= (unsigned char)(0x80u >> (x % 8));
	}
	/* Takes cursorMutex and frees the previous shape (cleanup flags set). */
	rfbSetCursor(s->rfb, c);
	/*
	 * rfbSetCursor flags the clients but does not wake their threads, which
	 * sleep until something is modified: one pixel wakes them, and the
	 * update they send carries the new shape.
	 */
	rfbMarkRectAsModified(s->rfb, 0, 0, 1, 1);
	return 0;
}

int helper_screen_resize(struct helper_screen *s, int width, int height)
{
	uint8_t *fb = calloc((size_t)width * (size_t)height, 4);
	uint8_t *old = s->fb;
	rfbClientIteratorPtr it;
	rfbClientPtr cl;

	if (fb == NULL)
		return -1;
	atomic_store(&s->resizing, true);
	rfbNewFramebuffer(s->rfb, (char *)fb, width, height, 8, 3, 4);
	s->fb = fb;
	s->width = width;
	s->height = height;
	/*
	 * rfbNewFramebuffer resets the pixel format to libvncserver's default
	 * layout and rebuilds every client's translation for it. Put ours
	 * back and rebuild again, under each client's send lock as
	 * rfbNewFramebuffer does, so no update is encoded in between.
	 */
	helper_screen_set_format(s);
	it = rfbGetClientIterator(s->rfb);
	while ((cl = rfbClientIteratorNext(it)) != NULL) {
		pthread_mutex_lock(&cl->sendMutex);
		s->rfb->setTranslateFunction(cl);
		pthread_mutex_unlock(&cl->sendMutex);
	}
	rfbReleaseClientIterator(it);
	atomic_store(&s->resizing, false);
	/* What was left to refine was of the old size: the new picture is all to refine. */
	sraRgnMakeEmpty(s->refined);
	sraRgnMakeEmpty(s->unrefined);
	helper_screen_mark(s, 0, 0, width, height);
	/* Every client held its send lock during the swap: nobody reads the old buffer now. */
	free(old);
	return 0;
}

int helper_screen_add_client(struct helper_screen *s, int fd, bool view_only, uint32_t tag)
{
	struct helper_screen_client *c;
	rfbClientPtr cl;

	/* libvncserver puts the descriptor in an fd_set. */
	if (fd < 0 || !hsock_fits_select(fd)) {
		log_error("descriptor %d is too large for libvncserver", fd);
		if (fd >= 0)
			hsock_close(fd);
		return -1;
	}
	/*
	 * rfbNewClient sends the RFB version and, because Debian builds
	 * libvncserver with WebSockets, peeks for up to 100 ms for a WebSocket
	 * handshake. The caller starts pumping only after we return, so that
	 * peek always times out and the stream is plain RFB: a viewer cannot
	 * steer us into the WebSocket code.
	 */
	c = calloc(1, sizeof(*c));
	if (c == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		log_error("out of memory for a viewer");
		hsock_close(fd);
		return -1;
	}
	if (pthread_cond_init(&c->scaled, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		log_error("out of memory for a viewer");
		hsock_close(fd);
		return -1;
	}
	c->tag = tag;
	c->hinted = 1;
	helper_pace_init(&c->pace);
	cl = rfbNewClient(s->rfb, fd);
	if (cl == NULL) {
		pthread_cond_destroy(&c->scaled);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -1;  /* rfbNewClient closed fd */
	}
	cl->viewOnly = view_only ? TRUE : FALSE;
	cl->clientData = c;
	cl->clientGoneHook = helper_screen_on_client_gone;
	/*
	 * Its first picture goes out at its own quality, then everything is
	 * refined for it: the screen counts as changed now, so no refinement
	 * already under way makes that first picture lossless.
	 */
	{
		sraRegionPtr all = sraRgnCreateRect(0, 0, s->width, s->height);

		if (all != NULL) {
			sraRgnOr(s->unrefined, all);
			sraRgnDestroy(all);
		}
		atomic_store(&s->last_change_us, helper_screen_now_us());
		atomic_store(&s->refining, false);
	}
	cl->clientFramebufferUpdateRequestHook = helper_screen_on_request;
	pthread_mutex_lock(&s->lock);
	s->clients++;
	pthread_mutex_unlock(&s->lock);
	/* Starts the client's threads (we run libvncserver in the background). */
	rfbStartOnHoldClient(cl);
	return 0;
}

int helper_screen_set_control(struct helper_screen *s, uint32_t tag, bool control)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->rfb);
	rfbClientPtr cl;
	bool found = false;

	while (it != NULL && (cl = rfbClientIteratorNext(it)) != NULL) {
		if (cl->clientData == NULL || helper_screen_client_of(cl)->tag != tag || cl->sock == RFB_INVALID_SOCKET)
			continue;
		/*
		 * A plain store the client's input thread reads without a lock, as
		 * libvncserver itself sets it: an event in flight may still see the
		 * old value, none after the next one.
		 */
		cl->viewOnly = control ? FALSE : TRUE;
		found = true;
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->ninfo_clients; i++)
			if (s->info_clients[i].cl == cl)
				s->info_clients[i].sent = s->info_generation - 1;
		pthread_mutex_unlock(&s->lock);
	}
	if (it != NULL)
		rfbReleaseClientIterator(it);
	if (!found)
		return -1;
	/* The viewer hears its rights again, changed or not: that is how a technician learns the answer. */
	if (helper_screen_spawn_sender(s, helper_screen_info_thread, s) != 0)
		log_warn("could not tell a viewer its new rights");
	return 0;
}

int helper_screen_wake_fd(const struct helper_screen *s)
{
	return s->wake.fd;
}

bool helper_screen_take_requests(struct helper_screen *s)
{
	return wake_drain(&s->wake);
}

int helper_screen_clients(struct helper_screen *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->clients;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void helper_screen_reap(struct helper_screen *s)
{
	pthread_t *done;
	size_t n;

	pthread_mutex_lock(&s->lock);
	done = s->finished;
	n = s->nfinished;
	s->finished = NULL;
	s->nfinished = s->capfinished = 0;
	pthread_mutex_unlock(&s->lock);
	/* Each thread is past its hook and only frees its client before it returns. */
	for (size_t i = 0; i < n; i++)
		pthread_join(done[i], NULL);
	free(done);
}

void helper_screen_close(struct helper_screen *s)
{
	struct timespec until;
	bool stuck;

	if (s == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSE_WAIT_SECONDS;
	pthread_mutex_lock(&s->lock);
	while (s->clients > 0 || s->sender_threads > 0) {
		if (pthread_cond_timedwait(&s->changed, &s->lock, &until) == ETIMEDOUT)
			break;
	}
	stuck = s->clients > 0;
	if (stuck)
		log_warn("%d VNC clients did not stop in time; shutting them down", s->clients);
	pthread_mutex_unlock(&s->lock);
	helper_screen_reap(s);
	/*
	 * Stops the listener thread, and joins the threads of clients still
	 * left. Those may have recorded themselves in our list too; joining
	 * them twice is undefined, so after a stuck shutdown the list is
	 * dropped rather than reaped.
	 */
	rfbShutdownServer(s->rfb, TRUE);
	if (!stuck)
		helper_screen_reap(s);
	rfbScreenCleanup(s->rfb);
	free(s->fb);
	free(s->finished);
	free(s->copy.held);
	sraRgnDestroy(s->unrefined);
	sraRgnDestroy(s->refined);
	wake_close(&s->wake);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
