/*
 * settings: where handoff-tech finds its relay, key and trust when the
 * command line does not say, so that daily commands stay short
 * (`handoff-tech queue`, `handoff-tech view 42`).
 *
 * Order, first wins: command-line option, environment variable
 * (HANDOFF_RELAY, HANDOFF_IDENTITY, HANDOFF_HOST_KEY), the config file
 * ($HANDOFF_TECH_CONFIG, else ~/.config/handoff/tech.conf; the usual
 * "key = value" format of protocol/config.h):
 *
 *     relay = relay.example.com:2222
 *     identity = ~/.ssh/id_ed25519
 *     host_key = SHA256:...           (optional: a pin beats known_hosts)
 *     user = handoff                  (optional)
 *     known_hosts = ~/.config/handoff/known_hosts   (optional)
 *
 * A missing config file is fine (everything may come from options); a
 * config file that exists but does not parse is an error, never ignored.
 */
#ifndef HANDOFF_TECH_SETTINGS_H
#define HANDOFF_TECH_SETTINGS_H

#include <stddef.h>

#include "config.h"

#define TECH_SETTINGS_PATH_MAX 4096

struct tech_settings {
	struct config cfg;                      /* owns the strings below that came from the file */
	char config_path[TECH_SETTINGS_PATH_MAX];
	char identity[TECH_SETTINGS_PATH_MAX];  /* ~ expanded */
	char known_hosts[TECH_SETTINGS_PATH_MAX];
};

/*
 * Loads the config file (if any) into st. Returns 0 (also when there is
 * no file), or -1 after printing which line of which file is wrong.
 */
int tech_settings_load(struct tech_settings *st);
void tech_settings_free(struct tech_settings *st);
/* The file's value for key, or NULL. Lives as long as st. */
const char *tech_settings_get(const struct tech_settings *st, const char *key);
/*
 * path with a leading "~/" replaced by $HOME into out. 0, or -1 when it
 * does not fit or $HOME is unset.
 */
int tech_settings_expand(const char *path, char *out, size_t outlen);

#endif
