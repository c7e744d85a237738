/* workload_core.c: see workload_core.h. */
#include "workload_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t wk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

unsigned wk_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

bool wk_full(const char *mode)
{
	return strcmp(mode, "full") == 0 || strcmp(mode, "full60") == 0;
}

int wk_rate(const char *mode)
{
	if (strcmp(mode, "full60") == 0)
		return 60;
	if (strcmp(mode, "typing") == 0)
		return 20;
	if (strcmp(mode, "scroll") == 0 || wk_full(mode))
		return 30;
	if (strcmp(mode, "idle") == 0)
		return 1;
	return 0;
}

int wk_marker_bit(unsigned n, int i)
{
	return (int)((n >> (WK_MARKER_BITS - 1 - i)) & 1);
}

/*
 * Video-like frames: smooth colour fields that move from frame to frame,
 * with some grain, so that every pixel changes and no encoder gets them
 * for free, while a lossy encoder still has something it can compress.
 */
uint32_t wk_video_rgb(int x, int y, int k, unsigned *seed)
{
	unsigned grain = wk_rand(seed) & 31;
	unsigned r = ((unsigned)(x / 5 + k * 9) + grain) & 255;
	unsigned g = ((unsigned)(y / 3 + k * 5) + grain) & 255;
	unsigned b = ((unsigned)((x + y) / 7 + k * 13) + grain) & 255;

	return (r << 16) | (g << 8) | b;
}

char wk_text_char(unsigned *seed)
{
	return (wk_rand(seed) % 7 == 0) ? ' ' : (char)('!' + wk_rand(seed) % 90);
}

int wk_args(int argc, char **argv, const char *usage, int *seconds, bool *hold)
{
	*hold = argc == 5 && strcmp(argv[4], "hold") == 0;
	if ((argc != 4 && !*hold) || wk_rate(argv[1]) == 0 || (*seconds = atoi(argv[2])) <= 0 || *seconds > 600) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

/*
 * Sleeps until NEXT on CLOCK_MONOTONIC. winpthreads' clock_nanosleep (the
 * Windows workload) knows only CLOCK_REALTIME and says EINVAL: then the
 * time left is slept with nanosleep (Sleep, to the millisecond).
 */
static void wk_sleep_until(const struct timespec *next)
{
	int r;

	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL)) == EINTR)
		;
	if (r != 0) {
		int64_t left = ((int64_t)next->tv_sec * 1000000000 + next->tv_nsec) - wk_now_ns();
		struct timespec d = { (time_t)(left / 1000000000), (long)(left % 1000000000) };

		if (left > 0)
			while (nanosleep(&d, &d) != 0 && errno == EINTR)
				;
	}
}

int wk_run(const char *mode, int seconds, const char *out, wk_frame_fn frame, wk_wait_fn wait, void *ctx)
{
	int rate = wk_rate(mode), r = -1;
	int64_t *times = calloc(WK_MAX_FRAMES, sizeof(*times));
	unsigned frames = 0;
	struct timespec next;
	FILE *f;

	if (times == NULL) {
		fprintf(stderr, "workload: out of memory\n");
		return -1;
	}
	if (wait(ctx) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned n = 1; n <= (unsigned)(rate * seconds) && n < WK_MAX_FRAMES && n < (1u << WK_MARKER_BITS); n++) {
		if (frame(ctx, n) != 0)
			goto out;
		times[n] = wk_now_ns();
		frames = n;
		next.tv_nsec += 1000000000L / rate;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		wk_sleep_until(&next);
	}
	f = fopen(out, "w");
	if (f == NULL) {
		perror("workload: OUT");
		goto out;
	}
	for (unsigned n = 1; n <= frames; n++)
		fprintf(f, "%u %lld\n", n, (long long)times[n]);
	if (fclose(f) != 0) {
		perror("workload: OUT");
		goto out;
	}
	r = 0;
out:
	free(times);
	return r;
}
