/*
 * test_tech_monitor.c: unit tests for technician/monitor.c, which decides
 * what part of the customer's screen the viewer shows and where a click
 * in the window lands on it. A wrong mapping clicks the wrong thing on
 * someone else's computer, so every mode is checked both ways: the pixel a
 * window position shows is the pixel a click there reaches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "monitor.h"

static struct screeninfo two_monitors(uint8_t flags)
{
	struct screeninfo si = { .flags = flags, .count = 2 };

	si.monitors[0] = (struct screeninfo_monitor){ .x = 0, .y = 0, .width = 800, .height = 600, .name = "LEFT" };
	si.monitors[1] = (struct screeninfo_monitor){ .x = 800, .y = 0, .width = 800, .height = 600, .name = "RIGHT" };
	return si;
}

static void control_follows_the_customer(void **state)
{
	struct screeninfo si = two_monitors(SCREENINFO_CONTROL);

	(void)state;
	/* No description (an older helper): the consent given is all we know. */
	assert_true(tech_monitor_control(false, NULL));
	assert_true(tech_monitor_control(false, &si));
	assert_false(tech_monitor_control(true, &si));
	assert_false(tech_monitor_control(true, NULL));
	si.flags = SCREENINFO_PAUSED;
	assert_false(tech_monitor_control(false, &si));
}

static void box_of_a_monitor(void **state)
{
	struct screeninfo si = two_monitors(0);
	struct tech_rect box;

	(void)state;
	assert_int_equal(tech_monitor_box(&si, 2, 1600, 600, &box), 2);
	assert_int_equal(box.x, 800);
	assert_int_equal(box.y, 0);
	assert_int_equal(box.w, 800);
	assert_int_equal(box.h, 600);
	assert_int_equal(tech_monitor_box(&si, 0, 1600, 600, &box), 0);
	assert_int_equal(box.w, 1600);
	/* Not there: no such monitor, no description, or the screen shrank under it. */
	assert_int_equal(tech_monitor_box(&si, 3, 1600, 600, &box), 0);
	assert_int_equal(box.w, 1600);
	assert_int_equal(tech_monitor_box(NULL, 2, 1600, 600, &box), 0);
	assert_int_equal(tech_monitor_box(&si, 2, 800, 600, &box), 0);
	assert_int_equal(box.x, 0);
	assert_int_equal(box.w, 800);
	/* Half of it left: clipped. */
	assert_int_equal(tech_monitor_box(&si, 2, 1200, 600, &box), 2);
	assert_int_equal(box.x, 800);
	assert_int_equal(box.w, 400);
}

static void next_cycles_through_all(void **state)
{
	(void)state;
	assert_int_equal(tech_monitor_next(0, 2), 1);
	assert_int_equal(tech_monitor_next(1, 2), 2);
	assert_int_equal(tech_monitor_next(2, 2), 0);
	assert_int_equal(tech_monitor_next(0, 1), 0);
	assert_int_equal(tech_monitor_next(0, 0), 0);
	/* Monitors went away while one beyond them was shown. */
	assert_int_equal(tech_monitor_next(5, 2), 0);
}

/* The note about a missing monitor comes once per loss, not at every update. */
static void pick_says_a_loss_once(void **state)
{
	struct screeninfo si = two_monitors(0);
	struct tech_monitor_pick pick = { .wanted = 2 };
	struct tech_rect box;

	(void)state;
	assert_false(tech_monitor_pick_update(&pick, &si, 1600, 600, &box));
	assert_int_equal(pick.shown, 2);
	/* xrandr -s 800x600: the right monitor is gone. */
	si.count = 1;
	assert_true(tech_monitor_pick_update(&pick, &si, 800, 600, &box));
	assert_int_equal(pick.shown, 0);
	assert_int_equal(box.w, 800);
	assert_false(tech_monitor_pick_update(&pick, &si, 800, 600, &box));
	/* Back: shown again, silently. */
	si.count = 2;
	assert_false(tech_monitor_pick_update(&pick, &si, 1600, 600, &box));
	assert_int_equal(pick.shown, 2);
	assert_int_equal(box.x, 800);

	/* Never there: said at the first decision. */
	pick = (struct tech_monitor_pick){ .wanted = 3 };
	assert_true(tech_monitor_pick_update(&pick, &si, 1600, 600, &box));
	assert_false(tech_monitor_pick_update(&pick, &si, 1600, 600, &box));
	/* All is always there. */
	pick = (struct tech_monitor_pick){ .wanted = 0 };
	assert_false(tech_monitor_pick_update(&pick, NULL, 1600, 600, &box));
}

