/*
 * capture_dxgi_win32.c: the capture backend for Windows' desktop through
 * DXGI Desktop Duplication (see capture.h), chosen first on Windows, with
 * the GDI backend (capture_win32.c) kept open beneath it.
 *
 * Duplication hands out each output's frames with the rectangles that
 * changed since the last one (dirty rectangles, and move rectangles for
 * what was scrolled or dragged), so the driver is told exactly what to
 * compare instead of comparing the whole screen every poll as for GDI.
 * Frames come through a call (AcquireNextFrame), not a descriptor: the
 * event loop wakes every HELPER_CAPTURE_DXGI_POLL_MS (wake_ms) while
 * someone watches and asks with a timeout of 0, because this is the
 * helper's one thread (the network, the window): the loop's own sleep is
 * the wait, bounded by the poll interval, and a blocking wait there would
 * hold everything else up. Each frame is copied on the GPU into a staging
 * texture, mapped, and only the changed rectangles are copied into a
 * buffer laid out as GDI's DIB (top-down 0x00RRGGBB, the alpha byte
 * cleared), so the framebuffer is the same whichever backend fills it.
 * The pointer's shape comes with the frames (GetFramePointerShape when
 * PointerShapeBufferSize is non-zero) and is converted by dupl.c.
 *
 * What GDI already does right is not done twice: the monitors and the
 * shared area (the virtual screen, or --monitor's by its device name), the
 * thread's DPI awareness and the secure desktop (OpenInputDesktop) are all
 * the GDI backend's; its process_events runs at every wake, and its format,
 * layout and refused are this backend's. Each shared monitor is found
 * among DXGI's outputs by DXGI_OUTPUT_DESC.DeviceName, named as GDI names
 * the EnumDisplayMonitors device (dupl.c), and duplicated on a D3D11 device
 * of its own adapter, placed by its DesktopCoordinates.
 *
 * Grabs are GDI's whenever Duplication is not running and caught up (every
 * output has given its first, whole frame): before a viewer watches, while
 * the secure desktop is up (Windows ends a duplication at a desktop
 * switch, and GDI's detection keeps the viewers on the last picture), after
 * DXGI_ERROR_ACCESS_LOST (a mode change, a desktop switch, a full-screen
 * program) until the duplication is made again, and for good once
 * Duplication is found unavailable: D3D11CreateDevice or DuplicateOutput
 * failing (E_NOTIMPL on Wine, DXGI_ERROR_UNSUPPORTED on a basic display
 * adapter or in some remote sessions, DXGI_ERROR_NOT_CURRENTLY_AVAILABLE
 * when other programs hold every duplication), a rotated monitor, or
 * HELPER_CAPTURE_DXGI_RETRIES restarts in a row failing. The reason is
 * logged once, in words. While grabs are GDI's, poll_interval_ms is GDI's,
 * so the driver compares the whole screen as it always did.
 *
 * Nothing is duplicated while nobody watches: no duplication exists until
 * set_watched says a viewer watches and sharing is not paused, and it is
 * released when that ends. Open makes one once and releases it at once,
 * only to say at start whether Duplication works here.
 *
 * Written against the documented API but run only where Desktop
 * Duplication exists (Windows 8 and later): Wine 8's DuplicateOutput
 * returns E_NOTIMPL, so the tests here see the fallback and no more.
 */
#define COBJMACROS
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>
#include <d3d11.h>
#include <dxgi1_2.h>

#include "capture_win32.h"
#include "dupl.h"
#include "log.h"

