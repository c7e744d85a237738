/*
 * xprobe: a known picture on an X screen, and a check that a captured
 * frame shows it, for Handoff's end-to-end tests.
 *
 *   xprobe pattern
 *       Covers the whole screen ($DISPLAY) with an override-redirect window
 *       showing a fixed pattern (gradients, hard edges, thin lines: every
 *       pixel's colour is a function of its x,y), takes the input focus and
 *       prints "ready WxH" once the pattern is on screen. Then, one line
 *       per event, flushed:
 *           key NAME          a key press (keysym name, shift applied: "A" vs "a")
 *           button N X Y      a button press at X,Y
 *           release N X Y     a button release at X,Y
 *       Runs until SIGTERM or SIGINT, then exits 0.
 *
 *   xprobe pixel X Y
 *       Prints the colour of the screen's pixel X,Y as "pixel #rrggbb".
 *
 *   xprobe cursorwin X Y W H
 *       Maps an override-redirect window at X,Y of W x H whose pointer is
 *       the hand (XC_hand2), prints "ready" and stays until SIGTERM: moving
 *       the pointer in and out changes the shape the server displays (which
 *       xsetroot -cursor_name does not make Xvfb report).
 *
 *   xprobe keysdown
 *       Prints "keysdown" and the name of every key the X server holds down
 *       now (XQueryKeymap), e.g. "keysdown Control_L"; nothing after it when
 *       every key is up.
 *
 *   xprobe cutbuffer
 *       Writes the X cut buffer 0 (where x11vnc puts text a viewer sent)
 *       to stdout; exit 1 when it is empty.
 *
 *   xprobe setcutbuffer <TEXT
 *       Stores stdin (up to 1 MiB) in cut buffer 0, where x11vnc looks for
 *       text to send to its viewers.
 *
 *   xprobe find W H [X Y]
 *       Looks for a W x H copy of the pattern (its part from pattern pixel
 *       X,Y on, default 0,0) anywhere on the screen; prints "found WxH at
 *       X,Y" (exit 0) or says there is none (exit 1).
 *
 *   xprobe compare FILE.ppm [X Y]
 *       Grabs the screen (or, with X Y, the rectangle of FILE's size at X,Y:
 *       one monitor's part) and checks that it equals FILE.ppm pixel for pixel
 *       and that it shows the pattern (at least XPROBE_PATTERN_MIN_PERCENT of
 *       its pixels, so an overlay such as the helper's "you are being watched"
 *       banner may cover a little, but two black screens never match).
 *       Prints "match WxH" and exits 0; otherwise says what differs and
 *       exits 1. Exit 2 for usage or I/O errors.
 *
 *   xprobe same FILE.ppm
 *       The same without the pattern: the screen equals FILE.ppm, whatever
 *       it shows (a workload's picture).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <X11/XKBlib.h>
#include <X11/cursorfont.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

#define XPROBE_PATTERN_MIN_PERCENT 90
#define XPROBE_PPM_MAX_SIDE 16384

struct rgb {
	uint8_t r, g, b;
};

/*
 * The pattern. Red and green ramp at different rates (so neighbouring
 * pixels differ and a shifted or scaled copy does not match), blue is a
 * 32-pixel checkerboard (hard edges that lossy encoders smear), and white
 * one-pixel lines every 61 columns and 47 rows catch off-by-one cropping.
 */
static struct rgb xprobe_pattern_at(int x, int y)
{
	struct rgb c;

	if (x % 61 == 7 || y % 47 == 5) {
		c.r = c.g = c.b = 0xff;
		return c;
	}
	c.r = (uint8_t)(x * 3 + y / 4);
	c.g = (uint8_t)(y * 5 + x / 8);
	c.b = (((x >> 5) ^ (y >> 5)) & 1) ? (uint8_t)(0xc0 + (x & 0x3f)) : (uint8_t)(0x10 + (y & 0x1f));
	return c;
}

