/*
 * hookverify.c: see hookverify.h. The body is read whole (up to the
 * relay's largest body, 8 MiB, a little more to tell "too long"); the
 * secret file gets the relay's own rules: the owner's alone, a final
 * newline cut.
 */
#include "hookverify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hooksig.h"

#define HOOKVERIFY_BODY_MAX (8u * 1024 * 1024)
#define HOOKVERIFY_SECRET_MAX 256

static const char hookverify_usage[] =
	"usage: handoff-tech webhook-verify --secret-file FILE --signature 'HANDOFF-SIGNATURE' [--window SECONDS]\n"
	"                                   [--now UNIX-SECONDS] < BODY\n"
	"  checks one webhook delivery: HMAC-SHA256 of \"TIMESTAMP.BODY\" with the secret in FILE\n"
	"  (mode 0600), and a timestamp within --window (default 300) seconds of now.\n"
	"  Prints \"verified\" (exit 0) or \"refused: WHY\" (exit 1). Drop Handoff-Event-Ids\n"
	"  already seen: that refuses a replay inside the window too (docs/webhooks.md).\n";

static int hookverify_secret(const char *path, unsigned char *out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "handoff-tech: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (sb.st_mode & 077)) {
		fprintf(stderr, "handoff-tech: %s may be read by other users; chmod 600 %s\n", path, path);
		close(fd);
		return -1;
	}
	n = read(fd, out, HOOKVERIFY_SECRET_MAX + 2);
	close(fd);
	if (n > 0 && out[n - 1] == '\n')
		n--;
	if (n > 0 && out[n - 1] == '\r')
		n--;
	if (n <= 0 || n > HOOKVERIFY_SECRET_MAX) {
		fprintf(stderr, "handoff-tech: %s: expected a secret of 1 to %d bytes\n", path, HOOKVERIFY_SECRET_MAX);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int tech_hookverify_main(int argc, char **argv)
{
	const char *secret_file = NULL, *sig = NULL;
	unsigned char secret[HOOKVERIFY_SECRET_MAX + 2];
	long long window = HOOKSIG_WINDOW_DEFAULT, now = (long long)time(NULL);
	unsigned char *body = NULL;
	size_t secret_len = 0, len = 0;
	char why[256], *end;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--secret-file") == 0 && i + 1 < argc) {
			secret_file = argv[++i];
		} else if (strcmp(argv[i], "--signature") == 0 && i + 1 < argc) {
			sig = argv[++i];
		} else if ((strcmp(argv[i], "--window") == 0 || strcmp(argv[i], "--now") == 0) && i + 1 < argc) {
			long long v = strtoll(argv[i + 1], &end, 10);

			if (end == argv[i + 1] || *end != '\0' || v < 0) {
				fputs(hookverify_usage, stderr);
				return 2;
			}
			if (strcmp(argv[i], "--window") == 0)
				window = v;
			else
				now = v;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(hookverify_usage, stdout);
			return 0;
		} else {
			fputs(hookverify_usage, stderr);
			return 2;
		}
	}
	if (secret_file == NULL || sig == NULL) {
		fputs(hookverify_usage, stderr);
		return 2;
	}
	if (hookverify_secret(secret_file, secret, &secret_len) != 0)
		goto out;
	body = malloc(HOOKVERIFY_BODY_MAX + 1);
	if (body == NULL) {
		fprintf(stderr, "handoff-tech: out of memory\n");
		goto out;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, body + len, HOOKVERIFY_BODY_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "handoff-tech: standard input: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > HOOKVERIFY_BODY_MAX) {
			fprintf(stderr, "handoff-tech: the body is longer than %u bytes\n", HOOKVERIFY_BODY_MAX);
			goto out;
		}
	}
	if (hooksig_verify(secret, secret_len, sig, strlen(sig), body, len, now, window, NULL, why, sizeof(why)) != 0) {
		printf("refused: %s\n", why);
		rc = 1;
		goto out;
	}
	printf("verified\n");
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(body);
	return rc;
}
