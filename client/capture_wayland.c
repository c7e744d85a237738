/*
 * capture_wayland.c: the Wayland capture backend (see capture.h), through
 * the desktop portal's ScreenCast and a PipeWire stream.
 *
 * A Wayland client cannot read other clients' pixels; the compositor hands
 * them out only through xdg-desktop-portal. Setup is four portal calls on
 * the session bus, each answered later by a Response signal on a request
 * object (CreateSession, SelectSources, Start, then OpenPipeWireRemote,
 * which answers at once with a file descriptor). That half blocks while a
 * person answers the desktop's dialog, so it is its own call
 * (helper_capture_wayland_ask), made on a thread of its own after the
 * customer's yes to a technician (wayland_linux.c, session.c), and the
 * PipeWire half is the backend's open, on the loop's thread;
 * helper_capture_wayland_probe, which asks nobody, runs before sign-in, so
 * a desktop with no portal at all costs no support code. GDBus runs its
 * calls on a private GMainContext that is iterated only by the asking
 * thread while it waits for a Response; after that GLib plays no part in
 * the event loop.
 *
 * When the portal offers RemoteDesktop the session is a RemoteDesktop one
 * (SelectDevices before SelectSources, Start on RemoteDesktop), so the same
 * dialog asks for control, and input_wayland.c sends input through it.
 *
 * The desktop may ask its own question at Start (GNOME and KDE show a
 * dialog; xdg-desktop-portal-wlr asks nobody when configured so). Answer 1
 * from Start is the customer saying no there. On a screen-only session a
 * restore token from Start is kept in the user's state folder, one file per
 * relay (named by the relay's pinned host key, so per bundle), and given
 * back to SelectSources in that relay's next session, so a desktop that
 * supports persist mode asks once, not at every session (portal 1.16
 * cannot persist a RemoteDesktop one). A token earned in one relay's
 * session is never offered in another's: the customer's yes was to that
 * relay's technicians.
 *
 * Frames: a pw_stream on a pw_loop of our own whose descriptor is the
 * backend's fd, so the helper keeps its one event loop. The loop is
 * entered (pw_loop_enter) on the helper's thread from creation to close,
 * as pw_main_loop_run would for its whole run: the stream's process
 * callback is sent to this loop from PipeWire's data thread with
 * pw_loop_invoke, which, for a loop no thread has entered, runs the
 * callback there and then, on the data thread, and signals nothing. Each
 * frame was then copied on PipeWire's thread and the helper's poll never
 * woke for it; entered, the call is queued and the loop's eventfd
 * signalled, our fd turns readable and process runs here. Each buffer is
 * copied into a framebuffer-sized copy we own (the compositor takes its
 * buffers back at once); with SPA_META_VideoDamage only the damaged
 * rectangles are copied and reported, without it the whole frame is, and
 * the driver's tile compare finds what really changed, as on X11. Cursor
 * metadata, when the compositor offers it, becomes the pointer shape.
 * The stream is paused while nobody watches (set_watched), so an idle
 * helper makes the compositor copy nothing.
 */
#include "capture.h"
#include "capture_wayland.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>

#include "log.h"

/* How long the portal may take to answer one request: Start waits for a person at a dialog. */
#define WL_PORTAL_TIMEOUT_S 120
/* How long PipeWire may take to agree a format and send the first frame. */
#define WL_FIRST_FRAME_MS 15000
#define WL_DAMAGE_MAX 16
#define WL_CURSOR_MAX 256
/* The biggest cursor metadata accepted from the compositor, as a side of a square bitmap. */
#define WL_CURSOR_META_MAX 1024
#define WL_CURSOR_META_SIZE(side) \
	(sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (size_t)(side) * (side) * 4)
#define WL_TOKEN_MAX 256
/* The longest relay fingerprint a token is kept for (OpenSSH's SHA256: one is 50 characters). */
#define WL_RELAY_KEY_MAX 128

#define WL_PORTAL_BUS "org.freedesktop.portal.Desktop"
#define WL_PORTAL_PATH "/org/freedesktop/portal/desktop"
#define WL_SCREENCAST "org.freedesktop.portal.ScreenCast"
#define WL_REMOTEDESKTOP "org.freedesktop.portal.RemoteDesktop"

/* ScreenCast's enums (the portal's documentation). */
#define WL_SOURCE_MONITOR 1u
#define WL_CURSOR_EMBEDDED 2u
#define WL_CURSOR_METADATA 4u
#define WL_PERSIST_UNTIL_REVOKED 2u
/* RemoteDesktop's device types. */
#define WL_DEVICE_KEYBOARD 1u
#define WL_DEVICE_POINTER 2u

struct wl_rect {
	int x, y, w, h;
};

struct helper_capture_wayland {
	GMainContext *ctx;
	GDBusConnection *bus;
	char *session;              /* the portal session's object path */
	unsigned request_seq;
	unsigned cursor_mode;
	bool remote;                /* a RemoteDesktop session: the screen and, if allowed, control */
	bool refused;               /* Start's answer 1: the customer said no at the dialog */
	int cancel_fd;              /* readable: give up asking (helper_capture_wayland_ask), or -1 */
	bool cancelled;
	int pw_fd;                  /* the portal's PipeWire remote, until the stream takes it, or -1 */
	bool pw_inited;
	uint32_t devices;           /* what the customer allowed at the dialog (WL_DEVICE_*) */
	/* The request we wait for: its Response lands here. */
	bool answered;
	guint32 response;
	GVariant *results;

	struct pw_loop *loop;
	bool entered;               /* pw_loop_enter'ed on the helper's thread (see the top) */
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	uint32_t node;
	bool failed;                /* the stream or the PipeWire connection is gone */
	bool closing;               /* wl_close: the stream ends because we end it */
	bool active;

