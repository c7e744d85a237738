/*
 * viewer.c: see viewer.h.
 */
#include "viewer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "screen.h"
#include "hsock.h"

#define HELPER_VIEWER_SOCKBUF (1024 * 1024)

struct helper_viewer *helper_viewer_add(struct helper_viewers *vs, const struct ctl_record *ask)
{
	struct helper_viewer *v = calloc(1, sizeof(*v));
	struct helper_viewer **tail;

	if (v == NULL)
		return NULL;
	v->state = HELPER_VIEWER_ASKED;
	v->id = ask->viewer_id;
	v->ticket = ask->ticket;
	v->caps_asked = ask->caps;
	v->name = strdup(ask->name != NULL ? ask->name : "");
	v->tier = strdup(ask->tier != NULL ? ask->tier : "");
	if (v->name == NULL || v->tier == NULL) {
		free(v->name);
		free(v->tier);
		free(v);
		return NULL;
	}
	for (tail = &vs->head; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = v;
	return v;
}

struct helper_viewer *helper_viewer_find(struct helper_viewers *vs, uint32_t id)
{
	for (struct helper_viewer *v = vs->head; v != NULL; v = v->next)
		if (v->id == id && v->state != HELPER_VIEWER_ENDED)
			return v;
	return NULL;
}

struct helper_viewer *helper_viewer_first_asked(struct helper_viewers *vs)
{
	for (struct helper_viewer *v = vs->head; v != NULL; v = v->next)
		if (v->state == HELPER_VIEWER_ASKED || (v->reasking && v->state != HELPER_VIEWER_ENDED))
			return v;
	return NULL;
}

struct helper_ui_request helper_viewer_request(const struct helper_viewer *v)
{
	struct helper_ui_request r = {
		.viewer_id = v->id,
		.name = v->name,
		.tier = v->tier,
		.ticket = v->ticket,
		.control = (v->caps_asked & CTL_CAP_CONTROL) != 0,
		.upgrade = v->reasking,
	};

	return r;
}

int helper_viewer_start(struct helper_viewer *v, struct helper_screen *screen)
{
	int sv[2] = { -1, -1 };
	bool view_only = !(v->caps_granted & CTL_CAP_CONTROL);

	if (hsock_pair(sv) != 0) {
		log_error("socket pair for viewer %u failed", v->id);
		return -1;
	}
	{
		/*
		 * Room for a whole update (a full 1280x800 JPEG frame is ~700 KB):
		 * libvncserver's thread then writes it without blocking once per
		 * 200 KB, and the pump takes it at its pace. Viewers ask for one
		 * update at a time (see capture.c), so this never holds old frames.
		 */
		int size = HELPER_VIEWER_SOCKBUF;

		hsock_set_buffers(sv[1], size, 0);
		hsock_set_buffers(sv[0], 0, size);
	}
	v->pump = malloc(sizeof(*v->pump));
	if (v->pump == NULL) {
		hsock_close(sv[0]);
		hsock_close(sv[1]);
		return -1;
	}
	pump_init(v->pump, v->chan, sv[0]);
	/*
	 * rfbNewClient first peeks for up to 100 ms for a WebSocket handshake
	 * (Debian builds libvncserver with WebSockets; see screen.c), and an
	 * RFB viewer says nothing before the server: a tenth of a second of
	 * every start to first frame. The viewer's first four bytes are always
	 * "RFB " (its ProtocolVersion), so they go ahead now: the peek sees
	 * plain RFB at once, and the pump checks that the viewer's own first
	 * four bytes are exactly these and drops them, so libvncserver reads
	 * the viewer's stream byte for byte and a viewer that says anything
	 * else is cut off.
	 */
	if (pump_deliver_ahead(v->pump, "RFB ", 4) != 0) {
		log_error("viewer %u: cannot start its stream", v->id);
		hsock_close(sv[1]);
		return -1;
	}
	/* libvncserver takes sv[1], even when it fails. */
	if (helper_screen_add_client(screen, sv[1], view_only, v->id) != 0) {
		log_error("libvncserver refused the stream of viewer %u", v->id);
		return -1;
	}
	v->state = HELPER_VIEWER_ACTIVE;
	log_info("viewer %u joined, %s", v->id,
		 view_only ? "view only" : "view and control");
	return 0;
}

void helper_viewer_end(struct helper_viewer *v)
{
	if (v->pump != NULL) {
		log_info("viewer %u left after %llu bytes out, %llu in", v->id,
			 (unsigned long long)v->pump->bytes_to_chan,
			 (unsigned long long)v->pump->bytes_to_fd);
		/* Our end closing is what makes libvncserver drop the client. */
		pump_close(v->pump);
		free(v->pump);
		v->pump = NULL;
	}
	if (v->chan != NULL) {
		if (ssh_channel_is_open(v->chan)) {
			ssh_channel_send_eof(v->chan);
			ssh_channel_close(v->chan);
		}
		ssh_channel_free(v->chan);
		v->chan = NULL;
	}
	v->state = HELPER_VIEWER_ENDED;
}

static void helper_viewer_free(struct helper_viewer *v)
{
	helper_viewer_end(v);
	free(v->name);
	free(v->tier);
	free(v);
}

void helper_viewer_sweep(struct helper_viewers *vs)
{
	struct helper_viewer **link = &vs->head;

	while (*link != NULL) {
		struct helper_viewer *v = *link;

		if (v->state == HELPER_VIEWER_ENDED) {
			*link = v->next;
			helper_viewer_free(v);
		} else {
			link = &v->next;
		}
	}
}

void helper_viewer_free_all(struct helper_viewers *vs)
{
	while (vs->head != NULL) {
		struct helper_viewer *v = vs->head;

		vs->head = v->next;
		helper_viewer_free(v);
	}
}
