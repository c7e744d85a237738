/*
 * mkrec: writes a small synthetic sealed recording, as the relay would,
 * and the pictures a correct replay must end on, for tests that must not
 * depend on a live session.
 *
 *   mkrec --pub KEY.pub --out FILE [--size WxH] [--format F] [--split N]
 *         [--truncate] [--expect FINAL.ppm] [--expect-first FIRST.ppm]
 *         [--screeninfo good|bad]
 *
 * The stream is a tiny RFB 3.8 session: version, security None,
 * ServerInit, the viewer's SetPixelFormat/SetEncodings, then
 *   0.5 s  a raw update of the whole screen (a gradient), in N records
 *          spread over 0.1 s each when --split N (a message across records)
 *   1.0 s  pointer to 10,20, button 1 pressed and released
 *   1.2 s  key a, 1.3 s key Return (pressed and released)
 *   1.5 s  a raw update: a solid rectangle in the middle
 *   1.7 s  with --screeninfo: the helper's screen description (two
 *          monitors, paused), or one that does not decode (bad)
 *   2.0 s  CopyRect: the top-left quarter's corner copied to the right
 *   2.5 s  Bell
 *   3.0 s  END
 * --format: the pixel format the viewer asked for: default (handoff-tech's,
 * 32 bits, red in the low byte), bgr (32 bits, red at bit 16), 565 (16
 * bits), native (no SetPixelFormat: the server's own, which is bgr), or
 * noinput (the operator kept no technician input; handoff-tech's format).
 * --truncate stops inside the 2.0 s update without a final seal chunk, as
 * a relay killed mid-session leaves it; FINAL is then the 1.5 s picture.
 * Pictures are binary PPM, pixel for pixel what handoff-tech's snapshot
 * of that framebuffer writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "recording.h"
#include "screeninfo.h"
#include "seal.h"

struct mkrec_format {
	const char *name;
	bool send;              /* the viewer sends SetPixelFormat */
	uint8_t bpp, depth;
	uint16_t rmax, gmax, bmax;
	uint8_t rshift, gshift, bshift;
};

static const struct mkrec_format mkrec_formats[] = {
	{ "default", true, 32, 24, 255, 255, 255, 0, 8, 16 },
	{ "bgr", true, 32, 24, 255, 255, 255, 16, 8, 0 },
	{ "565", true, 16, 16, 31, 63, 31, 11, 5, 0 },
	{ "native", false, 32, 24, 255, 255, 255, 16, 8, 0 },
	{ "noinput", false, 32, 24, 255, 255, 255, 0, 8, 16 },
};

struct mkrec {
	struct seal_writer *w;
	struct buf rec;            /* one record at a time */
	const struct mkrec_format *f;
	bool no_input;
	int width, height;
	uint8_t *rgb;              /* what the viewer shows: width * height * 3 */
};

static void mkrec_die(const char *what)
{
	fprintf(stderr, "mkrec: %s\n", what);
	exit(1);
}

static void mkrec_record(struct mkrec *m, double t, uint8_t dir, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (dir == RECORDING_FROM_VIEWER && m->no_input)
		return;
	/* The relay records what one channel read gave it: at most a chunk per record. */
	do {
		size_t take = n < RECORDING_CHUNK_MAX ? n : RECORDING_CHUNK_MAX;

		buf_reset(&m->rec);
		if (recording_put_record(&m->rec, (uint64_t)(t * 1e6), dir, b, take) != 0 ||
		    seal_writer_write(m->w, buf_ptr(&m->rec), buf_len(&m->rec)) != 0)
			mkrec_die("cannot write the recording");
		b += take;
		n -= take;
	} while (n > 0);
}

static void mkrec_u16(struct buf *b, unsigned v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_put(b, be, 2);
}

/* A pixel of format f, bytes as the server sends it (little-endian). */
static void mkrec_pixel(const struct mkrec_format *f, uint8_t r, uint8_t g, uint8_t b, uint8_t *out,
			uint8_t shown[3])
{
	uint32_t rv = (uint32_t)r * f->rmax / 255u, gv = (uint32_t)g * f->gmax / 255u, bv = (uint32_t)b * f->bmax / 255u;
	uint32_t px = rv << f->rshift | gv << f->gshift | bv << f->bshift;

	for (unsigned i = 0; i < f->bpp / 8u; i++)
		out[i] = (uint8_t)(px >> (8 * i));
	/* What a viewer converting back to 8 bits per channel shows. */
	shown[0] = (uint8_t)(rv * 255u / f->rmax);
	shown[1] = (uint8_t)(gv * 255u / f->gmax);
	shown[2] = (uint8_t)(bv * 255u / f->bmax);
}