/* How often a watched desktop is asked for a new frame: about 30 a second. */
#define HELPER_CAPTURE_DXGI_POLL_MS 33
/* Failed restarts in a row (about a second at the poll) before GDI takes over for good. */
#define HELPER_CAPTURE_DXGI_RETRIES 30
/* Rectangles of one frame taken one by one; beyond, the whole output counts as changed. */
#define HELPER_CAPTURE_DXGI_RECTS_MAX 4096
/* A frame's metadata (its move and dirty rectangles) read at most; beyond, the whole output. */
#define HELPER_CAPTURE_DXGI_META_MAX (256u * 1024u)
/* Pointer shape bytes read at most: a 256x256 colour shape. */
#define HELPER_CAPTURE_DXGI_SHAPE_MAX (HELPER_DUPL_CURSOR_MAX * HELPER_DUPL_CURSOR_MAX * 4u)

struct helper_capture_dxgi_output {
	ID3D11Device *dev;
	ID3D11DeviceContext *ctx;
	IDXGIOutputDuplication *dupl;
	ID3D11Texture2D *staging;   /* made at the first frame, as big as the desktop texture */
	struct helper_dupl_place place;
	bool fresh;                 /* its first frame is still to come: copied whole then */
	char name[SCREENINFO_NAME_MAX + 1];
};

struct helper_capture_dxgi {
	void *gdi;                  /* capture_win32.c's state, owned */
	bool gdi_only;              /* Duplication is unavailable here: GDI for the rest of the session */
	bool watched;               /* set_watched's last word */
	bool said_running;          /* "through DXGI" logged once */
	int failures;               /* starts or frames failed in a row */
	int noutputs;               /* duplications made; 0: none running */
	struct helper_capture_dxgi_output out[SCREENINFO_MONITORS_MAX];
	uint8_t *bits;              /* the shared area, as GDI's DIB */
	int w, h;
	uint8_t *meta;              /* HELPER_CAPTURE_DXGI_META_MAX */
	struct helper_dupl_move moves[HELPER_CAPTURE_DXGI_RECTS_MAX];
	struct helper_dupl_rect dirty[HELPER_CAPTURE_DXGI_RECTS_MAX];
	struct helper_dupl_rect changed[2 * HELPER_CAPTURE_DXGI_RECTS_MAX];
	uint8_t *shape;             /* HELPER_CAPTURE_DXGI_SHAPE_MAX */
	uint32_t argb[HELPER_DUPL_CURSOR_MAX * HELPER_DUPL_CURSOR_MAX];
};

/* Why a start failed: the call and its HRESULT, or a reason of ours (hr 0). */
struct helper_capture_dxgi_why {
	const char *call;
	HRESULT hr;
	bool absent;        /* the chosen monitor is unplugged: nothing to try until it is back */
	char text[160];
};

static void helper_capture_dxgi_release_output(struct helper_capture_dxgi_output *o)
{
	if (o->staging != NULL)
		ID3D11Texture2D_Release(o->staging);
	if (o->dupl != NULL)
		IDXGIOutputDuplication_Release(o->dupl);
	if (o->ctx != NULL)
		ID3D11DeviceContext_Release(o->ctx);
	if (o->dev != NULL)
		ID3D11Device_Release(o->dev);
	memset(o, 0, sizeof(*o));
}

/* Every duplication released: grabs are GDI's until the next start. */
static void helper_capture_dxgi_stop(struct helper_capture_dxgi *d)
{
	for (int i = 0; i < d->noutputs; i++)
		helper_capture_dxgi_release_output(&d->out[i]);
	d->noutputs = 0;
}

/* Running and caught up: every output has given its whole first frame. */
static bool helper_capture_dxgi_ready(const struct helper_capture_dxgi *d)
{
	if (d->noutputs == 0)
		return false;
	for (int i = 0; i < d->noutputs; i++)
		if (d->out[i].fresh)
			return false;
	return true;
}

static bool helper_capture_dxgi_fail(struct helper_capture_dxgi_why *why, const char *call, HRESULT hr)
{
	why->call = call;
	why->hr = hr;
	snprintf(why->text, sizeof(why->text), "%s", helper_dupl_reason((uint32_t)hr));
	return false;
}

/*
 * Duplicates output (of adapter) into o, placed at (x, y) in the shared
 * area w x h. true, or false with *why.
 */