	struct spa_video_info_raw info;
	bool have_format;
	int width, height;
	uint32_t red_mask, green_mask, blue_mask;
	uint8_t *frame;             /* width * height * 4, our own copy of the screen */
	bool have_frame;
	bool full_next;             /* the copy is stale (the stream was paused): take all of the next frame */
	bool resized;
	struct wl_rect damage[WL_DAMAGE_MAX];
	int ndamage;
	bool damage_all;
	uint32_t cursor_serial;     /* bitmap identity: only a new one is reported */
	uint32_t *cursor;           /* WL_CURSOR_MAX^2 ARGB */
	int cursor_w, cursor_h, cursor_xhot, cursor_yhot;
	bool cursor_pending;
	bool cursor_hidden;         /* the last shape reported was the empty one */
};

/* ---- the portal ---- */

static void wl_on_response(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
			   const char *signal, GVariant *params, gpointer data)
{
	struct helper_capture_wayland *w = data;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (w->answered)
		return;
	g_variant_get(params, "(u@a{sv})", &w->response, &w->results);
	w->answered = true;
}

static gboolean wl_on_cancel(gint fd, GIOCondition cond, gpointer data)
{
	struct helper_capture_wayland *w = data;

	(void)fd;
	(void)cond;
	w->cancelled = true;
	return G_SOURCE_REMOVE;
}

/* Whether the asker gave up: polled between the steps that wait for nobody. */
static bool wl_cancelled(struct helper_capture_wayland *w)
{
	struct pollfd p = { .fd = w->cancel_fd, .events = POLLIN };

	if (!w->cancelled && w->cancel_fd >= 0 && poll(&p, 1, 0) > 0)
		w->cancelled = true;
	return w->cancelled;
}

static gboolean wl_on_timeout(gpointer data)
{
	bool *expired = data;

	*expired = true;
	return G_SOURCE_REMOVE;
}

/* A private connection to the session bus, w->bus, whose messages are dispatched in w->ctx (pushed). */
static int wl_bus_open(struct helper_capture_wayland *w, char *err, size_t errlen)
{
	GError *gerr = NULL;
	char *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, NULL, &gerr);

	if (address != NULL)
		w->bus = g_dbus_connection_new_for_address_sync(
			address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
			NULL, NULL, &gerr);
	g_free(address);
	if (w->bus == NULL) {
		snprintf(err, errlen, "no D-Bus session bus, so no desktop portal: %s",
			 gerr != NULL ? gerr->message : "unknown");
		if (gerr != NULL)
			g_error_free(gerr);
		return -1;
	}
	g_dbus_connection_set_exit_on_close(w->bus, FALSE);
	return 0;
}

/*
 * Calls METHOD with (prefix..., options) where options gets a fresh
 * handle_token, and waits for the request's Response. params is a floating
 * GVariant tuple builder's result without the options; opts is an a{sv}
 * builder, consumed. On 0, *results is the Response's dictionary (caller
 * unrefs) and *response its code (0 granted, 1 the person said no, 2 other).
 */
