/*
 * snapshot: the framebuffer to a file, for the headless `snapshot` command
 * (tests compare these pixel for pixel with the customer's screen).
 */
#ifndef HANDOFF_TECH_SNAPSHOT_H
#define HANDOFF_TECH_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes the w x h framebuffer fb (32-bit host-order pixels, red in the low
 * byte, stride w * 4) to path: PNG when the name ends in ".png" (SDL2_image,
 * no video needed), binary PPM (P6) otherwise. Returns 0, or -1 with err.
 */
int tech_snapshot_write(const char *path, const uint8_t *fb, int w, int h,
			char *err, size_t errlen);

#endif
