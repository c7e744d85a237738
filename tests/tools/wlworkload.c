/*
 * wlworkload: the bench's workload (see workload.c) on a Wayland compositor.
 *
 *   wlworkload MODE SECONDS OUT [hold]
 *
 * The same modes, rates, marker, video-like frames and text as workload.c
 * (tests/tools/common/workload_core.c), and the same signalling: it shows
 * frame 0 in a fullscreen xdg-shell toplevel ($WAYLAND_DISPLAY), prints
 * "ready" once the compositor has presented it (its frame callback fired),
 * waits for SIGUSR1, draws for SECONDS and writes OUT ("FRAME NS" lines,
 * CLOCK_MONOTONIC); with "hold" it prints "done" and keeps its last frame
 * until a second SIGUSR1.
 *
 * A frame's time is taken once the compositor has the commit (a roundtrip
 * after wl_surface.commit, as workload.c's XSync): the compositor shows it
 * at its next repaint, which is part of what a viewer waits for on Wayland
 * and so is in the measured latency, as X11's drawing is in X11's.
 *
 * Drawing is our own into a canvas in memory (XRGB8888): text is no font
 * but a cell of 6x13 pixels per character with a pattern of its own, about
 * as many changed pixels as the "fixed" font of workload.c. Each frame
 * copies the canvas into a free wl_shm buffer (three, since the compositor
 * may hold one) and damages only what changed, as an X client's drawing
 * damages only what it drew.
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

#include "common/wl_window.h"
#include "common/workload_core.h"

#define WW_BUFFERS 3
#define WW_CHAR_W 6
#define WW_LINE_H 13
#define WW_GREY 0xd8d8d8u
#define WW_MAX_SIDE 8192

struct ww_buffer {
	struct wl_buffer *buffer;
	uint32_t *px;
	bool busy;              /* attached and not yet released by the compositor */
};

struct ww {
	struct wl_window win;
	struct ww_buffer buf[WW_BUFFERS];
	size_t size;
	int w, h;               /* the first size the compositor gave: the canvas and buffers are made for it */
	bool presented;
	uint32_t *canvas;
	uint32_t *video[WK_VIDEO_FRAMES];
	int dx0, dy0, dx1, dy1; /* what changed since the last commit */
	const char *mode;
	unsigned seed;
	int cx, cy;             /* typing: the text cursor */
	int sfd;                /* SIGUSR1 */
};

static void ww_damage(struct ww *p, int x, int y, int w, int h)
{
	if (p->dx1 <= p->dx0) {
		p->dx0 = x;
		p->dy0 = y;
		p->dx1 = x + w;
		p->dy1 = y + h;
		return;
	}
	p->dx0 = x < p->dx0 ? x : p->dx0;
	p->dy0 = y < p->dy0 ? y : p->dy0;
	p->dx1 = x + w > p->dx1 ? x + w : p->dx1;
	p->dy1 = y + h > p->dy1 ? y + h : p->dy1;
}

static void ww_fill(struct ww *p, int x, int y, int w, int h, uint32_t rgb)
{
	if (x < 0 || y < 0 || x + w > p->w || y + h > p->h)
		return;
	for (int j = y; j < y + h; j++)
		for (int i = x; i < x + w; i++)
			p->canvas[(size_t)j * (size_t)p->w + (size_t)i] = rgb;
	ww_damage(p, x, y, w, h);
}

/* One character's cell: its own pattern of black pixels on the grey, none for a space. */
static void ww_char(struct ww *p, int x, int y, char c)
{
	uint32_t bits = (uint32_t)(unsigned char)c * 2654435761u;

	if (x < 0 || y < 0 || x + WW_CHAR_W > p->w || y + WW_LINE_H > p->h)
		return;
	ww_fill(p, x, y, WW_CHAR_W, WW_LINE_H, WW_GREY);
	if (c == ' ')
		return;
	for (int j = 2; j < WW_LINE_H - 2; j++)
		for (int i = 1; i < WW_CHAR_W - 1; i++)
			if ((bits >> ((j * 4 + i) & 31)) & 1)
				p->canvas[(size_t)(y + j) * (size_t)p->w + (size_t)(x + i)] = 0;
}

