/*
 * render: `handoff-tech render FILE --key PRIV --out VIDEO [--fps N]
 * [--codec NAME]`, a sealed recording turned into a video file for people
 * and tools that have no Handoff: replayed as fast as possible, one frame
 * per 1/fps of recorded time, piped as raw RGB into ffmpeg.
 *
 * The video lasts as long as the recording (rounded up to a whole frame),
 * and its last frame is the final picture. Technician input is not drawn
 * into the video: the video shows the screen only, as the technician saw
 * it; `replay` shows the input.
 */
#ifndef HANDOFF_TECH_RENDER_H
#define HANDOFF_TECH_RENDER_H

/* argv[0] is "render". Returns the exit status. */
int tech_render_main(int argc, char **argv);

#endif
