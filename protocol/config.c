/*
 * config.c: see config.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

static int config_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* strndup, which Windows' C library lacks; s holds at least n bytes. */
static char *config_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int config_add(struct config *cfg, const char *key, size_t keylen, const char *value,
		      size_t valuelen, unsigned lineno)
{
	struct config_entry *grown;

	if (cfg->count == CONFIG_ENTRIES_MAX)
		return -1;
	grown = realloc(cfg->entries, (cfg->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	cfg->entries = grown;
	grown[cfg->count].key = config_dup(key, keylen);
	grown[cfg->count].value = config_dup(value, valuelen);
	grown[cfg->count].line = lineno;
	if (grown[cfg->count].key == NULL || grown[cfg->count].value == NULL) {
		free(grown[cfg->count].key);
		free(grown[cfg->count].value);
		return -1;
	}
	cfg->count++;
	return 0;
}

static int config_parse_line(struct config *cfg, const char *line, size_t len, unsigned lineno,
			     char *err, size_t errlen)
{
	size_t i = 0, keystart, keyend, vstart, vend;

	/* Files written on Windows end lines with CR LF. */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	keystart = i;
	while (i < len && config_key_char(line[i]))
		i++;
	keyend = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (keyend == keystart || i == len || line[i] != '=') {
		snprintf(err, errlen, "line %u: expected \"key = value\"", lineno);
		return -1;
	}
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	vstart = i;
	vend = len;
	while (vend > vstart && (line[vend - 1] == ' ' || line[vend - 1] == '\t' || line[vend - 1] == '\r'))
		vend--;
	if (vend > vstart && line[vstart] == '"') {
		if (vend - vstart < 2 || line[vend - 1] != '"') {
			snprintf(err, errlen, "line %u: unterminated quote", lineno);
			return -1;
		}
		vstart++;
		vend--;
	}
	if (config_add(cfg, line + keystart, keyend - keystart, line + vstart, vend - vstart, lineno) != 0) {
		snprintf(err, errlen, "line %u: too many settings or out of memory", lineno);
		return -1;
	}
	return 0;
}

/* Line errors come out as "line N: ..."; config_load makes them "PATH:N: ...". */
int config_parse(const char *text, size_t len, struct config *cfg, char *err, size_t errlen)
{
	unsigned lineno = 0;
	size_t pos = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "file larger than %u bytes", CONFIG_FILE_MAX);
		return -1;
	}
	if (!utf8_valid(text, len)) {
		snprintf(err, errlen, "not UTF-8 text");
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (linelen > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "line %u: longer than %u bytes", lineno, CONFIG_LINE_MAX);
			goto fail;
		}
		if (config_parse_line(cfg, text + pos, linelen, lineno, err, errlen) != 0)
			goto fail;
		pos += linelen + (nl ? 1 : 0);
	}
	return 0;
fail:
	config_free(cfg);
	return -1;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;
	FILE *f = fopen(path, "r");

	memset(cfg, 0, sizeof(*cfg));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(CONFIG_FILE_MAX + 1);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	char inner[256];
	unsigned lineno;
	int used;
	if (config_parse(text, len, cfg, inner, sizeof(inner)) != 0) {
		/* The form compilers use, which editors jump to: PATH:LINE: message. */
		if (sscanf(inner, "line %u: %n", &lineno, &used) == 1 && used > 0)
			snprintf(err, errlen, "%s:%u: %s", path, lineno, inner + used);
		else
			snprintf(err, errlen, "%s: %s", path, inner);
		goto out;
	}
	snprintf(cfg->name, sizeof(cfg->name), "%s", path);
	rc = 0;
out:
	free(text);
	fclose(f);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	free(cfg->entries);
	memset(cfg, 0, sizeof(*cfg));
}

static const struct config_entry *config_find(const struct config *cfg, const char *key)
{
	for (size_t i = cfg->count; i > 0; i--)
		if (strcmp(cfg->entries[i - 1].key, key) == 0)
			return &cfg->entries[i - 1];
	return NULL;
}

const char *config_get(const struct config *cfg, const char *key)
{
	const struct config_entry *e = config_find(cfg, key);

	return e != NULL ? e->value : NULL;
}

/* Where an entry is, for a message: "PATH:LINE: " or "line LINE: ". */
static void config_where(const struct config *cfg, const struct config_entry *e, char *out, size_t outlen)
{
	if (cfg->name[0] != '\0')
		snprintf(out, outlen, "%s:%u: ", cfg->name, e->line);
	else
		snprintf(out, outlen, "line %u: ", e->line);
}

int config_value_error(const struct config *cfg, const char *key, char *err, size_t errlen, const char *fmt, ...)
{
	const struct config_entry *e = config_find(cfg, key);
	char where[300] = "";
	va_list ap;
	int n;

	if (e != NULL)
		config_where(cfg, e, where, sizeof(where));
	n = snprintf(err, errlen, "%s%s: ", where, key);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Edits between a and b (insert, delete, change, swap two neighbours), or
 * more than limit. Keys are short: a 64-byte cap keeps the table small.
 */
static unsigned config_distance(const char *a, const char *b, unsigned limit)
{
	enum { N = 64 };
	unsigned d[N + 1][N + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > N || lb > N)
		return limit + 1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

int config_check_keys(const struct config *cfg, const char *const *known, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const struct config_entry *e = &cfg->entries[i];
		const char *guess = NULL;
		unsigned best, limit;
		char where[300];
		size_t k;

		for (k = 0; known[k] != NULL; k++)
			if (strcmp(known[k], e->key) == 0)
				break;
		if (known[k] != NULL)
			continue;
		/* Two typos in a long key, one in a short one: further than that is another word. */
		limit = strlen(e->key) >= 6 ? 2 : 1;
		best = limit + 1;
		for (k = 0; known[k] != NULL; k++) {
			unsigned d = config_distance(e->key, known[k], limit);

			if (d < best) {
				best = d;
				guess = known[k];
			}
		}
		config_where(cfg, e, where, sizeof(where));
		if (guess != NULL)
			snprintf(err, errlen, "%sunknown setting '%s' (did you mean %s?)", where, e->key, guess);
		else
			snprintf(err, errlen, "%sunknown setting '%s'", where, e->key);
		return -1;
	}
	return 0;
}

int config_get_ulong(const struct config *cfg, const char *key, unsigned long def,
		     unsigned long min, unsigned long max, unsigned long *out,
		     char *err, size_t errlen)
{
	const char *v = config_get(cfg, key);
	char *end;
	unsigned long n;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < min || n > max)
		return config_value_error(cfg, key, err, errlen, "expected a number from %lu to %lu, got \"%s\"", min,
					  max, v);
	*out = n;
	return 0;
}

int config_list_next(const char **p, const char **item, size_t *len)
{
	const char *s = *p, *end;
	size_t n;

	if (*s == '\0')
		return 0;
	end = strchr(s, ',');
	n = end != NULL ? (size_t)(end - s) : strlen(s);
	*p = end != NULL ? end + 1 : s + n;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*item = s;
	*len = n;
	return 1;
}

int config_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port)
{
	const char *colon, *hstart, *hend;
	char *end;
	unsigned long n;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == '[') {
		hstart = s + 1;
		hend = strchr(s, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
	} else {
		hstart = s;
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		hend = colon;
	}
	if (hend == hstart || (size_t)(hend - hstart) >= hostlen)
		return -1;
	errno = 0;
	n = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || n == 0 || n > 65535)
		return -1;
	memcpy(host, hstart, (size_t)(hend - hstart));
	host[hend - hstart] = '\0';
	*port = (unsigned)n;
	return 0;
}
