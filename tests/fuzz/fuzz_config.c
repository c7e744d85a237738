/*
 * fuzz_config.c: libFuzzer target for the configuration parser and the
 * host:port parser.
 *
 * The input is parsed as a whole config file (from a NUL-terminated copy,
 * so the readers after it may treat values as C strings). When it parses,
 * every entry is looked up again, read as a number and as a host:port, and
 * the answers are checked: config_get returns the last value for a key,
 * numbers honour their bounds, ports are 1..65535 and hosts fit their
 * buffer. The raw input is also fed to config_parse_hostport directly.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void fuzz_config_hostport(const char *s)
{
	char host[64];
	unsigned port = 0;

	if (config_parse_hostport(s, host, sizeof(host), &port) != 0)
		return;
	if (port < 1 || port > 65535 || host[0] == '\0' || strlen(host) >= sizeof(host))
		abort();
	/* The host is the text before the port's colon, brackets removed. */
	if (strstr(s, host) == NULL)
		abort();
}

static void fuzz_config_entries(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const char *key = cfg->entries[i].key;
		const char *value = config_get(cfg, key);
		unsigned long n = 0;
		char err[256];

		if (value == NULL || key[0] == '\0')
			abort();
		/* config_get gives the last setting of the key. */
		for (size_t j = cfg->count; j > 0; j--) {
			if (strcmp(cfg->entries[j - 1].key, key) == 0) {
				if (value != cfg->entries[j - 1].value)
					abort();
				break;
			}
		}
		if (config_get_ulong(cfg, key, 7, 0, ULONG_MAX, &n, err, sizeof(err)) == 0 &&
		    (value[0] < '0' || value[0] > '9'))
			abort();
		if (config_get_ulong(cfg, key, 7, 10, 1000, &n, err, sizeof(err)) == 0 &&
		    (n < 10 || n > 1000))
			abort();
		fuzz_config_hostport(value);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct config cfg;
	char err[256];
	unsigned long n = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (config_parse(text, size, &cfg, err, sizeof(err)) == 0) {
		if (cfg.count > CONFIG_ENTRIES_MAX)
			abort();
		fuzz_config_entries(&cfg);
		if (config_get_ulong(&cfg, "no such key", 42, 0, 1, &n, err, sizeof(err)) != 0 ||
		    n != 42)
			abort();
		config_free(&cfg);
	} else if (err[0] == '\0' || cfg.count != 0 || cfg.entries != NULL) {
		abort();
	}
	fuzz_config_hostport(text);
	free(text);
	return 0;
}