static int wl_portal_request(struct helper_capture_wayland *w, const char *iface, const char *method,
			     const char *session,
			     const char *parent, GVariantBuilder *opts, guint32 *response, GVariant **results,
			     char *err, size_t errlen)
{
	char token[32], path[256];
	const char *unique = g_dbus_connection_get_unique_name(w->bus);
	GVariant *params, *reply;
	GError *gerr = NULL;
	GSource *timer, *cancel = NULL;
	guint sub;
	bool expired = false;
	size_t n = 0;
	int rc = -1;

	snprintf(token, sizeof(token), "handoff%u", ++w->request_seq);
	n = (size_t)snprintf(path, sizeof(path), "%s/request/", WL_PORTAL_PATH);
	/* The request's path is known before the call: ":1.42" becomes "1_42". */
	for (const char *c = unique + 1; *c != '\0' && n + 1 < sizeof(path); c++)
		path[n++] = *c == '.' ? '_' : *c;
	path[n] = '\0';
	snprintf(path + n, sizeof(path) - n, "/%s", token);
	g_variant_builder_add(opts, "{sv}", "handle_token", g_variant_new_string(token));
	if (session != NULL && parent != NULL)
		params = g_variant_new("(osa{sv})", session, parent, opts);
	else if (session != NULL)
		params = g_variant_new("(oa{sv})", session, opts);
	else
		params = g_variant_new("(a{sv})", opts);
	/* Subscribed before the call, so an answer that comes at once is not missed. */
	sub = g_dbus_connection_signal_subscribe(w->bus, WL_PORTAL_BUS, "org.freedesktop.portal.Request",
						 "Response", path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
						 wl_on_response, w, NULL);
	w->answered = false;
	w->results = NULL;
	reply = g_dbus_connection_call_sync(w->bus, WL_PORTAL_BUS, WL_PORTAL_PATH, iface, method, params,
					    G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &gerr);
	if (reply == NULL) {
		snprintf(err, errlen, "the desktop portal refused %s: %s", method, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	g_variant_unref(reply);
	timer = g_timeout_source_new_seconds(WL_PORTAL_TIMEOUT_S);
	g_source_set_callback(timer, wl_on_timeout, &expired, NULL);
	g_source_attach(timer, w->ctx);
	if (w->cancel_fd >= 0) {
		cancel = g_unix_fd_source_new(w->cancel_fd, G_IO_IN);
		g_source_set_callback(cancel, (GSourceFunc)(void (*)(void))wl_on_cancel, w, NULL);
		g_source_attach(cancel, w->ctx);
	}
	while (!w->answered && !expired && !w->cancelled)
		g_main_context_iteration(w->ctx, TRUE);
	g_source_destroy(timer);
	g_source_unref(timer);
	if (cancel != NULL) {
		g_source_destroy(cancel);
		g_source_unref(cancel);
	}
	if (!w->answered && w->cancelled) {
		/* Closing the request takes its dialog off the screen; the portal then sends no Response. */
		GVariant *r = g_dbus_connection_call_sync(w->bus, WL_PORTAL_BUS, path, "org.freedesktop.portal.Request",
							  "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);

		if (r != NULL)
			g_variant_unref(r);
		snprintf(err, errlen, "the helper stopped asking the desktop portal (%s)", method);
		goto out;
	}
	if (!w->answered) {
		snprintf(err, errlen, "the desktop portal did not answer %s within %d s", method, WL_PORTAL_TIMEOUT_S);
		goto out;
	}
	*response = w->response;
	*results = w->results;
	w->results = NULL;
	rc = 0;
out:
	g_dbus_connection_signal_unsubscribe(w->bus, sub);
	return rc;
}

static guint32 wl_portal_property_u(struct helper_capture_wayland *w, const char *iface, const char *name)
{
	GVariant *reply, *v;
	guint32 value = 0;

	reply = g_dbus_connection_call_sync(w->bus, WL_PORTAL_BUS, WL_PORTAL_PATH, "org.freedesktop.DBus.Properties",
					    "Get", g_variant_new("(ss)", iface, name),
					    G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (reply == NULL)
		return 0;
	g_variant_get(reply, "(v)", &v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		value = g_variant_get_uint32(v);
	g_variant_unref(v);
	g_variant_unref(reply);
	return value;
}

/*
 * The restore token is kept per relay: the pinned host key fingerprint the
 * helper signed in with names it (helper_capture_wayland_set_relay), so the
 * desktop's yes given for one relay's sessions (one bundle's) is never
 * offered in another's. Set before open; empty keeps no token.
 */
static char wl_token_relay[WL_RELAY_KEY_MAX];

void helper_capture_wayland_set_relay(const char *host_key)
{
	if (host_key == NULL || strlen(host_key) >= sizeof(wl_token_relay))
		host_key = "";
	snprintf(wl_token_relay, sizeof(wl_token_relay), "%s", host_key);
}

static void (*wl_asking)(void *ctx, bool remembered, bool control);
static void *wl_asking_ctx;

void helper_capture_wayland_set_asking(void (*asking)(void *ctx, bool remembered, bool control), void *ctx)
{
	wl_asking = asking;
	wl_asking_ctx = ctx;
}

/* mkdir for our own folder: 0700 whether it is new or not (the token in it is a capability). */
static int wl_token_mkdir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return chmod(dir, 0700);
}

/*
 * The folder, $XDG_STATE_HOME/handoff else ~/.local/state/handoff (made when
 * make_dir), and in path this relay's file in it: screencast-token- and
 * the first 16 hex digits of SHA-256 of the fingerprint, which names the
 * relay without a name of ours on disk. -1 when no relay was named.
 */
static int wl_token_path(char *dir, size_t dirlen, char *path, size_t len, bool make_dir)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *sum;
	int n;

	if (wl_token_relay[0] == '\0')
		return -1;
	if (state != NULL && state[0] == '/') {
		n = snprintf(dir, dirlen, "%s", state);
	} else if (home != NULL && home[0] == '/') {
		n = snprintf(dir, dirlen, "%s/.local", home);
		if (n < 0 || (size_t)n >= dirlen || (make_dir && mkdir(dir, 0755) != 0 && errno != EEXIST))
			return -1;
		n = snprintf(dir, dirlen, "%s/.local/state", home);
	} else {
		return -1;
	}
	if (n < 0 || (size_t)n >= dirlen || (make_dir && mkdir(dir, 0700) != 0 && errno != EEXIST))
		return -1;
	{
		const size_t used = strlen(dir);

		n = snprintf(dir + used, dirlen - used, "/handoff");
		if (n < 0 || (size_t)n >= dirlen - used)
			return -1;
	}
	if (make_dir && wl_token_mkdir(dir) != 0)
		return -1;
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, wl_token_relay, -1);
	n = snprintf(path, len, "%s/screencast-token-%.16s", dir, sum);
	g_free(sum);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* This relay's token, or "" (none kept, or a file that is not one of ours). */
static void wl_token_load(char *token, size_t len)
{
	char dir[512], path[600];
	int fd;
	ssize_t got;

	token[0] = '\0';
	if (wl_token_path(dir, sizeof(dir), path, sizeof(path), false) != 0)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		got = read(fd, token, len - 1);
		close(fd);
		token[got > 0 ? got : 0] = '\0';
		token[strcspn(token, "\n")] = '\0';
		/* The portal's tokens are printable ASCII (a UUID); GVariant wants UTF-8 at least. */
		for (const char *p = token; *p != '\0'; p++)
			if (*p < 0x21 || *p > 0x7e) {
				token[0] = '\0';
				break;
			}
	}
	/* Named by file, never by its content: the token opens the screen without a question. */
	log_info("the desktop's restore token for this relay (%s): %s", strrchr(path, '/') + 1,
		 token[0] != '\0' ? "found" : "none, so the desktop asks");
}

/*
 * Written whole (a temporary file, then rename), 0600 in a 0700 folder.
 * The single token of versions before it was kept per relay
 * (handoff/screencast-token) is never offered, since nothing says which
 * relay's session earned it; it is removed here, one capability less on
 * disk.
 */
static void wl_token_save(const char *token)
{
	char dir[512], path[600], tmp[620];
	int fd;
	bool ok;

	if (wl_token_path(dir, sizeof(dir), path, sizeof(path), true) != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_warn("could not keep the desktop's screen-sharing token in %s: %s", dir, strerror(errno));
		return;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, token, strlen(token)) == (ssize_t)strlen(token);
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		log_warn("could not keep the desktop's screen-sharing token in %s", dir);
		unlink(tmp);
		return;
	}
	log_info("kept the desktop's restore token for this relay as %s", path);
	snprintf(tmp, sizeof(tmp), "%s/screencast-token", dir);
	unlink(tmp);
}

/* The four portal steps. On 0, *pw_fd is the PipeWire remote and w->node the stream's node. */
static int wl_portal_start(struct helper_capture_wayland *w, int *pw_fd, char *err, size_t errlen)
{
	GVariantBuilder opts;
	GVariant *results = NULL, *streams = NULL, *reply = NULL, *v;
	GUnixFDList *fds = NULL;
	GError *gerr = NULL;
	guint32 response, version, modes, rd_version, rd_types = 0;
	const char *start_iface;
	char token[WL_TOKEN_MAX];
	const char *s;
	int rc = -1, idx;
	GVariantIter iter;

	version = wl_portal_property_u(w, WL_SCREENCAST, "version");
	if (version == 0) {
		snprintf(err, errlen, "this desktop offers no screen sharing (no xdg-desktop-portal ScreenCast "
				      "on the session bus)");
		goto out;
	}
	modes = wl_portal_property_u(w, WL_SCREENCAST, "AvailableCursorModes");
	w->cursor_mode = (modes & WL_CURSOR_METADATA) ? WL_CURSOR_METADATA : WL_CURSOR_EMBEDDED;
	/*
	 * Control needs a RemoteDesktop session (a ScreenCast one cannot send
	 * input): its dialog asks for the screen and for control at once, and
	 * the customer may allow the screen alone.
	 */
	rd_version = wl_portal_property_u(w, WL_REMOTEDESKTOP, "version");
	if (rd_version >= 1)
		rd_types = wl_portal_property_u(w, WL_REMOTEDESKTOP, "AvailableDeviceTypes") &
			   (WL_DEVICE_KEYBOARD | WL_DEVICE_POINTER);
	w->remote = rd_types != 0;
	start_iface = w->remote ? WL_REMOTEDESKTOP : WL_SCREENCAST;

	g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&opts, "{sv}", "session_handle_token", g_variant_new_string("handoff"));
	if (wl_portal_request(w, start_iface, "CreateSession", NULL, NULL, &opts, &response, &results, err, errlen) != 0)
		goto out;
	if (response != 0 || !g_variant_lookup(results, "session_handle", "&s", &s)) {
		snprintf(err, errlen, "the desktop portal would not open a screen-sharing session (answer %u)",
			 response);
		goto out;
	}
	w->session = g_strdup(s);
	g_variant_unref(results);
	results = NULL;

	if (w->remote) {
		g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
		g_variant_builder_add(&opts, "{sv}", "types", g_variant_new_uint32(rd_types));
		if (wl_portal_request(w, WL_REMOTEDESKTOP, "SelectDevices", w->session, NULL, &opts, &response, &results,
				      err, errlen) != 0)
			goto out;
		if (response != 0) {
			snprintf(err, errlen, "the desktop portal refused to offer control (answer %u)", response);
			goto out;
		}
		g_variant_unref(results);
		results = NULL;
	}

	g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&opts, "{sv}", "types", g_variant_new_uint32(WL_SOURCE_MONITOR));
	g_variant_builder_add(&opts, "{sv}", "multiple", g_variant_new_boolean(FALSE));
	g_variant_builder_add(&opts, "{sv}", "cursor_mode", g_variant_new_uint32(w->cursor_mode));
	/*
	 * Persist mode: ScreenCast version 4 keeps a screen-only session's
	 * answer; xdg-desktop-portal 1.16 refuses it on a RemoteDesktop session
	 * ("Remote desktop sessions cannot persist", RemoteDesktop version 1),
	 * so there the desktop asks at every session.
	 */
	token[0] = '\0';
	if (version >= 4 && !w->remote) {
		wl_token_load(token, sizeof(token));
		g_variant_builder_add(&opts, "{sv}", "persist_mode", g_variant_new_uint32(WL_PERSIST_UNTIL_REVOKED));
		if (token[0] != '\0')
			g_variant_builder_add(&opts, "{sv}", "restore_token", g_variant_new_string(token));
	}
	/* The dialog comes at SelectSources (KDE) or Start (GNOME): the customer hears of it first. */
	if (wl_asking != NULL)
		wl_asking(wl_asking_ctx, token[0] != '\0', w->remote);
	if (wl_cancelled(w)) {
		snprintf(err, errlen, "the helper stopped asking the desktop portal");
		goto out;
	}
	if (wl_portal_request(w, WL_SCREENCAST, "SelectSources", w->session, NULL, &opts, &response, &results, err, errlen) != 0)
		goto out;
	if (response != 0) {
		snprintf(err, errlen, "the desktop portal refused to choose a screen (answer %u)", response);
		goto out;
	}
	g_variant_unref(results);
	results = NULL;

	g_variant_builder_init(&opts, G_VARIANT_TYPE_VARDICT);
	if (wl_portal_request(w, start_iface, "Start", w->session, "", &opts, &response, &results, err, errlen) != 0)
		goto out;
	if (response == 1) {
		w->refused = true;
		snprintf(err, errlen, "screen sharing was refused at the desktop's own question");
		goto out;
	}
	if (response != 0 || (streams = g_variant_lookup_value(results, "streams", G_VARIANT_TYPE("a(ua{sv})"))) == NULL ||
	    g_variant_iter_init(&iter, streams) == 0) {
		snprintf(err, errlen, "the desktop portal started no screen stream (answer %u)", response);
		goto out;
	}
	v = g_variant_iter_next_value(&iter);
	g_variant_get(v, "(u@a{sv})", &w->node, NULL);
	g_variant_unref(v);
	if (g_variant_lookup(results, "restore_token", "&s", &s) && strlen(s) < WL_TOKEN_MAX)
		wl_token_save(s);
	if (w->remote && !g_variant_lookup(results, "devices", "u", &w->devices))
		w->devices = 0;
	w->devices &= rd_types;

	reply = g_dbus_connection_call_with_unix_fd_list_sync(
		w->bus, WL_PORTAL_BUS, WL_PORTAL_PATH, WL_SCREENCAST, "OpenPipeWireRemote",
		g_variant_new("(o@a{sv})", w->session, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
		G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &fds, NULL, &gerr);
	if (reply == NULL) {
		snprintf(err, errlen, "the desktop portal gave no PipeWire connection: %s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	g_variant_get(reply, "(h)", &idx);
	*pw_fd = g_unix_fd_list_get(fds, idx, &gerr);
	if (*pw_fd < 0) {
		snprintf(err, errlen, "the desktop portal's PipeWire descriptor is unusable: %s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	log_info("the desktop shares its screen as PipeWire node %u (ScreenCast version %u, cursor %s)", w->node,
		 version, w->cursor_mode == WL_CURSOR_METADATA ? "as metadata" : "in the picture");
	/* Not "its dialog allowed": KDE 5.27 grants an unsandboxed program control without one. */
	if (w->remote)
		log_info("the desktop allowed %s", w->devices == (WL_DEVICE_KEYBOARD | WL_DEVICE_POINTER)
								? "control (pointer and keyboard)"
							: w->devices == WL_DEVICE_POINTER ? "the pointer only"
							: w->devices == WL_DEVICE_KEYBOARD ? "the keyboard only"
											   : "no control (view only)");
	rc = 0;
out:
	if (fds != NULL)
		g_object_unref(fds);
	if (reply != NULL)
		g_variant_unref(reply);
	if (streams != NULL)
		g_variant_unref(streams);
	if (results != NULL)
		g_variant_unref(results);
	return rc;
}

/* ---- the PipeWire stream ---- */

static bool wl_masks(uint32_t format, uint32_t *r, uint32_t *g, uint32_t *b)
{
	/* The masks of a 32-bit pixel read in host order (little-endian) from the named byte order. */
	switch (format) {
	case SPA_VIDEO_FORMAT_BGRx:
	case SPA_VIDEO_FORMAT_BGRA:
		*r = 0x00ff0000u, *g = 0x0000ff00u, *b = 0x000000ffu;
		return true;
	case SPA_VIDEO_FORMAT_RGBx:
	case SPA_VIDEO_FORMAT_RGBA:
		*r = 0x000000ffu, *g = 0x0000ff00u, *b = 0x00ff0000u;
		return true;
	case SPA_VIDEO_FORMAT_xRGB:
	case SPA_VIDEO_FORMAT_ARGB:
		*r = 0x0000ff00u, *g = 0x00ff0000u, *b = 0xff000000u;
		return true;
	case SPA_VIDEO_FORMAT_xBGR:
	case SPA_VIDEO_FORMAT_ABGR:
		*r = 0xff000000u, *g = 0x00ff0000u, *b = 0x0000ff00u;
		return true;
	default:
		return false;
	}
}

static void wl_on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct helper_capture_wayland *w = data;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[3];
	uint8_t *frame;
	int n = 0;

	if (param == NULL || id != SPA_PARAM_Format)
		return;
	if (spa_format_video_raw_parse(param, &w->info) < 0 ||
	    !wl_masks(w->info.format, &w->red_mask, &w->green_mask, &w->blue_mask) || w->info.size.width == 0 ||
	    w->info.size.height == 0 || w->info.size.width > 16384 || w->info.size.height > 16384) {
		log_warn("the desktop offered a picture format the helper cannot read");
		w->failed = true;
		return;
	}
	if ((int)w->info.size.width != w->width || (int)w->info.size.height != w->height || w->frame == NULL) {
		frame = calloc((size_t)w->info.size.width * w->info.size.height, 4);
		if (frame == NULL) {
			w->failed = true;
			return;
		}
		free(w->frame);
		w->frame = frame;
		if (w->have_format)
			w->resized = true;
		w->width = (int)w->info.size.width;
		w->height = (int)w->info.size.height;
	}
	w->have_format = true;
	w->damage_all = true;
	log_debug("PipeWire format %ux%u, frame rate %u/%u, at most %u/%u", w->info.size.width, w->info.size.height,
		  w->info.framerate.num, w->info.framerate.denom, w->info.max_framerate.num, w->info.max_framerate.denom);

	params[n++] = spa_pod_builder_add_object(
		&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_dataType,
		SPA_POD_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
	params[n++] = spa_pod_builder_add_object(
		&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type, SPA_POD_Id(SPA_META_VideoDamage),
		SPA_PARAM_META_size,
		SPA_POD_CHOICE_RANGE_Int((int)sizeof(struct spa_meta_region) * WL_DAMAGE_MAX,
					 (int)sizeof(struct spa_meta_region), (int)sizeof(struct spa_meta_region) * WL_DAMAGE_MAX));
	if (w->cursor_mode == WL_CURSOR_METADATA) {
		/*
		 * The compositor sizes the cursor's metadata for the biggest
		 * bitmap it may send, not the one it sends: mutter 43 asks for
		 * exactly 384x384, and a range that stopped at our own 256x256
		 * left the buffers with no cursor metadata at all. Bigger
		 * bitmaps than WL_CURSOR_MAX are skipped in wl_take_cursor.
		 */
		int most = (int)WL_CURSOR_META_SIZE(WL_CURSOR_META_MAX);
		int least = (int)WL_CURSOR_META_SIZE(1);

		params[n++] = spa_pod_builder_add_object(
			&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
			SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int((int)WL_CURSOR_META_SIZE(64), least, most));
	}
	pw_stream_update_params(w->stream, params, (uint32_t)n);
}

static void wl_add_damage(struct helper_capture_wayland *w, int x, int y, int dw, int dh)
{
	if (x < 0) {
		dw += x;
		x = 0;
	}
	if (y < 0) {
		dh += y;
		y = 0;
	}
	if (x + dw > w->width)
		dw = w->width - x;
	if (y + dh > w->height)
		dh = w->height - y;
	if (dw <= 0 || dh <= 0)
		return;
	if (w->ndamage == WL_DAMAGE_MAX) {
		w->damage_all = true;
		return;
	}
	w->damage[w->ndamage++] = (struct wl_rect){ x, y, dw, dh };
}

/* The pointer shape from cursor metadata, converted to the driver's ARGB32. */
static void wl_take_cursor(struct helper_capture_wayland *w, struct spa_buffer *buf)
{
	struct spa_meta_cursor *mc =
		spa_buffer_find_meta_data(buf, SPA_META_Cursor, sizeof(struct spa_meta_cursor));
	struct spa_meta_bitmap *bm;
	const uint8_t *src;
	uint32_t r, g, b;
	struct spa_meta *meta = spa_buffer_find_meta(buf, SPA_META_Cursor);

	if (mc == NULL || meta == NULL || !spa_meta_cursor_is_valid(mc) || mc->bitmap_offset == 0)
		return;
	if (mc->bitmap_offset + sizeof(*bm) > meta->size)
		return;
	bm = SPA_PTROFF(mc, mc->bitmap_offset, struct spa_meta_bitmap);
	if (bm->size.width == 0 && bm->size.height == 0) {
		/*
		 * An empty bitmap: the pointer has no image (mutter headless sends
		 * this for its virtual pointer). One transparent pixel, so the
		 * viewer draws no stale pointer.
		 */
		if (w->cursor_hidden)
			return;
		if (w->cursor == NULL && (w->cursor = calloc((size_t)WL_CURSOR_MAX * WL_CURSOR_MAX, 4)) == NULL)
			return;
		w->cursor[0] = 0;
		w->cursor_w = w->cursor_h = 1;
		w->cursor_xhot = w->cursor_yhot = 0;
		w->cursor_pending = true;
		w->cursor_hidden = true;
		log_debug("the desktop's pointer has no image: hidden");
		return;
	}
	if (bm->size.width == 0 || bm->size.height == 0 || bm->size.width > WL_CURSOR_MAX ||
	    bm->size.height > WL_CURSOR_MAX || bm->offset < sizeof(*bm) ||
	    !wl_masks(bm->format, &r, &g, &b) ||
	    bm->stride < 0 || (uint32_t)bm->stride < bm->size.width * 4 ||
	    mc->bitmap_offset + bm->offset + (size_t)bm->stride * bm->size.height > meta->size)
		return;
	if (w->cursor == NULL && (w->cursor = calloc((size_t)WL_CURSOR_MAX * WL_CURSOR_MAX, 4)) == NULL)
		return;
	src = SPA_PTROFF(bm, bm->offset, const uint8_t);
	for (uint32_t y = 0; y < bm->size.height; y++) {
		for (uint32_t x = 0; x < bm->size.width; x++) {
			uint32_t p;
			uint32_t a;

			memcpy(&p, src + (size_t)y * (size_t)bm->stride + (size_t)x * 4, 4);
			/* The alpha is in the byte no colour mask covers. */
			a = p & ~(r | g | b);
			a = a >> (__builtin_ctz(~(r | g | b)));
			w->cursor[y * bm->size.width + x] =
				(a << 24) | (((p & r) >> __builtin_ctz(r)) << 16) | (((p & g) >> __builtin_ctz(g)) << 8) |
				((p & b) >> __builtin_ctz(b));
		}
	}
	w->cursor_w = (int)bm->size.width;
	w->cursor_h = (int)bm->size.height;
	w->cursor_xhot = mc->hotspot.x;
	w->cursor_yhot = mc->hotspot.y;
	w->cursor_pending = true;
	w->cursor_hidden = false;
	log_debug("the desktop's pointer shape: %dx%d, hot spot %d,%d", w->cursor_w, w->cursor_h, w->cursor_xhot,
		  w->cursor_yhot);
}

static void wl_copy_rect(struct helper_capture_wayland *w, const uint8_t *src, size_t stride, int x, int y, int rw,
			 int rh)
{
	for (int j = y; j < y + rh; j++)
		memcpy(w->frame + ((size_t)j * (size_t)w->width + (size_t)x) * 4, src + (size_t)j * stride + (size_t)x * 4,
		       (size_t)rw * 4);
}

static void wl_on_process(void *data)
{
	struct helper_capture_wayland *w = data;
	struct pw_buffer *b, *last = NULL;
	struct spa_buffer *buf;
	struct spa_data *d;
	struct spa_meta_header *h;
	struct spa_meta *dm;
	const uint8_t *src;
	size_t stride;

	/* Only the newest buffer matters: older ones go straight back. */
	while ((b = pw_stream_dequeue_buffer(w->stream)) != NULL) {
		if (last != NULL)
			pw_stream_queue_buffer(w->stream, last);
		last = b;
	}
	if (last == NULL || !w->have_format)
		goto out;
	buf = last->buffer;
	wl_take_cursor(w, buf);
	h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h));
	if (h != NULL && (h->flags & SPA_META_HEADER_FLAG_CORRUPTED))
		goto out;
	d = &buf->datas[0];
	if (buf->n_datas < 1 || d->data == NULL || d->chunk->size == 0)
		goto out; /* a cursor-only update */
	stride = d->chunk->stride > 0 ? (size_t)d->chunk->stride : (size_t)w->width * 4;
	if (stride < (size_t)w->width * 4 || d->chunk->offset > d->maxsize ||
	    stride * (size_t)w->height > d->maxsize - d->chunk->offset) {
		log_debug("a PipeWire buffer smaller than its frame was skipped");
		goto out;
	}
	src = SPA_PTROFF(d->data, d->chunk->offset, const uint8_t);
	dm = spa_buffer_find_meta(buf, SPA_META_VideoDamage);
	if (dm != NULL && w->have_frame && !w->full_next && !w->damage_all) {
		struct spa_meta_region *r;
		int before = w->ndamage;

		spa_meta_for_each(r, dm)
		{
			if (!spa_meta_region_is_valid(r))
				break;
			wl_add_damage(w, r->region.position.x, r->region.position.y, (int)r->region.size.width,
				      (int)r->region.size.height);
		}
		if (!w->damage_all) {
			for (int i = before; i < w->ndamage; i++)
				wl_copy_rect(w, src, stride, w->damage[i].x, w->damage[i].y, w->damage[i].w,
					     w->damage[i].h);
			goto out;
		}
	}
	/* No damage metadata (or too much of it): the whole frame, the driver compares tiles. */
	wl_copy_rect(w, src, stride, 0, 0, w->width, w->height);
	w->damage_all = true;
	w->have_frame = true;
	w->full_next = false;
out:
	if (last != NULL)
		pw_stream_queue_buffer(w->stream, last);
}

static void wl_on_state(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
	struct helper_capture_wayland *w = data;

	(void)old;
	log_debug("PipeWire stream %s", pw_stream_state_as_string(state));
	if (w->closing)
		return;
	if (state == PW_STREAM_STATE_ERROR || (state == PW_STREAM_STATE_UNCONNECTED && w->have_format)) {
		log_warn("the desktop's screen stream ended%s%s", error != NULL ? ": " : "", error != NULL ? error : "");
		w->failed = true;
	}
}

static const struct pw_stream_events wl_stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = wl_on_state,
	.param_changed = wl_on_param_changed,
	.process = wl_on_process,
};

