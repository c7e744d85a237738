/*
 * dupl.c: see dupl.h.
 */
#include "dupl.h"

#include <string.h>

static int32_t helper_dupl_max(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

static int32_t helper_dupl_min(int32_t a, int32_t b)
{
	return a < b ? a : b;
}

bool helper_dupl_clip(const struct helper_dupl_rect *r, const struct helper_dupl_place *p,
		      struct helper_dupl_rect *out)
{
	/* The output's pixels inside the shared area, in output pixels; 64-bit so no offset overflows. */
	int64_t ax0 = -(int64_t)p->x, ay0 = -(int64_t)p->y;
	int64_t ax1 = ax0 + p->area_w, ay1 = ay0 + p->area_h;
	int32_t x0 = helper_dupl_max(r->left, 0), y0 = helper_dupl_max(r->top, 0);
	int32_t x1 = helper_dupl_min(r->right, p->width), y1 = helper_dupl_min(r->bottom, p->height);

	if (ax0 > x0)
		x0 = ax0 < INT32_MAX ? (int32_t)ax0 : INT32_MAX;
	if (ay0 > y0)
		y0 = ay0 < INT32_MAX ? (int32_t)ay0 : INT32_MAX;
	if (ax1 < x1)
		x1 = ax1 > INT32_MIN ? (int32_t)ax1 : INT32_MIN;
	if (ay1 < y1)
		y1 = ay1 > INT32_MIN ? (int32_t)ay1 : INT32_MIN;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*out = (struct helper_dupl_rect){ .left = x0, .top = y0, .right = x1, .bottom = y1 };
	return true;
}

bool helper_dupl_changes(const struct helper_dupl_move *moves, size_t nmoves, const struct helper_dupl_rect *dirty,
			 size_t ndirty, const struct helper_dupl_place *p, struct helper_dupl_rect *out, size_t max,
			 size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < nmoves + ndirty; i++) {
		const struct helper_dupl_rect *r = i < nmoves ? &moves[i].dst : &dirty[i - nmoves];

		if (*n == max)
			return false;
		if (helper_dupl_clip(r, p, &out[*n]))
			(*n)++;
	}
	return true;
}

void helper_dupl_device_name(const wchar_t *device, char *out, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return;
	if (wcsncmp(device, L"\\\\.\\", 4) == 0)
		device += 4;
	for (const wchar_t *p = device; *p != L'\0' && k + 1 < n; p++)
		if (*p >= 0x20 && *p < 0x7f)
			out[k++] = (char)*p;
	out[k] = '\0';
}

/* Premultiplies straight-alpha 0xAARRGGBB. */
static uint32_t helper_dupl_premultiply(uint32_t px)
{
	uint32_t a = px >> 24;
	uint32_t r = ((px >> 16) & 255) * a / 255, g = ((px >> 8) & 255) * a / 255, b = (px & 255) * a / 255;

	return (a << 24) | (r << 16) | (g << 8) | b;
}

static uint32_t helper_dupl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int helper_dupl_pointer_argb(unsigned type, unsigned width, unsigned height, unsigned pitch, const uint8_t *buf,
			     size_t len, int *w, int *h, uint32_t *out)
{
	unsigned rows = type == HELPER_DUPL_SHAPE_MONOCHROME ? height / 2 : height;
	size_t need;

	if (width == 0 || rows == 0 || width > HELPER_DUPL_CURSOR_MAX || rows > HELPER_DUPL_CURSOR_MAX)
		return -1;
	switch (type) {
	case HELPER_DUPL_SHAPE_MONOCHROME:
		if (pitch < (width + 7) / 8)
			return -1;
		need = (size_t)pitch * rows * 2;
		break;
	case HELPER_DUPL_SHAPE_COLOR:
	case HELPER_DUPL_SHAPE_MASKED_COLOR:
		if (pitch / 4 < width)
			return -1;
		need = (size_t)pitch * (rows - 1) + (size_t)width * 4;
		break;
	default:
		return -1;
	}
	if (buf == NULL || len < need)
		return -1;
	for (unsigned y = 0; y < rows; y++) {
		for (unsigned x = 0; x < width; x++) {
			uint32_t *o = &out[(size_t)y * width + x];

			if (type == HELPER_DUPL_SHAPE_MONOCHROME) {
				uint8_t bit = (uint8_t)(0x80u >> (x % 8));
				bool and_bit = (buf[(size_t)y * pitch + x / 8] & bit) != 0;
				bool xor_bit = (buf[(size_t)(y + rows) * pitch + x / 8] & bit) != 0;

				*o = !and_bit ? (xor_bit ? 0xffffffffu : 0xff000000u) : xor_bit ? 0xff000000u : 0;
			} else {
				uint32_t px = helper_dupl_le32(buf + (size_t)y * pitch + (size_t)x * 4);

				if (type == HELPER_DUPL_SHAPE_COLOR)
					*o = helper_dupl_premultiply(px);
				else if ((px >> 24) == 0)  /* mask 0: the colour replaces the screen's */
					*o = 0xff000000u | (px & 0xffffffu);
				else  /* mask set: XORed onto the screen; clear where the XOR changes nothing */
					*o = (px & 0xffffffu) != 0 ? 0xff000000u : 0;
			}
		}
	}
	*w = (int)width;
	*h = (int)rows;
	return 0;
}

const char *helper_dupl_reason(uint32_t hr)
{
	switch (hr) {
	case 0x80004001u:
		return "this system does not implement it (E_NOTIMPL, as on Wine, which has no output duplication)";
	case 0x887a0004u:
		return "this system or display driver does not support it (DXGI_ERROR_UNSUPPORTED; a basic display "
		       "adapter, a remote session, or Windows before 8)";
	case 0x887a0022u:
		return "too many programs already duplicate this output (DXGI_ERROR_NOT_CURRENTLY_AVAILABLE)";
	case 0x887a0026u:
		return "the desktop changed under it (DXGI_ERROR_ACCESS_LOST: a mode change, a desktop switch or "
		       "a full-screen program)";
	case 0x80070005u:
		return "Windows refuses it on this desktop (E_ACCESSDENIED: a secure desktop or the lock screen)";
	case 0x887a0002u:
		return "no such adapter or output (DXGI_ERROR_NOT_FOUND)";
	case 0x887a0005u:
		return "the graphics device was removed or reset (DXGI_ERROR_DEVICE_REMOVED)";
	case 0x887a0001u:
		return "the call was not valid here (DXGI_ERROR_INVALID_CALL)";
	case 0x887a0028u:
		return "the session is remote or disconnected (DXGI_ERROR_SESSION_DISCONNECTED)";
	case 0x80070057u:
		return "an argument was refused (E_INVALIDARG)";
	case 0x8007000eu:
		return "out of memory (E_OUTOFMEMORY)";
	case 0x80004005u:
		return "it failed without saying why (E_FAIL)";
	default:
		return "it failed with an error the helper does not know";
	}
}