static void ww_text_line(struct ww *p, int y)
{
	for (int x = 0; x + WW_CHAR_W <= p->w; x += WW_CHAR_W)
		ww_char(p, x, y, wk_text_char(&p->seed));
}

static void ww_marker(struct ww *p, unsigned n)
{
	for (int i = 0; i < WK_MARKER_BITS; i++) {
		int bit = wk_marker_bit(n, i);

		ww_fill(p, i * WK_CELL, 0, WK_CELL, WK_CELL, bit ? 0xffffff : 0);
		ww_fill(p, i * WK_CELL, WK_CELL, WK_CELL, WK_CELL, bit ? 0 : 0xffffff);
	}
}

static int ww_video(struct ww *p)
{
	for (int k = 0; k < WK_VIDEO_FRAMES; k++) {
		p->video[k] = malloc(p->size);
		if (p->video[k] == NULL)
			return -1;
		for (int y = 0; y < p->h; y++)
			for (int x = 0; x < p->w; x++)
				p->video[k][(size_t)y * (size_t)p->w + (size_t)x] = wk_video_rgb(x, y, k, &p->seed);
	}
	return 0;
}

/* The same changes as workload.c's wl_frame, in the canvas. */
static void ww_frame(struct ww *p, unsigned n)
{
	if (strcmp(p->mode, "typing") == 0) {
		ww_char(p, p->cx, p->cy, (char)('a' + wk_rand(&p->seed) % 26));
		p->cx += WW_CHAR_W;
		if (p->cx + WW_CHAR_W > p->w / 2) {
			p->cx = 8;
			p->cy += WW_LINE_H;
			if (p->cy + WW_LINE_H > p->h) {
				p->cy = WK_TEXT_TOP;
				ww_fill(p, 0, WK_TEXT_TOP, p->w, p->h - WK_TEXT_TOP, WW_GREY);
			}
		}
	} else if (strcmp(p->mode, "scroll") == 0) {
		int bottom = p->h - WW_LINE_H;

		memmove(p->canvas + (size_t)WK_TEXT_TOP * (size_t)p->w,
			p->canvas + (size_t)(WK_TEXT_TOP + WW_LINE_H) * (size_t)p->w,
			(size_t)(bottom - WK_TEXT_TOP) * (size_t)p->w * 4);
		ww_damage(p, 0, WK_TEXT_TOP, p->w, bottom - WK_TEXT_TOP);
		ww_fill(p, 0, bottom, p->w, WW_LINE_H, WW_GREY);
		ww_text_line(p, bottom);
	} else if (wk_full(p->mode)) {
		memcpy(p->canvas, p->video[n % WK_VIDEO_FRAMES], p->size);
		ww_damage(p, 0, 0, p->w, p->h);
	}
	ww_marker(p, n);
}

static void ww_buffer_release(void *data, struct wl_buffer *buffer)
{
	struct ww *p = data;

	for (int i = 0; i < WW_BUFFERS; i++)
		if (p->buf[i].buffer == buffer)
			p->buf[i].busy = false;
}

static const struct wl_buffer_listener ww_buffer_listener = { .release = ww_buffer_release };

