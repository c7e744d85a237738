/*
 * event.c: see event.h. The parsers read a detail through a buf view, one
 * bounded field at a time, and return BUF_ERR_* codes like every other
 * parser; a detail comes out of a store or an export file, so it is as
 * hostile as anything on the wire.
 */
#include "event.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "hex.h"

static const char event_sha_tag[] = ", sha256 ";
static const char event_bytes_tag[] = " bytes";
static const char event_unreadable[] = "unreadable";

/* A decimal number of 1 to 18 digits (no sign, no leading zero unless 0) in p[0..n). */
static int event_number(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 18 || (n > 1 && p[0] == '0'))
		return BUF_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return BUF_ERR_FORMAT;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* p[0..n) as a C string in dst: not empty, no NUL, shorter than dstlen. */
static int event_copy(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
	if (n == 0 || memchr(p, '\0', n) != NULL)
		return BUF_ERR_FORMAT;
	if (n >= dstlen)
		return BUF_ERR_TOO_LONG;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/*
 * The bytes up to the next sep in b, consumed with the sep; BUF_ERR_FORMAT
 * when sep does not follow, leaving b untouched.
 */
static int event_field(struct buf *b, char sep, const uint8_t **p, size_t *n)
{
	const uint8_t *at = memchr(buf_ptr(b), sep, buf_len(b));

	if (at == NULL)
		return BUF_ERR_FORMAT;
	*p = buf_ptr(b);
	*n = (size_t)(at - *p);
	return buf_consume(b, *n + 1);
}

/* Takes tag off the end of b[0..*n): BUF_ERR_FORMAT when it does not end b. */
static int event_strip_tail(const uint8_t *p, size_t *n, const char *tag, size_t taglen)
{
	if (*n < taglen || memcmp(p + *n - taglen, tag, taglen) != 0)
		return BUF_ERR_FORMAT;
	*n -= taglen;
	return 0;
}

/* A detail as a view, refused when it is longer than a chain body allows. */
static int event_view(struct buf *b, const char *detail)
{
	size_t len = strnlen(detail, CHAIN_DETAIL_MAX + 1);

	if (len > CHAIN_DETAIL_MAX)
		return BUF_ERR_TOO_LONG;
	buf_view(b, detail, len);
	return 0;
}

/* ---- attachment-added ---- */

int event_attachment_format(char *out, size_t outlen, int64_t id, const char *kind, const char *name,
			    uint64_t size, const uint8_t sha256[CHAIN_HASH_LEN])
{
	char hex[2 * CHAIN_HASH_LEN + 1];
	size_t klen = strlen(kind), nlen = strlen(name);
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (id <= 0 || klen == 0 || nlen == 0 || strchr(kind, ' ') != NULL || size > 999999999999999999ull)
		return BUF_ERR_FORMAT;
	if (klen > EVENT_NAME_MAX || nlen > EVENT_NAME_MAX)
		return BUF_ERR_TOO_LONG;
	hex_encode(sha256, CHAIN_HASH_LEN, hex);
	n = snprintf(out, outlen, "#%lld %s %s, %llu bytes, sha256 %s", (long long)id, kind, name,
		     (unsigned long long)size, hex);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return BUF_ERR_TOO_LONG;
	}
	return 0;
}

