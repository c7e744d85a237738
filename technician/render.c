/*
 * render.c: see render.h.
 *
 * Frame k covers recorded time [k/fps, (k+1)/fps) and shows the screen
 * once every message that began arriving before the end of its interval
 * is decoded (playback.h's rule, so a render and a replay agree); the
 * last frame also takes whatever the recording ends with. Frames are the
 * framebuffer's size when the picture first appeared: a later size change
 * is cropped or padded with black, since a raw video stream cannot change
 * size.
 *
 * ffmpeg runs with posix_spawnp and an argv array, never a shell; the
 * output name is passed as "file:NAME" so that no name can be taken for
 * an option or a protocol. SIGPIPE is ignored here (a dead ffmpeg is an
 * EPIPE we report) but restored to default for ffmpeg itself.
 */
#include "render.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "playback.h"
#include "replay.h"

#define TECH_RENDER_EXIT_USAGE 2
#define TECH_RENDER_FPS_MAX 120
#define TECH_RENDER_ARGV_MAX 40

extern char **environ;

static const char tech_render_usage[] =
	"usage: handoff-tech render FILE --key PRIV --out VIDEO [--fps N] [--codec NAME]\n"
	"  renders a sealed recording to a video file with ffmpeg: one frame per 1/N s\n"
	"  of recorded time (default 10), as long as the recording, ending on its last\n"
	"  picture. --codec is an ffmpeg video encoder (default libx264; ffv1 in .mkv is\n"
	"  lossless, mpeg4 is everywhere)\n";

struct tech_render {
	const char *file, *key, *out, *codec;
	long fps;
	struct tech_recfile rf;
	struct tech_playback pb;
	bool pb_open;
	int width, height;      /* of every frame */
	uint8_t *frame;         /* width * height * 3, RGB */
	int pipe_fd;            /* ffmpeg's stdin */
	pid_t pid;
	unsigned long frames;
};

static int tech_render_args(struct tech_render *r, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(tech_render_usage, stdout);
			return 1;
		}
		if (a[0] != '-' && r->file == NULL) {
			r->file = a;
			continue;
		}
		if (v == NULL)
			goto usage;
		if (strcmp(a, "--key") == 0) {
			r->key = v;
		} else if (strcmp(a, "--out") == 0) {
			r->out = v;
		} else if (strcmp(a, "--codec") == 0) {
			r->codec = v;
		} else if (strcmp(a, "--fps") == 0) {
			char *end;

			errno = 0;
			r->fps = strtol(v, &end, 10);
			if (end == v || *end != '\0' || errno != 0 || r->fps < 1 || r->fps > TECH_RENDER_FPS_MAX)
				goto usage;
		} else {
			goto usage;
		}
		i++;
	}
	if (r->file == NULL || r->key == NULL || r->out == NULL || r->out[0] == '\0' || r->codec[0] == '\0' ||
	    r->codec[0] == '-')
		goto usage;
	return 0;
usage:
	fputs(tech_render_usage, stderr);
	return TECH_RENDER_EXIT_USAGE;
}

/* Encoders that want 4:2:0 YUV for players to show them, and even sizes for that. */
static bool tech_render_wants_yuv420(const char *codec)
{
	return strcmp(codec, "libx264") == 0 || strcmp(codec, "mpeg4") == 0 || strcmp(codec, "libxvid") == 0;
}

