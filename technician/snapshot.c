/*
 * snapshot.c: see snapshot.h. Both formats are written from one packed
 * RGB24 copy, so a PNG and a PPM of the same frame hold the same pixels;
 * the file is written under a temporary name and renamed, so a reader never
 * sees half a picture. The temporary name is made by mkstemps in the
 * target's directory: created 0600 with O_EXCL, so a link planted at a
 * name we would use is never followed (a fixed "PATH.tmp" was, by fopen),
 * and the picture of a customer's screen is the technician's alone.
 */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>

static uint8_t *tech_snapshot_rgb(const uint8_t *fb, int w, int h)
{
	size_t n = (size_t)w * (size_t)h;
	uint8_t *rgb = malloc(n * 3);

	if (rgb == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t px;

		memcpy(&px, fb + i * 4, 4);
		rgb[i * 3 + 0] = (uint8_t)px;
		rgb[i * 3 + 1] = (uint8_t)(px >> 8);
		rgb[i * 3 + 2] = (uint8_t)(px >> 16);
	}
	return rgb;
}

/* Takes fd (open for writing at path, which names it in messages) and closes it. */
static int tech_snapshot_ppm(int fd, const char *path, const uint8_t *rgb, int w, int h,
			     char *err, size_t errlen)
{
	size_t n = (size_t)w * (size_t)h * 3;
	FILE *f = fdopen(fd, "wb");
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fprintf(f, "P6\n%d %d\n255\n", w, h) < 0 || fwrite(rgb, 1, n, f) != n) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Takes fd as tech_snapshot_ppm does. */
static int tech_snapshot_png(int fd, const char *path, uint8_t *rgb, int w, int h,
			     char *err, size_t errlen)
{
	SDL_Surface *s;
	SDL_RWops *rw;
	FILE *f = fdopen(fd, "wb");
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* SDL_TRUE: the stream closes f, whatever IMG_SavePNG_RW did with it. */
	rw = SDL_RWFromFP(f, SDL_TRUE);
	if (rw == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, SDL_GetError());
		fclose(f);
		return -1;
	}
	s = SDL_CreateRGBSurfaceWithFormatFrom(rgb, w, h, 24, w * 3, SDL_PIXELFORMAT_RGB24);
	if (s == NULL) {
		snprintf(err, errlen, "cannot make an image: %s", SDL_GetError());
		SDL_RWclose(rw);
		return -1;
	}
	if (IMG_SavePNG_RW(s, rw, 0) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, IMG_GetError());
		rc = -1;
	}
	if (SDL_RWclose(rw) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, SDL_GetError());
		rc = -1;
	}
	SDL_FreeSurface(s);
	return rc;
}

int tech_snapshot_write(const char *path, const uint8_t *fb, int w, int h,
			char *err, size_t errlen)
{
	size_t len = strlen(path);
	bool png = len >= 4 && strcasecmp(path + len - 4, ".png") == 0;
	char *tmp = NULL;
	uint8_t *rgb = NULL;
	int rc = -1, fd;

	if (fb == NULL || w <= 0 || h <= 0) {
		snprintf(err, errlen, "no picture yet");
		return -1;
	}
	rgb = tech_snapshot_rgb(fb, w, h);
	tmp = malloc(len + sizeof(".tmp-XXXXXX.png"));
	if (rgb == NULL || tmp == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Keep the extension last: IMG_SavePNG does not care, people listing the directory do. */
	snprintf(tmp, len + sizeof(".tmp-XXXXXX.png"), "%s.tmp-XXXXXX%s", path, png ? ".png" : "");
	fd = mkostemps(tmp, png ? 4 : 0, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (png)
		rc = tech_snapshot_png(fd, tmp, rgb, w, h, err, errlen);
	else
		rc = tech_snapshot_ppm(fd, tmp, rgb, w, h, err, errlen);
	if (rc != 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		rc = -1;
	}
out:
	free(tmp);
	free(rgb);
	return rc;
}