static int event_attachment_fields(const char *detail, struct event_attachment *out)
{
	struct buf b;
	const uint8_t *p, *rest;
	size_t n, restlen, comma;
	uint64_t id;
	uint8_t mark;
	int r;

	if ((r = event_view(&b, detail)) != 0)
		return r;
	/* #ID KIND , then the name and the tail fill what is left. */
	if (buf_get_u8(&b, &mark) != 0 || mark != '#')
		return BUF_ERR_FORMAT;
	if ((r = event_field(&b, ' ', &p, &n)) != 0 || (r = event_number(p, n, &id)) != 0)
		return r;
	if (id == 0)
		return BUF_ERR_FORMAT;
	out->id = (int64_t)id;
	if ((r = event_field(&b, ' ', &p, &n)) != 0 || (r = event_copy(out->kind, sizeof(out->kind), p, n)) != 0)
		return r;
	/* ..., sha256 HEX at the very end: the name may hold ", " and spaces, the tail may not. */
	rest = buf_ptr(&b);
	restlen = buf_len(&b);
	if (restlen < 2 * CHAIN_HASH_LEN)
		return BUF_ERR_FORMAT;
	if (hex_decode((const char *)rest + restlen - 2 * CHAIN_HASH_LEN, 2 * CHAIN_HASH_LEN, out->sha256,
		       CHAIN_HASH_LEN) != 0)
		return BUF_ERR_FORMAT;
	restlen -= 2 * CHAIN_HASH_LEN;
	if ((r = event_strip_tail(rest, &restlen, event_sha_tag, sizeof(event_sha_tag) - 1)) != 0 ||
	    (r = event_strip_tail(rest, &restlen, event_bytes_tag, sizeof(event_bytes_tag) - 1)) != 0)
		return r;
	/* NAME, N: the last ", " before the size. */
	for (comma = restlen; comma > 1 && !(rest[comma - 2] == ',' && rest[comma - 1] == ' '); comma--)
		;
	if (comma <= 1 || (r = event_number(rest + comma, restlen - comma, &out->size)) != 0)
		return BUF_ERR_FORMAT;
	return event_copy(out->name, sizeof(out->name), rest, comma - 2);
}

/* ---- recording-closed ---- */

int event_recording_path_ok(const char *path)
{
	static const char prefix[] = "recordings/";
	size_t len = strnlen(path, EVENT_NAME_MAX + 1);
	const char *seg;

	if (len > EVENT_NAME_MAX || strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = path[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-' || c == '/'))
			return 0;
	}
	/* Every component non-empty and neither "." nor "..". */
	seg = path;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);

		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		seg = slash + 1;
	}
}

static int event_recording_state_ok(const char *state)
{
	return strcmp(state, "complete") == 0 || strcmp(state, "truncated") == 0 || strcmp(state, "failed") == 0;
}

int event_recording_format(char *out, size_t outlen, const char *path, const uint8_t *sha256, uint64_t size,
			   const char *state)
{
	char hex[2 * CHAIN_HASH_LEN + 1];
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (!event_recording_path_ok(path) || !event_recording_state_ok(state) || size > 999999999999999999ull)
		return BUF_ERR_FORMAT;
	if (sha256 != NULL)
		hex_encode(sha256, CHAIN_HASH_LEN, hex);
	n = snprintf(out, outlen, "%s %s %llu %s", path, sha256 != NULL ? hex : event_unreadable,
		     (unsigned long long)size, state);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return BUF_ERR_TOO_LONG;
	}
	return 0;
}

static int event_recording_fields(const char *detail, struct event_recording *out)
{
	struct buf b;
	const uint8_t *p;
	size_t n;
	char path[EVENT_NAME_MAX + 1];
	int r;

	if ((r = event_view(&b, detail)) != 0)
		return r;
	/* PATH */
	if ((r = event_field(&b, ' ', &p, &n)) != 0 || (r = event_copy(path, sizeof(path), p, n)) != 0)
		return r;
	if (!event_recording_path_ok(path))
		return BUF_ERR_FORMAT;
	memcpy(out->path, path, sizeof(path));
	/* SHA256 or "unreadable" */
	if ((r = event_field(&b, ' ', &p, &n)) != 0)
		return r;
	if (n == sizeof(event_unreadable) - 1 && memcmp(p, event_unreadable, n) == 0)
		out->hashed = false;
	else if (n > 0 && hex_decode((const char *)p, n, out->sha256, CHAIN_HASH_LEN) == 0)
		out->hashed = true;
	else
		return BUF_ERR_FORMAT;
	/* SIZE STATE, nothing after the state */
	if ((r = event_field(&b, ' ', &p, &n)) != 0 || (r = event_number(p, n, &out->size)) != 0)
		return r;
	if (memchr(buf_ptr(&b), ' ', buf_len(&b)) != NULL)
		return BUF_ERR_FORMAT;
	if ((r = event_copy(out->state, sizeof(out->state), buf_ptr(&b), buf_len(&b))) != 0)
		return r;
	return event_recording_state_ok(out->state) ? 0 : BUF_ERR_FORMAT;
}

