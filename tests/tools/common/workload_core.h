/*
 * workload_core: what the bench's two workload clients share, the X11 one
 * (tests/tools/workload.c) and the Wayland one (tests/tools/wlworkload.c):
 * the modes and their rates, the frame-number marker, the video-like
 * frames, the text's characters, the paced loop and the OUT file the meter's
 * timestamps are matched with. Only the drawing differs between them. The
 * Windows workload (tests/tools/win/winworkload.c) shares it too, built with
 * mingw; on Wine its CLOCK_MONOTONIC is Linux's CLOCK_MONOTONIC_RAW (see
 * bench/windows.sh).
 */
#ifndef WORKLOAD_CORE_H
#define WORKLOAD_CORE_H

#include <stdbool.h>
#include <stdint.h>

#define WK_CELL 16
#define WK_MARKER_BITS 16
#define WK_VIDEO_FRAMES 16
#define WK_TEXT_TOP (2 * WK_CELL + 4)
#define WK_MAX_FRAMES 100000

/* Frames per second of MODE (typing|scroll|full|full60|idle), 0 for no such mode. */
int wk_rate(const char *mode);
/* MODE changes every pixel (full, full60). */
bool wk_full(const char *mode);
/* A small LCG: the same sequence on both backends, so both draw the same text and grain. */
unsigned wk_rand(unsigned *seed);
/* Bit I (0 the leftmost cell) of frame number N in the marker. */
int wk_marker_bit(unsigned n, int i);
/* One pixel (0xRRGGBB) of video frame K at X,Y; draws grain from SEED. */
uint32_t wk_video_rgb(int x, int y, int k, unsigned *seed);
/* The next character of a line of text: printable ASCII, or a space one time in seven. */
char wk_text_char(unsigned *seed);
int64_t wk_now_ns(void);

/*
 * wk_run: SIGUSR1 is awaited (wk_start has blocked it), then FRAME(CTX, N)
 * draws frame N and returns once the display server has it, RATE times a
 * second for SECONDS; each frame's CLOCK_MONOTONIC time after FRAME
 * returned goes to OUT ("N NS" lines). FRAME may return nonzero to stop.
 * WAIT(CTX) waits for the go (SIGUSR1, or a line on the Windows workload's
 * stdin) while keeping the connection served. Returns 0, or -1 with the
 * reason on stderr.
 */
typedef int (*wk_frame_fn)(void *ctx, unsigned n);
typedef int (*wk_wait_fn)(void *ctx);
int wk_run(const char *mode, int seconds, const char *out, wk_frame_fn frame, wk_wait_fn wait, void *ctx);
/* POSIX only (workload_usr1.c). Blocks SIGUSR1 before anything else, so an early one waits for wk_wait_usr1. */
void wk_start(void);
/* Waits for SIGUSR1 (blocked); 0, or -1. */
int wk_wait_usr1(void);
/* Parses "MODE SECONDS OUT [hold]" (argv[1..]); 0, or -1 after printing USAGE. */
int wk_args(int argc, char **argv, const char *usage, int *seconds, bool *hold);

#endif