static void wl_on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct helper_capture_wayland *w = data;

	(void)seq;
	if (id == PW_ID_CORE) {
		log_warn("PipeWire: %s (%s)", message, spa_strerror(res));
		w->failed = true;
	}
}

static const struct pw_core_events wl_core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = wl_on_core_error,
};

/* Dispatches what is ready on our loop: protocol messages and the process calls queued for us. */
static void wl_iterate(struct helper_capture_wayland *w, int timeout_ms)
{
	pw_loop_iterate(w->loop, timeout_ms);
}

static int64_t wl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wl_stream_open(struct helper_capture_wayland *w, int pw_fd, char *err, size_t errlen)
{
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];
	int64_t deadline;

	w->loop = pw_loop_new(NULL);
	if (w->loop != NULL) {
		/* Ours from now on: PipeWire's threads queue their calls to it and wake its fd. */
		pw_loop_enter(w->loop);
		w->entered = true;
	}
	if (w->loop == NULL || (w->context = pw_context_new(w->loop, NULL, 0)) == NULL) {
		close(pw_fd);
		snprintf(err, errlen, "cannot set up PipeWire");
		return -1;
	}
	/* The context owns the descriptor from here on, also when connecting fails. */
	w->core = pw_context_connect_fd(w->context, pw_fd, NULL, 0);
	if (w->core == NULL) {
		snprintf(err, errlen, "cannot connect to the desktop's PipeWire: %s", strerror(errno));
		return -1;
	}
	pw_core_add_listener(w->core, &w->core_listener, &wl_core_events, w);
	w->stream = pw_stream_new(w->core, "handoff-helper",
				  pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
						    PW_KEY_MEDIA_ROLE, "Screen", NULL));
	if (w->stream == NULL) {
		snprintf(err, errlen, "cannot make a PipeWire stream");
		return -1;
	}
	pw_stream_add_listener(w->stream, &w->stream_listener, &wl_stream_events, w);
	params[0] = spa_pod_builder_add_object(
		&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), SPA_FORMAT_VIDEO_format,
		SPA_POD_CHOICE_ENUM_Id(9, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA,
				       SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA, SPA_VIDEO_FORMAT_xRGB,
				       SPA_VIDEO_FORMAT_ARGB, SPA_VIDEO_FORMAT_xBGR, SPA_VIDEO_FORMAT_ABGR),
		SPA_FORMAT_VIDEO_size,
		SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(1920, 1080), &SPA_RECTANGLE(1, 1),
					       &SPA_RECTANGLE(16384, 16384)),
		SPA_FORMAT_VIDEO_framerate,
		SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(30, 1), &SPA_FRACTION(0, 1), &SPA_FRACTION(60, 1)));
	if (pw_stream_connect(w->stream, PW_DIRECTION_INPUT, w->node,
			      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 1) < 0) {
		snprintf(err, errlen, "cannot connect to the desktop's screen stream");
		return -1;
	}
	w->active = true;
	/* The driver needs the size now, and the first picture: wait for both, boundedly. */
	deadline = wl_now_ms() + WL_FIRST_FRAME_MS;
	while (!w->failed && !w->have_frame && wl_now_ms() < deadline)
		wl_iterate(w, 100);
	if (w->failed || !w->have_frame) {
		snprintf(err, errlen, "the desktop's screen stream sent no picture%s", w->failed ? "" : " in time");
		return -1;
	}
	return 0;
}

