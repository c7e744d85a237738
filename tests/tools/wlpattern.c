/*
 * wlpattern: a known picture on a Wayland compositor, and a check that a
 * captured frame shows it, for Handoff's Wayland end-to-end tests.
 *
 *   wlpattern show
 *       A fullscreen xdg-shell toplevel ($WAYLAND_DISPLAY) drawn through
 *       wl_shm with a fixed pattern (every pixel's colour is a function of
 *       its x,y and of the variant). Prints "shown WxH variant N" once the
 *       compositor has presented the frame (its frame callback fired).
 *       SIGUSR1 switches to the next variant and draws again, so a test can
 *       change the screen without input. One line per input event, flushed:
 *           button N X Y      a button press (N: 1 left, 2 middle, 3 right)
 *           key CODE          a key press (evdev key code)
 *           text UTF8         what that press types with the keymap and
 *                             modifiers the compositor gave us (xkbcommon),
 *                             when it types something
 *           focus in|out      the keyboard focus came or went (a dialog opened over us)
 *           seat pointer|keyboard  the seat has that device now and we listen to it
 *                             (mutter headless has none until a remote desktop
 *                             session sends its first event with one)
 *           seat pointer|keyboard gone  the seat lost it (sway: the helper that
 *                             made it ended); we let ours go
 *       Runs until SIGTERM or SIGINT, then exits 0.
 *
 *   wlpattern check FILE.ppm VARIANT [X Y W H]
 *       Compares a binary PPM (what handoff-tech's snapshot writes) with the
 *       pattern of that variant at the PPM's size: prints "same WxH" and
 *       exits 0, or names the first differing pixel and how many differ and
 *       exits 1. With X Y W H, only that rectangle of the PPM, against the
 *       pattern from its own top-left (one output of several: each shows
 *       a wlpattern of its own).
 *
 * Shared memory comes from memfd_create; the pattern is XRGB8888, which
 * every compositor must accept.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "common/wl_window.h"

struct wlp {
	struct wl_window win;       /* its size: from the last configure; 0: not yet */
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct wl_buffer *buffer;
	uint32_t *pixels;
	size_t size;
	int drawn_w, drawn_h, drawn_variant;
	int variant;
	bool redraw, running;
	double px, py;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *kstate;
};

/* The pattern: gradients, hard edges every 32 pixels and a variant-dependent blue channel. */
static uint32_t wlp_colour(int x, int y, int variant)
{
	uint32_t r = (uint32_t)(x * 7 + variant * 40) & 0xff;
	uint32_t g = (uint32_t)(y * 5) & 0xff;
	uint32_t b = (((x / 32) + (y / 32) + variant) & 1) ? 0xc0 : 0x20;

	if (variant > 0 && x >= 100 && x < 300 && y >= 100 && y < 200)
		b = (uint32_t)(0x10 * variant) & 0xff;
	return (r << 16) | (g << 8) | b;
}

static void wlp_buffer_release(void *data, struct wl_buffer *buffer)
{
	(void)data;
	wl_buffer_destroy(buffer);
}

static const struct wl_buffer_listener wlp_buffer_listener = { .release = wlp_buffer_release };

static void wlp_frame_done(void *data, struct wl_callback *cb, uint32_t time);
static const struct wl_callback_listener wlp_frame_listener = { .done = wlp_frame_done };

static void wlp_frame_done(void *data, struct wl_callback *cb, uint32_t time)
{
	struct wlp *p = data;

	(void)time;
	wl_callback_destroy(cb);
	printf("shown %dx%d variant %d\n", p->drawn_w, p->drawn_h, p->drawn_variant);
	fflush(stdout);
}

