/*
 * keygen.c: see keygen.h. Both files are created exclusively: an existing
 * key is never overwritten, since losing a private key loses every
 * recording sealed to it.
 */
#include "keygen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "seal.h"

#define TECH_KEYGEN_EXIT_USAGE 2

static const char tech_keygen_usage[] =
	"usage: handoff-tech keygen --out PATH\n"
	"  writes the auditors' recording key pair: PATH (private, mode 0600, keep it\n"
	"  off the relay) and PATH.pub (install it: handoff-relay recording-key DIR PATH.pub)\n";

int tech_keygen_main(int argc, char **argv)
{
	uint8_t pub[SEAL_KEY_LEN], priv[SEAL_KEY_LEN];
	const char *out = NULL;
	char *pub_path = NULL;
	char err[512];
	size_t len;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && out == NULL) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(tech_keygen_usage, stdout);
			return 0;
		} else {
			fputs(tech_keygen_usage, stderr);
			return TECH_KEYGEN_EXIT_USAGE;
		}
	}
	if (out == NULL || out[0] == '\0') {
		fputs(tech_keygen_usage, stderr);
		return TECH_KEYGEN_EXIT_USAGE;
	}
	len = strlen(out);
	pub_path = malloc(len + sizeof(".pub"));
	if (pub_path == NULL) {
		fprintf(stderr, "handoff-tech: out of memory\n");
		return 1;
	}
	snprintf(pub_path, len + sizeof(".pub"), "%s.pub", out);
	if (access(pub_path, F_OK) == 0) {
		fprintf(stderr, "handoff-tech: %s exists; not overwriting a key\n", pub_path);
		goto out;
	}
	if (seal_keygen(pub, priv) != 0) {
		fprintf(stderr, "handoff-tech: cannot generate a key\n");
		goto out;
	}
	if (seal_key_save(out, priv, true, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: cannot write the private key: %s\n", err);
		goto out;
	}
	if (seal_key_save(pub_path, pub, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: cannot write the public key: %s\n", err);
		/* Half a key pair is no use and the private half must not linger. */
		unlink(out);
		goto out;
	}
	printf("%s\n", pub_path);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	free(pub_path);
	return rc;
}