static bool helper_capture_dxgi_duplicate(IDXGIAdapter1 *adapter, IDXGIOutput *output, int x, int y, int w, int h,
					  struct helper_capture_dxgi_output *o, struct helper_capture_dxgi_why *why)
{
	IDXGIOutput1 *output1 = NULL;
	DXGI_OUTDUPL_DESC dd;
	HRESULT hr;
	bool ok = false;

	hr = D3D11CreateDevice((IDXGIAdapter *)adapter, D3D_DRIVER_TYPE_UNKNOWN, NULL, 0, NULL, 0, D3D11_SDK_VERSION,
			       &o->dev, NULL, &o->ctx);
	if (FAILED(hr))
		return helper_capture_dxgi_fail(why, "D3D11CreateDevice", hr);
	hr = IDXGIOutput_QueryInterface(output, &IID_IDXGIOutput1, (void **)&output1);
	if (FAILED(hr))
		return helper_capture_dxgi_fail(why, "IDXGIOutput1 (Windows 8 and later)", hr);
	hr = IDXGIOutput1_DuplicateOutput(output1, (IUnknown *)o->dev, &o->dupl);
	if (FAILED(hr)) {
		helper_capture_dxgi_fail(why, "IDXGIOutput1_DuplicateOutput", hr);
		goto out;
	}
	IDXGIOutputDuplication_GetDesc(o->dupl, &dd);
	if (dd.Rotation != DXGI_MODE_ROTATION_IDENTITY && dd.Rotation != DXGI_MODE_ROTATION_UNSPECIFIED) {
		/* Frames of a rotated output come unrotated; GDI gives them as seen. */
		why->call = "the output's rotation";
		why->hr = 0;
		snprintf(why->text, sizeof(why->text), "monitor %s is rotated, which this backend does not turn",
			 o->name);
		goto out;
	}
	o->place = (struct helper_dupl_place){ .x = x, .y = y, .width = (int)dd.ModeDesc.Width,
					       .height = (int)dd.ModeDesc.Height, .area_w = w, .area_h = h };
	o->fresh = true;
	ok = true;
out:
	IDXGIOutput1_Release(output1);
	return ok;
}

/*
 * Duplicates every output that shows a monitor of GDI's layout (the whole
 * desktop's, or --monitor's one), each found by its device name. true, or
 * false with *why and nothing left running.
 */