static int wlp_draw(struct wlp *p)
{
	int w = p->win.width > 0 ? p->win.width : 640, h = p->win.height > 0 ? p->win.height : 480;
	size_t stride = (size_t)w * 4, size = stride * (size_t)h;
	int fd = memfd_create("wlpattern", MFD_CLOEXEC);
	struct wl_shm_pool *pool;
	uint32_t *px;
	struct wl_callback *cb;

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("wlpattern: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED) {
		perror("wlpattern: mmap");
		close(fd);
		return -1;
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			px[(size_t)y * (size_t)w + (size_t)x] = wlp_colour(x, y, p->variant);
	pool = wl_shm_create_pool(p->win.shm, fd, (int32_t)size);
	p->buffer = wl_shm_pool_create_buffer(pool, 0, w, h, (int32_t)stride, WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(p->buffer, &wlp_buffer_listener, p);
	wl_shm_pool_destroy(pool);
	munmap(px, size);
	close(fd);
	wl_surface_attach(p->win.surface, p->buffer, 0, 0);
	wl_surface_damage_buffer(p->win.surface, 0, 0, w, h);
	cb = wl_surface_frame(p->win.surface);
	wl_callback_add_listener(cb, &wlp_frame_listener, p);
	p->drawn_w = w;
	p->drawn_h = h;
	p->drawn_variant = p->variant;
	wl_surface_commit(p->win.surface);
	p->redraw = false;
	return 0;
}

/* A new size, or nothing drawn yet: draw (again). */
static void wlp_configured(void *ctx)
{
	struct wlp *p = ctx;

	if (p->win.width != p->drawn_w || p->win.height != p->drawn_h || p->buffer == NULL)
		p->redraw = true;
}

static void wlp_pointer_enter(void *data, struct wl_pointer *ptr, uint32_t serial, struct wl_surface *s,
			      wl_fixed_t x, wl_fixed_t y)
{
	struct wlp *p = data;

	(void)ptr;
	(void)serial;
	(void)s;
	p->px = wl_fixed_to_double(x);
	p->py = wl_fixed_to_double(y);
}

static void wlp_pointer_leave(void *data, struct wl_pointer *ptr, uint32_t serial, struct wl_surface *s)
{
	(void)data;
	(void)ptr;
	(void)serial;
	(void)s;
}

static void wlp_pointer_motion(void *data, struct wl_pointer *ptr, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
	struct wlp *p = data;

	(void)ptr;
	(void)time;
	p->px = wl_fixed_to_double(x);
	p->py = wl_fixed_to_double(y);
}

static void wlp_pointer_button(void *data, struct wl_pointer *ptr, uint32_t serial, uint32_t time, uint32_t button,
			       uint32_t state)
{
	struct wlp *p = data;
	/* BTN_LEFT, BTN_RIGHT, BTN_MIDDLE from linux/input-event-codes.h. */
	int n = button == 0x110 ? 1 : button == 0x112 ? 2 : button == 0x111 ? 3 : (int)button;

	(void)ptr;
	(void)serial;
	(void)time;
	if (state == WL_POINTER_BUTTON_STATE_PRESSED) {
		printf("button %d %d %d\n", n, (int)p->px, (int)p->py);
		fflush(stdout);
	}
}

static void wlp_pointer_axis(void *data, struct wl_pointer *ptr, uint32_t time, uint32_t axis, wl_fixed_t v)
{
	(void)data;
	(void)ptr;
	(void)time;
	(void)axis;
	(void)v;
}

static const struct wl_pointer_listener wlp_pointer_listener = {
	.enter = wlp_pointer_enter,
	.leave = wlp_pointer_leave,
	.motion = wlp_pointer_motion,
	.button = wlp_pointer_button,
	.axis = wlp_pointer_axis,
};

/* Each device's keymap replaces the last (wlroots sends the active device's). */
static void wlp_kb_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd, uint32_t size)
{
	struct wlp *p = data;
	char *text;

	(void)kb;
	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 || size == 0) {
		close(fd);
		return;
	}
	text = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (text == MAP_FAILED)
		return;
	if (p->xkb == NULL)
		p->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	xkb_state_unref(p->kstate);
	xkb_keymap_unref(p->keymap);
	p->keymap = xkb_keymap_new_from_buffer(p->xkb, text, strnlen(text, size), XKB_KEYMAP_FORMAT_TEXT_V1,
					       XKB_KEYMAP_COMPILE_NO_FLAGS);
	p->kstate = p->keymap != NULL ? xkb_state_new(p->keymap) : NULL;
	munmap(text, size);
}