/* Position and width of a visual's colour mask, to pack and unpack pixels. */
struct channel {
	int shift;
	int bits;
};

static struct channel channel_of(unsigned long mask)
{
	struct channel c = { 0, 0 };

	while (mask != 0 && (mask & 1) == 0) {
		mask >>= 1;
		c.shift++;
	}
	while (mask & 1) {
		mask >>= 1;
		c.bits++;
	}
	return c;
}

static unsigned long pack(struct channel c, uint8_t v)
{
	unsigned long x = c.bits >= 8 ? (unsigned long)v << (c.bits - 8) : (unsigned long)v >> (8 - c.bits);

	return x << c.shift;
}

static uint8_t unpack(struct channel c, unsigned long px)
{
	unsigned long x = (px >> c.shift) & ((1ul << c.bits) - 1);

	return c.bits >= 8 ? (uint8_t)(x >> (c.bits - 8)) : (uint8_t)(x << (8 - c.bits));
}

struct visual_channels {
	struct channel r, g, b;
};

static int visual_channels(Visual *vis, int depth, struct visual_channels *vc)
{
	if (vis->class != TrueColor || depth < 24) {
		fprintf(stderr, "xprobe: needs a TrueColor visual of depth 24 or more\n");
		return -1;
	}
	vc->r = channel_of(vis->red_mask);
	vc->g = channel_of(vis->green_mask);
	vc->b = channel_of(vis->blue_mask);
	return 0;
}

static Pixmap make_pattern_pixmap(Display *dpy, Window win, int w, int h)
{
	int scr = DefaultScreen(dpy);
	Visual *vis = DefaultVisual(dpy, scr);
	int depth = DefaultDepth(dpy, scr);
	struct visual_channels vc;
	XImage *img;
	Pixmap pix = None;
	GC gc;

	if (visual_channels(vis, depth, &vc) != 0)
		return None;
	img = XCreateImage(dpy, vis, (unsigned)depth, ZPixmap, 0, NULL, (unsigned)w, (unsigned)h, 32, 0);
	if (img == NULL)
		return None;
	img->data = malloc((size_t)img->bytes_per_line * (size_t)h);
	if (img->data == NULL) {
		XDestroyImage(img);
		return None;
	}
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			struct rgb c = xprobe_pattern_at(x, y);

			XPutPixel(img, x, y, pack(vc.r, c.r) | pack(vc.g, c.g) | pack(vc.b, c.b));
		}
	}
	pix = XCreatePixmap(dpy, win, (unsigned)w, (unsigned)h, (unsigned)depth);
	gc = XCreateGC(dpy, pix, 0, NULL);
	XPutImage(dpy, pix, gc, img, 0, 0, 0, 0, (unsigned)w, (unsigned)h);
	XFreeGC(dpy, gc);
	XDestroyImage(img); /* frees img->data too */
	return pix;
}

static void print_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void report_event(XEvent *ev)
{
	char text[32];
	KeySym ks = NoSymbol;
	const char *name;

	switch (ev->type) {
	case KeyPress:
		/* XLookupString applies Shift and Lock, so 'A' and 'a' are told apart. */
		XLookupString(&ev->xkey, text, sizeof(text), &ks, NULL);
		name = ks != NoSymbol ? XKeysymToString(ks) : NULL;
		if (name != NULL)
			print_line("key %s", name);
		else
			print_line("key 0x%lx", (unsigned long)ks);
		break;
	case ButtonPress:
		print_line("button %u %d %d", ev->xbutton.button, ev->xbutton.x, ev->xbutton.y);
		break;
	case ButtonRelease:
		print_line("release %u %d %d", ev->xbutton.button, ev->xbutton.x, ev->xbutton.y);
		break;
	default:
		break;
	}
}