static bool helper_capture_dxgi_start(struct helper_capture_dxgi *d, struct helper_capture_dxgi_why *why)
{
	struct helper_capture_format fmt;
	struct screeninfo si = { .count = 0 };
	bool found[SCREENINFO_MONITORS_MAX] = { false };
	IDXGIFactory1 *factory = NULL;
	IDXGIAdapter1 *adapter = NULL;
	HRESULT hr;
	bool ok = false;

	helper_capture_dxgi_stop(d);
	helper_capture_win32_backend.format(d->gdi, &fmt);
	helper_capture_win32_backend.layout(d->gdi, &si);
	if (!fmt.live || si.count == 0 || fmt.width <= 0 || fmt.height <= 0) {
		why->call = "the shared monitor";
		why->hr = 0;
		why->absent = true;
		snprintf(why->text, sizeof(why->text), "it is not connected now");
		return false;
	}
	if (d->bits == NULL || d->w != fmt.width || d->h != fmt.height) {
		free(d->bits);
		d->bits = calloc((size_t)fmt.width * (size_t)fmt.height, 4);
		d->w = d->bits != NULL ? fmt.width : 0;
		d->h = d->bits != NULL ? fmt.height : 0;
		if (d->bits == NULL) {
			why->call = "a buffer for the shared area";
			why->hr = 0;
			snprintf(why->text, sizeof(why->text), "out of memory");
			return false;
		}
	}
	hr = CreateDXGIFactory1(&IID_IDXGIFactory1, (void **)&factory);
	if (FAILED(hr))
		return helper_capture_dxgi_fail(why, "CreateDXGIFactory1", hr);
	for (UINT a = 0; SUCCEEDED(IDXGIFactory1_EnumAdapters1(factory, a, &adapter)); a++) {
		IDXGIOutput *output = NULL;

		for (UINT i = 0; SUCCEEDED(IDXGIAdapter1_EnumOutputs(adapter, i, &output)); i++) {
			DXGI_OUTPUT_DESC desc;
			char name[SCREENINFO_NAME_MAX + 1];
			int k = -1;
			bool made;

			if (FAILED(IDXGIOutput_GetDesc(output, &desc)) || !desc.AttachedToDesktop) {
				IDXGIOutput_Release(output);
				continue;
			}
			helper_dupl_device_name(desc.DeviceName, name, sizeof(name));
			for (int m = 0; m < (int)si.count && k < 0; m++)
				if (!found[m] && strcmp(si.monitors[m].name, name) == 0)
					k = m;
			if (k < 0 || d->noutputs == SCREENINFO_MONITORS_MAX) {
				IDXGIOutput_Release(output);
				continue;
			}
			memcpy(d->out[d->noutputs].name, name, sizeof(name));
			made = helper_capture_dxgi_duplicate(adapter, output, desc.DesktopCoordinates.left - fmt.origin_x,
							    desc.DesktopCoordinates.top - fmt.origin_y, fmt.width,
							    fmt.height, &d->out[d->noutputs], why);
			IDXGIOutput_Release(output);
			if (!made) {
				helper_capture_dxgi_release_output(&d->out[d->noutputs]);
				goto out;
			}
			found[k] = true;
			d->noutputs++;
		}
		IDXGIAdapter1_Release(adapter);
		adapter = NULL;
	}
	for (int m = 0; m < (int)si.count; m++) {
		if (!found[m]) {
			why->call = "the outputs of DXGI";
			why->hr = 0;
			snprintf(why->text, sizeof(why->text), "none is monitor %s", si.monitors[m].name);
			goto out;
		}
	}
	ok = true;
out:
	if (adapter != NULL)
		IDXGIAdapter1_Release(adapter);
	IDXGIFactory1_Release(factory);
	if (!ok)
		helper_capture_dxgi_stop(d);
	return ok;
}

/* Whether a failed start may work later (the secure desktop, a switch under way) rather than never here. */
static bool helper_capture_dxgi_transient(const struct helper_capture_dxgi_why *why)
{
	return why->absent || why->hr == E_ACCESSDENIED || why->hr == DXGI_ERROR_ACCESS_LOST;
}

static void helper_capture_dxgi_give_up(struct helper_capture_dxgi *d, const struct helper_capture_dxgi_why *why)
{
	d->gdi_only = true;
	helper_capture_dxgi_stop(d);
	if (why->hr != 0)
		log_info("Desktop Duplication is unavailable: %s failed (HRESULT 0x%08lx): %s; capturing through GDI",
			 why->call, (unsigned long)why->hr, why->text);
	else
		log_info("Desktop Duplication is unavailable: %s: %s; capturing through GDI", why->call, why->text);
}

/* A start at a wake: counted, and after too many in a row, GDI for good. */
static void helper_capture_dxgi_restart(struct helper_capture_dxgi *d)
{
	struct helper_capture_dxgi_why why = { .call = "", .hr = 0 };

	if (helper_capture_dxgi_start(d, &why)) {
		if (!d->said_running)
			log_info("capturing the Windows desktop through DXGI Desktop Duplication (%d output%s)",
				 d->noutputs, d->noutputs == 1 ? "" : "s");
		d->said_running = true;
		return;
	}
	if (why.absent)
		return;
	/* Once it has worked here, a failure is the desktop changing under it: tried again, a while. */
	if ((!d->said_running && !helper_capture_dxgi_transient(&why)) ||
	    ++d->failures >= HELPER_CAPTURE_DXGI_RETRIES)
		helper_capture_dxgi_give_up(d, &why);
	else
		log_debug("Desktop Duplication cannot start yet: %s failed: %s", why.call, why.text);
}