/* The window pixel at the centre of remote pixel rx,ry (scaled layout). */
static void window_of(const struct tech_rect *src, const struct tech_rect *dst, int rx, int ry, int *wx, int *wy)
{
	*wx = dst->x + (int)(((rx - src->x) + 0.5) * dst->w / src->w);
	*wy = dst->y + (int)(((ry - src->y) + 0.5) * dst->h / src->h);
}

/* Scaled: the right monitor fills a window smaller than it; clicks land on it, not on the left one. */
static void scaled_monitor_maps_both_ways(void **state)
{
	struct screeninfo si = two_monitors(0);
	struct tech_rect box, src, dst;
	int pan_x = 0, pan_y = 0, rx, ry;
	static const int probes[][2] = { { 800, 0 }, { 1000, 300 }, { 1599, 599 }, { 1200, 450 }, { 801, 1 } };

	(void)state;
	tech_monitor_box(&si, 2, 1600, 600, &box);
	/* A 552x416 window with a 4-pixel frame: 544x408 inside, 4:3 like the monitor. */
	tech_monitor_layout(&box, 552, 416, 4, false, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(src.x, 800);
	assert_int_equal(src.w, 800);
	assert_int_equal(dst.w, 544);
	assert_int_equal(dst.h, 408);
	assert_int_equal(dst.x, 4);
	assert_int_equal(dst.y, 4);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int wx, wy;

		window_of(&src, &dst, probes[i][0], probes[i][1], &wx, &wy);
		tech_monitor_to_remote(&box, &src, &dst, wx, wy, &rx, &ry);
		/* One window pixel covers 800/544 remote pixels: within 1 of the target. */
		assert_true(rx >= probes[i][0] - 1 && rx <= probes[i][0] + 1);
		assert_true(ry >= probes[i][1] - 1 && ry <= probes[i][1] + 1);
		assert_true(rx >= 800);
	}
	/* The frame and beyond clamp into the monitor, never onto the left one. */
	tech_monitor_to_remote(&box, &src, &dst, 0, 0, &rx, &ry);
	assert_int_equal(rx, 800);
	assert_int_equal(ry, 0);
	tech_monitor_to_remote(&box, &src, &dst, 551, 415, &rx, &ry);
	assert_int_equal(rx, 1599);
	assert_int_equal(ry, 599);
	tech_monitor_to_remote(&box, &src, &dst, -100, 5000, &rx, &ry);
	assert_int_equal(rx, 800);
	assert_int_equal(ry, 599);
}

