/*
 * config: the small "key = value" format of Handoff's configuration files.
 *
 * One setting per line; '#' starts a comment line; blank lines are ignored;
 * a value may be wrapped in double quotes to keep leading or trailing
 * spaces. Keys are [a-z0-9_.-]. Files and lines are size-capped; a bad line
 * is an error that names the line, never a guess.
 */
#ifndef HANDOFF_CONFIG_H
#define HANDOFF_CONFIG_H

#include <stddef.h>

#define CONFIG_FILE_MAX (256u * 1024)
#define CONFIG_LINE_MAX 4096u
#define CONFIG_ENTRIES_MAX 512u

struct config_entry {
	char *key;
	char *value;
	unsigned line;   /* where it was set, from 1 */
};

struct config {
	struct config_entry *entries;
	size_t count;
	char name[256];  /* the file, for messages ("PATH:LINE: ..."); "" when parsed from text */
};

/* Parses text into cfg (which the caller frees with config_free). 0 or -1 with err. */
int config_parse(const char *text, size_t len, struct config *cfg, char *err, size_t errlen);
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The last value set for key, or NULL. The pointer lives as long as cfg. */
const char *config_get(const struct config *cfg, const char *key);
/*
 * Refuses the first setting whose key is not in known (NULL-terminated):
 * "NAME:LINE: unknown setting 'KEY'", with "(did you mean K?)" when a
 * known key is one or two typos away. 0 or -1 with err.
 */
int config_check_keys(const struct config *cfg, const char *const *known, char *err, size_t errlen);
/*
 * Formats an error about key's value into err, prefixed with where it is
 * set ("NAME:LINE: KEY: ", or "KEY: " when it is not set). Returns -1.
 */
int config_value_error(const struct config *cfg, const char *key, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Number in [min, max]; def when the key is absent. 0 or -1 with err naming the line. */
int config_get_ulong(const struct config *cfg, const char *key, unsigned long def,
		     unsigned long min, unsigned long max, unsigned long *out,
		     char *err, size_t errlen);
/*
 * Walks a comma-separated value ("facts, journal 200"): the next item,
 * trimmed of blanks, in *item and *len (0 for an empty one, as in "a,,b"),
 * and *p past it and its comma. 1 while there was an item, 0 at the end.
 */
int config_list_next(const char **p, const char **item, size_t *len);
/*
 * "host:port" or "[v6]:port" into host and port (1..65535). 0 or -1.
 */
int config_parse_hostport(const char *s, char *host, size_t hostlen, unsigned *port);

#endif
