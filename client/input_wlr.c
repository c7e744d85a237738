/*
 * input_wlr.c: a viewer's input on a wlroots compositor (see input_wlr.h).
 *
 * A Wayland client cannot send input to others; wlroots compositors let a
 * client make virtual devices on a seat instead, and their events reach
 * the focused surface as any keyboard's or mouse's would. The pointer is
 * absolute (motion_absolute in the box around every output: the layout's,
 * whatever part of it is shared; set again when the layout changes), buttons are
 * evdev codes, the wheel is axis with axis_discrete, each event closed by
 * frame. The keyboard needs a keymap of ours: xkbcommon compiles the
 * default one (RMLVO from the environment, else evdev/pc105/us), which we
 * upload, and an X keysym from RFB becomes the first keycode and level that
 * produce it; a keysym on the shift level gets a Shift press around it
 * unless the viewer already holds Shift. wlroots updates the modifiers from
 * the keys themselves. A keysym the keymap lacks (kana, a Euro sign on a
 * US map) is lent a keycode that maps nothing, as input.c does on X11: the
 * keymap is compiled again from its text with that key added to
 * xkb_symbols and uploaded before the press. The keymap belongs to our
 * virtual keyboard alone (wlroots keeps one per device and tells clients
 * when the seat's changes), so the customer's own keyboard keeps its
 * layout. Eight keycodes are lent round robin, each keeping its keysym
 * until reused, since clients look keys up when they read them.
 */
#include "input_wlr.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "log.h"
#include "virtual-keyboard-client-protocol.h"
#include "wlr-virtual-pointer-client-protocol.h"

#define WLR_IN_BUTTONS 8
#define WLR_IN_KEYS 256
#define WLR_IN_SPARE 8

struct helper_input_wlr {
	pthread_mutex_t lock;       /* guards everything below */
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_seat *seat;
	struct zwlr_virtual_pointer_manager_v1 *pointer_manager;
	struct zwp_virtual_keyboard_manager_v1 *keyboard_manager;
	struct zwlr_virtual_pointer_v1 *pointer;
	struct zwp_virtual_keyboard_v1 *keyboard;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *state;    /* our keys' modifiers, sent after each change */
	xkb_keycode_t shift;        /* the keycode of Shift_L, 0 if none */
	char *base;                 /* the default keymap as text, before any loan */
	xkb_keycode_t spare[WLR_IN_SPARE]; /* keycodes that map nothing in it */
	uint32_t lent[WLR_IN_SPARE];       /* the keysym each one types now, 0 if none */
	int nspare, next_spare;
	int width, height;
	int buttons;                /* last RFB mask sent */
	bool shift_held;            /* the viewer holds Shift (its own key event) */
	uint8_t keys_down[WLR_IN_KEYS / 8]; /* evdev codes pressed and not released */
};

static uint32_t wlr_in_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static void wlr_in_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version)
{
	struct helper_input_wlr *in = data;

	if (strcmp(iface, wl_seat_interface.name) == 0 && in->seat == NULL)
		in->seat = wl_registry_bind(reg, name, &wl_seat_interface, 1);
	else if (strcmp(iface, zwlr_virtual_pointer_manager_v1_interface.name) == 0 && in->pointer_manager == NULL)
		in->pointer_manager = wl_registry_bind(reg, name, &zwlr_virtual_pointer_manager_v1_interface,
						       version < 2 ? version : 2);
	else if (strcmp(iface, zwp_virtual_keyboard_manager_v1_interface.name) == 0 && in->keyboard_manager == NULL)
		in->keyboard_manager = wl_registry_bind(reg, name, &zwp_virtual_keyboard_manager_v1_interface, 1);
}

static void wlr_in_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	(void)data;
	(void)reg;
	(void)name;
}

static const struct wl_registry_listener wlr_in_registry_listener = {
	.global = wlr_in_global,
	.global_remove = wlr_in_global_remove,
};