static int ww_buffers(struct ww *p)
{
	size_t stride = (size_t)p->w * 4;
	int fd = memfd_create("wlworkload", MFD_CLOEXEC);
	struct wl_shm_pool *pool;
	uint8_t *mem;

	p->size = stride * (size_t)p->h;
	if (fd < 0 || ftruncate(fd, (off_t)(p->size * WW_BUFFERS)) != 0) {
		perror("wlworkload: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	mem = mmap(NULL, p->size * WW_BUFFERS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		perror("wlworkload: mmap");
		close(fd);
		return -1;
	}
	pool = wl_shm_create_pool(p->win.shm, fd, (int32_t)(p->size * WW_BUFFERS));
	for (int i = 0; i < WW_BUFFERS; i++) {
		p->buf[i].px = (uint32_t *)(mem + p->size * (size_t)i);
		p->buf[i].buffer = wl_shm_pool_create_buffer(pool, (int32_t)(p->size * (size_t)i), p->w, p->h,
							     (int32_t)stride, WL_SHM_FORMAT_XRGB8888);
		wl_buffer_add_listener(p->buf[i].buffer, &ww_buffer_listener, p);
	}
	wl_shm_pool_destroy(pool);
	close(fd);
	p->canvas = calloc(p->size, 1);
	return p->canvas != NULL ? 0 : -1;
}

static void ww_presented(void *data, struct wl_callback *cb, uint32_t time)
{
	struct ww *p = data;

	(void)time;
	wl_callback_destroy(cb);
	p->presented = true;
}

static const struct wl_callback_listener ww_frame_listener = { .done = ww_presented };

/* The canvas to the compositor: a free buffer, what changed damaged, committed, and a roundtrip. */
static int ww_commit(struct ww *p, bool callback)
{
	struct ww_buffer *b = NULL;

	while (b == NULL) {
		for (int i = 0; i < WW_BUFFERS && b == NULL; i++)
			if (!p->buf[i].busy)
				b = &p->buf[i];
		if (b == NULL && wl_display_dispatch(p->win.display) < 0)
			return -1;
	}
	memcpy(b->px, p->canvas, p->size);
	wl_surface_attach(p->win.surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(p->win.surface, p->dx0, p->dy0, p->dx1 - p->dx0, p->dy1 - p->dy0);
	if (callback)
		wl_callback_add_listener(wl_surface_frame(p->win.surface), &ww_frame_listener, p);
	wl_surface_commit(p->win.surface);
	b->busy = true;
	p->dx0 = p->dy0 = p->dx1 = p->dy1 = 0;
	return wl_display_roundtrip(p->win.display) < 0 ? -1 : 0;
}

/* wk_run's FRAME. */
static int ww_step(void *ctx, unsigned n)
{
	struct ww *p = ctx;

	ww_frame(p, n);
	return ww_commit(p, false);
}

/* wk_run's WAIT: SIGUSR1, while the compositor's events (its pings among them) are answered. */
static int ww_wait(void *ctx)
{
	struct ww *p = ctx;

	for (;;) {
		struct pollfd fds[2] = { { .fd = wl_display_get_fd(p->win.display), .events = POLLIN },
					 { .fd = p->sfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		while (wl_display_prepare_read(p->win.display) != 0)
			wl_display_dispatch_pending(p->win.display);
		wl_display_flush(p->win.display);
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			wl_display_cancel_read(p->win.display);
			return -1;
		}
		if (fds[0].revents & POLLIN) {
			if (wl_display_read_events(p->win.display) != 0)
				return -1;
		} else {
			wl_display_cancel_read(p->win.display);
		}
		if (wl_display_dispatch_pending(p->win.display) < 0)
			return -1;
		if ((fds[1].revents & POLLIN) && read(p->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return 0;
	}
}

/* A grey picture of 256x64 to map the toplevel with, freed by the compositor's release. */
static void ww_placeholder_release(void *data, struct wl_buffer *buffer)
{
	(void)data;
	wl_buffer_destroy(buffer);
}

static const struct wl_buffer_listener ww_placeholder_listener = { .release = ww_placeholder_release };

static int ww_placeholder(struct ww *p)
{
	const int w = 256, h = 64;
	size_t size = (size_t)w * (size_t)h * 4;
	int fd = memfd_create("wlworkload-map", MFD_CLOEXEC);
	struct wl_shm_pool *pool;
	struct wl_buffer *b;
	uint32_t *px;

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("wlworkload: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED) {
		perror("wlworkload: mmap");
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < size / 4; i++)
		px[i] = WW_GREY;
	munmap(px, size);
	pool = wl_shm_create_pool(p->win.shm, fd, (int32_t)size);
	b = wl_shm_pool_create_buffer(pool, 0, w, h, w * 4, WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(b, &ww_placeholder_listener, p);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_surface_attach(p->win.surface, b, 0, 0);
	wl_surface_damage_buffer(p->win.surface, 0, 0, w, h);
	wl_surface_commit(p->win.surface);
	return 0;
}

/* Frame 0 on screen: the background of the mode and the marker, presented. */
static int ww_show(struct ww *p)
{
	if (wl_window_open(&p->win, "wlworkload") != 0)
		return -1;
	while (!p->win.configured)
		if (wl_display_dispatch(p->win.display) < 0)
			return -1;
	/* sway sizes a fullscreen toplevel only once it is mapped: a small picture first, then its size. */
	if (p->win.width == 0 && ww_placeholder(p) != 0)
		return -1;
	while (p->win.width == 0)
		if (wl_display_dispatch(p->win.display) < 0)
			return -1;
	p->w = p->win.width;
	p->h = p->win.height;
	if (p->w <= 0 || p->h <= 0 || p->w > WW_MAX_SIDE || p->h > WW_MAX_SIDE ||
	    p->w < WK_MARKER_BITS * WK_CELL || p->h < WK_TEXT_TOP + 2 * WW_LINE_H) {
		fprintf(stderr, "wlworkload: the compositor gave no usable fullscreen size (%dx%d)\n", p->w, p->h);
		return -1;
	}
	if (ww_buffers(p) != 0 || (wk_full(p->mode) && ww_video(p) != 0)) {
		fprintf(stderr, "wlworkload: out of memory\n");
		return -1;
	}
	ww_fill(p, 0, 0, p->w, p->h, WW_GREY);
	if (strcmp(p->mode, "scroll") == 0)
		for (int y = WK_TEXT_TOP; y + WW_LINE_H <= p->h; y += WW_LINE_H)
			ww_text_line(p, y);
	if (wk_full(p->mode))
		memcpy(p->canvas, p->video[0], p->size);
	ww_marker(p, 0);
	ww_damage(p, 0, 0, p->w, p->h);
	if (ww_commit(p, true) != 0)
		return -1;
	while (!p->presented)
		if (wl_display_dispatch(p->win.display) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct ww p = { .seed = 42, .cx = 8, .cy = WK_TEXT_TOP, .sfd = -1 };
	sigset_t usr1;
	int seconds, r = 1;
	bool hold;

	if (wk_args(argc, argv, "usage: wlworkload typing|scroll|full|full60|idle SECONDS OUT [hold]\n", &seconds,
		    &hold) != 0)
		return 2;
	p.mode = argv[1];
	wk_start();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	p.sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	p.win.display = wl_display_connect(NULL);
	if (p.win.display == NULL || p.sfd < 0) {
		fprintf(stderr, "wlworkload: cannot connect to the Wayland display\n");
		goto out;
	}
	if (ww_show(&p) != 0)
		goto out;
	printf("ready %dx%d\n", p.w, p.h);
	fflush(stdout);
	if (wk_run(p.mode, seconds, argv[3], ww_step, ww_wait, &p) != 0)
		goto out;
	if (hold) {
		printf("done\n");
		fflush(stdout);
		if (ww_wait(&p) != 0)
			goto out;
	}
	r = 0;
out:
	/* The proxies are memory on our side: freed, so that LeakSanitizer sees none left. */
	for (int i = 0; i < WW_BUFFERS; i++)
		if (p.buf[i].buffer != NULL)
			wl_buffer_destroy(p.buf[i].buffer);
	if (p.buf[0].px != NULL)
		munmap(p.buf[0].px, p.size * WW_BUFFERS);
	wl_window_close(&p.win);
	if (p.win.display != NULL)
		wl_display_disconnect(p.win.display);
	for (int k = 0; k < WK_VIDEO_FRAMES; k++)
		free(p.video[k]);
	free(p.canvas);
	if (p.sfd >= 0)
		close(p.sfd);
	return r;
}