static void mkrec_pixel_format(struct buf *b, const struct mkrec_format *f)
{
	uint8_t pad[3] = { 0 };

	buf_put_u8(b, f->bpp);
	buf_put_u8(b, f->depth);
	buf_put_u8(b, 0);   /* little-endian */
	buf_put_u8(b, 1);   /* true colour */
	mkrec_u16(b, f->rmax);
	mkrec_u16(b, f->gmax);
	mkrec_u16(b, f->bmax);
	buf_put_u8(b, f->rshift);
	buf_put_u8(b, f->gshift);
	buf_put_u8(b, f->bshift);
	buf_put(b, pad, 3);
}

/* A raw rectangle filled by fn; updates m->rgb. */
static void mkrec_raw_rect(struct mkrec *m, struct buf *b, int x, int y, int w, int h,
			   void (*fn)(int x, int y, uint8_t rgb[3]))
{
	mkrec_u16(b, (unsigned)x);
	mkrec_u16(b, (unsigned)y);
	mkrec_u16(b, (unsigned)w);
	mkrec_u16(b, (unsigned)h);
	buf_put_u32(b, 0); /* raw */
	for (int j = y; j < y + h; j++) {
		for (int i = x; i < x + w; i++) {
			uint8_t c[3], px[4], shown[3];

			fn(i, j, c);
			mkrec_pixel(m->f, c[0], c[1], c[2], px, shown);
			if (buf_put(b, px, m->f->bpp / 8u) != 0)
				mkrec_die("the frame does not fit in a buffer (16 MiB)");
			memcpy(m->rgb + ((size_t)j * (size_t)m->width + (size_t)i) * 3, shown, 3);
		}
	}
}

static void mkrec_gradient(int x, int y, uint8_t rgb[3])
{
	rgb[0] = (uint8_t)(x * 7);
	rgb[1] = (uint8_t)(y * 5);
	rgb[2] = (uint8_t)((x ^ y) * 3);
}

static void mkrec_solid(int x, int y, uint8_t rgb[3])
{
	(void)x;
	(void)y;
	rgb[0] = 0xe0;
	rgb[1] = 0x40;
	rgb[2] = 0x90;
}

static void mkrec_ppm(const struct mkrec *m, const char *path)
{
	FILE *f;

	if (path == NULL)
		return;
	f = fopen(path, "wb");
	if (f == NULL || fprintf(f, "P6\n%d %d\n255\n", m->width, m->height) < 0 ||
	    fwrite(m->rgb, 3, (size_t)m->width * (size_t)m->height, f) != (size_t)m->width * (size_t)m->height ||
	    fclose(f) != 0)
		mkrec_die("cannot write a picture");
}

static void mkrec_handshake(struct mkrec *m, struct buf *b)
{
	static const uint8_t sectypes[] = { 1, 1 };
	static const uint8_t none = 1, shared = 1;
	const struct mkrec_format server = mkrec_formats[1];

	mkrec_record(m, 0.000, RECORDING_TO_VIEWER, "RFB 003.008\n", 12);
	mkrec_record(m, 0.010, RECORDING_FROM_VIEWER, "RFB 003.008\n", 12);
	mkrec_record(m, 0.020, RECORDING_TO_VIEWER, sectypes, sizeof(sectypes));
	mkrec_record(m, 0.030, RECORDING_FROM_VIEWER, &none, 1);
	buf_reset(b);
	buf_put_u32(b, 0);
	mkrec_record(m, 0.040, RECORDING_TO_VIEWER, buf_ptr(b), buf_len(b));
	mkrec_record(m, 0.050, RECORDING_FROM_VIEWER, &shared, 1);
	buf_reset(b);
	mkrec_u16(b, (unsigned)m->width);
	mkrec_u16(b, (unsigned)m->height);
	mkrec_pixel_format(b, &server);
	buf_put_string(b, "mkrec", 5);
	mkrec_record(m, 0.060, RECORDING_TO_VIEWER, buf_ptr(b), buf_len(b));
	buf_reset(b);
	if (m->f->send) {
		uint8_t pad[3] = { 0 };

		buf_put_u8(b, 0);
		buf_put(b, pad, 3);
		mkrec_pixel_format(b, m->f);
	}
	buf_put_u8(b, 2);
	buf_put_u8(b, 0);
	mkrec_u16(b, 3);
	buf_put_u32(b, 0);                  /* raw */
	buf_put_u32(b, 1);                  /* copyrect */
	buf_put_u32(b, (uint32_t)-239);     /* rich cursor */
	buf_put_u8(b, 3);
	buf_put_u8(b, 0);
	mkrec_u16(b, 0);
	mkrec_u16(b, 0);
	mkrec_u16(b, (unsigned)m->width);
	mkrec_u16(b, (unsigned)m->height);
	mkrec_record(m, 0.070, RECORDING_FROM_VIEWER, buf_ptr(b), buf_len(b));
}

