/*
 * monitor.c: see monitor.h.
 */
#include "monitor.h"

#include <stdio.h>
#include <string.h>

bool tech_monitor_control(bool view_only, const struct screeninfo *si)
{
	if (view_only)
		return false;
	return si == NULL || (si->flags & SCREENINFO_CONTROL) != 0;
}

int tech_monitor_box(const struct screeninfo *si, int monitor, int fb_w, int fb_h, struct tech_rect *box)
{
	*box = (struct tech_rect){ 0, 0, fb_w > 0 ? fb_w : 1, fb_h > 0 ? fb_h : 1 };
	if (si == NULL || monitor == 0)
		return 0;
	if (!screeninfo_monitor_box(si, monitor, fb_w, fb_h, &box->x, &box->y, &box->w, &box->h)) {
		*box = (struct tech_rect){ 0, 0, fb_w > 0 ? fb_w : 1, fb_h > 0 ? fb_h : 1 };
		return 0;
	}
	return monitor;
}

int tech_monitor_next(int shown, int count)
{
	if (count < 2 || shown < 0 || shown >= count)
		return 0;
	return shown + 1;
}

bool tech_monitor_pick_update(struct tech_monitor_pick *pick, const struct screeninfo *si, int fb_w, int fb_h,
			      struct tech_rect *box)
{
	int shown = tech_monitor_box(si, pick->wanted, fb_w, fb_h, box);
	bool lost = pick->wanted != 0 && shown == 0 && (!pick->settled || pick->shown != 0);

	pick->shown = shown;
	pick->settled = true;
	return lost;
}

void tech_monitor_layout(const struct tech_rect *box, int out_w, int out_h, int border, bool one_to_one,
			 int *pan_x, int *pan_y, struct tech_rect *src, struct tech_rect *dst)
{
	int iw = out_w - 2 * border > 1 ? out_w - 2 * border : 1;
	int ih = out_h - 2 * border > 1 ? out_h - 2 * border : 1;

	if (one_to_one) {
		int max_x, max_y;

		src->w = box->w < iw ? box->w : iw;
		src->h = box->h < ih ? box->h : ih;
		max_x = box->x + box->w - src->w;
		max_y = box->y + box->h - src->h;
		*pan_x = *pan_x < box->x ? box->x : *pan_x > max_x ? max_x : *pan_x;
		*pan_y = *pan_y < box->y ? box->y : *pan_y > max_y ? max_y : *pan_y;
		src->x = *pan_x;
		src->y = *pan_y;
		dst->w = src->w;
		dst->h = src->h;
	} else {
		double sx = (double)iw / box->w, sy = (double)ih / box->h;
		double s = sx < sy ? sx : sy;

		*src = *box;
		dst->w = (int)(box->w * s + 0.5) > 0 ? (int)(box->w * s + 0.5) : 1;
		dst->h = (int)(box->h * s + 0.5) > 0 ? (int)(box->h * s + 0.5) : 1;
	}
	dst->x = (out_w - dst->w) / 2;
	dst->y = (out_h - dst->h) / 2;
}

void tech_monitor_to_remote(const struct tech_rect *box, const struct tech_rect *src, const struct tech_rect *dst,
			    int wx, int wy, int *rx, int *ry)
{
	long x = src->x + (long)(wx - dst->x) * src->w / (dst->w > 0 ? dst->w : 1);
	long y = src->y + (long)(wy - dst->y) * src->h / (dst->h > 0 ? dst->h : 1);
	long x1 = (long)box->x + box->w - 1, y1 = (long)box->y + box->h - 1;

	*rx = (int)(x < box->x ? box->x : x > x1 ? x1 : x);
	*ry = (int)(y < box->y ? box->y : y > y1 ? y1 : y);
}

void tech_monitor_label(const struct screeninfo *si, int shown, const struct tech_rect *box, char *out,
			size_t outlen)
{
	if (si == NULL)
		snprintf(out, outlen, "whole screen");
	else if (shown < 1 || shown > si->count)
		snprintf(out, outlen, "all monitors (%u)", (unsigned)si->count);
	else
		snprintf(out, outlen, "monitor %d/%u %s %dx%d", shown, (unsigned)si->count,
			 si->monitors[shown - 1].name, box->w, box->h);
}

/* Appends name with what would split the line or the field replaced by '_'. */
static size_t tech_monitor_put_name(char *out, size_t used, size_t outlen, const char *name)
{
	for (const char *p = name; *p != '\0' && used + 1 < outlen; p++) {
		unsigned char c = (unsigned char)*p;

		out[used++] = c <= ' ' || c == 0x7f || c == ':' ? '_' : (char)c;
	}
	out[used] = '\0';
	return used;
}

void tech_monitor_describe(const struct screeninfo *si, char *out, size_t outlen)
{
	size_t used;
	int n;

	if (outlen == 0)
		return;
	/* held and input only when set: the line is as before for every helper but a refused Windows one. */
	n = snprintf(out, outlen, "control=%s paused=%s%s%s monitors=%u",
		     (si->flags & SCREENINFO_CONTROL) ? "yes" : "no",
		     (si->flags & SCREENINFO_PAUSED) ? "yes" : "no", (si->flags & SCREENINFO_HELD) ? " held=yes" : "",
		     (si->flags & SCREENINFO_INPUT_REFUSED) ? " input=refused" : "", (unsigned)si->count);
	used = n < 0 ? 0 : (size_t)n < outlen ? (size_t)n : outlen - 1;
	for (unsigned i = 0; i < si->count && used + 1 < outlen; i++) {
		const struct screeninfo_monitor *m = &si->monitors[i];

		n = snprintf(out + used, outlen - used, " %u:", i + 1);
		used += n < 0 ? 0 : (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
		used = tech_monitor_put_name(out, used, outlen, m->name);
		n = snprintf(out + used, outlen - used, ":%ux%u+%u+%u", (unsigned)m->width, (unsigned)m->height,
			     (unsigned)m->x, (unsigned)m->y);
		used += n < 0 ? 0 : (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
	}
}
