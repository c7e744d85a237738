/*
 * input_wayland.c: see input_wayland.h.
 *
 * Each event is one RemoteDesktop Notify* call on the capture's own D-Bus
 * connection (the portal's session belongs to it), and each waits for the
 * portal's reply before the next goes out: xdg-desktop-portal handles its
 * method calls on a pool of threads, so calls sent without waiting were
 * passed on to the compositor out of order (a key's release before its
 * press: in test_wayland_gnome a Shift stayed down, and an A was lost).
 * The portal replies once it has passed the call on, so the wait is one
 * local round trip, not the compositor's work. The portal checks each call
 * against what the customer allowed at the dialog. Keys go as keysyms
 * (NotifyKeyboardKeysym): the compositor finds the key of its own keymap
 * that types each one, so the helper keeps no keymap here.
 */
#include "input_wayland.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>

#include <gio/gio.h>

#include "log.h"

#define IW_PORTAL_BUS "org.freedesktop.portal.Desktop"
#define IW_PORTAL_PATH "/org/freedesktop/portal/desktop"
#define IW_REMOTEDESKTOP "org.freedesktop.portal.RemoteDesktop"
#define IW_BUTTONS 5
/* Keysyms held at once that release() lets go of; more are not remembered. */
#define IW_KEYS_HELD 32
/* How long one event may wait for the portal's reply. */
#define IW_REPLY_MS 2000

struct helper_input_wayland {
	GDBusConnection *bus; /* not owned */
	char *session;
	uint32_t stream;
	bool pointer, keyboard;
	int width, height;
	pthread_mutex_t lock; /* guards everything below */
	int buttons;          /* last RFB button mask sent */
	int x, y;             /* last position sent, -1 before the first */
	uint32_t held[IW_KEYS_HELD];
	int nheld;
	bool warned;          /* a refused call was logged: once is enough */
};

/* One Notify call, its reply waited for (boundedly): the next event must not overtake it. */
static void iw_notify(struct helper_input_wayland *in, const char *method, GVariant *params)
{
	GError *gerr = NULL;
	GVariant *reply = g_dbus_connection_call_sync(in->bus, IW_PORTAL_BUS, IW_PORTAL_PATH, IW_REMOTEDESKTOP, method,
						      params, NULL, G_DBUS_CALL_FLAGS_NONE, IW_REPLY_MS, NULL, &gerr);

	if (reply != NULL) {
		g_variant_unref(reply);
		return;
	}
	if (!in->warned) {
		log_warn("the desktop portal refused %s: %s", method, gerr->message);
		in->warned = true;
	}
	g_error_free(gerr);
}

static GVariant *iw_no_options(void)
{
	return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

int helper_input_wayland_open(struct helper_input_wayland **out, const struct helper_capture_wayland_remote *r,
			      int width, int height, char *err, size_t errlen)
{
	struct helper_input_wayland *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (in == NULL || (in->session = g_strdup(r->session)) == NULL) {
		free(in);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in->bus = r->bus;
	in->stream = r->stream;
	in->pointer = r->pointer;
	in->keyboard = r->keyboard;
	in->width = width;
	in->height = height;
	in->x = in->y = -1;
	pthread_mutex_init(&in->lock, NULL);
	log_info("remote control through the desktop portal (%s%s%s)", in->pointer ? "pointer" : "",
		 in->pointer && in->keyboard ? " and " : "", in->keyboard ? "keyboard" : "");
	*out = in;
	return 0;
}

void helper_input_wayland_pointer(struct helper_input_wayland *in, int buttons, int x, int y)
{
	/* RFB bits 0, 1, 2: left, middle, right (evdev BTN_LEFT, BTN_MIDDLE, BTN_RIGHT). */
	static const int codes[3] = { 0x110, 0x112, 0x111 };

	if (!in->pointer)
		return;
	pthread_mutex_lock(&in->lock);
	x = x < 0 ? 0 : x >= in->width ? in->width - 1 : x;
	y = y < 0 ? 0 : y >= in->height ? in->height - 1 : y;
	if (x != in->x || y != in->y) {
		iw_notify(in, "NotifyPointerMotionAbsolute",
			  g_variant_new("(o@a{sv}udd)", in->session, iw_no_options(), in->stream, (double)x, (double)y));
		in->x = x;
		in->y = y;
	}
	for (int b = 0; b < IW_BUTTONS; b++) {
		int bit = 1 << b;

		if ((buttons & bit) == (in->buttons & bit))
			continue;
		if (b < 3)
			iw_notify(in, "NotifyPointerButton",
				  g_variant_new("(o@a{sv}iu)", in->session, iw_no_options(), codes[b],
						(buttons & bit) ? 1u : 0u));
		else if (buttons & bit)
			/* The wheel: one notch per press, up (bit 3) or down (bit 4), on the vertical axis (0). */
			iw_notify(in, "NotifyPointerAxisDiscrete",
				  g_variant_new("(o@a{sv}ui)", in->session, iw_no_options(), 0u, b == 3 ? -1 : 1));
	}
	in->buttons = buttons;
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wayland_key(struct helper_input_wayland *in, bool down, uint32_t keysym)
{
	if (!in->keyboard || keysym == 0)
		return;
	pthread_mutex_lock(&in->lock);
	iw_notify(in, "NotifyKeyboardKeysym",
		  g_variant_new("(o@a{sv}iu)", in->session, iw_no_options(), (gint32)keysym, down ? 1u : 0u));
	for (int i = 0; i < in->nheld; i++) {
		if (in->held[i] == keysym) {
			in->held[i] = in->held[--in->nheld];
			break;
		}
	}
	if (down && in->nheld < IW_KEYS_HELD)
		in->held[in->nheld++] = keysym;
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wayland_release(struct helper_input_wayland *in)
{
	static const int codes[3] = { 0x110, 0x112, 0x111 };

	pthread_mutex_lock(&in->lock);
	/* A Ctrl held when sharing paused or the viewer vanished would stay down on the customer's desktop. */
	for (int i = 0; i < in->nheld; i++)
		iw_notify(in, "NotifyKeyboardKeysym",
			  g_variant_new("(o@a{sv}iu)", in->session, iw_no_options(), (gint32)in->held[i], 0u));
	in->nheld = 0;
	for (int b = 0; b < 3; b++)
		if (in->buttons & (1 << b))
			iw_notify(in, "NotifyPointerButton",
				  g_variant_new("(o@a{sv}iu)", in->session, iw_no_options(), codes[b], 0u));
	in->buttons = 0;
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wayland_close(struct helper_input_wayland *in)
{
	if (in == NULL)
		return;
	helper_input_wayland_release(in);
	pthread_mutex_destroy(&in->lock);
	g_free(in->session);
	free(in);
}
