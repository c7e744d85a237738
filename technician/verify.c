/*
 * verify.c: see verify.h. The checking itself is export_verify in
 * libhandoff (shared with the tests and the fuzz target); this file reads
 * the files and says the result in words.
 */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "hex.h"
#include "export.h"
#include "textesc.h"
#include "timefmt.h"

enum { TECH_VERIFY_OK = 0, TECH_VERIFY_FAILED = 1, TECH_VERIFY_USAGE = 2 };

static const char tech_verify_usage[] =
	"usage: handoff-tech verify EXPORT --audit-key FILE.pub [--audit-key FILE.pub ...] [--show]\n"
	"  Checks an export (from the relay's `export N`) offline: every record's\n"
	"  hash and place in the chain from seq 1 with none missing, every checkpoint\n"
	"  signature against the audit key, that the last record is signed, and every\n"
	"  attachment and recording against the hash its record holds.\n"
	"  --audit-key  a relay's audit public key; several relays on one store: one\n"
	"               --audit-key per relay, and the export's signatures must all be\n"
	"               by keys given here (nothing in the file adds a key)\n"
	"  --show  then prints the ticket's verified events\n"
	"  Without EXPORT, `verify` runs on the relay and checks the relay's own chain.\n";

int tech_verify_is_offline(int argc, char **argv)
{
	/* `verify` and `verify --json` alone are the relay's command; a file or a key makes it ours. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--audit-key") == 0 || strcmp(argv[i], "--help") == 0 || argv[i][0] != '-')
			return 1;
	return 0;
}

int tech_verify_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat sb;
	uint8_t *data = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "handoff-tech: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		fprintf(stderr, "handoff-tech: %s: not a regular file of at most %zu bytes\n", path, max);
		goto fail;
	}
	data = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
	if (data == NULL) {
		fprintf(stderr, "handoff-tech: out of memory for %s\n", path);
		goto fail;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, data + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "handoff-tech: %s: read failed\n", path);
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*out = data;
	*len = got;
	return 0;
fail:
	free(data);
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * Prints text escaped (textesc.h): an export's content is not to steer our
 * terminal. Control bytes were shown as '?' before, but C1 (U+009B, a CSI
 * on some terminals) and bidirectional overrides passed.
 */
static void tech_verify_print_safe(const char *s)
{
	struct buf b;

	buf_init(&b, 4 * strlen(s) + 16);
	textesc_append(&b, s, NULL);
	fwrite(buf_ptr(&b), 1, buf_len(&b), stdout);
	buf_free(&b);
}

static void tech_verify_show_event(uint64_t seq, const struct chain_event *e, void *ctx)
{
	char when[32];

	(void)ctx;
	timefmt_utc(e->at, TIMEFMT_DATETIME, when, sizeof(when));
	printf("  %6llu  %s  %-20s ", (unsigned long long)seq, when, e->kind);
	tech_verify_print_safe(e->actor);
	if (e->role[0] != '\0' && strcmp(e->role, e->actor) != 0) {
		printf(" (");
		tech_verify_print_safe(e->role);
		printf(")");
	}
	if (e->detail[0] != '\0') {
		printf(": ");
		tech_verify_print_safe(e->detail);
	}
	printf("%s\n", e->clearance[0] ? " [sensitive]" : "");
}

int tech_verify_main(int argc, char **argv)
{
	const char *file = NULL, *keyfiles[EXPORT_KEYS_MAX];
	uint8_t keys[EXPORT_KEYS_MAX][CHAIN_PUB_LEN], *data = NULL;
	size_t nkeys = 0;
	struct export_report rep;
	char err[600], when[32];
	size_t len = 0;
	int show = 0, rc = TECH_VERIFY_USAGE;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--audit-key") == 0 && i + 1 < argc) {
			if (nkeys == EXPORT_KEYS_MAX) {
				fprintf(stderr, "handoff-tech verify: at most %u --audit-key\n", EXPORT_KEYS_MAX);
				return TECH_VERIFY_USAGE;
			}
			keyfiles[nkeys++] = argv[++i];
		} else if (strcmp(argv[i], "--show") == 0)
			show = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(tech_verify_usage, stdout);
			return TECH_VERIFY_OK;
		} else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else {
			fprintf(stderr, "handoff-tech verify: unexpected argument %s\n%s", argv[i], tech_verify_usage);
			return TECH_VERIFY_USAGE;
		}
	}
	if (file == NULL || nkeys == 0) {
		fputs(tech_verify_usage, stderr);
		return TECH_VERIFY_USAGE;
	}
	for (size_t i = 0; i < nkeys; i++)
		if (chain_pub_load(keyfiles[i], keys[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "handoff-tech verify: %s\n", err);
			return TECH_VERIFY_USAGE;
		}
	if (tech_verify_read(file, EXPORT_FILE_MAX, &data, &len) != 0)
		return TECH_VERIFY_USAGE;
	if (export_verify_keys(data, len, (const uint8_t (*)[CHAIN_PUB_LEN])keys, nkeys, &rep, NULL, NULL, err,
			       sizeof(err)) != 0) {
		printf("export verification FAILED: %s\n", err);
		rc = TECH_VERIFY_FAILED;
		goto out;
	}
	printf("export ok: ticket %llu, %llu records (%llu of this ticket), %llu checkpoints, %llu attachments, "
	       "%llu recordings verified\n",
	       (unsigned long long)rep.ticket, (unsigned long long)rep.records, (unsigned long long)rep.ticket_records,
	       (unsigned long long)rep.checkpoints, (unsigned long long)rep.attachments,
	       (unsigned long long)rep.recordings);
	timefmt_utc(rep.last_checkpoint_at, TIMEFMT_DATETIME, when, sizeof(when));
	printf("signed by audit key %s; last checkpoint at seq %llu, %s\n", rep.key_fp,
	       (unsigned long long)rep.last_checkpoint, when);
	if (strcmp(rep.head_key_fp, rep.key_fp) != 0 && rep.head_key_fp[0] != '\0') {
		printf("that checkpoint signed by another relay's key %s (", rep.head_key_fp);
		tech_verify_print_safe(rep.head_key_name);
		printf("), one of the keys given\n");
	}
	if (rep.version >= 2)
		printf("complete: the ticket's own chain ends in the head the relay signed at that checkpoint, "
		       "one of %llu tickets' (export version 2)\n",
		       (unsigned long long)rep.tickets);
	{
		char hash[2 * CHAIN_HASH_LEN + 1], sig[2 * CHAIN_SIG_LEN + 1];

		/* What an auditor's witness keeps (handoff-tech witness): the relay said this, signed, at that time. */
		hex_encode(rep.last_checkpoint_hash, CHAIN_HASH_LEN, hash);
		hex_encode(rep.last_checkpoint_sig, CHAIN_SIG_LEN, sig);
		printf("signed head: seq %llu hash %s at %lld sig %s\n", (unsigned long long)rep.last_checkpoint, hash,
		       (long long)rep.last_checkpoint_at, sig);
	}
	if (rep.recordings_unhashed > 0)
		printf("note: %llu recordings could not be hashed by the relay when they closed (named \"unreadable\" "
		       "in their record): they are part of the record but cannot be checked\n",
		       (unsigned long long)rep.recordings_unhashed);
	if (show) {
		printf("events of ticket %llu:\n", (unsigned long long)rep.ticket);
		/* A second pass over bytes already verified. */
		export_verify_keys(data, len, (const uint8_t (*)[CHAIN_PUB_LEN])keys, nkeys, &rep, tech_verify_show_event,
				   NULL, err, sizeof(err));
	}
	rc = TECH_VERIFY_OK;
out:
	free(data);
	return rc;
}
