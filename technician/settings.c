/*
 * settings.c: see settings.h. The parsing itself is protocol/config.c
 * (bounded, fuzzed); this file only decides where the file is and turns
 * "~/" into the home directory, since people write paths that way.
 */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tech_settings_expand(const char *path, char *out, size_t outlen)
{
	const char *home;

	if (strncmp(path, "~/", 2) != 0)
		return (size_t)snprintf(out, outlen, "%s", path) < outlen ? 0 : -1;
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		return -1;
	return (size_t)snprintf(out, outlen, "%s/%s", home, path + 2) < outlen ? 0 : -1;
}

int tech_settings_load(struct tech_settings *st)
{
	const char *path = getenv("HANDOFF_TECH_CONFIG");
	char err[512];
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (path == NULL || path[0] == '\0')
		path = "~/.config/handoff/tech.conf";
	if (tech_settings_expand(path, st->config_path, sizeof(st->config_path)) != 0) {
		/* No home and no explicit file: nothing to read, options must say it all. */
		st->config_path[0] = '\0';
		return 0;
	}
	if (stat(st->config_path, &sb) != 0 && errno == ENOENT)
		return 0;
	if (config_load(st->config_path, &st->cfg, err, sizeof(err)) != 0) {
		/* config_load names the file and line itself. */
		fprintf(stderr, "handoff-tech: %s\n", err);
		return -1;
	}
	return 0;
}

void tech_settings_free(struct tech_settings *st)
{
	config_free(&st->cfg);
	memset(&st->cfg, 0, sizeof(st->cfg));
}

const char *tech_settings_get(const struct tech_settings *st, const char *key)
{
	const char *v = config_get(&st->cfg, key);

	return v != NULL && v[0] != '\0' ? v : NULL;
}