/* A wide box in a squarer window: letterboxed, centred, aspect kept. */
static void scaled_all_is_letterboxed(void **state)
{
	struct tech_rect box = { 0, 0, 1600, 600 }, src, dst;
	int pan_x = 0, pan_y = 0, rx, ry;

	(void)state;
	tech_monitor_layout(&box, 808, 608, 4, false, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(dst.w, 800);
	assert_int_equal(dst.h, 300);
	assert_int_equal(dst.x, 4);
	assert_int_equal(dst.y, 154);
	tech_monitor_to_remote(&box, &src, &dst, 4 + 600, 154 + 150, &rx, &ry);
	assert_int_equal(rx, 1200);
	assert_int_equal(ry, 300);
}

/* 1:1 on a monitor: panning stays inside it, and a click is exact. */
static void one_to_one_pans_inside_the_monitor(void **state)
{
	struct screeninfo si = two_monitors(0);
	struct tech_rect box, src, dst;
	int pan_x = 0, pan_y = 0, rx, ry;

	(void)state;
	tech_monitor_box(&si, 2, 1600, 600, &box);
	/* A 408x308 window: 400x300 of the monitor at a time. */
	tech_monitor_layout(&box, 408, 308, 4, true, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(pan_x, 800);
	assert_int_equal(src.x, 800);
	assert_int_equal(src.w, 400);
	assert_int_equal(src.h, 300);
	assert_int_equal(dst.w, 400);
	tech_monitor_to_remote(&box, &src, &dst, 4 + 10, 4 + 20, &rx, &ry);
	assert_int_equal(rx, 810);
	assert_int_equal(ry, 20);
	/* Panned far right and down: clamped to the monitor's last 400x300. */
	pan_x = 5000;
	pan_y = 5000;
	tech_monitor_layout(&box, 408, 308, 4, true, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(pan_x, 1200);
	assert_int_equal(pan_y, 300);
	tech_monitor_to_remote(&box, &src, &dst, 4 + 399, 4 + 299, &rx, &ry);
	assert_int_equal(rx, 1599);
	assert_int_equal(ry, 599);
	/* Switching to the left monitor: the pan comes back inside it. */
	tech_monitor_box(&si, 1, 1600, 600, &box);
	tech_monitor_layout(&box, 408, 308, 4, true, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(pan_x, 400);
	assert_int_equal(src.x + src.w, 800);
	/* A window larger than the monitor: all of it, centred. */
	tech_monitor_layout(&box, 1000, 700, 4, true, &pan_x, &pan_y, &src, &dst);
	assert_int_equal(src.x, 0);
	assert_int_equal(src.w, 800);
	assert_int_equal(dst.x, 100);
	assert_int_equal(dst.y, 50);
}

static void labels(void **state)
{
	struct screeninfo si = two_monitors(0);
	struct tech_rect box;
	char out[TECH_MONITOR_LABEL_MAX];

	(void)state;
	tech_monitor_box(&si, 2, 1600, 600, &box);
	tech_monitor_label(&si, 2, &box, out, sizeof(out));
	assert_string_equal(out, "monitor 2/2 RIGHT 800x600");
	tech_monitor_box(&si, 0, 1600, 600, &box);
	tech_monitor_label(&si, 0, &box, out, sizeof(out));
	assert_string_equal(out, "all monitors (2)");
	tech_monitor_label(NULL, 0, &box, out, sizeof(out));
	assert_string_equal(out, "whole screen");
}

static void describe_line(void **state)
{
	struct screeninfo si = two_monitors(SCREENINFO_CONTROL);
	char out[TECH_MONITOR_DESCRIBE_MAX];

	(void)state;
	tech_monitor_describe(&si, out, sizeof(out));
	assert_string_equal(out, "control=yes paused=no monitors=2 1:LEFT:800x600+0+0 2:RIGHT:800x600+800+0");
	si.flags = SCREENINFO_PAUSED;
	si.count = 0;
	tech_monitor_describe(&si, out, sizeof(out));
	assert_string_equal(out, "control=no paused=yes monitors=0");
	/* What Windows forbids shows only when it does: every other line stays as it was. */
	si.flags = SCREENINFO_CONTROL | SCREENINFO_HELD | SCREENINFO_INPUT_REFUSED;
	tech_monitor_describe(&si, out, sizeof(out));
	assert_string_equal(out, "control=yes paused=no held=yes input=refused monitors=0");
}

/* Names come from the customer's machine: they must not split the line or fake a field. */
static void describe_names_stay_one_field(void **state)
{
	struct screeninfo si = two_monitors(0);
	char out[TECH_MONITOR_DESCRIBE_MAX], small[40];

	(void)state;
	snprintf(si.monitors[0].name, sizeof(si.monitors[0].name), "%s", "HDMI 1:x\tok\n");
	snprintf(si.monitors[1].name, sizeof(si.monitors[1].name), "%s", "右");
	tech_monitor_describe(&si, out, sizeof(out));
	assert_string_equal(out, "control=no paused=no monitors=2 1:HDMI_1_x_ok_:800x600+0+0 2:右:800x600+800+0");
	/* Cut, never overrun. */
	tech_monitor_describe(&si, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, out, sizeof(small) - 1);
}

/* The largest description there is fits the buffer size the header promises. */
static void describe_fits_the_largest(void **state)
{
	struct screeninfo si = { .flags = SCREENINFO_CONTROL | SCREENINFO_PAUSED, .count = SCREENINFO_MONITORS_MAX };
	char out[TECH_MONITOR_DESCRIBE_MAX];

	(void)state;
	for (int i = 0; i < SCREENINFO_MONITORS_MAX; i++) {
		si.monitors[i] = (struct screeninfo_monitor){ .x = 16383, .y = 16383, .width = 1, .height = 1 };
		memset(si.monitors[i].name, 'n', SCREENINFO_NAME_MAX);
	}
	tech_monitor_describe(&si, out, sizeof(out));
	assert_true(strlen(out) < sizeof(out) - 1);
	assert_non_null(strstr(out, " 16:nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn:1x1+16383+16383"));
	assert_int_equal(out[strlen(out) - 1], '3');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(control_follows_the_customer),
		cmocka_unit_test(box_of_a_monitor),
		cmocka_unit_test(next_cycles_through_all),
		cmocka_unit_test(pick_says_a_loss_once),
		cmocka_unit_test(scaled_monitor_maps_both_ways),
		cmocka_unit_test(scaled_all_is_letterboxed),
		cmocka_unit_test(one_to_one_pans_inside_the_monitor),
		cmocka_unit_test(labels),
		cmocka_unit_test(describe_line),
		cmocka_unit_test(describe_names_stay_one_field),
		cmocka_unit_test(describe_fits_the_largest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