/* ---- the backend table ---- */

static void wl_set_watched(void *state, bool watched);

static void wl_close(void *state)
{
	struct helper_capture_wayland *w = state;

	if (w == NULL)
		return;
	w->closing = true;
	if (w->stream != NULL) {
		/*
		 * Disconnected while the loop is still entered, PipeWire's thread
		 * can queue no more calls; leaving runs what it queued, on a
		 * stream still there.
		 */
		pw_stream_disconnect(w->stream);
	}
	if (w->entered) {
		pw_loop_leave(w->loop);
		w->entered = false;
	}
	if (w->stream != NULL)
		pw_stream_destroy(w->stream);
	if (w->core != NULL)
		pw_core_disconnect(w->core);
	if (w->context != NULL)
		pw_context_destroy(w->context);
	if (w->loop != NULL)
		pw_loop_destroy(w->loop);
	if (w->pw_inited)
		pw_deinit();
	if (w->pw_fd >= 0)
		close(w->pw_fd);
	if (w->session != NULL && w->bus != NULL) {
		GVariant *r = g_dbus_connection_call_sync(w->bus, WL_PORTAL_BUS, w->session,
							  "org.freedesktop.portal.Session", "Close", NULL, NULL,
							  G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);

		if (r != NULL)
			g_variant_unref(r);
	}
	g_free(w->session);
	if (w->results != NULL)
		g_variant_unref(w->results);
	if (w->bus != NULL) {
		g_dbus_connection_close_sync(w->bus, NULL, NULL);
		g_object_unref(w->bus);
	}
	if (w->ctx != NULL)
		g_main_context_unref(w->ctx);
	free(w->frame);
	free(w->cursor);
	free(w);
}