static int cmd_pattern(void)
{
	Display *dpy = NULL;
	Window win = None;
	Pixmap pix = None;
	XSetWindowAttributes attr = { 0 };
	sigset_t sigs;
	int sfd = -1;
	int w, h;
	int rc = 2;
	XEvent ev;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* Signals become readable events on a descriptor, polled with the X connection. */
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 || (sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "xprobe: signalfd: %s\n", strerror(errno));
		goto out;
	}
	dpy = XOpenDisplay(NULL);
	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open display '%s'\n", XDisplayName(NULL));
		goto out;
	}
	w = DisplayWidth(dpy, DefaultScreen(dpy));
	h = DisplayHeight(dpy, DefaultScreen(dpy));
	attr.override_redirect = True;
	attr.event_mask = ExposureMask | KeyPressMask | ButtonPressMask | ButtonReleaseMask |
			  StructureNotifyMask;
	win = XCreateWindow(dpy, DefaultRootWindow(dpy), 0, 0, (unsigned)w, (unsigned)h, 0,
			    CopyFromParent, InputOutput, CopyFromParent,
			    CWOverrideRedirect | CWEventMask, &attr);
	pix = make_pattern_pixmap(dpy, win, w, h);
	if (pix == None) {
		fprintf(stderr, "xprobe: cannot build the pattern\n");
		goto out;
	}
	/* As the background, the server itself repaints any exposed part, exactly. */
	XSetWindowBackgroundPixmap(dpy, win, pix);
	XMapRaised(dpy, win);
	do
		XNextEvent(dpy, &ev);
	while (ev.type != MapNotify || ev.xmap.window != win);
	XSetInputFocus(dpy, win, RevertToPointerRoot, CurrentTime);
	XClearWindow(dpy, win);
	XSync(dpy, False);
	print_line("ready %dx%d", w, h);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ConnectionNumber(dpy), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};

		while (XPending(dpy) > 0) {
			XNextEvent(dpy, &ev);
			if (ev.type == Expose && ev.xexpose.count == 0)
				XClearWindow(dpy, win);
			else if (ev.type == MappingNotify)
				/* The helper maps keysyms the keymap lacks onto spare keycodes. */
				XRefreshKeyboardMapping(&ev.xmapping);
			else
				report_event(&ev);
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0) {
			rc = 0;
			break;
		}
		if (pfd[0].revents & (POLLHUP | POLLERR)) {
			fprintf(stderr, "xprobe: lost the X connection\n");
			break;
		}
	}
out:
	if (dpy != NULL) {
		if (pix != None)
			XFreePixmap(dpy, pix);
		if (win != None)
			XDestroyWindow(dpy, win);
		XCloseDisplay(dpy);
	}
	if (sfd >= 0)
		close(sfd);
	return rc;
}

/* Reads one PPM header token: a decimal number, skipping blanks and comments. */
static int ppm_number(FILE *f, long *out)
{
	int c = fgetc(f);
	long v = 0;
	int digits = 0;

	for (;;) {
		while (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			c = fgetc(f);
		if (c != '#')
			break;
		while (c != '\n' && c != EOF)
			c = fgetc(f);
	}
	while (c >= '0' && c <= '9' && digits < 9) {
		v = v * 10 + (c - '0');
		digits++;
		c = fgetc(f);
	}
	/* Exactly one whitespace byte ends the token (it matters after maxval). */
	if (digits == 0 || (c != ' ' && c != '\t' && c != '\n' && c != '\r'))
		return -1;
	*out = v;
	return 0;
}

static uint8_t *read_ppm(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long lw, lh, maxval;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "xprobe: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgetc(f) != 'P' || fgetc(f) != '6' || ppm_number(f, &lw) != 0 || ppm_number(f, &lh) != 0 ||
	    ppm_number(f, &maxval) != 0 || maxval != 255 || lw <= 0 || lh <= 0 ||
	    lw > XPROBE_PPM_MAX_SIDE || lh > XPROBE_PPM_MAX_SIDE) {
		fprintf(stderr, "xprobe: %s is not a binary 8-bit PPM (P6, maxval 255)\n", path);
		goto fail;
	}
	n = (size_t)lw * (size_t)lh * 3;
	data = malloc(n);
	if (data == NULL || fread(data, 1, n, f) != n) {
		fprintf(stderr, "xprobe: %s is truncated\n", path);
		goto fail;
	}
	fclose(f);
	*w = (int)lw;
	*h = (int)lh;
	return data;
fail:
	free(data);
	fclose(f);
	return NULL;
}