static int helper_capture_dxgi_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_dxgi *d = calloc(1, sizeof(*d));
	struct helper_capture_dxgi_why why = { .call = "", .hr = 0 };
	DPI_AWARENESS_CONTEXT old;
	int r;

	if (d == NULL || (d->meta = malloc(HELPER_CAPTURE_DXGI_META_MAX)) == NULL ||
	    (d->shape = malloc(HELPER_CAPTURE_DXGI_SHAPE_MAX)) == NULL) {
		if (d != NULL) {
			free(d->meta);
			free(d);
		}
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* GDI first: without it there is no screen at all, with it there is always one. */
	r = helper_capture_win32_backend.open(display, &d->gdi, err, errlen);
	if (r != 0) {
		free(d->meta);
		free(d->shape);
		free(d);
		return r;
	}
	old = helper_capture_win32_dpi_enter();
	if (helper_capture_dxgi_start(d, &why))
		log_info("DXGI Desktop Duplication works here (%d output%s): it captures while a viewer watches",
			 d->noutputs, d->noutputs == 1 ? "" : "s");
	else if (!helper_capture_dxgi_transient(&why))
		helper_capture_dxgi_give_up(d, &why);
	/* Nobody watches yet. */
	helper_capture_dxgi_stop(d);
	helper_capture_win32_dpi_leave(old);
	*state = d;
	return 0;
}

static void helper_capture_dxgi_close(void *state)
{
	struct helper_capture_dxgi *d = state;

	if (d == NULL)
		return;
	helper_capture_dxgi_stop(d);
	helper_capture_win32_backend.close(d->gdi);
	free(d->bits);
	free(d->meta);
	free(d->shape);
	free(d);
}

static int helper_capture_dxgi_fd(void *state)
{
	(void)state;
	return -1;
}

static int helper_capture_dxgi_poll_interval(void *state)
{
	struct helper_capture_dxgi *d = state;

	/* GDI's grabs report nothing: its full compare goes on until Duplication has caught up. */
	return helper_capture_dxgi_ready(d) ? 0 : helper_capture_win32_backend.poll_interval_ms(d->gdi);
}

static int helper_capture_dxgi_wake(void *state)
{
	struct helper_capture_dxgi *d = state;

	return d->watched && !d->gdi_only ? HELPER_CAPTURE_DXGI_POLL_MS : -1;
}

/* Rows of r (output pixels) from the mapped frame into the shared area's buffer, alpha cleared as in GDI's DIB. */
static void helper_capture_dxgi_copy(struct helper_capture_dxgi *d, const struct helper_capture_dxgi_output *o,
				     const D3D11_MAPPED_SUBRESOURCE *map, const struct helper_dupl_rect *r)
{
	size_t stride = (size_t)d->w * 4;

	for (int y = r->top; y < r->bottom; y++) {
		const uint32_t *s = (const uint32_t *)((const uint8_t *)map->pData + (size_t)y * map->RowPitch) + r->left;
		uint32_t *t = (uint32_t *)(d->bits + (size_t)(o->place.y + y) * stride) + o->place.x + r->left;

		for (int x = r->left; x < r->right; x++)
			*t++ = *s++ & 0x00ffffffu;
	}
}

/*
 * The changed rectangles of o's frame just acquired, into d->changed: the
 * whole output when it is fresh, says nothing, or says more than is kept.
 * Returns how many.
 */
