/*
 * ctl.c: see ctl.h. The decoder parses a record inside a read-only view of
 * exactly its declared length, so a field can never read into the next
 * record, and rejects trailing bytes so every record has one encoding.
 */
#include "ctl.h"

#include "code.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/*
 * Encodes only what ctl_decode accepts: a record the peer must reject would
 * close the customer's session, so the sender fails instead.
 */
static int ctl_put_text(struct buf *body, const char *s, size_t cap)
{
	size_t n = s ? strlen(s) : 0;

	if (n > cap)
		return BUF_ERR_TOO_LONG;
	if (!utf8_valid((s ? s : ""), n))
		return BUF_ERR_FORMAT;
	return buf_put_string(body, s ? s : "", n);
}

static int ctl_put_body(struct buf *body, const struct ctl_record *r)
{
	int e = 0;

	switch (r->type) {
	case CTL_HELLO:
		if ((e = buf_put_u32(body, r->ticket)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_CONSENT_ASK:
		if (r->caps & ~CTL_CAP_ALL)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 ||
		    (e = buf_put_u32(body, r->ticket)) != 0 ||
		    (e = ctl_put_text(body, r->name, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = buf_put_u8(body, r->caps)) != 0)
			return e;
		return 0;
	case CTL_CONSENT_REPLY:
		if (r->caps & ~CTL_CAP_ALL)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 ||
		    (e = buf_put_u8(body, r->caps)) != 0)
			return e;
		return 0;
	case CTL_VIEWER_LEFT:
		return buf_put_u32(body, r->viewer_id);
	case CTL_STATUS:
		return ctl_put_text(body, r->text, CTL_TEXT_MAX);
	case CTL_CHAT:
		if ((e = ctl_put_text(body, r->name, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_LOGS_ASK:
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 ||
		    (e = buf_put_u32(body, r->ticket)) != 0 ||
		    (e = ctl_put_text(body, r->name, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_LOGS_DATA:
		if (r->flags > CTL_LOGS_REFUSED)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 ||
		    (e = buf_put_u8(body, r->flags)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_SHARING:
		if (r->flags > CTL_SHARING_ENDED)
			return BUF_ERR_FORMAT;
		return buf_put_u8(body, r->flags);
	case CTL_END:
		if (r->flags > CTL_END_RESOLVED)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u8(body, r->flags)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_NOTICE:
		if (r->flags > CTL_NOTICE_TAKEN)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u8(body, r->flags)) != 0 ||
		    (e = ctl_put_text(body, r->name, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_INPUT_IGNORED:
		if (r->count == 0 || r->count > CTL_IGNORED_MAX)
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 || (e = buf_put_u32(body, r->count)) != 0)
			return e;
		return 0;
	case CTL_ANSWERED:
		if (r->flags > CTL_ANSWERED_DESKTOP || (r->caps & ~CTL_CAP_ALL))
			return BUF_ERR_FORMAT;
		if ((e = buf_put_u32(body, r->viewer_id)) != 0 ||
		    (e = buf_put_u8(body, r->flags)) != 0 ||
		    (e = buf_put_u8(body, r->caps)) != 0 ||
		    (e = ctl_put_text(body, r->text, CTL_UI_NAME_MAX)) != 0)
			return e;
		return 0;
	case CTL_RESUME:
		return ctl_put_text(body, r->text, 2 * INTAKE_TOKEN_BYTES);
	case CTL_DESKTOP:
		if (r->flags & ~CTL_DESKTOP_ALL)
			return BUF_ERR_FORMAT;
		return buf_put_u8(body, r->flags);
	default:
		return BUF_ERR_FORMAT;
	}
}

int ctl_encode(struct buf *out, const struct ctl_record *r)
{
	struct buf body;
	int e;

	buf_init(&body, CTL_RECORD_MAX);
	if ((e = buf_put_u8(&body, r->type)) != 0 || (e = ctl_put_body(&body, r)) != 0)
		goto out;
	if (buf_room(out) < buf_len(&body) + 4) {
		e = BUF_ERR_TOO_LONG;
		goto out;
	}
	if ((e = buf_put_u32(out, (uint32_t)buf_len(&body))) != 0 ||
	    (e = buf_put(out, buf_ptr(&body), buf_len(&body))) != 0)
		goto out;
out:
	buf_free(&body);
	return e;
}

static int ctl_get_body(struct buf *body, struct ctl_record *r)
{
	int e;

	switch (r->type) {
	case CTL_HELLO:
		if ((e = buf_get_u32(body, &r->ticket)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_CONSENT_ASK:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 ||
		    (e = buf_get_u32(body, &r->ticket)) != 0 ||
		    (e = buf_get_cstring(body, &r->name, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_u8(body, &r->caps)) != 0)
			return e;
		return (r->caps & ~CTL_CAP_ALL) ? BUF_ERR_FORMAT : 0;
	case CTL_CONSENT_REPLY:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 ||
		    (e = buf_get_u8(body, &r->caps)) != 0)
			return e;
		return (r->caps & ~CTL_CAP_ALL) ? BUF_ERR_FORMAT : 0;
	case CTL_VIEWER_LEFT:
		return buf_get_u32(body, &r->viewer_id);
	case CTL_STATUS:
		return buf_get_cstring(body, &r->text, CTL_TEXT_MAX);
	case CTL_CHAT:
		if ((e = buf_get_cstring(body, &r->name, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_LOGS_ASK:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 ||
		    (e = buf_get_u32(body, &r->ticket)) != 0 ||
		    (e = buf_get_cstring(body, &r->name, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return 0;
	case CTL_LOGS_DATA:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 ||
		    (e = buf_get_u8(body, &r->flags)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return r->flags > CTL_LOGS_REFUSED ? BUF_ERR_FORMAT : 0;
	case CTL_SHARING:
		if ((e = buf_get_u8(body, &r->flags)) != 0)
			return e;
		return r->flags > CTL_SHARING_ENDED ? BUF_ERR_FORMAT : 0;
	case CTL_END:
		if ((e = buf_get_u8(body, &r->flags)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return r->flags > CTL_END_RESOLVED ? BUF_ERR_FORMAT : 0;
	case CTL_NOTICE:
		if ((e = buf_get_u8(body, &r->flags)) != 0 ||
		    (e = buf_get_cstring(body, &r->name, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->tier, CTL_NAME_MAX)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_TEXT_MAX)) != 0)
			return e;
		return r->flags > CTL_NOTICE_TAKEN ? BUF_ERR_FORMAT : 0;
	case CTL_INPUT_IGNORED:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 || (e = buf_get_u32(body, &r->count)) != 0)
			return e;
		return r->count == 0 || r->count > CTL_IGNORED_MAX ? BUF_ERR_FORMAT : 0;
	case CTL_ANSWERED:
		if ((e = buf_get_u32(body, &r->viewer_id)) != 0 ||
		    (e = buf_get_u8(body, &r->flags)) != 0 ||
		    (e = buf_get_u8(body, &r->caps)) != 0 ||
		    (e = buf_get_cstring(body, &r->text, CTL_UI_NAME_MAX)) != 0)
			return e;
		return r->flags > CTL_ANSWERED_DESKTOP || (r->caps & ~CTL_CAP_ALL) ? BUF_ERR_FORMAT : 0;
	case CTL_RESUME:
		return buf_get_cstring(body, &r->text, 2 * INTAKE_TOKEN_BYTES);
	case CTL_DESKTOP:
		if ((e = buf_get_u8(body, &r->flags)) != 0)
			return e;
		return (r->flags & ~CTL_DESKTOP_ALL) ? BUF_ERR_FORMAT : 0;
	default:
		return BUF_ERR_FORMAT;
	}
}

int ctl_decode(struct buf *in, struct ctl_record *r)
{
	struct buf body;
	uint32_t len;
	int e;

	memset(r, 0, sizeof(*r));
	if (buf_peek_u32(in, &len) != 0)
		return 0;
	if (len == 0 || len > CTL_RECORD_MAX)
		return BUF_ERR_TOO_LONG;
	if (buf_len(in) - 4 < len)
		return 0;
	buf_view(&body, buf_ptr(in) + 4, len);
	if ((e = buf_get_u8(&body, &r->type)) != 0 || (e = ctl_get_body(&body, r)) != 0)
		goto fail;
	if (buf_len(&body) != 0) {
		e = BUF_ERR_FORMAT;
		goto fail;
	}
	buf_consume(in, 4 + (size_t)len);
	return 1;
fail:
	ctl_record_free(r);
	return e < 0 ? e : BUF_ERR_FORMAT;
}

void ctl_record_free(struct ctl_record *r)
{
	free(r->name);
	free(r->tier);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

const char *ctl_type_name(uint8_t type)
{
	switch (type) {
	case CTL_HELLO: return "hello";
	case CTL_CONSENT_ASK: return "consent-ask";
	case CTL_CONSENT_REPLY: return "consent-reply";
	case CTL_VIEWER_LEFT: return "viewer-left";
	case CTL_STATUS: return "status";
	case CTL_CHAT: return "chat";
	case CTL_LOGS_ASK: return "logs-ask";
	case CTL_LOGS_DATA: return "logs-data";
	case CTL_SHARING: return "sharing";
	case CTL_END: return "end";
	case CTL_NOTICE: return "notice";
	case CTL_INPUT_IGNORED: return "input-ignored";
	case CTL_ANSWERED: return "answered";
	case CTL_RESUME: return "resume";
	case CTL_DESKTOP: return "desktop";
	default: return "unknown";
	}
}
