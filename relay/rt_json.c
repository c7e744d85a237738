/*
 * rt_json.c: Request Tracker's REST 2 answers (rt.h).
 *
 * json-c does the parsing (Debian's libjson-c5): a JSON parser of our
 * own for RT's nested answers would be one more parser to get wrong.
 * It is held on a short lead: the answer is capped before it gets here
 * (RT_ANSWER_MAX), the tokener's depth is RT_JSON_DEPTH, the whole input
 * must be one value and nothing after it but blanks, and every field is
 * checked for its type before it is read (json-c's getters would turn a
 * string where a number belongs into 0 without a word). Whatever answers
 * at RT's URL, a proxy's HTML error page or a hostile server, gets a
 * sentence in `webhooks status`, never a crash or a guess.
 */
#include "rt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "utf8.h"

static void rt_json_why(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
}

/* The answer as one JSON value, or NULL with why. The caller puts it. */
static struct json_object *rt_json_parse(const char *p, size_t n, char *why, size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	enum json_tokener_error e;
	size_t end;

	if (n == 0) {
		rt_json_why(why, whylen, "an empty answer where JSON was expected");
		return NULL;
	}
	if (n > RT_ANSWER_MAX || n > (size_t)INT32_MAX) {
		rt_json_why(why, whylen, "an answer over 1 MiB");
		return NULL;
	}
	tok = json_tokener_new_ex(RT_JSON_DEPTH);
	if (tok == NULL) {
		rt_json_why(why, whylen, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, p, (int)n);
	e = json_tokener_get_error(tok);
	if (o == NULL || e != json_tokener_success) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "not JSON (%s)",
				 e == json_tokener_continue ? "it ends too soon" : json_tokener_error_desc(e));
		json_object_put(o);
		o = NULL;
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < n; end++)
		if (p[end] != ' ' && p[end] != '\n' && p[end] != '\r' && p[end] != '\t') {
			rt_json_why(why, whylen, "not JSON (more after the value)");
			json_object_put(o);
			o = NULL;
			break;
		}
out:
	json_tokener_free(tok);
	return o;
}

/* o's member key if it has that type, else NULL. */
static struct json_object *rt_json_get(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* o's member key of any type, or NULL. */
static struct json_object *rt_json_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* An id as RT sends it: a positive integer, or a string of 1 to 18 digits. */
static int rt_json_int(struct json_object *v, int64_t *out)
{
	int64_t id = 0;

	if (v != NULL && json_object_is_type(v, json_type_int)) {
		id = json_object_get_int64(v);
	} else if (v != NULL && json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t len = (size_t)json_object_get_string_len(v);

		if (len == 0 || len > 18)
			return -1;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			id = id * 10 + (s[i] - '0');
		}
	} else {
		return -1;
	}
	if (id <= 0)
		return -1;
	*out = id;
	return 0;
}

/* A string member into out: printable ASCII of at most outlen - 1 bytes, else -1 (names, types). */
static int rt_json_name(struct json_object *o, const char *key, char *out, size_t outlen)
{
	struct json_object *v = rt_json_get(o, key, json_type_string);
	const char *s;
	size_t len;

	if (v == NULL)
		return -1;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len >= outlen)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int rt_json_id(const char *p, size_t n, int64_t *id, char *why, size_t whylen)
{
	struct json_object *o = rt_json_parse(p, n, why, whylen);
	int rc = -1;

	if (o == NULL)
		return -1;
	if (rt_json_int(rt_json_member(o, "id"), id) != 0)
		rt_json_why(why, whylen, "JSON without the id of what was created");
	else
		rc = 0;
	json_object_put(o);
	return rc;
}

int rt_json_creator(const char *p, size_t n, char *name, size_t namelen, char *why, size_t whylen)
{
	struct json_object *o = rt_json_parse(p, n, why, whylen);
	int rc = -1;

	if (o == NULL)
		return -1;
	if (rt_json_name(rt_json_get(o, "Creator", json_type_object), "id", name, namelen) != 0)
		rt_json_why(why, whylen, "JSON without the record's Creator");
	else
		rc = 0;
	json_object_put(o);
	return rc;
}

/* The items array of a collection answer, or NULL with why. */
static struct json_object *rt_json_items(struct json_object *o, char *why, size_t whylen)
{
	struct json_object *items = rt_json_get(o, "items", json_type_array);

	if (items == NULL)
		rt_json_why(why, whylen, "JSON without the items of a collection");
	return items;
}