static size_t helper_capture_dxgi_changes(struct helper_capture_dxgi *d, struct helper_capture_dxgi_output *o,
					  const DXGI_OUTDUPL_FRAME_INFO *fi)
{
	const struct helper_dupl_rect whole = { 0, 0, o->place.width, o->place.height };
	UINT moved = 0, dirtied = 0;
	size_t nmoves, ndirty, n = 0;

	if (!o->fresh && fi->TotalMetadataBufferSize > 0 && fi->TotalMetadataBufferSize <= HELPER_CAPTURE_DXGI_META_MAX &&
	    SUCCEEDED(IDXGIOutputDuplication_GetFrameMoveRects(o->dupl, HELPER_CAPTURE_DXGI_META_MAX,
								(DXGI_OUTDUPL_MOVE_RECT *)d->meta, &moved)) &&
	    SUCCEEDED(IDXGIOutputDuplication_GetFrameDirtyRects(o->dupl, HELPER_CAPTURE_DXGI_META_MAX - moved,
								 (RECT *)(d->meta + moved), &dirtied))) {
		const DXGI_OUTDUPL_MOVE_RECT *mv = (const DXGI_OUTDUPL_MOVE_RECT *)d->meta;
		const RECT *dr = (const RECT *)(d->meta + moved);

		nmoves = moved / sizeof(*mv);
		ndirty = dirtied / sizeof(*dr);
		if (nmoves <= HELPER_CAPTURE_DXGI_RECTS_MAX && ndirty <= HELPER_CAPTURE_DXGI_RECTS_MAX) {
			for (size_t i = 0; i < nmoves; i++)
				d->moves[i] = (struct helper_dupl_move){
					.src_x = mv[i].SourcePoint.x, .src_y = mv[i].SourcePoint.y,
					.dst = { mv[i].DestinationRect.left, mv[i].DestinationRect.top,
						 mv[i].DestinationRect.right, mv[i].DestinationRect.bottom } };
			for (size_t i = 0; i < ndirty; i++)
				d->dirty[i] = (struct helper_dupl_rect){ dr[i].left, dr[i].top, dr[i].right,
									 dr[i].bottom };
			if (helper_dupl_changes(d->moves, nmoves, d->dirty, ndirty, &o->place, d->changed,
						sizeof(d->changed) / sizeof(d->changed[0]), &n))
				return n;
		}
	}
	return helper_dupl_clip(&whole, &o->place, &d->changed[0]) ? 1 : 0;
}

/* The pointer's new shape that came with o's frame, passed on. */
static void helper_capture_dxgi_pointer(struct helper_capture_dxgi *d, struct helper_capture_dxgi_output *o,
					const DXGI_OUTDUPL_FRAME_INFO *fi, struct helper_capture_events *ev)
{
	DXGI_OUTDUPL_POINTER_SHAPE_INFO info;
	UINT size = 0;
	int w, h;

	if (ev->cursor == NULL || fi->PointerShapeBufferSize == 0 ||
	    fi->PointerShapeBufferSize > HELPER_CAPTURE_DXGI_SHAPE_MAX ||
	    FAILED(IDXGIOutputDuplication_GetFramePointerShape(o->dupl, HELPER_CAPTURE_DXGI_SHAPE_MAX, d->shape, &size,
								&info)))
		return;
	if (helper_dupl_pointer_argb(info.Type, info.Width, info.Height, info.Pitch, d->shape, size, &w, &h, d->argb) ==
	    0)
		ev->cursor(ev->ctx, w, h, (int)info.HotSpot.x, (int)info.HotSpot.y, d->argb);
}

/*
 * o's next frame, if one is there: its changed pixels copied and reported,
 * its pointer shape passed on. S_OK, DXGI_ERROR_WAIT_TIMEOUT (nothing new)
 * or the failure.
 */
static HRESULT helper_capture_dxgi_frame(struct helper_capture_dxgi *d, struct helper_capture_dxgi_output *o,
					 struct helper_capture_events *ev)
{
	DXGI_OUTDUPL_FRAME_INFO fi;
	IDXGIResource *res = NULL;
	ID3D11Texture2D *tex = NULL;
	D3D11_MAPPED_SUBRESOURCE map;
	HRESULT hr = IDXGIOutputDuplication_AcquireNextFrame(o->dupl, 0, &fi, &res);

