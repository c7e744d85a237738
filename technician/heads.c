/*
 * heads.c: see heads.h. The check itself is witness_check
 * (protocol/witness.c); this file reads the evidence, keeps the heads file
 * and says what it found.
 */
#include "heads.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "export.h"
#include "hex.h"
#include "timefmt.h"
#include "witness.h"

#define TECH_WITNESS_OK 0
#define TECH_WITNESS_FAILED 1
#define TECH_WITNESS_USAGE 2
/* verify --json of a relay with a checkpoint every 100 records: ~80 bytes a checkpoint. */
#define TECH_WITNESS_JSON_MAX (256u * 1024 * 1024)

static const char tech_witness_usage[] =
	"usage: handoff-tech witness --audit-key FILE.pub [--dir DIR] EVIDENCE...\n"
	"  EVIDENCE: an export (export N > FILE), or `verify --json` output (a file, or - for stdin).\n"
	"  Checks it against every signed head kept for this audit key, then keeps its newest head.\n";

struct tech_witness_kept {
	struct witness_head *v;
	size_t n, cap;
};

static int tech_witness_keep(const struct witness_head *h, void *ctx)
{
	struct tech_witness_kept *k = ctx;

	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].seq == h->seq && memcmp(k->v[i].hash, h->hash, CHAIN_HASH_LEN) == 0)
			return 0;
	if (k->n == k->cap) {
		size_t want = k->cap ? 2 * k->cap : 16;
		struct witness_head *grown = realloc(k->v, want * sizeof(*grown));

		if (grown == NULL)
			return -1;
		k->v = grown;
		k->cap = want;
	}
	k->v[k->n++] = *h;
	return 0;
}