static int cmd_compare(const char *path, bool part, int ox, int oy, bool pattern)
{
	Display *dpy = NULL;
	XImage *img = NULL;
	uint8_t *ppm = NULL;
	struct visual_channels vc;
	unsigned long differ = 0, like_pattern = 0, total;
	int fx = -1, fy = -1;
	struct rgb fs = { 0, 0, 0 }, ff = { 0, 0, 0 };
	int pw, ph, w, h, scr;
	int rc = 2;

	ppm = read_ppm(path, &pw, &ph);
	if (ppm == NULL)
		goto out;
	dpy = XOpenDisplay(NULL);
	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open display '%s'\n", XDisplayName(NULL));
		goto out;
	}
	scr = DefaultScreen(dpy);
	if (visual_channels(DefaultVisual(dpy, scr), DefaultDepth(dpy, scr), &vc) != 0)
		goto out;
	w = DisplayWidth(dpy, scr);
	h = DisplayHeight(dpy, scr);
	if (!part && (w != pw || h != ph)) {
		printf("size differs: screen %dx%d, %s %dx%d\n", w, h, path, pw, ph);
		rc = 1;
		goto out;
	}
	if (part && (ox < 0 || oy < 0 || ox + pw > w || oy + ph > h)) {
		printf("%s (%dx%d) at %d,%d does not fit the %dx%d screen\n", path, pw, ph, ox, oy, w, h);
		rc = 1;
		goto out;
	}
	if (!part)
		ox = oy = 0;
	w = pw;
	h = ph;
	img = XGetImage(dpy, DefaultRootWindow(dpy), ox, oy, (unsigned)w, (unsigned)h, AllPlanes, ZPixmap);
	if (img == NULL) {
		fprintf(stderr, "xprobe: cannot read the screen\n");
		goto out;
	}
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			unsigned long px = XGetPixel(img, x, y);
			struct rgb s = { unpack(vc.r, px), unpack(vc.g, px), unpack(vc.b, px) };
			const uint8_t *f = ppm + ((size_t)y * (size_t)w + (size_t)x) * 3;
			struct rgb p = xprobe_pattern_at(ox + x, oy + y);

			if (s.r == p.r && s.g == p.g && s.b == p.b)
				like_pattern++;
			if (s.r == f[0] && s.g == f[1] && s.b == f[2])
				continue;
			if (differ++ == 0) {
				fx = ox + x;
				fy = oy + y;
				fs = s;
				ff = (struct rgb){ f[0], f[1], f[2] };
			}
		}
	}
	total = (unsigned long)w * (unsigned long)h;
	rc = 1;
	if (differ != 0) {
		printf("mismatch at %d,%d: screen #%02x%02x%02x, %s #%02x%02x%02x; %lu of %lu pixels differ\n",
		       fx, fy, fs.r, fs.g, fs.b, path, ff.r, ff.g, ff.b, differ, total);
	} else if (pattern && like_pattern * 100 < total * XPROBE_PATTERN_MIN_PERCENT) {
		printf("screen and %s are equal, but the screen does not show the xprobe pattern "
		       "(%lu of %lu pixels match it; is `xprobe pattern` running?)\n",
		       path, like_pattern, total);
	} else {
		printf("match %dx%d+%d+%d\n", w, h, ox, oy);
		rc = 0;
	}
out:
	if (img != NULL)
		XDestroyImage(img);
	if (dpy != NULL)
		XCloseDisplay(dpy);
	free(ppm);
	return rc;
}