/* The keymap as text in a memfd, handed to the compositor. 0 or -1. */
static int wlr_in_upload_keymap(struct helper_input_wlr *in)
{
	char *text = xkb_keymap_get_as_string(in->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	size_t size;
	int fd, rc = -1;

	if (text == NULL)
		return -1;
	size = strlen(text) + 1;
	fd = memfd_create("handoff-keymap", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, text, size) == (ssize_t)size) {
		zwp_virtual_keyboard_v1_keymap(in->keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd, (uint32_t)size);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

/* The first keycode and shift level (0 or 1) of layout 0 that type keysym. 0 if none. */
static xkb_keycode_t wlr_in_lookup(struct helper_input_wlr *in, uint32_t keysym, int *level)
{
	xkb_keycode_t min = xkb_keymap_min_keycode(in->keymap), max = xkb_keymap_max_keycode(in->keymap);

	for (int l = 0; l < 2; l++) {
		for (xkb_keycode_t kc = min; kc <= max; kc++) {
			const xkb_keysym_t *syms;
			int n = xkb_keymap_key_get_syms_by_level(in->keymap, kc, 0, (xkb_level_index_t)l, &syms);

			for (int i = 0; i < n; i++) {
				if (syms[i] == keysym) {
					*level = l;
					return kc;
				}
			}
		}
	}
	return 0;
}

/* A fresh state for the current keymap, with the keys still held pressed again. 0 or -1. */
static int wlr_in_new_state(struct helper_input_wlr *in)
{
	struct xkb_state *st = xkb_state_new(in->keymap);

	if (st == NULL)
		return -1;
	for (uint32_t code = 0; code < WLR_IN_KEYS; code++)
		if (in->keys_down[code / 8] & (1u << (code % 8)))
			xkb_state_update_key(st, code + 8, XKB_KEY_DOWN);
	xkb_state_unref(in->state);
	in->state = st;
	return 0;
}

/* Keycodes with a name and no symbols: ours to lend, from the top as input.c does. */
static void wlr_in_find_spare(struct helper_input_wlr *in)
{
	xkb_keycode_t min = xkb_keymap_min_keycode(in->keymap), max = xkb_keymap_max_keycode(in->keymap);

	for (xkb_keycode_t kc = max; kc >= min && kc > 8 && in->nspare < WLR_IN_SPARE; kc--)
		if (xkb_keymap_key_get_name(in->keymap, kc) != NULL && xkb_keymap_num_layouts_for_key(in->keymap, kc) == 0 &&
		    kc - 8 < WLR_IN_KEYS)
			in->spare[in->nspare++] = kc;
}

/*
 * Lends a spare keycode to keysym: the base keymap's text with every loan
 * added before the end of its xkb_symbols, compiled and uploaded. Returns
 * the keycode, or 0 (no spare, or the keymap would not compile).
 */
static xkb_keycode_t wlr_in_lend(struct helper_input_wlr *in, uint32_t keysym)
{
	const char *sym = in->base != NULL ? strstr(in->base, "xkb_symbols") : NULL;
	const char *end = sym != NULL ? strstr(sym, "\n};") : NULL;
	char lines[WLR_IN_SPARE * 96], name[64];
	size_t used = 0, head, total;
	struct xkb_keymap *km;
	char *text;
	int slot;

	if (end == NULL || in->nspare == 0)
		return 0;
	slot = in->next_spare;
	in->next_spare = (in->next_spare + 1) % in->nspare;
	in->lent[slot] = keysym;
	for (int i = 0; i < in->nspare; i++) {
		int n;

		if (in->lent[i] == 0 || xkb_keysym_get_name(in->lent[i], name, sizeof(name)) < 0)
			continue;
		n = snprintf(lines + used, sizeof(lines) - used, "\tkey <%s> { [ %s ] };\n",
			     xkb_keymap_key_get_name(in->keymap, in->spare[i]), name);
		if (n < 0 || (size_t)n >= sizeof(lines) - used)
			return 0;
		used += (size_t)n;
	}
	head = (size_t)(end - in->base) + 1;
	total = strlen(in->base) + used + 1;
	text = malloc(total);
	if (text == NULL)
		return 0;
	memcpy(text, in->base, head);
	memcpy(text + head, lines, used);
	memcpy(text + head + used, in->base + head, strlen(in->base) - head + 1);
	km = xkb_keymap_new_from_string(in->xkb, text, XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	free(text);
	if (km == NULL)
		return 0;
	xkb_keymap_unref(in->keymap);
	in->keymap = km;
	if (wlr_in_new_state(in) != 0 || wlr_in_upload_keymap(in) != 0)
		return 0;
	return in->spare[slot];
}

/* Sends one evdev key and notes it for release. */
static void wlr_in_send_key(struct helper_input_wlr *in, uint32_t code, bool down)
{
	enum xkb_state_component changed = 0;

	if (code >= WLR_IN_KEYS)
		return;
	zwp_virtual_keyboard_v1_key(in->keyboard, wlr_in_now(), code,
				    down ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED);
	if (in->state != NULL)
		changed = xkb_state_update_key(in->state, code + 8, down ? XKB_KEY_DOWN : XKB_KEY_UP);
	if (changed != 0)
		zwp_virtual_keyboard_v1_modifiers(in->keyboard,
						  xkb_state_serialize_mods(in->state, XKB_STATE_MODS_DEPRESSED),
						  xkb_state_serialize_mods(in->state, XKB_STATE_MODS_LATCHED),
						  xkb_state_serialize_mods(in->state, XKB_STATE_MODS_LOCKED),
						  xkb_state_serialize_layout(in->state, XKB_STATE_LAYOUT_EFFECTIVE));
	if (down)
		in->keys_down[code / 8] |= (uint8_t)(1u << (code % 8));
	else
		in->keys_down[code / 8] &= (uint8_t)~(1u << (code % 8));
}

void helper_input_wlr_close(struct helper_input_wlr *in)
{
	if (in == NULL)
		return;
	if (in->pointer != NULL && in->keyboard != NULL)
		helper_input_wlr_release(in);
	if (in->pointer != NULL)
		zwlr_virtual_pointer_v1_destroy(in->pointer);
	if (in->keyboard != NULL)
		zwp_virtual_keyboard_v1_destroy(in->keyboard);
	if (in->pointer_manager != NULL)
		zwlr_virtual_pointer_manager_v1_destroy(in->pointer_manager);
	if (in->keyboard_manager != NULL)
		zwp_virtual_keyboard_manager_v1_destroy(in->keyboard_manager);
	if (in->seat != NULL)
		wl_seat_destroy(in->seat);
	if (in->registry != NULL)
		wl_registry_destroy(in->registry);
	if (in->display != NULL) {
		wl_display_roundtrip(in->display);
		wl_display_disconnect(in->display);
	}
	xkb_state_unref(in->state);
	xkb_keymap_unref(in->keymap);
	xkb_context_unref(in->xkb);
	free(in->base);
	pthread_mutex_destroy(&in->lock);
	free(in);
}

int helper_input_wlr_open(struct helper_input_wlr **out, const char *display, int width, int height, char *err,
			  size_t errlen)
{
	struct helper_input_wlr *in = calloc(1, sizeof(*in));
	int level;

	*out = NULL;
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	in->width = width;
	in->height = height;
	in->display = wl_display_connect(display);
	if (in->display == NULL) {
		snprintf(err, errlen, "cannot connect to the Wayland display: %s", strerror(errno));
		goto fail;
	}
	in->registry = wl_display_get_registry(in->display);
	wl_registry_add_listener(in->registry, &wlr_in_registry_listener, in);
	wl_display_roundtrip(in->display);
	if (in->seat == NULL || in->pointer_manager == NULL || in->keyboard_manager == NULL) {
		snprintf(err, errlen, "the compositor offers no virtual %s", in->seat == NULL ? "seat"
			 : in->pointer_manager == NULL ? "pointer" : "keyboard");
		goto fail;
	}
	in->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	in->keymap = in->xkb != NULL ? xkb_keymap_new_from_names(in->xkb, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS) : NULL;
	if (in->keymap == NULL) {
		snprintf(err, errlen, "cannot compile a keyboard map (xkbcommon)");
		goto fail;
	}
	in->shift = wlr_in_lookup(in, XKB_KEY_Shift_L, &level);
	in->base = xkb_keymap_get_as_string(in->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	wlr_in_find_spare(in);
	if (wlr_in_new_state(in) != 0) {
		snprintf(err, errlen, "cannot follow the keyboard's modifiers (xkbcommon)");
		goto fail;
	}
	in->pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(in->pointer_manager, in->seat);
	in->keyboard = zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(in->keyboard_manager, in->seat);
	if (wlr_in_upload_keymap(in) != 0) {
		snprintf(err, errlen, "cannot hand the compositor a keyboard map");
		goto fail;
	}
	/* A compositor that refuses virtual devices to us says so as a protocol error now. */
	if (wl_display_roundtrip(in->display) < 0) {
		snprintf(err, errlen, "the compositor refused virtual input devices (error %d)",
			 wl_display_get_error(in->display));
		goto fail;
	}
	*out = in;
	return 0;
fail:
	helper_input_wlr_close(in);
	return -1;
}

void helper_input_wlr_pointer(struct helper_input_wlr *in, int buttons, int x, int y)
{
	/* RFB bits 0, 1, 2: left, middle, right (BTN_LEFT, BTN_MIDDLE, BTN_RIGHT). */
	static const uint32_t codes[3] = { 0x110, 0x112, 0x111 };
	uint32_t t = wlr_in_now();

	pthread_mutex_lock(&in->lock);
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x >= in->width)
		x = in->width - 1;
	if (y >= in->height)
		y = in->height - 1;
	zwlr_virtual_pointer_v1_motion_absolute(in->pointer, t, (uint32_t)x, (uint32_t)y, (uint32_t)in->width,
						(uint32_t)in->height);
	zwlr_virtual_pointer_v1_frame(in->pointer);
	for (int b = 0; b < WLR_IN_BUTTONS; b++) {
		int bit = 1 << b;

		if ((buttons & bit) == (in->buttons & bit))
			continue;
		if (b < 3) {
			zwlr_virtual_pointer_v1_button(in->pointer, t, codes[b],
						       (buttons & bit) ? WL_POINTER_BUTTON_STATE_PRESSED
								       : WL_POINTER_BUTTON_STATE_RELEASED);
		} else if ((b == 3 || b == 4) && (buttons & bit)) {
			/* The wheel: one notch per press, up (bit 3) or down (bit 4). */
			int dir = b == 3 ? -1 : 1;

			zwlr_virtual_pointer_v1_axis_discrete(in->pointer, t, WL_POINTER_AXIS_VERTICAL_SCROLL,
							      wl_fixed_from_int(dir * 15), dir);
		}
		zwlr_virtual_pointer_v1_frame(in->pointer);
	}
	in->buttons = buttons;
	wl_display_flush(in->display);
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wlr_key(struct helper_input_wlr *in, bool down, uint32_t keysym)
{
	int level = 0;
	xkb_keycode_t kc;

	pthread_mutex_lock(&in->lock);
	kc = wlr_in_lookup(in, keysym, &level);
	if (kc < 8 && down && keysym != 0)
		kc = wlr_in_lend(in, keysym);
	if (kc < 8) {
		if (down)
			log_debug("no key for keysym 0x%x and no spare keycode: not typed", keysym);
		goto out;
	}
	if (keysym == XKB_KEY_Shift_L || keysym == XKB_KEY_Shift_R)
		in->shift_held = down;
	if (down && level == 1 && !in->shift_held && in->shift >= 8)
		wlr_in_send_key(in, in->shift - 8, true);
	wlr_in_send_key(in, kc - 8, down);
	if (down && level == 1 && !in->shift_held && in->shift >= 8)
		wlr_in_send_key(in, in->shift - 8, false);
	wl_display_flush(in->display);
out:
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wlr_set_space(struct helper_input_wlr *in, int width, int height)
{
	if (width <= 0 || height <= 0)
		return;
	pthread_mutex_lock(&in->lock);
	in->width = width;
	in->height = height;
	pthread_mutex_unlock(&in->lock);
}

void helper_input_wlr_release(struct helper_input_wlr *in)
{
	uint32_t t = wlr_in_now();

	pthread_mutex_lock(&in->lock);
	for (uint32_t code = 0; code < WLR_IN_KEYS; code++)
		if (in->keys_down[code / 8] & (1u << (code % 8)))
			wlr_in_send_key(in, code, false);
	if (in->pointer != NULL) {
		if (in->buttons & 1)
			zwlr_virtual_pointer_v1_button(in->pointer, t, 0x110, WL_POINTER_BUTTON_STATE_RELEASED);
		if (in->buttons & 2)
			zwlr_virtual_pointer_v1_button(in->pointer, t, 0x112, WL_POINTER_BUTTON_STATE_RELEASED);
		if (in->buttons & 4)
			zwlr_virtual_pointer_v1_button(in->pointer, t, 0x111, WL_POINTER_BUTTON_STATE_RELEASED);
		zwlr_virtual_pointer_v1_frame(in->pointer);
	}
	in->buttons = 0;
	in->shift_held = false;
	wl_display_flush(in->display);
	pthread_mutex_unlock(&in->lock);
}
