/*
 * fuzz_cmdline.c: libFuzzer target for cmdline_split, which parses the
 * command line any SSH client sends to the relay, and for the promise that
 * cmdline_join gives back a line cmdline_split turns into the same words.
 *
 * The input is NUL-terminated (so it ends at its first NUL, as a C string
 * would). When it splits, its words are joined and split again; the words
 * must come back identical. Joining may only fail when the quoted line would
 * not fit in CMDLINE_MAX, which is checked against a length computed here
 * independently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* Length of cmdline_join's output for argv, without the NUL. */
static size_t fuzz_cmdline_joined_len(char *const *argv, size_t argc)
{
	size_t total = argc > 0 ? argc - 1 : 0;

	for (size_t i = 0; i < argc; i++) {
		const char *w = argv[i];
		size_t len = strlen(w), quotes = 0;

		for (const char *p = w; *p != '\0'; p++)
			if (*p == '\'')
				quotes++;
		if (len > 0 && strpbrk(w, " \t\n\r'\"\\$`") == NULL)
			total += len;
		else
			total += 2 + len + 3 * quotes;
	}
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	char **argv = NULL, **again = NULL;
	size_t argc = 0, argc2 = 0;
	char *joined = NULL;
	char err[128];

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (cmdline_split(line, &argv, &argc, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || argv != NULL)
			abort();
		goto out;
	}
	if (argv == NULL || argc >= CMDLINE_ARGS_MAX || argv[argc] != NULL)
		abort();
	joined = cmdline_join(argv, argc);
	if (joined == NULL) {
		if (fuzz_cmdline_joined_len(argv, argc) < CMDLINE_MAX)
			abort();
		goto out;
	}
	if (strlen(joined) != fuzz_cmdline_joined_len(argv, argc))
		abort();
	if (cmdline_split(joined, &again, &argc2, err, sizeof(err)) != 0)
		abort();
	if (argc2 != argc)
		abort();
	for (size_t i = 0; i < argc; i++)
		if (strcmp(argv[i], again[i]) != 0)
			abort();
out:
	cmdline_free(again);
	cmdline_free(argv);
	free(joined);
	free(line);
	return 0;
}
