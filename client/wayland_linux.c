/*
 * wayland_linux.c: see wayland.h.
 */
#include "wayland.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "capture_wayland.h"
#include "clipboard.h"
#include "input.h"
#include "log.h"

int helper_wayland_capture_open(struct helper_capture **out, const char *capture, char *err, size_t errlen)
{
	const char *display = getenv("WAYLAND_DISPLAY");
	char wlr_err[200] = "";

	*out = NULL;
	if (strcmp(capture, "portal") != 0) {
		if (helper_capture_open(out, &helper_capture_wlr_backend, display, wlr_err, sizeof(wlr_err)) == 0)
			return 0;
		log_info("no wlroots screen copy (%s): the desktop portal will be asked", wlr_err);
	}
	if (helper_capture_wayland_probe(err, errlen) == 0)
		return HELPER_WAYLAND_PORTAL;
	if (wlr_err[0] != '\0') {
		char portal_err[300];

		snprintf(portal_err, sizeof(portal_err), "%.299s", err);
		snprintf(err, errlen, "%s; %s", wlr_err, portal_err);
	}
	return -1;
}

/*
 * The asking thread touches nothing of the loop's: it has the portal's
 * half of the capture to itself (its own D-Bus connection and
 * GMainContext, capture_wayland.c), reports through the wake pipe, and is
 * stopped through the cancel pipe. What it shares with the loop is under
 * lock; its answer (w, rc, err) is read only after pthread_join.
 */
struct helper_wayland_ask {
	pthread_t thread;
	int wake[2];                /* a byte per piece of news, drained by poll */
	int cancel[2];              /* a byte: give up (capture_wayland.c polls [0]) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;                  /* HELPER_WAYLAND_ASK_*, under lock */
	bool go, cancelled;         /* under lock */
	bool remembered, control;   /* under lock */
	struct helper_capture_wayland *w;
	int rc;
	char err[512];
};

static void helper_wayland_ask_wake(struct helper_wayland_ask *a)
{
	char b = 1;

	/* A full pipe already says there is news. */
	if (write(a->wake[1], &b, 1) < 0)
		return;
}