/*
 * The portal's half (see capture_wayland.h): bus, session, dialog, the
 * PipeWire descriptor; nothing of PipeWire's loop yet, so it may run on
 * any thread. GDBus dispatches our connection's signals in the context
 * that was the thread's default when they were subscribed: w->ctx, pushed
 * here on the asking thread and iterated by it alone.
 */
int helper_capture_wayland_ask(struct helper_capture_wayland **out, int cancel_fd, char *err, size_t errlen)
{
	struct helper_capture_wayland *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->cancel_fd = cancel_fd;
	w->pw_fd = -1;
	w->ctx = g_main_context_new();
	g_main_context_push_thread_default(w->ctx);
	rc = wl_bus_open(w, err, errlen) == 0 && wl_portal_start(w, &w->pw_fd, err, errlen) == 0 ? 0 : -1;
	g_main_context_pop_thread_default(w->ctx);
	if (rc != 0) {
		rc = w->refused ? HELPER_CAPTURE_REFUSED : -1;
		wl_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

void helper_capture_wayland_ask_free(struct helper_capture_wayland *w)
{
	wl_close(w);
}

/* What the next open takes instead of asking itself (set on the thread that opens). */
static struct helper_capture_wayland *wl_asked;

void helper_capture_wayland_set_asked(struct helper_capture_wayland *w)
{
	wl_asked = w;
}

/*
 * The stream's half, on the thread whose loop will serve the capture (the
 * PipeWire loop is entered there, see the top). Asks the portal first
 * unless helper_capture_wayland_set_asked gave its answer.
 */
static int wl_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_wayland *w = wl_asked;
	int pw_fd, rc;

	(void)display;
	*state = NULL;
	wl_asked = NULL;
	if (w == NULL && (rc = helper_capture_wayland_ask(&w, -1, err, errlen)) != 0)
		return rc;
	/* The asker's cancel descriptor is not ours to poll on this thread. */
	w->cancel_fd = -1;
	w->cancelled = false;
	pw_init(NULL, NULL);
	w->pw_inited = true;
	pw_fd = w->pw_fd;
	w->pw_fd = -1;
	if (wl_stream_open(w, pw_fd, err, errlen) != 0) {
		wl_close(w);
		return -1;
	}
	/* Nobody watches yet: the compositor copies nothing until a viewer is let in. */
	wl_set_watched(w, false);
	*state = w;
	return 0;
}

static int wl_fd(void *state)
{
	struct helper_capture_wayland *w = state;

	return pw_loop_get_fd(w->loop);
}

static int wl_poll_interval_ms(void *state)
{
	(void)state;
	return 0;
}

static int wl_process_events(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_wayland *w = state;

	wl_iterate(w, 0);
	if (w->failed)
		return -1;
	if (w->resized) {
		ev->resized = true;
		w->resized = false;
	}
	if (w->damage_all) {
		ev->damage(ev->ctx, 0, 0, w->width, w->height);
	} else {
		for (int i = 0; i < w->ndamage; i++)
			ev->damage(ev->ctx, w->damage[i].x, w->damage[i].y, w->damage[i].w, w->damage[i].h);
	}
	w->damage_all = false;
	w->ndamage = 0;
	if (w->cursor_pending && ev->cursor != NULL)
		ev->cursor(ev->ctx, w->cursor_w, w->cursor_h, w->cursor_xhot, w->cursor_yhot, w->cursor);
	w->cursor_pending = false;
	return 0;
}

static bool wl_events_queued(void *state)
{
	(void)state;
	return false;
}

static void wl_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_wayland *w = state;

	*fmt = (struct helper_capture_format){ .width = w->width, .height = w->height, .red_mask = w->red_mask,
					       .green_mask = w->green_mask, .blue_mask = w->blue_mask, .live = true };
}