static void mkrec_input(struct mkrec *m, struct buf *b)
{
	static const uint8_t buttons[] = { 0, 1, 0 };
	static const uint32_t keys[] = { 'a', 0xff0d };

	for (int i = 0; i < 3; i++) {
		buf_reset(b);
		buf_put_u8(b, 5);
		buf_put_u8(b, buttons[i]);
		mkrec_u16(b, 10);
		mkrec_u16(b, 20);
		mkrec_record(m, 1.0 + 0.01 * i, RECORDING_FROM_VIEWER, buf_ptr(b), buf_len(b));
	}
	for (int i = 0; i < 2; i++) {
		for (int down = 1; down >= 0; down--) {
			buf_reset(b);
			buf_put_u8(b, 4);
			buf_put_u8(b, (uint8_t)down);
			mkrec_u16(b, 0);
			buf_put_u32(b, keys[i]);
			mkrec_record(m, 1.2 + 0.1 * i + (down ? 0 : 0.05), RECORDING_FROM_VIEWER, buf_ptr(b),
				     buf_len(b));
		}
	}
}

static void mkrec_copyrect(struct mkrec *m, struct buf *b, int sx, int sy, int w, int h, int dx, int dy)
{
	uint8_t *copy = malloc((size_t)w * (size_t)h * 3);

	if (copy == NULL)
		mkrec_die("out of memory");
	mkrec_u16(b, (unsigned)dx);
	mkrec_u16(b, (unsigned)dy);
	mkrec_u16(b, (unsigned)w);
	mkrec_u16(b, (unsigned)h);
	buf_put_u32(b, 1);
	mkrec_u16(b, (unsigned)sx);
	mkrec_u16(b, (unsigned)sy);
	for (int j = 0; j < h; j++)
		memcpy(copy + (size_t)j * (size_t)w * 3, m->rgb + ((size_t)(sy + j) * (size_t)m->width + (size_t)sx) * 3,
		       (size_t)w * 3);
	for (int j = 0; j < h; j++)
		memcpy(m->rgb + ((size_t)(dy + j) * (size_t)m->width + (size_t)dx) * 3, copy + (size_t)j * (size_t)w * 3,
		       (size_t)w * 3);
	free(copy);
}

