/*
 * cmdline.c: see cmdline.h. The splitter is a small state machine over the
 * bytes of the line; words are collected in a bounded buffer so that no
 * input can make it allocate more than CMDLINE_MAX per word.
 */
#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

void cmdline_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

static int cmdline_push(char ***argv, size_t *argc, const char *word, size_t len)
{
	char **grown;

	if (*argc + 1 >= CMDLINE_ARGS_MAX)
		return -1;
	grown = realloc(*argv, (*argc + 2) * sizeof(char *));
	if (grown == NULL)
		return -1;
	*argv = grown;
	grown[*argc] = strndup(word, len);
	if (grown[*argc] == NULL)
		return -1;
	(*argc)++;
	grown[*argc] = NULL;
	return 0;
}

int cmdline_split(const char *line, char ***argv_out, size_t *argc_out, char *err, size_t errlen)
{
	enum { BLANK, WORD, SINGLE, DOUBLE } state = BLANK;
	char word[CMDLINE_MAX];
	size_t wlen = 0, argc = 0, len;
	char **argv = calloc(1, sizeof(char *));

	if (argv == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = strlen(line);
	if (len > CMDLINE_MAX) {
		snprintf(err, errlen, "command longer than %u bytes", CMDLINE_MAX);
		goto fail;
	}
	if (!utf8_valid(line, len)) {
		snprintf(err, errlen, "command is not UTF-8 text");
		goto fail;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = line[i];

		switch (state) {
		case BLANK:
		case WORD:
			if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				if (state == WORD && cmdline_push(&argv, &argc, word, wlen) != 0) {
					snprintf(err, errlen, "more than %u words", CMDLINE_ARGS_MAX - 1);
					goto fail;
				}
				state = BLANK;
				wlen = 0;
				continue;
			}
			state = WORD;
			if (c == '\'') {
				state = SINGLE;
				continue;
			}
			if (c == '"') {
				state = DOUBLE;
				continue;
			}
			if (c == '\\') {
				if (line[i + 1] == '\0') {
					snprintf(err, errlen, "trailing backslash");
					goto fail;
				}
				c = line[++i];
			}
			break;
		case SINGLE:
			if (c == '\0')
				goto unterminated;
			if (c == '\'') {
				state = WORD;
				continue;
			}
			break;
		case DOUBLE:
			if (c == '\0')
				goto unterminated;
			if (c == '"') {
				state = WORD;
				continue;
			}
			if (c == '\\' && strchr("\"\\$`", line[i + 1]) != NULL && line[i + 1] != '\0')
				c = line[++i];
			break;
		}
		/* A word can never be longer than the line, which is capped. */
		word[wlen++] = c;
	}
	*argv_out = argv;
	*argc_out = argc;
	return 0;
unterminated:
	snprintf(err, errlen, "unterminated quote");
fail:
	cmdline_free(argv);
	return -1;
}

char *cmdline_join(char *const *argv, size_t argc)
{
	struct buf out;
	char *s = NULL;
	int e = 0;

	buf_init(&out, CMDLINE_MAX);
	for (size_t i = 0; i < argc && e == 0; i++) {
		const char *w = argv[i];
		int plain = *w != '\0';

		for (const char *p = w; *p != '\0'; p++)
			if (strchr(" \t\n\r'\"\\$`", *p) != NULL)
				plain = 0;
		if (i > 0)
			e = buf_put_u8(&out, ' ');
		if (plain) {
			if (e == 0)
				e = buf_put(&out, w, strlen(w));
			continue;
		}
		/* Single quotes keep everything literal; a ' itself becomes '\''. */
		if (e == 0)
			e = buf_put_u8(&out, '\'');
		for (const char *p = w; *p != '\0' && e == 0; p++)
			e = *p == '\'' ? buf_put(&out, "'\\''", 4) : buf_put_u8(&out, (uint8_t)*p);
		if (e == 0)
			e = buf_put_u8(&out, '\'');
	}
	if (e == 0 && buf_put_u8(&out, '\0') == 0)
		s = strdup((const char *)buf_ptr(&out));
	buf_free(&out);
	return s;
}