static int wl_grab(void *state, int x, int y, int gw, int gh, const uint8_t **pixels, size_t *stride)
{
	struct helper_capture_wayland *w = state;

	if (x < 0 || y < 0 || gw <= 0 || gh <= 0 || x + gw > w->width || y + gh > w->height)
		return -1;
	*pixels = w->frame + ((size_t)y * (size_t)w->width + (size_t)x) * 4;
	*stride = (size_t)w->width * 4;
	return 0;
}

static void wl_set_watched(void *state, bool watched)
{
	struct helper_capture_wayland *w = state;

	if (watched == w->active)
		return;
	w->active = watched;
	if (watched)
		w->full_next = true;
	pw_stream_set_active(w->stream, watched);
	log_debug("screen stream %s", watched ? "resumed: a viewer watches" : "paused: nobody watches");
}

const struct helper_capture_backend helper_capture_wayland_backend = {
	.name = "Wayland",
	.open = wl_open,
	.close = wl_close,
	.fd = wl_fd,
	.poll_interval_ms = wl_poll_interval_ms,
	.process_events = wl_process_events,
	.events_queued = wl_events_queued,
	.format = wl_format,
	.grab = wl_grab,
	.set_watched = wl_set_watched,
};

int helper_capture_wayland_remote(struct helper_capture *c, struct helper_capture_wayland_remote *out)
{
	struct helper_capture_wayland *w = helper_capture_state_of(c, &helper_capture_wayland_backend);

	if (w == NULL || !w->remote || w->devices == 0)
		return -1;
	*out = (struct helper_capture_wayland_remote){ .bus = w->bus, .session = w->session, .stream = w->node,
						       .pointer = (w->devices & WL_DEVICE_POINTER) != 0,
						       .keyboard = (w->devices & WL_DEVICE_KEYBOARD) != 0 };
	return 0;
}

int helper_capture_wayland_probe(char *err, size_t errlen)
{
	struct helper_capture_wayland w = { .cancel_fd = -1, .pw_fd = -1 };
	int rc = -1;

	w.ctx = g_main_context_new();
	g_main_context_push_thread_default(w.ctx);
	if (wl_bus_open(&w, err, errlen) == 0) {
		/* Reading the property starts the portal where the bus activates it, as the real request would. */
		if (wl_portal_property_u(&w, WL_SCREENCAST, "version") > 0)
			rc = 0;
		else
			snprintf(err, errlen, "no desktop portal offers screen sharing (no ScreenCast on the session bus)");
		g_dbus_connection_close_sync(w.bus, NULL, NULL);
		g_object_unref(w.bus);
	}
	g_main_context_pop_thread_default(w.ctx);
	g_main_context_unref(w.ctx);
	return rc;
}