static void wlp_kb_enter(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *s,
			 struct wl_array *keys)
{
	(void)data;
	(void)kb;
	(void)serial;
	(void)s;
	(void)keys;
	printf("focus in\n");
	fflush(stdout);
}

static void wlp_kb_leave(void *data, struct wl_keyboard *kb, uint32_t serial, struct wl_surface *s)
{
	(void)data;
	(void)kb;
	(void)serial;
	(void)s;
	printf("focus out\n");
	fflush(stdout);
}

static void wlp_kb_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time, uint32_t key,
		       uint32_t state)
{
	struct wlp *p = data;
	char text[64] = "";

	(void)kb;
	(void)serial;
	(void)time;
	if (state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		if (p->kstate != NULL)
			xkb_state_key_get_utf8(p->kstate, key + 8, text, sizeof(text));
		printf("key %u\n", key);
		/* Control characters (Return, Tab) are keys, not text. */
		if ((unsigned char)text[0] >= 0x20 && text[0] != 0x7f)
			printf("text %s\n", text);
		fflush(stdout);
	}
}

static void wlp_kb_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t dep, uint32_t lat,
			     uint32_t lock, uint32_t group)
{
	struct wlp *p = data;

	(void)kb;
	(void)serial;
	if (p->kstate != NULL)
		xkb_state_update_mask(p->kstate, dep, lat, lock, 0, 0, group);
}

static void wlp_kb_repeat(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay)
{
	(void)data;
	(void)kb;
	(void)rate;
	(void)delay;
}

static const struct wl_keyboard_listener wlp_kb_listener = {
	.keymap = wlp_kb_keymap,
	.enter = wlp_kb_enter,
	.leave = wlp_kb_leave,
	.key = wlp_kb_key,
	.modifiers = wlp_kb_modifiers,
	.repeat_info = wlp_kb_repeat,
};

/*
 * A device the seat loses (the helper's virtual pointer and keyboard go
 * with the helper on wlroots) leaves our object inert: let it go, so that
 * the next helper's devices, when they come, reach us through new ones.
 */
static void wlp_seat_caps(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct wlp *p = data;
	bool release = wl_seat_get_version(seat) >= WL_POINTER_RELEASE_SINCE_VERSION;

	if (!(caps & WL_SEAT_CAPABILITY_POINTER) && p->pointer != NULL) {
		if (release)
			wl_pointer_release(p->pointer);
		else
			wl_pointer_destroy(p->pointer);
		p->pointer = NULL;
		printf("seat pointer gone\n");
		fflush(stdout);
	}
	if (!(caps & WL_SEAT_CAPABILITY_KEYBOARD) && p->keyboard != NULL) {
		if (release)
			wl_keyboard_release(p->keyboard);
		else
			wl_keyboard_destroy(p->keyboard);
		p->keyboard = NULL;
		printf("seat keyboard gone\n");
		fflush(stdout);
	}
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && p->pointer == NULL) {
		p->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(p->pointer, &wlp_pointer_listener, p);
		printf("seat pointer\n");
		fflush(stdout);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && p->keyboard == NULL) {
		p->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(p->keyboard, &wlp_kb_listener, p);
		printf("seat keyboard\n");
		fflush(stdout);
	}
}

static void wlp_seat_name(void *data, struct wl_seat *seat, const char *name)
{
	(void)data;
	(void)seat;
	(void)name;
}

static const struct wl_seat_listener wlp_seat_listener = { .capabilities = wlp_seat_caps, .name = wlp_seat_name };

/* The seat, the one global the window does not bind: the input the test checks. */
static void wlp_global(void *ctx, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version)
{
	struct wlp *p = ctx;

	if (strcmp(iface, wl_seat_interface.name) == 0 && p->seat == NULL) {
		p->seat = wl_registry_bind(reg, name, &wl_seat_interface, version < 4 ? version : 4);
		wl_seat_add_listener(p->seat, &wlp_seat_listener, p);
	}
}