/*
 * Looks for a whole W x H copy of the pattern anywhere on the screen, the
 * part of it whose corner is pattern pixel px0,py0 (a viewer showing one of
 * the customer's monitors): a viewer's window shows the customer's screen
 * at a place the window system chose, so this checks a window's pixels
 * without knowing where it is.
 */
static int cmd_find(int pw, int ph, int px0, int py0)
{
	Display *dpy = XOpenDisplay(NULL);
	XImage *img = NULL;
	struct visual_channels vc;
	int w, h, scr, rc = 2;

	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open display '%s'\n", XDisplayName(NULL));
		return 2;
	}
	scr = DefaultScreen(dpy);
	w = DisplayWidth(dpy, scr);
	h = DisplayHeight(dpy, scr);
	if (pw <= 0 || ph <= 0 || pw > w || ph > h || px0 < 0 || py0 < 0 ||
	    visual_channels(DefaultVisual(dpy, scr), DefaultDepth(dpy, scr), &vc) != 0)
		goto out;
	img = XGetImage(dpy, DefaultRootWindow(dpy), 0, 0, (unsigned)w, (unsigned)h, AllPlanes, ZPixmap);
	if (img == NULL)
		goto out;
	rc = 1;
	for (int oy = 0; oy + ph <= h && rc != 0; oy++) {
		for (int ox = 0; ox + pw <= w && rc != 0; ox++) {
			bool same = true;

			for (int y = 0; y < ph && same; y++) {
				for (int x = 0; x < pw && same; x++) {
					unsigned long px = XGetPixel(img, ox + x, oy + y);
					struct rgb p = xprobe_pattern_at(px0 + x, py0 + y);

					same = unpack(vc.r, px) == p.r && unpack(vc.g, px) == p.g &&
					       unpack(vc.b, px) == p.b;
				}
			}
			if (same) {
				printf("found %dx%d at %d,%d\n", pw, ph, ox, oy);
				rc = 0;
			}
		}
	}
	if (rc != 0)
		printf("no %dx%d copy of the pattern on the %dx%d screen\n", pw, ph, w, h);
out:
	if (img != NULL)
		XDestroyImage(img);
	XCloseDisplay(dpy);
	return rc;
}

/* Prints the colour of one screen pixel as "pixel #rrggbb". */
static int cmd_pixel(int x, int y)
{
	Display *dpy = XOpenDisplay(NULL);
	struct visual_channels vc;
	XImage *img = NULL;
	int scr, rc = 2;

	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open the display\n");
		return 2;
	}
	scr = DefaultScreen(dpy);
	if (x < 0 || y < 0 || x >= DisplayWidth(dpy, scr) || y >= DisplayHeight(dpy, scr) ||
	    visual_channels(DefaultVisual(dpy, scr), DefaultDepth(dpy, scr), &vc) != 0)
		goto out;
	img = XGetImage(dpy, DefaultRootWindow(dpy), x, y, 1, 1, AllPlanes, ZPixmap);
	if (img == NULL)
		goto out;
	unsigned long px = XGetPixel(img, 0, 0);
	printf("pixel #%02x%02x%02x\n", unpack(vc.r, px), unpack(vc.g, px), unpack(vc.b, px));
	rc = 0;
out:
	if (img != NULL)
		XDestroyImage(img);
	XCloseDisplay(dpy);
	return rc;
}

/* Stores stdin (at most 1 MiB) in the display's cut buffer 0. */
static int cmd_setcutbuffer(void)
{
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text), stdin);
	Display *dpy = XOpenDisplay(NULL);

	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open the display\n");
		return 2;
	}
	XStoreBytes(dpy, text, (int)n);
	XCloseDisplay(dpy);
	return 0;
}