static int tech_render_spawn(struct tech_render *r)
{
	char size[32], fps[16], *out = NULL;
	const char *argv[TECH_RENDER_ARGV_MAX];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	int p[2], n = 0, e;
	size_t len = strlen(r->out) + sizeof("file:");

	if (pipe2(p, O_CLOEXEC) != 0) {
		fprintf(stderr, "handoff-tech: pipe: %s\n", strerror(errno));
		return -1;
	}
	out = malloc(len);
	if (out == NULL) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	snprintf(out, len, "file:%s", r->out);
	snprintf(size, sizeof(size), "%dx%d", r->width, r->height);
	snprintf(fps, sizeof(fps), "%ld", r->fps);
	argv[n++] = "ffmpeg";
	argv[n++] = "-hide_banner";
	argv[n++] = "-loglevel";
	argv[n++] = "error";
	argv[n++] = "-y";
	argv[n++] = "-f";
	argv[n++] = "rawvideo";
	argv[n++] = "-pix_fmt";
	argv[n++] = "rgb24";
	argv[n++] = "-s";
	argv[n++] = size;
	argv[n++] = "-r";
	argv[n++] = fps;
	argv[n++] = "-i";
	argv[n++] = "pipe:0";
	if (tech_render_wants_yuv420(r->codec)) {
		argv[n++] = "-vf";
		argv[n++] = "pad=ceil(iw/2)*2:ceil(ih/2)*2";
	}
	argv[n++] = "-c:v";
	argv[n++] = r->codec;
	if (tech_render_wants_yuv420(r->codec)) {
		argv[n++] = "-pix_fmt";
		argv[n++] = "yuv420p";
	}
	if (strcmp(r->codec, "libx264") == 0) {
		argv[n++] = "-preset";
		argv[n++] = "veryfast";
	}
	argv[n++] = out;
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	/* posix_spawn's argv is char *const[] for historical reasons; nothing writes to it. */
	e = posix_spawnp(&r->pid, "ffmpeg", &fa, &attr, (char *const *)(uintptr_t)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(out);
	close(p[0]);
	if (e != 0) {
		fprintf(stderr, "handoff-tech: cannot run ffmpeg: %s%s\n", strerror(e),
			e == ENOENT ? " (install ffmpeg)" : "");
		close(p[1]);
		r->pid = -1;
		return -1;
	}
	r->pipe_fd = p[1];
	return 0;
}

/* Waits for ffmpeg. 0 when it succeeded. */
static int tech_render_reap(struct tech_render *r)
{
	int status;

	if (r->pipe_fd >= 0) {
		close(r->pipe_fd);
		r->pipe_fd = -1;
	}
	if (r->pid <= 0)
		return -1;
	while (waitpid(r->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r->pid = -1;
			return -1;
		}
	}
	r->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "handoff-tech: ffmpeg failed (exit %d)\n", WEXITSTATUS(status));
	else
		fprintf(stderr, "handoff-tech: ffmpeg died (signal %d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* The framebuffer into the fixed-size RGB frame (cropped or padded). */
static void tech_render_convert(struct tech_render *r)
{
	struct tech_vnc *v = &r->pb.vnc;
	int w = v->width < r->width ? v->width : r->width;
	int h = v->height < r->height ? v->height : r->height;

	if (v->resized)
		memset(r->frame, 0, (size_t)r->width * (size_t)r->height * 3);
	for (int y = 0; y < h; y++) {
		const uint8_t *src = v->fb + (size_t)y * (size_t)v->width * 4;
		uint8_t *dst = r->frame + (size_t)y * (size_t)r->width * 3;

		for (int x = 0; x < w; x++) {
			uint32_t px;

			memcpy(&px, src + (size_t)x * 4, 4);
			dst[x * 3 + 0] = (uint8_t)px;
			dst[x * 3 + 1] = (uint8_t)(px >> 8);
			dst[x * 3 + 2] = (uint8_t)(px >> 16);
		}
	}
	v->dirty = false;
	v->resized = false;
}

static int tech_render_write_frame(struct tech_render *r)
{
	const uint8_t *p = r->frame;
	size_t n = (size_t)r->width * (size_t)r->height * 3;

	if (r->pb.vnc.dirty || r->pb.vnc.resized)
		tech_render_convert(r);
	while (n > 0) {
		ssize_t w = write(r->pipe_fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "handoff-tech: writing to ffmpeg: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	r->frames++;
	return 0;
}

static int tech_render_run(struct tech_render *r)
{
	uint64_t d = r->rf.duration_us;
	/* Enough whole frames to cover the recording, and at least one. */
	uint64_t n = (d * (uint64_t)r->fps + 999999u) / 1000000u;
	char err[512];

	if (n == 0)
		n = 1;
	/* Closed by the caller whether or not it opens: a failed open has a feeder to stop. */
	r->pb_open = true;
	if (tech_playback_open(&r->pb, &r->rf, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		return -1;
	}
	r->width = r->pb.vnc.width;
	r->height = r->pb.vnc.height;
	r->frame = calloc((size_t)r->width * (size_t)r->height, 3);
	if (r->frame == NULL) {
		fprintf(stderr, "handoff-tech: out of memory\n");
		return -1;
	}
	r->pb.vnc.resized = true;
	if (tech_render_spawn(r) != 0)
		return -1;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t end = (k + 1) * 1000000u / (uint64_t)r->fps;
		uint64_t upto = k + 1 == n ? UINT64_MAX : end - 1;

		if (tech_playback_until(&r->pb, upto, err, sizeof(err)) < 0) {
			fprintf(stderr, "handoff-tech: %s\n", err);
			return -1;
		}
		if (tech_render_write_frame(r) != 0)
			return -1;
	}
	return 0;
}

int tech_render_main(int argc, char **argv)
{
	struct tech_render r = { .fps = 10, .codec = "libx264", .pipe_fd = -1, .pid = -1 };
	int rc = tech_render_args(&r, argc, argv);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (tech_replay_open(&r.rf, r.file, r.key) != 0) {
		tech_recfile_close(&r.rf);
		return 1;
	}
	rc = tech_render_run(&r);
	/* ffmpeg finishes the file when its input ends; its status says whether it could. */
	if (r.pid > 0 && tech_render_reap(&r) != 0)
		rc = -1;
	/* Half a video would pass for the whole recording: none at all is better. */
	if (rc != 0 && r.frames > 0)
		unlink(r.out);
	if (rc == 0)
		printf("ok %dx%d frames=%lu fps=%ld duration=%.3f out=%s\n", r.width, r.height, r.frames, r.fps,
		       (double)r.frames / (double)r.fps, r.out);
	if (r.pb_open)
		tech_playback_close(&r.pb);
	free(r.frame);
	tech_recfile_close(&r.rf);
	return rc == 0 ? 0 : 1;
}