	if (FAILED(hr))
		return hr;
	if (res == NULL) {
		IDXGIOutputDuplication_ReleaseFrame(o->dupl);
		return DXGI_ERROR_INVALID_CALL;
	}
	helper_capture_dxgi_pointer(d, o, &fi, ev);
	/* LastPresentTime 0: only the pointer moved; the picture is the last one. */
	if (fi.LastPresentTime.QuadPart == 0 && !o->fresh)
		goto out;
	hr = IDXGIResource_QueryInterface(res, &IID_ID3D11Texture2D, (void **)&tex);
	if (FAILED(hr))
		goto out;
	if (o->staging == NULL) {
		D3D11_TEXTURE2D_DESC td;

		ID3D11Texture2D_GetDesc(tex, &td);
		if (td.Format != DXGI_FORMAT_B8G8R8A8_UNORM || (int)td.Width < o->place.width ||
		    (int)td.Height < o->place.height) {
			hr = DXGI_ERROR_UNSUPPORTED;
			goto out;
		}
		td.Usage = D3D11_USAGE_STAGING;
		td.BindFlags = 0;
		td.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
		td.MiscFlags = 0;
		td.MipLevels = 1;
		td.ArraySize = 1;
		hr = ID3D11Device_CreateTexture2D(o->dev, &td, NULL, &o->staging);
		if (FAILED(hr))
			goto out;
	}
	ID3D11DeviceContext_CopyResource(o->ctx, (ID3D11Resource *)o->staging, (ID3D11Resource *)tex);
	hr = ID3D11DeviceContext_Map(o->ctx, (ID3D11Resource *)o->staging, 0, D3D11_MAP_READ, 0, &map);
	if (FAILED(hr))
		goto out;
	for (size_t i = 0, n = helper_capture_dxgi_changes(d, o, &fi); i < n; i++) {
		const struct helper_dupl_rect *r = &d->changed[i];

		helper_capture_dxgi_copy(d, o, &map, r);
		ev->damage(ev->ctx, o->place.x + r->left, o->place.y + r->top, r->right - r->left, r->bottom - r->top);
	}
	ID3D11DeviceContext_Unmap(o->ctx, (ID3D11Resource *)o->staging, 0);
	o->fresh = false;
out:
	if (tex != NULL)
		ID3D11Texture2D_Release(tex);
	IDXGIResource_Release(res);
	IDXGIOutputDuplication_ReleaseFrame(o->dupl);
	return hr;
}

static int helper_capture_dxgi_process(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_dxgi *d = state;
	struct helper_capture_events gdi_ev = *ev;
	bool was_ready = helper_capture_dxgi_ready(d), ready;
	DPI_AWARENESS_CONTEXT old;
	int r;

	/* The pointer's shape is Duplication's while it runs, GDI's otherwise. */
	if (d->noutputs > 0)
		gdi_ev.cursor = NULL;
	r = helper_capture_win32_backend.process_events(d->gdi, &gdi_ev);
	ev->resized = gdi_ev.resized;
	ev->layout_changed = gdi_ev.layout_changed;
	if (r != 0 || d->gdi_only)
		return r;
	old = helper_capture_win32_dpi_enter();
	/*
	 * Another size or other monitors: duplicate again, placed anew. The
	 * secure desktop: Windows ended the duplication anyway, and GDI's
	 * detection keeps the viewers on the last picture meanwhile.
	 */
	if (ev->resized || ev->layout_changed || !d->watched ||
	    (helper_capture_win32_backend.refused(d->gdi) & HELPER_CAPTURE_SECURE))
		helper_capture_dxgi_stop(d);
	else if (d->noutputs == 0)
		helper_capture_dxgi_restart(d);
	for (int i = 0; i < d->noutputs; i++) {
		HRESULT hr = helper_capture_dxgi_frame(d, &d->out[i], ev);
		struct helper_capture_dxgi_why why = { .call = "a frame's copy", .hr = hr };

		if (hr == DXGI_ERROR_WAIT_TIMEOUT || SUCCEEDED(hr))
			continue;
		/* Said once; a duplication that fails again and again gives way to GDI for good. */
		if (d->failures == 0)
			log_info("Desktop Duplication of %s stopped (HRESULT 0x%08lx): %s; it starts again",
				 d->out[i].name, (unsigned long)hr, helper_dupl_reason((uint32_t)hr));
		snprintf(why.text, sizeof(why.text), "%s", helper_dupl_reason((uint32_t)hr));
		if (++d->failures >= HELPER_CAPTURE_DXGI_RETRIES)
			helper_capture_dxgi_give_up(d, &why);
		helper_capture_dxgi_stop(d);
		break;
	}
	helper_capture_win32_dpi_leave(old);
	ready = helper_capture_dxgi_ready(d);
	if (ready)
		d->failures = 0;
	/* The source of the pixels changed (GDI's, Duplication's): the driver compares everything once. */
	if (ready != was_ready && d->w > 0 && d->h > 0)
		ev->damage(ev->ctx, 0, 0, d->w, d->h);
	return 0;
}