/* Writes the display's cut buffer 0 to stdout, byte for byte. */
static int cmd_cutbuffer(void)
{
	Display *dpy = XOpenDisplay(NULL);
	char *bytes;
	int n = 0, rc = 1;

	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open the display\n");
		return 2;
	}
	bytes = XFetchBytes(dpy, &n);
	if (bytes != NULL) {
		rc = fwrite(bytes, 1, (size_t)n, stdout) == (size_t)n ? 0 : 2;
		XFree(bytes);
	}
	XCloseDisplay(dpy);
	return rc;
}

static int cmd_cursorwin(int x, int y, int w, int h)
{
	Display *dpy = XOpenDisplay(NULL);
	XSetWindowAttributes a = { .override_redirect = True, .background_pixel = 0xffffff };
	Window win;
	sigset_t sigs;
	int sig = 0;

	if (dpy == NULL || w <= 0 || h <= 0) {
		fprintf(stderr, "xprobe: cannot open display '%s' or bad size\n", XDisplayName(NULL));
		return 2;
	}
	win = XCreateWindow(dpy, DefaultRootWindow(dpy), x, y, (unsigned)w, (unsigned)h, 0, CopyFromParent,
			    InputOutput, CopyFromParent, CWOverrideRedirect | CWBackPixel, &a);
	XDefineCursor(dpy, win, XCreateFontCursor(dpy, XC_hand2));
	XMapRaised(dpy, win);
	XSync(dpy, False);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	print_line("ready");
	sigwait(&sigs, &sig);
	XCloseDisplay(dpy);
	return 0;
}

static int cmd_keysdown(void)
{
	Display *dpy = XOpenDisplay(NULL);
	char keys[32];

	if (dpy == NULL) {
		fprintf(stderr, "xprobe: cannot open display '%s'\n", XDisplayName(NULL));
		return 2;
	}
	XQueryKeymap(dpy, keys);
	printf("keysdown");
	for (int code = 8; code < 256; code++) {
		if (keys[code / 8] & (1 << (code % 8))) {
			KeySym ks = XkbKeycodeToKeysym(dpy, (KeyCode)code, 0, 0);
			const char *name = ks != NoSymbol ? XKeysymToString(ks) : NULL;

			printf(" %s", name != NULL ? name : "?");
		}
	}
	printf("\n");
	XCloseDisplay(dpy);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: xprobe pattern\n"
			"       xprobe compare FILE.ppm [X Y]\n"
			"       xprobe same FILE.ppm\n"
			"       xprobe find WIDTH HEIGHT [X Y]\n"
			"       xprobe pixel X Y\n"
			"       xprobe cursorwin X Y W H\n"
			"       xprobe keysdown\n"
			"       xprobe cutbuffer\n"
			"       xprobe setcutbuffer <TEXT\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "pattern") == 0)
		return cmd_pattern();
	if (argc == 3 && strcmp(argv[1], "compare") == 0)
		return cmd_compare(argv[2], false, 0, 0, true);
	if (argc == 3 && strcmp(argv[1], "same") == 0)
		return cmd_compare(argv[2], false, 0, 0, false);
	if (argc == 5 && strcmp(argv[1], "compare") == 0)
		return cmd_compare(argv[2], true, atoi(argv[3]), atoi(argv[4]), true);
	if (argc == 4 && strcmp(argv[1], "find") == 0)
		return cmd_find(atoi(argv[2]), atoi(argv[3]), 0, 0);
	if (argc == 6 && strcmp(argv[1], "find") == 0)
		return cmd_find(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 2 && strcmp(argv[1], "setcutbuffer") == 0)
		return cmd_setcutbuffer();
	if (argc == 2 && strcmp(argv[1], "cutbuffer") == 0)
		return cmd_cutbuffer();
	if (argc == 2 && strcmp(argv[1], "keysdown") == 0)
		return cmd_keysdown();
	if (argc == 6 && strcmp(argv[1], "cursorwin") == 0)
		return cmd_cursorwin(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "pixel") == 0)
		return cmd_pixel(atoi(argv[2]), atoi(argv[3]));
	return usage();
}