static int wlp_show(void)
{
	struct wlp p = { .running = true };
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	p.win.display = wl_display_connect(NULL);
	if (p.win.display == NULL || sfd < 0) {
		fprintf(stderr, "wlpattern: cannot connect to the Wayland display\n");
		return 1;
	}
	p.win.on_global = wlp_global;
	p.win.on_configure = wlp_configured;
	p.win.ctx = &p;
	if (wl_window_open(&p.win, "wlpattern") != 0)
		return 1;

	while (p.running && !p.win.closed) {
		struct pollfd fds[2] = { { .fd = wl_display_get_fd(p.win.display), .events = POLLIN },
					 { .fd = sfd, .events = POLLIN } };

		if (p.win.configured && p.redraw && wlp_draw(&p) != 0)
			return 1;
		while (wl_display_prepare_read(p.win.display) != 0)
			wl_display_dispatch_pending(p.win.display);
		wl_display_flush(p.win.display);
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			wl_display_cancel_read(p.win.display);
			return 1;
		}
		if (fds[0].revents & POLLIN) {
			if (wl_display_read_events(p.win.display) != 0)
				return 1;
		} else {
			wl_display_cancel_read(p.win.display);
		}
		if (wl_display_dispatch_pending(p.win.display) < 0)
			return 1;
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGUSR1) {
					p.variant++;
					p.redraw = true;
				} else {
					p.running = false;
				}
			}
		}
	}
	wl_window_close(&p.win);
	wl_display_disconnect(p.win.display);
	xkb_state_unref(p.kstate);
	xkb_keymap_unref(p.keymap);
	xkb_context_unref(p.xkb);
	close(sfd);
	return 0;
}

/* The rectangle rx, ry, rw, rh of the PPM (rw 0: all of it) against variant's pattern. */
static int wlp_check(const char *path, int variant, int rx, int ry, int rw, int rh)
{
	FILE *f = fopen(path, "rb");
	int w, h, maxval, bad = 0, fx = -1, fy = -1;
	uint32_t want_first = 0, got_first = 0;

	if (f == NULL || fscanf(f, "P6 %d %d %d", &w, &h, &maxval) != 3 || fgetc(f) == EOF || maxval != 255 ||
	    w <= 0 || h <= 0 || w > 16384 || h > 16384) {
		fprintf(stderr, "wlpattern: %s is not a binary PPM\n", path);
		if (f != NULL)
			fclose(f);
		return 2;
	}
	if (rw == 0) {
		rx = ry = 0;
		rw = w;
		rh = h;
	}
	if (rx < 0 || ry < 0 || rw <= 0 || rh <= 0 || rx + rw > w || ry + rh > h) {
		fprintf(stderr, "wlpattern: %dx%d+%d+%d is not inside %s (%dx%d)\n", rw, rh, rx, ry, path, w, h);
		fclose(f);
		return 2;
	}
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			int r = fgetc(f), g = fgetc(f), b = fgetc(f);
			uint32_t got, want = wlp_colour(x - rx, y - ry, variant);

			if (b == EOF) {
				fprintf(stderr, "wlpattern: %s is short\n", path);
				fclose(f);
				return 2;
			}
			if (x < rx || x >= rx + rw || y < ry || y >= ry + rh)
				continue;
			got = ((uint32_t)r << 16) | ((uint32_t)g << 8) | (uint32_t)b;
			if (got != want) {
				if (bad++ == 0) {
					fx = x;
					fy = y;
					want_first = want;
					got_first = got;
				}
			}
		}
	}
	fclose(f);
	if (bad == 0) {
		if (rw == w && rh == h)
			printf("same %dx%d\n", w, h);
		else
			printf("same %dx%d at +%d+%d\n", rw, rh, rx, ry);
		return 0;
	}
	printf("differs: %d pixels, first at %d,%d: #%06x, pattern #%06x\n", bad, fx, fy, got_first, want_first);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return wlp_show();
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return wlp_check(argv[2], atoi(argv[3]), 0, 0, 0, 0);
	if (argc == 8 && strcmp(argv[1], "check") == 0)
		return wlp_check(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), atoi(argv[7]));
	fprintf(stderr, "usage: wlpattern show | wlpattern check FILE.ppm VARIANT [X Y W H]\n");
	return 2;
}