int main(int argc, char **argv)
{
	const char *pub_path = NULL, *out = NULL, *expect = NULL, *expect_first = NULL, *format = "default";
	struct recording_header h = { .ticket = 7, .viewer = 1, .technician = "alice", .tier = "L1" };
	struct mkrec m = { .width = 320, .height = 240 };
	uint8_t pub[SEAL_KEY_LEN];
	struct buf b;
	char err[256];
	int split = 1, fd;
	bool truncate = false;
	const char *screeninfo = NULL;

	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--truncate") == 0) {
			truncate = true;
			continue;
		}
		if (next == NULL)
			mkrec_die("usage: mkrec --pub KEY.pub --out FILE [--size WxH] [--format F] [--split N] "
				  "[--truncate] [--expect FINAL.ppm] [--expect-first FIRST.ppm]");
		if (strcmp(argv[i], "--pub") == 0)
			pub_path = next;
		else if (strcmp(argv[i], "--out") == 0)
			out = next;
		else if (strcmp(argv[i], "--expect") == 0)
			expect = next;
		else if (strcmp(argv[i], "--expect-first") == 0)
			expect_first = next;
		else if (strcmp(argv[i], "--format") == 0)
			format = next;
		else if (strcmp(argv[i], "--split") == 0)
			split = atoi(next);
		else if (strcmp(argv[i], "--screeninfo") == 0)
			screeninfo = next;
		else if (strcmp(argv[i], "--size") == 0) {
			if (sscanf(next, "%dx%d", &m.width, &m.height) != 2)
				mkrec_die("--size WxH");
		} else
			mkrec_die("unknown option");
		i++;
	}
	if (pub_path == NULL || out == NULL || split < 1 || split > 50 || m.width < 16 || m.height < 16 ||
	    m.width > 4096 || m.height > 4096)
		mkrec_die("--pub and --out are required; --split 1-50; --size 16x16 to 4096x4096");
	if (screeninfo != NULL && strcmp(screeninfo, "good") != 0 && strcmp(screeninfo, "bad") != 0)
		mkrec_die("--screeninfo good or bad");
	for (size_t i = 0; i < sizeof(mkrec_formats) / sizeof(mkrec_formats[0]); i++)
		if (strcmp(format, mkrec_formats[i].name) == 0)
			m.f = &mkrec_formats[i];
	if (m.f == NULL)
		mkrec_die("--format default, bgr, 565, native or noinput");
	m.no_input = strcmp(format, "noinput") == 0;
	if (seal_key_load(pub_path, pub, false, err, sizeof(err)) != 0)
		mkrec_die(err);
	m.rgb = calloc((size_t)m.width * (size_t)m.height, 3);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (m.rgb == NULL || fd < 0 || seal_writer_open(&m.w, fd, pub) != 0)
		mkrec_die("cannot create the output");
	buf_init(&m.rec, RECORDING_CHUNK_MAX + 64);
	buf_init(&b, BUF_MAX_CAP);
	h.flags = m.no_input ? RECORDING_NO_INPUT : 0;
	recording_put_header(&m.rec, &h);
	if (seal_writer_write(m.w, buf_ptr(&m.rec), buf_len(&m.rec)) != 0)
		mkrec_die("cannot write the recording");

	mkrec_handshake(&m, &b);

	/* 0.5 s: the whole screen, possibly over several records. */
	buf_reset(&b);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	mkrec_u16(&b, 1);
	mkrec_raw_rect(&m, &b, 0, 0, m.width, m.height, mkrec_gradient);
	for (int i = 0; i < split; i++) {
		size_t from = buf_len(&b) * (size_t)i / (size_t)split, to = buf_len(&b) * (size_t)(i + 1) / (size_t)split;

		mkrec_record(&m, 0.5 + 0.1 * i, RECORDING_TO_VIEWER, buf_ptr(&b) + from, to - from);
	}
	mkrec_ppm(&m, expect_first);

	mkrec_input(&m, &b);

	buf_reset(&b);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	mkrec_u16(&b, 1);
	mkrec_raw_rect(&m, &b, m.width / 4, m.height / 4, m.width / 2, m.height / 2, mkrec_solid);
	mkrec_record(&m, 1.5, RECORDING_TO_VIEWER, buf_ptr(&b), buf_len(&b));

	if (screeninfo != NULL) {
		struct screeninfo si = { .flags = SCREENINFO_CONTROL | SCREENINFO_PAUSED, .count = 2 };
		/* Version 1, five monitors announced, none there. */
		static const uint8_t bad[] = { SCREENINFO_MSG_TYPE, 0, 0, 0, 3, 1, 0, 5 };

		si.monitors[0] = (struct screeninfo_monitor){ .width = (uint32_t)m.width / 2, .height = (uint32_t)m.height,
							      .name = "LEFT" };
		si.monitors[1] = (struct screeninfo_monitor){ .x = (uint32_t)m.width / 2, .width = (uint32_t)m.width / 2,
							      .height = (uint32_t)m.height, .name = "RIGHT" };
		buf_reset(&b);
		if (strcmp(screeninfo, "bad") == 0)
			buf_put(&b, bad, sizeof(bad));
		else if (screeninfo_encode(&b, &si) != 0)
			mkrec_die("cannot encode the screen description");
		mkrec_record(&m, 1.7, RECORDING_TO_VIEWER, buf_ptr(&b), buf_len(&b));
	}

	buf_reset(&b);
	buf_put_u8(&b, 0);
	buf_put_u8(&b, 0);
	mkrec_u16(&b, 1);
	if (truncate) {
		/* Half the update in a whole record, then a record the crash cut. */
		mkrec_ppm(&m, expect);
		mkrec_copyrect(&m, &b, 0, 0, m.width / 4, m.height / 4, m.width / 2, 0);
		mkrec_record(&m, 2.0, RECORDING_TO_VIEWER, buf_ptr(&b), 10);
		buf_reset(&m.rec);
		recording_put_record(&m.rec, 2100000, RECORDING_TO_VIEWER, buf_ptr(&b) + 10, buf_len(&b) - 10);
		if (seal_writer_write(m.w, buf_ptr(&m.rec), buf_len(&m.rec) / 2) != 0 || seal_writer_flush(m.w) != 0)
			mkrec_die("cannot write the recording");
		seal_writer_abort(m.w);
		printf("ok %dx%d truncated\n", m.width, m.height);
		goto out;
	}
	mkrec_copyrect(&m, &b, 0, 0, m.width / 4, m.height / 4, m.width / 2, 0);
	mkrec_record(&m, 2.0, RECORDING_TO_VIEWER, buf_ptr(&b), buf_len(&b));
	mkrec_record(&m, 2.5, RECORDING_TO_VIEWER, "\002", 1);
	buf_reset(&m.rec);
	recording_put_end(&m.rec, 3000000);
	if (seal_writer_write(m.w, buf_ptr(&m.rec), buf_len(&m.rec)) != 0 || seal_writer_close(m.w) != 0)
		mkrec_die("cannot finish the recording");
	mkrec_ppm(&m, expect);
	printf("ok %dx%d duration=3.000\n", m.width, m.height);
out:
	close(fd);
	buf_free(&b);
	buf_free(&m.rec);
	free(m.rgb);
	return 0;
}