/* capture_wayland.c's asking hook, on the asking thread: tell the loop, then wait for its go. */
static void helper_wayland_ask_asking(void *ctx, bool remembered, bool control)
{
	struct helper_wayland_ask *a = ctx;

	pthread_mutex_lock(&a->lock);
	a->remembered = remembered;
	a->control = control;
	a->state = HELPER_WAYLAND_ASK_ASKING;
	pthread_mutex_unlock(&a->lock);
	helper_wayland_ask_wake(a);
	pthread_mutex_lock(&a->lock);
	while (!a->go && !a->cancelled)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

static void *helper_wayland_ask_run(void *arg)
{
	struct helper_wayland_ask *a = arg;

	a->rc = helper_capture_wayland_ask(&a->w, a->cancel[0], a->err, sizeof(a->err));
	pthread_mutex_lock(&a->lock);
	a->state = HELPER_WAYLAND_ASK_DONE;
	pthread_mutex_unlock(&a->lock);
	helper_wayland_ask_wake(a);
	return NULL;
}

static void helper_wayland_ask_free(struct helper_wayland_ask *a)
{
	for (int i = 0; i < 2; i++) {
		if (a->wake[i] >= 0)
			close(a->wake[i]);
		if (a->cancel[i] >= 0)
			close(a->cancel[i]);
	}
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int helper_wayland_ask_start(struct helper_wayland_ask **out, const char *relay_key, char *err, size_t errlen)
{
	struct helper_wayland_ask *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->wake[0] = a->wake[1] = a->cancel[0] = a->cancel[1] = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(a->cancel, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "cannot make a pipe for the desktop portal's question");
		helper_wayland_ask_free(a);
		return -1;
	}
	/* Read by the thread, set before it starts; cleared once it is joined. */
	helper_capture_wayland_set_relay(relay_key);
	helper_capture_wayland_set_asking(helper_wayland_ask_asking, a);
	if (pthread_create(&a->thread, NULL, helper_wayland_ask_run, a) != 0) {
		helper_capture_wayland_set_asking(NULL, NULL);
		snprintf(err, errlen, "no thread to ask the desktop portal on");
		helper_wayland_ask_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int helper_wayland_ask_fd(const struct helper_wayland_ask *a)
{
	return a->wake[0];
}

int helper_wayland_ask_poll(struct helper_wayland_ask *a, bool *remembered, bool *control)
{
	char sink[64];
	int state;

	while (read(a->wake[0], sink, sizeof(sink)) > 0)
		;
	pthread_mutex_lock(&a->lock);
	state = a->state;
	*remembered = a->remembered;
	*control = a->control;
	pthread_mutex_unlock(&a->lock);
	return state;
}

void helper_wayland_ask_go(struct helper_wayland_ask *a)
{
	pthread_mutex_lock(&a->lock);
	a->go = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

int helper_wayland_ask_finish(struct helper_wayland_ask *a, struct helper_capture **out, char *err, size_t errlen)
{
	const char *display = getenv("WAYLAND_DISPLAY");
	int rc;

	*out = NULL;
	pthread_join(a->thread, NULL);
	helper_capture_wayland_set_asking(NULL, NULL);
	rc = a->rc;
	if (rc != 0) {
		snprintf(err, errlen, "%s", a->err);
		helper_wayland_ask_free(a);
		return rc == HELPER_CAPTURE_REFUSED ? HELPER_WAYLAND_REFUSED : -1;
	}
	/* The stream's half here: its PipeWire loop is entered on the thread that will serve it. */
	helper_capture_wayland_set_asked(a->w);
	a->w = NULL;
	helper_wayland_ask_free(a);
	rc = helper_capture_open(out, &helper_capture_wayland_backend, display != NULL ? display : "(portal)", err,
				 errlen);
	return rc == 0 ? 0 : -1;
}

void helper_wayland_ask_cancel(struct helper_wayland_ask *a)
{
	char b = 1;

	if (a == NULL)
		return;
	if (write(a->cancel[1], &b, 1) < 0)
		log_warn("could not tell the desktop portal's question to stop: %s", strerror(errno));
	pthread_mutex_lock(&a->lock);
	a->cancelled = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	helper_capture_wayland_set_asking(NULL, NULL);
	/* Closes the session of a yes that came too late to be used. */
	helper_capture_wayland_ask_free(a->w);
	helper_wayland_ask_free(a);
	log_info("stopped asking the desktop portal");
}

int helper_wayland_input_open(struct helper_input **out, struct helper_capture *capture, int width, int height,
			      char *err, size_t errlen)
{
	struct helper_capture_wayland_remote remote;
	struct helper_capture_format fmt;

	if (helper_capture_wayland_remote(capture, &remote) == 0)
		return helper_input_open_portal(out, &remote, width, height, err, errlen);
	if (helper_capture_state_of(capture, &helper_capture_wayland_backend) != NULL) {
		/* The portal's screen without control: the customer chose so at its dialog, or it offers none. */
		snprintf(err, errlen, "the desktop's dialog did not allow control, or the desktop offers none");
		return -1;
	}
	/* wlroots: absolute motion spans every output, whatever part of them is shared. */
	helper_capture_format(capture, &fmt);
	if (fmt.space_width > 0 && fmt.space_height > 0) {
		width = fmt.space_width;
		height = fmt.space_height;
	}
	return helper_input_open_wayland(out, getenv("WAYLAND_DISPLAY"), width, height, err, errlen);
}

int helper_wayland_clipboard_open(struct helper_clipboard **out, char *err, size_t errlen)
{
	return helper_clipboard_open_wayland(out, getenv("WAYLAND_DISPLAY"), err, errlen);
}
