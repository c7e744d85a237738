/*
 * recfile.c: see recfile.h.
 *
 * The sealed file is mapped, not read: the seal wants it whole in memory
 * and a mapping costs no copy. The plaintext goes to one allocation sized
 * by the file (a plaintext is never longer than its sealed file), so long
 * sessions are not held to the 16 MiB cap of a struct buf. The private key
 * lives on the stack only while the file is opened and is wiped after.
 */
#include "recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "seal.h"

static int tech_recfile_sink(const uint8_t *p, size_t n, void *ctx)
{
	struct tech_recfile *rf = ctx;

	if (n > rf->plain_cap - rf->plain_len)
		return -1;
	memcpy(rf->plain_mem + rf->plain_len, p, n);
	rf->plain_len += n;
	return 0;
}

/* Decrypts the sealed bytes (len of them, from name) into rf->plain. */
static int tech_recfile_unseal_mem(struct tech_recfile *rf, const uint8_t *sealed, size_t len, const char *name,
				   const char *keyfile, char *err, size_t errlen)
{
	uint8_t priv[SEAL_KEY_LEN];
	char why[256];
	int rc = -1;

	if (seal_key_load(keyfile, priv, true, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "key: %s", why);
		return -1;
	}
	rf->plain_cap = len;
	rf->plain_mem = malloc(rf->plain_cap);
	if (rf->plain_mem == NULL) {
		snprintf(err, errlen, "%s: out of memory for %zu bytes", name, rf->plain_cap);
		goto out;
	}
	if (seal_open_each(sealed, len, priv, tech_recfile_sink, rf, &rf->seal_truncated, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", name, why);
		goto out;
	}
	buf_view(&rf->plain, rf->plain_mem, rf->plain_len);
	rc = 0;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

/* Decrypts path into rf->plain. */
static int tech_recfile_unseal(struct tech_recfile *rf, const char *path, const char *keyfile, char *err,
			       size_t errlen)
{
	void *map = MAP_FAILED;
	struct stat st;
	int fd = -1, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = tech_recfile_unseal_mem(rf, map, (size_t)st.st_size, path, keyfile, err, errlen);
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int tech_recfile_add_chunk(struct tech_recfile *rf, const struct recording_record *r, uint64_t t_us,
				  size_t *cap)
{
	struct tech_recfile_chunk *c;

	if (r->len == 0)
		return 0;
	if (rf->n_chunks == *cap) {
		size_t want = *cap ? *cap * 2 : 256;
		struct tech_recfile_chunk *grown = realloc(rf->chunks, want * sizeof(*grown));

		if (grown == NULL)
			return -1;
		rf->chunks = grown;
		*cap = want;
	}
	c = &rf->chunks[rf->n_chunks++];
	c->t_us = t_us;
	c->pos = rf->screen_len;
	c->data = r->data;
	c->len = r->len;
	rf->screen_len += r->len;
	return 0;
}

/* Indexes the records of the plaintext. */
static int tech_recfile_index(struct tech_recfile *rf, char *err, size_t errlen)
{
	struct buf in;
	struct recording_record r;
	uint64_t last = 0;
	size_t cap = 0;
	int e;

	buf_view(&in, buf_ptr(&rf->plain), buf_len(&rf->plain));
	if ((e = recording_get_header(&in, &rf->header)) != 0) {
		snprintf(err, errlen, "not a Handoff recording (header: %s)", buf_strerror(e));
		return -1;
	}
	while ((e = recording_get_record(&in, &r)) == 1) {
		uint64_t t = r.offset_us;

		if (t < last) {
			rf->clock_stepped_back = true;
			t = last;
		}
		last = t;
		if (r.direction == RECORDING_END) {
			rf->has_end = true;
			break;
		}
		if (r.direction == RECORDING_TO_VIEWER) {
			if (tech_recfile_add_chunk(rf, &r, t, &cap) != 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		} else if (!(rf->header.flags & RECORDING_NO_INPUT)) {
			tech_clientmsg_feed(&rf->input, r.data, r.len, t);
		}
	}
	/* A record cut in half is where a crash stopped the writer: the rest stands. */
	if (e < 0 && e != BUF_ERR_SHORT) {
		snprintf(err, errlen, "malformed record at plaintext byte %zu: %s",
			 buf_len(&rf->plain) - buf_len(&in), buf_strerror(e));
		return -1;
	}
	rf->duration_us = last;
	return 0;
}

int tech_recfile_open(struct tech_recfile *rf, const char *path, const char *keyfile, char *err, size_t errlen)
{
	memset(rf, 0, sizeof(*rf));
	tech_clientmsg_init(&rf->input);
	if (tech_recfile_unseal(rf, path, keyfile, err, errlen) != 0)
		return -1;
	return tech_recfile_index(rf, err, errlen);
}

int tech_recfile_open_mem(struct tech_recfile *rf, const uint8_t *sealed, size_t len, const char *name,
			  const char *keyfile, char *err, size_t errlen)
{
	memset(rf, 0, sizeof(*rf));
	tech_clientmsg_init(&rf->input);
	if (len == 0) {
		snprintf(err, errlen, "%s: empty recording", name);
		return -1;
	}
	if (tech_recfile_unseal_mem(rf, sealed, len, name, keyfile, err, errlen) != 0)
		return -1;
	return tech_recfile_index(rf, err, errlen);
}

void tech_recfile_close(struct tech_recfile *rf)
{
	free(rf->chunks);
	rf->chunks = NULL;
	rf->n_chunks = 0;
	tech_clientmsg_free(&rf->input);
	tech_timeline_free(&rf->timeline);
	if (rf->plain_mem != NULL) {
		OPENSSL_cleanse(rf->plain_mem, rf->plain_cap);
		free(rf->plain_mem);
	}
	rf->plain_mem = NULL;
	rf->plain_len = rf->plain_cap = 0;
	buf_view(&rf->plain, NULL, 0);
}

bool tech_recfile_truncated(const struct tech_recfile *rf)
{
	return rf->seal_truncated || !rf->has_end;
}

uint64_t tech_recfile_time_at(const struct tech_recfile *rf, uint64_t pos)
{
	size_t lo = 0, hi = rf->n_chunks;

	if (pos >= rf->screen_len)
		return UINT64_MAX;
	/* The last chunk starting at or before pos holds it. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (rf->chunks[mid].pos <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return rf->chunks[lo].t_us;
}