int rt_json_txns(const char *p, size_t n, struct rt_txn *out, size_t max, size_t *count, char *why, size_t whylen)
{
	struct json_object *o = rt_json_parse(p, n, why, whylen), *items;
	size_t len;
	int rc = -1;

	*count = 0;
	if (o == NULL)
		return -1;
	if ((items = rt_json_items(o, why, whylen)) == NULL)
		goto out;
	len = json_object_array_length(items);
	for (size_t i = 0; i < len && *count < max; i++) {
		struct json_object *t = json_object_array_get_idx(items, i);
		struct rt_txn *x = &out[*count];

		memset(x, 0, sizeof(*x));
		if (rt_json_int(rt_json_member(t, "id"), &x->id) != 0 ||
		    rt_json_name(t, "Type", x->type, sizeof(x->type)) != 0 ||
		    rt_json_name(rt_json_get(t, "Creator", json_type_object), "id", x->creator, sizeof(x->creator)) != 0) {
			rt_json_why(why, whylen, "a transaction without its id, Type or Creator");
			goto out;
		}
		/* In id order, as asked: one out of order would move the poll's mark past a comment unread. */
		if (*count > 0 && x->id <= out[*count - 1].id) {
			rt_json_why(why, whylen, "transactions out of order");
			goto out;
		}
		(*count)++;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/*
 * s[0..n) as text for a note, into out (outlen > 0): valid UTF-8 whatever
 * came (json-c passes a string's raw bytes through unchecked: each byte
 * that does not start a character becomes U+FFFD), CRLF as LF, cut at a
 * character's end to fit.
 */
static void rt_json_utf8(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int len = utf8_next(s + i, n - i, &cp);
		const char *put = s + i;
		size_t putlen = (size_t)len;

		if (len <= 0) {
			put = "\xef\xbf\xbd";
			putlen = 3;
			len = 1;
		} else if (cp == '\r' && i + 1 < n && s[i + 1] == '\n') {
			putlen = 0;
		}
		if (o + putlen > outlen - 1)
			break;
		memcpy(out + o, put, putlen);
		o += putlen;
		i += (size_t)len;
	}
	out[o] = '\0';
}

int rt_json_text(const char *p, size_t n, char *out, size_t outlen, char *why, size_t whylen)
{
	struct json_object *o = rt_json_parse(p, n, why, whylen), *items;
	size_t len;
	int rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (o == NULL)
		return -1;
	if ((items = rt_json_items(o, why, whylen)) == NULL)
		goto out;
	len = json_object_array_length(items);
	for (size_t i = 0; i < len; i++) {
		struct json_object *a = json_object_array_get_idx(items, i);
		struct json_object *ct = rt_json_get(a, "ContentType", json_type_string);
		struct json_object *fn = rt_json_get(a, "Filename", json_type_string);
		struct json_object *c = rt_json_get(a, "Content", json_type_string);
		size_t clen;

		if (ct == NULL || c == NULL || strcmp(json_object_get_string(ct), "text/plain") != 0 ||
		    (fn != NULL && json_object_get_string_len(fn) > 0))
			continue;
		clen = (size_t)json_object_get_string_len(c);
		/* json-c keeps what \u0000 decodes to: the text ends there, as C's strings do. */
		clen = strnlen(json_object_get_string(c), clen);
		rt_json_utf8(json_object_get_string(c), clen, out, outlen);
		break;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

int rt_json_first(const char *p, size_t n, int64_t *id, char *why, size_t whylen)
{
	struct json_object *o = rt_json_parse(p, n, why, whylen), *items;
	int rc = -1;

	*id = 0;
	if (o == NULL)
		return -1;
	if ((items = rt_json_items(o, why, whylen)) == NULL)
		goto out;
	if (json_object_array_length(items) > 0) {
		if (rt_json_int(rt_json_member(json_object_array_get_idx(items, 0), "id"), id) != 0) {
			rt_json_why(why, whylen, "a search hit without its id");
			goto out;
		}
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static void rt_json_printable(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	out[o] = '\0';
}

void rt_json_explain(const char *p, size_t n, char *out, size_t outlen)
{
	struct json_object *o = n <= RT_ANSWER_MAX ? rt_json_parse(p, n, NULL, 0) : NULL, *v = NULL;

	if (outlen == 0)
		return;
	if (o != NULL && (v = rt_json_get(o, "message", json_type_string)) != NULL) {
		rt_json_printable(json_object_get_string(v), (size_t)json_object_get_string_len(v), out, outlen);
	} else if (o != NULL && json_object_is_type(o, json_type_array) && json_object_array_length(o) > 0 &&
		   json_object_is_type(json_object_array_get_idx(o, 0), json_type_string)) {
		v = json_object_array_get_idx(o, 0);
		rt_json_printable(json_object_get_string(v), (size_t)json_object_get_string_len(v), out, outlen);
	} else {
		rt_json_printable(p, n, out, outlen);
	}
	json_object_put(o);
}