/* Reads a whole file (or stdin for "-") of at most max bytes. 0 or -1 (said on stderr). */
static int tech_witness_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1u << 16, n = 0;
	uint8_t *p = NULL;

	*out = NULL;
	*len = 0;
	if (f == NULL) {
		if (errno == ENOENT)
			return 1;
		fprintf(stderr, "handoff-tech witness: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		uint8_t *grown;
		size_t got;

		if (n == cap || p == NULL) {
			if (p != NULL)
				cap *= 2;
			if (cap > max + 1 || (grown = realloc(p, cap)) == NULL) {
				fprintf(stderr, "handoff-tech witness: %s: larger than %zu bytes, or out of memory\n", path, max);
				goto fail;
			}
			p = grown;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "handoff-tech witness: %s: read failed\n", path);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*out = p;
	*len = n;
	return 0;
fail:
	if (f != stdin)
		fclose(f);
	free(p);
	return -1;
}

/* mkdir -p for the heads' directory, private. */
static int tech_witness_mkdirs(char *path)
{
	for (char *s = path + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int tech_witness_store_path(const char *dir, const uint8_t pub[CHAIN_PUB_LEN], char *out, size_t outlen)
{
	char base[4096], idhex[2 * CHAIN_HASH_LEN + 1];
	uint8_t id[CHAIN_HASH_LEN];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (dir != NULL)
		snprintf(base, sizeof(base), "%s", dir);
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(base, sizeof(base), "%s/handoff/witness", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(base, sizeof(base), "%s/.config/handoff/witness", home);
	else
		return -1;
	if (tech_witness_mkdirs(base) != 0)
		return -1;
	chain_key_id(pub, id);
	hex_encode(id, CHAIN_HASH_LEN, idhex);
	return (size_t)snprintf(out, outlen, "%s/%s.heads", base, idhex) < outlen ? 0 : -1;
}

/* Rewrites the heads file through a temporary one: a crash keeps the old or the new list, whole. */
static int tech_witness_save(const char *path, const struct tech_witness_kept *k)
{
	char tmp[4400], line[WITNESS_LINE_MAX];
	FILE *f;
	int fd, ok = 1;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t i = 0; i < k->n; i++) {
		witness_head_format(&k->v[i], line, sizeof(line));
		ok &= fputs(line, f) >= 0;
	}
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct tech_witness_cps {
	struct witness_cp *v;
	size_t n, cap;
	int nomem;
	int partial;   /* verify --json listed only the newest checkpoints */
};

static void tech_witness_export_cp(uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], void *ctx)
{
	struct tech_witness_cps *c = ctx;

	if (c->n == c->cap) {
		size_t want = c->cap ? 2 * c->cap : 64;
		struct witness_cp *grown = realloc(c->v, want * sizeof(*grown));

		if (grown == NULL) {
			c->nomem = 1;
			return;
		}
		c->v = grown;
		c->cap = want;
	}
	c->v[c->n].seq = seq;
	memcpy(c->v[c->n].hash, hash, CHAIN_HASH_LEN);
	c->n++;
}

/*
 * What one piece of evidence says the relay has: its checkpoints and its
 * newest signed head; *upto_at is when the evidence was made (an export's
 * time; INT64_MAX for verify output, which is now). 0, or -1 said on stdout.
 */
static int tech_witness_evidence(const char *path, const uint8_t pub[CHAIN_PUB_LEN], struct witness_head *newest,
				 struct tech_witness_cps *cps, int64_t *upto_at)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char err[600];
	int rc = -1;

	if (tech_witness_read(path, EXPORT_FILE_MAX, &data, &len) != 0) {
		printf("witness FAILED: %s cannot be read\n", path);
		return -1;
	}
	if (len >= strlen(EXPORT_MAGIC) &&
	    (memcmp(data, EXPORT_MAGIC, strlen(EXPORT_MAGIC)) == 0 ||
	     memcmp(data, EXPORT_MAGIC_V2, strlen(EXPORT_MAGIC_V2)) == 0)) {
		struct export_report rep;

		if (export_verify(data, len, pub, &rep, NULL, NULL, err, sizeof(err)) != 0) {
			printf("witness FAILED: %s: export verification FAILED: %s\n", path, err);
			goto out;
		}
		export_each_checkpoint(data, len, tech_witness_export_cp, cps);
		*newest = (struct witness_head){ .seq = rep.last_checkpoint, .at = rep.last_checkpoint_at };
		memcpy(newest->hash, rep.last_checkpoint_hash, CHAIN_HASH_LEN);
		memcpy(newest->sig, rep.last_checkpoint_sig, CHAIN_SIG_LEN);
		*upto_at = rep.exported_at;
		/*
		 * A version 2 export carries its own checkpoint only: a kept head
		 * before it can be checked for truncation, not for a fork.
		 */
		cps->partial = rep.version >= 2;
		rc = cps->nomem || cps->n == 0 ? -1 : 0;
	} else if (len <= TECH_WITNESS_JSON_MAX &&
		   witness_parse_verify_json(data, len, newest, &cps->v, &cps->n, &cps->partial) == 0) {
		*upto_at = INT64_MAX;
		rc = 0;
	} else {
		printf("witness FAILED: %s is neither an export nor `verify --json` output with a signed head\n", path);
		goto out;
	}
	if (rc == 0 && !witness_head_signed(pub, newest)) {
		printf("witness FAILED: %s: its head (seq %llu) is not signed by this audit key\n", path,
		       (unsigned long long)newest->seq);
		rc = -1;
	}
out:
	free(data);
	return rc;
}

int tech_heads_main(int argc, char **argv)
{
	const char *keyfile = NULL, *dir = NULL;
	struct tech_witness_kept kept = { 0 };
	uint8_t pub[CHAIN_PUB_LEN], *old = NULL;
	char err[600], path[4300], fp[CHAIN_FP_MAX], when[32];
	size_t oldlen = 0;
	int first = 0, rc = TECH_WITNESS_USAGE, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--audit-key") == 0 && i + 1 < argc)
			keyfile = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(tech_witness_usage, stdout);
			return TECH_WITNESS_OK;
		} else if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
			if (first == 0)
				first = i;
		} else {
			fprintf(stderr, "handoff-tech witness: unexpected argument %s\n%s", argv[i], tech_witness_usage);
			return TECH_WITNESS_USAGE;
		}
	}
	if (keyfile == NULL || first == 0) {
		fputs(tech_witness_usage, stderr);
		return TECH_WITNESS_USAGE;
	}
	if (chain_pub_load(keyfile, pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech witness: %s\n", err);
		return TECH_WITNESS_USAGE;
	}
	chain_fingerprint(pub, fp, sizeof(fp));
	if (tech_witness_store_path(dir, pub, path, sizeof(path)) != 0) {
		fprintf(stderr, "handoff-tech witness: no place for the heads (set HOME or give --dir)\n");
		return TECH_WITNESS_USAGE;
	}
	r = tech_witness_read(path, 64u * 1024 * 1024, &old, &oldlen);
	if (r < 0 || (r == 0 && witness_heads_parse(old, oldlen, tech_witness_keep, &kept) != 0)) {
		fprintf(stderr, "handoff-tech witness: %s is damaged; it is left as it is\n", path);
		goto out;
	}
	rc = TECH_WITNESS_OK;
	for (int i = first; i < argc; i++) {
		struct tech_witness_cps cps = { 0 };
		struct witness_head newest;
		int64_t upto_at = 0;
		int bad = 0, checked = 0, unchecked = 0;

		if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
			i += strcmp(argv[i], "--audit-key") == 0 || strcmp(argv[i], "--dir") == 0;
			continue;
		}
		if (tech_witness_evidence(argv[i], pub, &newest, &cps, &upto_at) != 0) {
			free(cps.v);
			rc = TECH_WITNESS_FAILED;
			continue;
		}
		for (size_t k = 0; k < kept.n; k++) {
			/* A head signed after an export was made says nothing about that export. */
			if (kept.v[k].at > upto_at)
				continue;
			r = witness_check(&kept.v[k], cps.v, cps.n, cps.partial, &newest, err, sizeof(err));
			if (r == 1) {
				unchecked++;
				continue;
			}
			checked++;
			if (r != 0) {
				timefmt_utc(kept.v[k].at, TIMEFMT_DATETIME, when, sizeof(when));
				printf("witness FAILED: %s: %s (kept head signed %s)\n", argv[i], err, when);
				bad = 1;
			}
		}
		free(cps.v);
		if (bad) {
			rc = TECH_WITNESS_FAILED;
			continue;
		}
		if (tech_witness_keep(&newest, &kept) != 0) {
			fprintf(stderr, "handoff-tech witness: out of memory\n");
			rc = TECH_WITNESS_FAILED;
			continue;
		}
		printf("witness ok: %s contains all %d heads kept for audit key %s; its head: seq %llu\n", argv[i],
		       checked, fp, (unsigned long long)newest.seq);
		if (unchecked > 0)
			printf("note: %d kept heads are older than the checkpoints it lists; check them against an export\n",
			       unchecked);
	}
	if (tech_witness_save(path, &kept) != 0) {
		fprintf(stderr, "handoff-tech witness: cannot write %s: %s\n", path, strerror(errno));
		rc = TECH_WITNESS_FAILED;
	}
out:
	free(old);
	free(kept.v);
	return rc;
}