static bool helper_capture_dxgi_queued(void *state)
{
	(void)state;
	return false;
}

static void helper_capture_dxgi_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_dxgi *d = state;

	helper_capture_win32_backend.format(d->gdi, fmt);
}

static int helper_capture_dxgi_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels,
				    size_t *stride)
{
	struct helper_capture_dxgi *d = state;

	if (!helper_capture_dxgi_ready(d))
		return helper_capture_win32_backend.grab(d->gdi, x, y, w, h, pixels, stride);
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > d->w || y + h > d->h)
		return -1;
	*stride = (size_t)d->w * 4;
	*pixels = d->bits + (size_t)y * *stride + (size_t)x * 4;
	return 0;
}

static int helper_capture_dxgi_select_monitor(void *state, int index, char *err, size_t errlen)
{
	struct helper_capture_dxgi *d = state;

	/* Duplicated again for that monitor alone at the next wake, when watched. */
	helper_capture_dxgi_stop(d);
	return helper_capture_win32_backend.select_monitor(d->gdi, index, err, errlen);
}

static void helper_capture_dxgi_layout(void *state, struct screeninfo *si)
{
	struct helper_capture_dxgi *d = state;

	helper_capture_win32_backend.layout(d->gdi, si);
}

static void helper_capture_dxgi_set_watched(void *state, bool watched)
{
	struct helper_capture_dxgi *d = state;

	d->watched = watched;
	/* Nobody watches: no duplication held (started again at the next wake otherwise). */
	if (!watched)
		helper_capture_dxgi_stop(d);
}

static unsigned helper_capture_dxgi_refused(void *state)
{
	struct helper_capture_dxgi *d = state;

	return helper_capture_win32_backend.refused(d->gdi);
}

const struct helper_capture_backend helper_capture_dxgi_backend = {
	.name = "win32 (DXGI, else GDI)",
	.open = helper_capture_dxgi_open,
	.close = helper_capture_dxgi_close,
	.fd = helper_capture_dxgi_fd,
	.poll_interval_ms = helper_capture_dxgi_poll_interval,
	.wake_ms = helper_capture_dxgi_wake,
	.process_events = helper_capture_dxgi_process,
	.events_queued = helper_capture_dxgi_queued,
	.format = helper_capture_dxgi_format,
	.grab = helper_capture_dxgi_grab,
	.select_monitor = helper_capture_dxgi_select_monitor,
	.layout = helper_capture_dxgi_layout,
	.set_watched = helper_capture_dxgi_set_watched,
	.refused = helper_capture_dxgi_refused,
};

const struct helper_capture_backend *const helper_capture_native_backend = &helper_capture_dxgi_backend;
