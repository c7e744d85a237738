/*
 * config.c: see config.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
		      size_t valuelen)
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
	if (config_add(cfg, line + keystart, keyend - keystart, line + vstart, vend - vstart) != 0) {
		snprintf(err, errlen, "line %u: too many settings or out of memory", lineno);
		return -1;
	}
	return 0;
}

int config_parse(const char *text, size_t len, struct config *cfg, char *err, size_t errlen)
{
	unsigned lineno = 0;
	size_t pos = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "file larger than %u bytes", CONFIG_FILE_MAX);
		return -1;
	}
	if (!buf_utf8_valid((const uint8_t *)text, len)) {
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
	if (config_parse(text, len, cfg, inner, sizeof(inner)) != 0) {
		snprintf(err, errlen, "%s: %s", path, inner);
		goto out;
	}
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

const char *config_get(const struct config *cfg, const char *key)
{
	for (size_t i = cfg->count; i > 0; i--)
		if (strcmp(cfg->entries[i - 1].key, key) == 0)
			return cfg->entries[i - 1].value;
	return NULL;
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
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < min || n > max) {
		snprintf(err, errlen, "%s: expected a number from %lu to %lu, got \"%s\"", key, min,
			 max, v);
		return -1;
	}
	*out = n;
	return 0;
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