/* Half-parsed fields must not reach a caller that ignores the return. */
int event_attachment_parse(const char *detail, struct event_attachment *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = event_attachment_fields(detail, out)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int event_recording_parse(const char *detail, struct event_recording *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = event_recording_fields(detail, out)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

const char *const event_kinds[] = {
	EVENT_CREATED,
	EVENT_TICKET_OPENED_BY_CUSTOMER,
	EVENT_OPENED_AS,
	EVENT_NOTE,
	EVENT_CHAT,
	EVENT_ESCALATED,
	EVENT_TAKEN,
	EVENT_RESOLVED,
	EVENT_ANSWERED,
	EVENT_ATTACHMENT_ADDED,
	EVENT_OWNER_REMOVED,
	EVENT_TRIAGED,
	EVENT_FIELD_SET,
	EVENT_ESCALATION_FORCED,
	EVENT_SLA_PAUSED,
	EVENT_SLA_RESUMED,
	EVENT_SLA_WARNING,
	EVENT_SLA_BREACH,
	EVENT_KB_ADDED,
	EVENT_KB_EDITED,
	EVENT_KB_SUGGESTED,
	EVENT_RESOLVED_BY_KB,
	EVENT_CODE_ISSUED,
	EVENT_CODE_CANCELLED,
	EVENT_CODE_REFUSED,
	EVENT_CODE_BACKOFF,
	EVENT_CODE_CAP,
	EVENT_CUSTOMER_CONNECTED,
	EVENT_CUSTOMER_DISCONNECTED,
	EVENT_SHARING_PAUSED,
	EVENT_SHARING_RESUMED,
	EVENT_REMOTE_INPUT_IGNORED,
	EVENT_DESKTOP_REFUSED,
	EVENT_DESKTOP_BACK,
	EVENT_CUSTOMER_EVENTS_DROPPED,
	EVENT_CONSENT_ASKED,
	EVENT_CONSENT_GRANTED,
	EVENT_CONSENT_DENIED,
	EVENT_CONSENT_REVOKED,
	EVENT_TECHNICIAN_JOINED,
	EVENT_TECHNICIAN_LEFT,
	EVENT_RECORDING_STARTED,
	EVENT_RECORDING_CLOSED,
	EVENT_RECORDING_FAILED,
	EVENT_LOGS_REQUESTED,
	EVENT_LOGS_REFUSED,
	EVENT_LOGS_UNAVAILABLE,
	EVENT_INTAKE_LIMITED,
	EVENT_INTAKE_REVOKED,
	EVENT_USER_DISABLED,
	EVENT_USER_ENABLED,
	EVENT_USER_REMOVED,
	EVENT_WEBHOOK_FAILING,
	EVENT_WEBHOOK_RECOVERED,
	EVENT_RELAY_KEY_ADDED,
	EVENT_RELAY_KEY_RETIRED,
	EVENT_REOPENED,
	EVENT_CLOSED,
	EVENT_REVIEWED,
	EVENT_RECURRENCE,
	EVENT_SELF_HELP_SHOWN,
	NULL,
};

int event_kind_known(const char *kind, size_t len)
{
	for (size_t i = 0; event_kinds[i] != NULL; i++)
		if (strlen(event_kinds[i]) == len && memcmp(event_kinds[i], kind, len) == 0)
			return 1;
	return 0;
}
