/*
 * export.c: see export.h. The writer is used by the relay's `export`
 * command, the verifier by `handoff-tech verify` and by the tests; both
 * read and write only through buf, and every length read is capped.
 *
 * The verifier reports the first failure and stops: after one broken link
 * every later hash differs too, and a list of consequences would hide the
 * cause.
 */
#include "export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "event.h"

enum {
	EXPORT_PHASE_NEW,
	EXPORT_PHASE_LINKS,
	EXPORT_PHASE_HEAD, /* version 2 only */
	EXPORT_PHASE_ATTACHMENTS,
	EXPORT_PHASE_RECORDINGS,
	EXPORT_PHASE_DONE
};

#define EXPORT_MAGIC_LEN 8
#define EXPORT_ITEM_HEAD 5 /* u8 type | u32 length */
/* A check that failed and said why; distinct from every BUF_ERR_*, which mean "malformed". */
#define EXPORT_EXPLAINED (-100)

/* ---- writer ---- */

static int export_item_begin(struct export_writer *w, uint8_t type, size_t len)
{
	int r;

	/* A streaming writer sends big payloads past out, so only the head must fit. */
	if (len > UINT32_MAX || buf_room(w->out) < EXPORT_ITEM_HEAD + (w->sink_fd >= 0 ? 0 : len))
		return BUF_ERR_TOO_LONG;
	if ((r = buf_put_u8(w->out, type)) != 0 || (r = buf_put_u32(w->out, (uint32_t)len)) != 0)
		return r;
	return 0;
}

/* Moves the writer to phase (never back); -1 when that would break the file's order. */
static int export_writer_phase(struct export_writer *w, int phase)
{
	if (w->failed || w->phase == EXPORT_PHASE_NEW || w->phase > phase)
		return -1;
	w->phase = phase;
	return 0;
}

static int export_writer_done(struct export_writer *w, int r)
{
	if (r != 0)
		w->failed = true;
	return r;
}

/* Writes to the sink and hashes what was written. */
static int export_sink_write(struct export_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (EVP_DigestUpdate(w->sink_md, p, n) != 1)
		return BUF_ERR_NOMEM;
	while (n > 0) {
		ssize_t wr = write(w->sink_fd, b, n);

		if (wr < 0 && errno == EINTR)
			continue;
		if (wr <= 0)
			return BUF_ERR_TOO_LONG;
		b += wr;
		n -= (size_t)wr;
	}
	return 0;
}

/* Moves out's bytes to the sink once there are enough of them, or always when forced. */
static int export_spill(struct export_writer *w, bool force)
{
	int r;

	if (w->sink_fd < 0 || buf_len(w->out) == 0 || (!force && buf_len(w->out) < 1024u * 1024))
		return 0;
	if ((r = export_sink_write(w, buf_ptr(w->out), buf_len(w->out))) != 0)
		return r;
	buf_reset(w->out);
	return 0;
}

/* A length-prefixed payload: into out, or straight to the sink when streaming. */
static int export_payload(struct export_writer *w, const void *p, size_t len)
{
	int r;

	if (w->sink_fd < 0)
		return buf_put_string(w->out, p, len);
	if ((r = buf_put_u32(w->out, (uint32_t)len)) != 0 || (r = export_spill(w, true)) != 0)
		return r;
	return export_sink_write(w, p, len);
}

int export_writer_sink(struct export_writer *w, int fd)
{
	if (w->failed || w->sink_fd >= 0)
		return -1;
	w->sink_md = EVP_MD_CTX_new();
	if (w->sink_md == NULL || EVP_DigestInit_ex(w->sink_md, EVP_sha256(), NULL) != 1)
		return export_writer_done(w, BUF_ERR_NOMEM);
	w->sink_fd = fd;
	return export_writer_done(w, export_spill(w, true));
}

void export_writer_release(struct export_writer *w)
{
	EVP_MD_CTX_free(w->sink_md);
	w->sink_md = NULL;
}

static int export_writer_begin(struct export_writer *w, int version, struct buf *out, uint64_t ticket,
			       int64_t exported_at, const uint8_t pub[CHAIN_PUB_LEN])
{
	uint8_t id[CHAIN_HASH_LEN];
	int r;

	memset(w, 0, sizeof(*w));
	w->version = version;
	w->sink_fd = -1;
	w->out = out;
	chain_key_id(pub, id);
	if ((r = buf_put(out, version == 2 ? EXPORT_MAGIC_V2 : EXPORT_MAGIC, EXPORT_MAGIC_LEN)) != 0 ||
	    (r = export_item_begin(w, EXPORT_HEADER, 8 + 8 + CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put_u64(out, ticket)) != 0 || (r = buf_put_u64(out, (uint64_t)exported_at)) != 0 ||
	    (r = buf_put(out, id, CHAIN_HASH_LEN)) != 0)
		return export_writer_done(w, r);
	w->phase = EXPORT_PHASE_LINKS;
	return 0;
}

int export_writer_start(struct export_writer *w, struct buf *out, uint64_t ticket, int64_t exported_at,
			const uint8_t pub[CHAIN_PUB_LEN])
{
	return export_writer_begin(w, 1, out, ticket, exported_at, pub);
}

int export_writer_start_v2(struct export_writer *w, struct buf *out, uint64_t ticket, int64_t exported_at,
			   const uint8_t pub[CHAIN_PUB_LEN])
{
	return export_writer_begin(w, 2, out, ticket, exported_at, pub);
}

int export_put_link(struct export_writer *w, uint64_t seq, uint64_t ticket, const uint8_t hash[CHAIN_HASH_LEN],
		    const uint8_t *body, size_t bodylen)
{
	int r;

	if (export_writer_phase(w, EXPORT_PHASE_LINKS) != 0 || bodylen > CHAIN_BODY_MAX)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_LINK, 8 + 8 + CHAIN_HASH_LEN + 4 + bodylen)) != 0 ||
	    (r = buf_put_u64(w->out, seq)) != 0 || (r = buf_put_u64(w->out, ticket)) != 0 ||
	    (r = buf_put(w->out, hash, CHAIN_HASH_LEN)) != 0 || (r = buf_put_string(w->out, body, bodylen)) != 0)
		return export_writer_done(w, r);
	w->links++;
	return export_writer_done(w, export_spill(w, false));
}

int export_put_stub(struct export_writer *w, uint64_t seq, uint64_t ticket,
		    const uint8_t body_hash[CHAIN_HASH_LEN], const uint8_t hash[CHAIN_HASH_LEN])
{
	int r;

	if (w->version != 1 || export_writer_phase(w, EXPORT_PHASE_LINKS) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_STUB, 8 + 8 + 2 * CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put_u64(w->out, seq)) != 0 || (r = buf_put_u64(w->out, ticket)) != 0 ||
	    (r = buf_put(w->out, body_hash, CHAIN_HASH_LEN)) != 0 || (r = buf_put(w->out, hash, CHAIN_HASH_LEN)) != 0)
		return export_writer_done(w, r);
	w->links++;
	return export_writer_done(w, export_spill(w, false));
}

int export_put_checkpoint(struct export_writer *w, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  const uint8_t sig[CHAIN_SIG_LEN])
{
	int r;

	if (w->version != 1 || export_writer_phase(w, EXPORT_PHASE_LINKS) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_CHECKPOINT, 8 + CHAIN_HASH_LEN + 8 + CHAIN_SIG_LEN)) != 0 ||
	    (r = buf_put_u64(w->out, seq)) != 0 || (r = buf_put(w->out, hash, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put_u64(w->out, (uint64_t)at)) != 0 || (r = buf_put(w->out, sig, CHAIN_SIG_LEN)) != 0)
		return export_writer_done(w, r);
	w->checkpoints++;
	return export_writer_done(w, export_spill(w, false));
}

int export_put_signer(struct export_writer *w, const uint8_t pub[CHAIN_PUB_LEN], const char *name)
{
	size_t nlen = strlen(name);
	int r;

	if (w->version != 2 || w->head || w->signer || nlen > EXPORT_SIGNER_NAME_MAX ||
	    export_writer_phase(w, EXPORT_PHASE_HEAD) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_SIGNER, CHAIN_PUB_LEN + 4 + nlen)) != 0 ||
	    (r = buf_put(w->out, pub, CHAIN_PUB_LEN)) != 0 || (r = buf_put_string(w->out, name, nlen)) != 0)
		return export_writer_done(w, r);
	w->signer = true;
	return export_writer_done(w, export_spill(w, false));
}

int export_put_head(struct export_writer *w, const struct export_head *h)
{
	size_t len = 8 + CHAIN_HASH_LEN + 8 + CHAIN_SIG_LEN + 8 + CHAIN_HASH_LEN + CHAIN_SIG_LEN + 8 + CHAIN_HASH_LEN + 8 +
		     4 + h->nproof * CHAIN_HASH_LEN;
	int r;

	if (w->version != 2 || w->head || h->nproof > MERKLE_PROOF_MAX || export_writer_phase(w, EXPORT_PHASE_HEAD) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_HEAD, len)) != 0 || (r = buf_put_u64(w->out, h->seq)) != 0 ||
	    (r = buf_put(w->out, h->hash, CHAIN_HASH_LEN)) != 0 || (r = buf_put_u64(w->out, (uint64_t)h->at)) != 0 ||
	    (r = buf_put(w->out, h->sig, CHAIN_SIG_LEN)) != 0 || (r = buf_put_u64(w->out, h->tickets)) != 0 ||
	    (r = buf_put(w->out, h->root, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put(w->out, h->tickets_sig, CHAIN_SIG_LEN)) != 0 || (r = buf_put_u64(w->out, h->head_seq)) != 0 ||
	    (r = buf_put(w->out, h->head_hash, CHAIN_HASH_LEN)) != 0 || (r = buf_put_u64(w->out, h->index)) != 0 ||
	    (r = buf_put_u32(w->out, (uint32_t)h->nproof)) != 0)
		return export_writer_done(w, r);
	for (size_t i = 0; i < h->nproof; i++)
		if ((r = buf_put(w->out, h->proof[i], CHAIN_HASH_LEN)) != 0)
			return export_writer_done(w, r);
	w->head = true;
	w->checkpoints++;
	return export_writer_done(w, export_spill(w, false));
}

int export_put_attachment(struct export_writer *w, int64_t id, const char *kind, const char *name,
			  const void *content, size_t len)
{
	size_t klen = strlen(kind), nlen = strlen(name);
	int r;

	if ((w->version == 2 && !w->head) || export_writer_phase(w, EXPORT_PHASE_ATTACHMENTS) != 0 || klen > EXPORT_NAME_MAX ||
	    nlen > EXPORT_NAME_MAX || len > EXPORT_ATTACHMENT_MAX)
		return export_writer_done(w, BUF_ERR_TOO_LONG);
	if ((r = export_item_begin(w, EXPORT_ATTACHMENT, 8 + 4 + klen + 4 + nlen + 4 + len)) != 0 ||
	    (r = buf_put_u64(w->out, (uint64_t)id)) != 0 || (r = buf_put_string(w->out, kind, klen)) != 0 ||
	    (r = buf_put_string(w->out, name, nlen)) != 0 || (r = export_payload(w, content, len)) != 0 ||
	    (r = export_spill(w, false)) != 0)
		return export_writer_done(w, r);
	w->attachments++;
	return 0;
}

int export_put_recording(struct export_writer *w, const char *path, const void *bytes, size_t len)
{
	size_t plen = strlen(path);
	int r;

	if ((w->version == 2 && !w->head) || export_writer_phase(w, EXPORT_PHASE_RECORDINGS) != 0 || plen > EXPORT_NAME_MAX ||
	    len > EXPORT_RECORDING_MAX)
		return export_writer_done(w, BUF_ERR_TOO_LONG);
	if ((r = export_item_begin(w, EXPORT_RECORDING, 4 + plen + 4 + len)) != 0 ||
	    (r = buf_put_string(w->out, path, plen)) != 0 || (r = export_payload(w, bytes, len)) != 0 ||
	    (r = export_spill(w, false)) != 0)
		return export_writer_done(w, r);
	w->recordings++;
	return 0;
}

_Static_assert(sizeof(EXPORT_SIGN_LABEL) == sizeof(EXPORT_SIGN_LABEL_V2), "both versions' labels are one length");

static const char *export_sign_label(int version)
{
	return version == 2 ? EXPORT_SIGN_LABEL_V2 : EXPORT_SIGN_LABEL;
}

/* The message the END signature covers: a label, then the hash of the file before the signature. */
static void export_sign_message(int version, const uint8_t *file, size_t len,
				uint8_t msg[sizeof(EXPORT_SIGN_LABEL) - 1 + 32])
{
	memcpy(msg, export_sign_label(version), sizeof(EXPORT_SIGN_LABEL) - 1);
	chain_sha256(file, len, msg + sizeof(EXPORT_SIGN_LABEL) - 1);
}

int export_writer_finish(struct export_writer *w, EVP_PKEY *key)
{
	uint8_t msg[sizeof(EXPORT_SIGN_LABEL) - 1 + CHAIN_HASH_LEN], sig[CHAIN_SIG_LEN];
	int r;

	if ((w->version == 2 && !w->head) || export_writer_phase(w, EXPORT_PHASE_DONE) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = export_item_begin(w, EXPORT_END, 8 + 3 * 4 + CHAIN_SIG_LEN)) != 0 ||
	    (r = buf_put_u64(w->out, w->links)) != 0 || (r = buf_put_u32(w->out, w->checkpoints)) != 0 ||
	    (r = buf_put_u32(w->out, w->attachments)) != 0 || (r = buf_put_u32(w->out, w->recordings)) != 0)
		return export_writer_done(w, r);
	if (w->sink_fd >= 0) {
		unsigned int dlen = 0;

		memcpy(msg, export_sign_label(w->version), sizeof(EXPORT_SIGN_LABEL) - 1);
		if ((r = export_spill(w, true)) != 0 ||
		    EVP_DigestFinal_ex(w->sink_md, msg + sizeof(EXPORT_SIGN_LABEL) - 1, &dlen) != 1 ||
		    dlen != CHAIN_HASH_LEN)
			return export_writer_done(w, r ? r : BUF_ERR_NOMEM);
	} else {
		export_sign_message(w->version, buf_ptr(w->out), buf_len(w->out), msg);
	}
	if (chain_sign(key, msg, sizeof(msg), sig) != 0)
		return export_writer_done(w, BUF_ERR_FORMAT);
	if ((r = buf_put(w->out, sig, sizeof(sig))) != 0 || (r = export_spill(w, true)) != 0)
		return export_writer_done(w, r);
	return 0;
}

/* ---- verifier ---- */

struct export_aref {
	struct event_attachment ref;
	uint64_t seq;      /* the record that names it */
	bool seen;
};

struct export_rref {
	struct event_recording ref;
	uint64_t seq;
	bool seen;
};

struct export_check {
	const uint8_t *file;
	size_t len;
	const uint8_t (*keys)[CHAIN_PUB_LEN]; /* the trusted set */
	size_t nkeys;
	const uint8_t *pub;       /* the one of them the header names: END's key */
	const uint8_t *head_pub;  /* the one the HEAD is checked under: pub, or a SIGNER item's */
	bool signer;
	struct export_report *rep;
	int version;
	struct chain_walk walk;
	/* Version 2: the ticket's own chain as far as the export has followed it. */
	uint64_t tseq;
	uint8_t thash[CHAIN_HASH_LEN];
	bool head;
	int phase;
	bool covered;           /* the last link has a checkpoint */
	struct export_aref *arefs;
	size_t narefs, carefs;
	struct export_rref *rrefs;
	size_t nrrefs, crrefs;
	char *err;
	size_t errlen;
};

static int export_fail(struct export_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int export_fail(struct export_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return EXPORT_EXPLAINED;
}

static void *export_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *p;

	if (need <= *cap)
		return arr;
	if (want < need)
		want = need;
	p = realloc(arr, want * size);
	if (p != NULL)
		*cap = want;
	return p;
}

/* Notes what a link of the exported ticket promises: attachments and recordings. */
static int export_note_refs(struct export_check *c, uint64_t seq, const struct chain_event *e)
{
	if (strcmp(e->kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct export_aref *grown;

		if (c->narefs >= EXPORT_REFS_MAX)
			return export_fail(c, "record %llu: too many attachments", (unsigned long long)seq);
		grown = export_grow(c->arefs, &c->carefs, c->narefs + 1, sizeof(*c->arefs));
		if (grown == NULL)
			return export_fail(c, "out of memory");
		c->arefs = grown;
		memset(&c->arefs[c->narefs], 0, sizeof(c->arefs[0]));
		if (event_attachment_parse(e->detail, &c->arefs[c->narefs].ref) != 0)
			return export_fail(c, "record %llu: an attachment-added record that does not name its attachment",
					   (unsigned long long)seq);
		for (size_t i = 0; i < c->narefs; i++)
			if (c->arefs[i].ref.id == c->arefs[c->narefs].ref.id)
				return export_fail(c, "record %llu: attachment #%lld is added a second time",
						   (unsigned long long)seq, (long long)c->arefs[i].ref.id);
		c->arefs[c->narefs++].seq = seq;
	} else if (strcmp(e->kind, EVENT_RECORDING_CLOSED) == 0) {
		struct export_rref *grown;

		if (c->nrrefs >= EXPORT_REFS_MAX)
			return export_fail(c, "record %llu: too many recordings", (unsigned long long)seq);
		grown = export_grow(c->rrefs, &c->crrefs, c->nrrefs + 1, sizeof(*c->rrefs));
		if (grown == NULL)
			return export_fail(c, "out of memory");
		c->rrefs = grown;
		memset(&c->rrefs[c->nrrefs], 0, sizeof(c->rrefs[0]));
		if (event_recording_parse(e->detail, &c->rrefs[c->nrrefs].ref) != 0)
			return export_fail(c, "record %llu: a recording-closed record that does not name its file",
					   (unsigned long long)seq);
		c->rrefs[c->nrrefs++].seq = seq;
	}
	return 0;
}

/* Version 2: a link of the ticket, which must follow the last one in the ticket's chain. */
static int export_check_ticket_link(struct export_check *c, uint64_t seq, uint64_t ticket, const uint8_t carried[CHAIN_HASH_LEN],
				    const uint8_t *body, size_t bodylen)
{
	uint8_t body_hash[CHAIN_HASH_LEN], want[CHAIN_HASH_LEN];

	if (seq <= c->tseq)
		return export_fail(c, "record %llu: out of order (after record %llu)", (unsigned long long)seq,
				   (unsigned long long)c->tseq);
	chain_sha256(body, bodylen, body_hash);
	chain_ticket_link_hash(c->thash, seq, ticket, body_hash, want);
	if (CRYPTO_memcmp(want, carried, CHAIN_HASH_LEN) != 0) {
		if (c->tseq == 0)
			return export_fail(c, "record %llu: it does not start ticket %llu's chain (an earlier record of the "
					      "ticket was left out, or this one was changed)",
					   (unsigned long long)seq, (unsigned long long)ticket);
		return export_fail(c, "record %llu: it does not follow record %llu in ticket %llu's chain (a record of the "
				      "ticket between them was left out, or this one was changed)",
				   (unsigned long long)seq, (unsigned long long)c->tseq, (unsigned long long)ticket);
	}
	c->tseq = seq;
	memcpy(c->thash, want, CHAIN_HASH_LEN);
	return 0;
}

static int export_check_link(struct export_check *c, struct buf *in, bool full)
{
	uint64_t seq, ticket;
	uint8_t body_hash[CHAIN_HASH_LEN], hash[CHAIN_HASH_LEN];
	const uint8_t *body = NULL;
	size_t bodylen = 0;
	char why[200];
	int r;

	if ((r = buf_get_u64(in, &seq)) != 0 || (r = buf_get_u64(in, &ticket)) != 0)
		return r;
	if (full) {
		struct chain_event_owned e;

		if ((r = buf_get(in, hash, CHAIN_HASH_LEN)) != 0 ||
		    (r = buf_get_string_ptr(in, &body, &bodylen, CHAIN_BODY_MAX)) != 0)
			return r;
		if (buf_len(in) != 0)
			return BUF_ERR_FORMAT;
		if (ticket != c->rep->ticket)
			return export_fail(c, "record %llu: the full content of ticket %llu, which is not the ticket exported",
					   (unsigned long long)seq, (unsigned long long)ticket);
		if (chain_body_decode(body, bodylen, &e) != 0)
			return export_fail(c, "record %llu: its content is malformed", (unsigned long long)seq);
		if (e.e.ticket != ticket) {
			/* Named before the free, which clears it. */
			unsigned long long named = (unsigned long long)e.e.ticket;

			chain_event_free(&e);
			return export_fail(c, "record %llu: its content names ticket %llu, its link ticket %llu",
					   (unsigned long long)seq, named, (unsigned long long)ticket);
		}
		if (c->version == 2) {
			if ((r = export_check_ticket_link(c, seq, ticket, hash, body, bodylen)) != 0) {
				chain_event_free(&e);
				return r;
			}
		} else {
			chain_sha256(body, bodylen, body_hash);
			if (chain_walk_step(&c->walk, seq, ticket, body_hash, NULL, hash, why, sizeof(why)) != 0) {
				chain_event_free(&e);
				return export_fail(c, "%s", why);
			}
		}
		r = export_note_refs(c, seq, &e.e);
		chain_event_free(&e);
		if (r != 0)
			return r;
		c->rep->ticket_records++;
		if (c->version == 2)
			return 0;
	} else {
		if ((r = buf_get(in, body_hash, CHAIN_HASH_LEN)) != 0 || (r = buf_get(in, hash, CHAIN_HASH_LEN)) != 0)
			return r;
		if (buf_len(in) != 0)
			return BUF_ERR_FORMAT;
		if (ticket == c->rep->ticket)
			return export_fail(c, "record %llu belongs to ticket %llu but its content is withheld",
					   (unsigned long long)seq, (unsigned long long)ticket);
		if (chain_walk_step(&c->walk, seq, ticket, body_hash, NULL, hash, why, sizeof(why)) != 0)
			return export_fail(c, "%s", why);
	}
	c->rep->records++;
	c->covered = false;
	return 0;
}

static int export_check_checkpoint(struct export_check *c, struct buf *in)
{
	uint64_t seq, at;
	uint8_t hash[CHAIN_HASH_LEN], sig[CHAIN_SIG_LEN];
	int r;

	if ((r = buf_get_u64(in, &seq)) != 0 || (r = buf_get(in, hash, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_get_u64(in, &at)) != 0 || (r = buf_get(in, sig, CHAIN_SIG_LEN)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	if (seq > c->walk.seq)
		return export_fail(c, "records end at seq %llu but the checkpoint that follows covers %llu",
				   (unsigned long long)c->walk.seq, (unsigned long long)seq);
	if (seq < c->walk.seq || c->covered)
		return export_fail(c, "checkpoint at seq %llu is out of place (after record %llu)",
				   (unsigned long long)seq, (unsigned long long)c->walk.seq);
	if (CRYPTO_memcmp(hash, c->walk.hash, CHAIN_HASH_LEN) != 0)
		return export_fail(c, "checkpoint at seq %llu: its hash is not the chain's", (unsigned long long)seq);
	if (!chain_checkpoint_verify(c->pub, seq, hash, (int64_t)at, sig))
		return export_fail(c, "checkpoint at seq %llu: bad signature", (unsigned long long)seq);
	c->covered = true;
	c->rep->checkpoints++;
	c->rep->last_checkpoint = seq;
	c->rep->last_checkpoint_at = (int64_t)at;
	memcpy(c->rep->last_checkpoint_hash, hash, CHAIN_HASH_LEN);
	memcpy(c->rep->last_checkpoint_sig, sig, CHAIN_SIG_LEN);
	return 0;
}

/* Reads a HEAD item's fields. 0 or a BUF_ERR_*. */
static int export_head_read(struct buf *in, struct export_head *h)
{
	uint64_t at;
	uint32_t n;
	int r;

	if ((r = buf_get_u64(in, &h->seq)) != 0 || (r = buf_get(in, h->hash, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_get_u64(in, &at)) != 0 || (r = buf_get(in, h->sig, CHAIN_SIG_LEN)) != 0 ||
	    (r = buf_get_u64(in, &h->tickets)) != 0 || (r = buf_get(in, h->root, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_get(in, h->tickets_sig, CHAIN_SIG_LEN)) != 0 || (r = buf_get_u64(in, &h->head_seq)) != 0 ||
	    (r = buf_get(in, h->head_hash, CHAIN_HASH_LEN)) != 0 || (r = buf_get_u64(in, &h->index)) != 0 ||
	    (r = buf_get_u32(in, &n)) != 0)
		return r;
	if (n > MERKLE_PROOF_MAX)
		return BUF_ERR_TOO_LONG;
	h->at = (int64_t)at;
	h->nproof = n;
	for (uint32_t i = 0; i < n; i++)
		if ((r = buf_get(in, h->proof[i], CHAIN_HASH_LEN)) != 0)
			return r;
	return buf_len(in) == 0 ? 0 : BUF_ERR_FORMAT;
}

/*
 * Version 2: the checkpoint and its tickets root, both signed; the proof
 * that the ticket's head is a leaf under that root; and the ticket's chain
 * as the export gave it ending exactly at that head.
 */
static int export_check_head(struct export_check *c, struct buf *in)
{
	struct export_head *h = malloc(sizeof(*h));
	unsigned long long seq, ticket = (unsigned long long)c->rep->ticket;
	uint8_t leaf[CHAIN_HASH_LEN];
	int r;

	if (h == NULL)
		return export_fail(c, "out of memory");
	if ((r = export_head_read(in, h)) != 0)
		goto out;
	seq = (unsigned long long)h->seq;
	if (c->head) {
		r = export_fail(c, "a second signed head (checkpoint at seq %llu)", seq);
		goto out;
	}
	if (!chain_checkpoint_verify(c->head_pub, h->seq, h->hash, h->at, h->sig)) {
		r = export_fail(c, "checkpoint at seq %llu: bad signature (key %s)", seq, c->rep->head_key_fp);
		goto out;
	}
	if (!chain_tickets_verify(c->head_pub, h->seq, h->hash, h->at, h->tickets, h->root, h->tickets_sig)) {
		r = export_fail(c, "checkpoint at seq %llu: bad signature on its tickets root", seq);
		goto out;
	}
	chain_ticket_leaf(c->rep->ticket, h->head_seq, h->head_hash, leaf);
	if (h->head_seq > h->seq ||
	    !merkle_verify(leaf, h->index, h->tickets, (const uint8_t (*)[MERKLE_HASH_LEN])h->proof, h->nproof, h->root)) {
		r = export_fail(c, "checkpoint at seq %llu: the proof that ticket %llu's record ends at seq %llu does not lead "
				   "to the signed tickets root (a proof hash, the head or the leaf index was changed)",
				seq, ticket, (unsigned long long)h->head_seq);
		goto out;
	}
	if (c->tseq < h->head_seq) {
		r = export_fail(c, "ticket %llu's records end at seq %llu in the export, but the relay signed seq %llu as its "
				   "last (checkpoint at seq %llu): records at the end were cut off",
				ticket, (unsigned long long)c->tseq, (unsigned long long)h->head_seq, seq);
		goto out;
	}
	if (c->tseq > h->head_seq) {
		r = export_fail(c, "record %llu comes after ticket %llu's last signed record (seq %llu, checkpoint at seq %llu)",
				(unsigned long long)c->tseq, ticket, (unsigned long long)h->head_seq, seq);
		goto out;
	}
	if (CRYPTO_memcmp(c->thash, h->head_hash, CHAIN_HASH_LEN) != 0) {
		r = export_fail(c, "ticket %llu's records do not lead to the head signed at checkpoint %llu (a record was "
				   "changed, added or left out)",
				ticket, seq);
		goto out;
	}
	c->head = true;
	c->rep->records = h->seq;
	c->rep->checkpoints = 1;
	c->rep->tickets = h->tickets;
	c->rep->last_checkpoint = h->seq;
	c->rep->last_checkpoint_at = h->at;
	memcpy(c->rep->last_checkpoint_hash, h->hash, CHAIN_HASH_LEN);
	memcpy(c->rep->last_checkpoint_sig, h->sig, CHAIN_SIG_LEN);
	r = 0;
out:
	free(h);
	return r;
}

/* Version 2, leaving the links for phase: there are some, and the head follows them. */
static int export_links_done_v2(struct export_check *c, int phase)
{
	if (c->rep->ticket_records == 0)
		return export_fail(c, "the export holds no records of ticket %llu", (unsigned long long)c->rep->ticket);
	if (phase > EXPORT_PHASE_HEAD && !c->head)
		return export_fail(c, "no signed head: ticket %llu's records up to seq %llu are not covered by a checkpoint",
				   (unsigned long long)c->rep->ticket, (unsigned long long)c->tseq);
	return 0;
}

/* Leaving the links: the chain must exist and end on a checkpoint. */
static int export_links_done(struct export_check *c)
{
	if (c->walk.seq == 0)
		return export_fail(c, "the export holds no records");
	if (!c->covered) {
		if (c->rep->checkpoints == 0)
			return export_fail(c, "no checkpoint: records 1 to %llu are not signed",
					   (unsigned long long)c->walk.seq);
		return export_fail(c, "records %llu to %llu are not covered by a checkpoint (the last covers %llu)",
				   (unsigned long long)(c->rep->last_checkpoint + 1), (unsigned long long)c->walk.seq,
				   (unsigned long long)c->rep->last_checkpoint);
	}
	return 0;
}

static int export_check_attachment(struct export_check *c, struct buf *in)
{
	uint64_t id;
	const uint8_t *kind, *name, *content;
	size_t klen, nlen, clen;
	uint8_t sha[CHAIN_HASH_LEN];
	struct export_aref *a = NULL;
	int r;

	if ((r = buf_get_u64(in, &id)) != 0 || (r = buf_get_string_ptr(in, &kind, &klen, EXPORT_NAME_MAX)) != 0 ||
	    (r = buf_get_string_ptr(in, &name, &nlen, EXPORT_NAME_MAX)) != 0 ||
	    (r = buf_get_string_ptr(in, &content, &clen, EXPORT_ATTACHMENT_MAX)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	for (size_t i = 0; i < c->narefs; i++)
		if ((uint64_t)c->arefs[i].ref.id == id)
			a = &c->arefs[i];
	if (a == NULL)
		return export_fail(c, "attachment #%llu is not named by any record of ticket %llu", (unsigned long long)id,
				   (unsigned long long)c->rep->ticket);
	if (a->seen)
		return export_fail(c, "attachment #%llu appears twice", (unsigned long long)id);
	a->seen = true;
	if (klen != strlen(a->ref.kind) || memcmp(kind, a->ref.kind, klen) != 0 || nlen != strlen(a->ref.name) ||
	    memcmp(name, a->ref.name, nlen) != 0)
		return export_fail(c, "attachment #%llu: kind or name differ from record %llu", (unsigned long long)id,
				   (unsigned long long)a->seq);
	chain_sha256(content, clen, sha);
	if (clen != a->ref.size || CRYPTO_memcmp(sha, a->ref.sha256, CHAIN_HASH_LEN) != 0)
		return export_fail(c, "attachment #%llu: content does not match sha256 in record %llu",
				   (unsigned long long)id, (unsigned long long)a->seq);
	c->rep->attachments++;
	return 0;
}

static int export_check_recording(struct export_check *c, struct buf *in)
{
	const uint8_t *path, *bytes;
	size_t plen, blen;
	uint8_t sha[CHAIN_HASH_LEN];
	struct export_rref *rr = NULL;
	char shown[EXPORT_NAME_MAX + 1];
	int r;

	if ((r = buf_get_string_ptr(in, &path, &plen, EXPORT_NAME_MAX)) != 0 ||
	    (r = buf_get_string_ptr(in, &bytes, &blen, EXPORT_RECORDING_MAX)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	/* Shown in messages: only the characters a recording path may hold. */
	for (size_t i = 0; i < plen; i++)
		shown[i] = (path[i] >= 0x21 && path[i] < 0x7f) ? (char)path[i] : '?';
	shown[plen] = '\0';
	for (size_t i = 0; i < c->nrrefs && rr == NULL; i++)
		if (!c->rrefs[i].seen && c->rrefs[i].ref.hashed && strlen(c->rrefs[i].ref.path) == plen &&
		    memcmp(c->rrefs[i].ref.path, path, plen) == 0)
			rr = &c->rrefs[i];
	if (rr == NULL)
		return export_fail(c, "recording %s is not named by any record of ticket %llu (or appears twice)", shown,
				   (unsigned long long)c->rep->ticket);
	rr->seen = true;
	chain_sha256(bytes, blen, sha);
	if (blen != rr->ref.size || CRYPTO_memcmp(sha, rr->ref.sha256, CHAIN_HASH_LEN) != 0)
		return export_fail(c, "recording %s: content does not match sha256 in record %llu", shown,
				   (unsigned long long)rr->seq);
	c->rep->recordings++;
	return 0;
}

static int export_check_end(struct export_check *c, struct buf *in, size_t sig_at)
{
	uint64_t links;
	uint32_t cps, atts, recs;
	uint8_t sig[CHAIN_SIG_LEN], msg[sizeof(EXPORT_SIGN_LABEL) - 1 + CHAIN_HASH_LEN];
	int r;

	if ((r = buf_get_u64(in, &links)) != 0 || (r = buf_get_u32(in, &cps)) != 0 ||
	    (r = buf_get_u32(in, &atts)) != 0 || (r = buf_get_u32(in, &recs)) != 0 ||
	    (r = buf_get(in, sig, CHAIN_SIG_LEN)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	/* Version 2 holds the ticket's links only, and counts those. */
	uint64_t held = c->version == 2 ? c->rep->ticket_records : c->rep->records;

	if (links != held || cps != c->rep->checkpoints || atts != c->rep->attachments ||
	    recs != c->rep->recordings)
		return export_fail(c, "the end marker counts %llu records, %u checkpoints, %u attachments, %u recordings; "
				   "the export holds %llu, %llu, %llu, %llu",
				   (unsigned long long)links, cps, atts, recs, (unsigned long long)held,
				   (unsigned long long)c->rep->checkpoints, (unsigned long long)c->rep->attachments,
				   (unsigned long long)c->rep->recordings);
	for (size_t i = 0; i < c->narefs; i++)
		if (!c->arefs[i].seen)
			return export_fail(c, "attachment #%lld (named in record %llu) is missing",
					   (long long)c->arefs[i].ref.id, (unsigned long long)c->arefs[i].seq);
	for (size_t i = 0; i < c->nrrefs; i++) {
		if (!c->rrefs[i].ref.hashed)
			c->rep->recordings_unhashed++;
		else if (!c->rrefs[i].seen)
			return export_fail(c, "recording %s (named in record %llu) is missing", c->rrefs[i].ref.path,
					   (unsigned long long)c->rrefs[i].seq);
	}
	export_sign_message(c->version, c->file, sig_at, msg);
	if (!chain_verify(c->pub, msg, sizeof(msg), sig))
		return export_fail(c, "the export's own signature does not match its bytes "
				      "(something outside the records was altered)");
	return 0;
}

static const char *export_item_name(uint8_t type)
{
	switch (type) {
	case EXPORT_HEADER: return "header";
	case EXPORT_LINK: return "record";
	case EXPORT_STUB: return "record stub";
	case EXPORT_CHECKPOINT: return "checkpoint";
	case EXPORT_ATTACHMENT: return "attachment";
	case EXPORT_RECORDING: return "recording";
	case EXPORT_END: return "end marker";
	case EXPORT_HEAD: return "signed head";
	case EXPORT_SIGNER: return "signer";
	default: return "unknown item";
	}
}

/* Which phase an item belongs to; -1 for an unknown type. */
static int export_item_phase(uint8_t type)
{
	switch (type) {
	case EXPORT_HEADER: return EXPORT_PHASE_NEW;
	case EXPORT_LINK:
	case EXPORT_STUB:
	case EXPORT_CHECKPOINT: return EXPORT_PHASE_LINKS;
	case EXPORT_HEAD:
	case EXPORT_SIGNER: return EXPORT_PHASE_HEAD;
	case EXPORT_ATTACHMENT: return EXPORT_PHASE_ATTACHMENTS;
	case EXPORT_RECORDING: return EXPORT_PHASE_RECORDINGS;
	case EXPORT_END: return EXPORT_PHASE_DONE;
	default: return -1;
	}
}

static int export_check_header(struct export_check *c, struct buf *in)
{
	uint64_t ticket, at;
	uint8_t id[CHAIN_HASH_LEN], want[CHAIN_HASH_LEN];
	char given[CHAIN_FP_MAX];
	int r;

	if ((r = buf_get_u64(in, &ticket)) != 0 || (r = buf_get_u64(in, &at)) != 0 ||
	    (r = buf_get(in, id, CHAIN_HASH_LEN)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	c->rep->ticket = ticket;
	c->rep->exported_at = (int64_t)at;
	chain_fingerprint_id(id, c->rep->key_fp, sizeof(c->rep->key_fp));
	for (size_t i = 0; i < c->nkeys && c->pub == NULL; i++) {
		chain_key_id(c->keys[i], want);
		if (CRYPTO_memcmp(id, want, CHAIN_HASH_LEN) == 0)
			c->pub = c->keys[i];
	}
	if (c->pub == NULL) {
		if (c->nkeys == 1) {
			chain_fingerprint(c->keys[0], given, sizeof(given));
			return export_fail(c, "the export names audit key %s, not the key given (%s)", c->rep->key_fp, given);
		}
		return export_fail(c, "the export names audit key %s, which is not among the %zu keys given", c->rep->key_fp,
				   c->nkeys);
	}
	c->head_pub = c->pub;
	snprintf(c->rep->head_key_fp, sizeof(c->rep->head_key_fp), "%s", c->rep->key_fp);
	if (ticket == 0)
		return export_fail(c, "the header names ticket 0");
	return 0;
}

/*
 * Version 2, several relays: the HEAD's checkpoint was signed by another
 * relay than the exporter, and this names its key. The key is trusted
 * because the auditor gave it, not because the file names it: the END
 * signature is the exporter's alone, and a key it vouched for would make
 * one relay's key enough to mint the others.
 */
static int export_check_signer(struct export_check *c, struct buf *in)
{
	uint8_t pub[CHAIN_PUB_LEN];
	const uint8_t *name;
	size_t nlen;
	char fp[CHAIN_FP_MAX];
	int r;

	if ((r = buf_get(in, pub, CHAIN_PUB_LEN)) != 0 ||
	    (r = buf_get_string_ptr(in, &name, &nlen, EXPORT_SIGNER_NAME_MAX)) != 0)
		return r;
	if (buf_len(in) != 0)
		return BUF_ERR_FORMAT;
	if (c->signer || c->head)
		return export_fail(c, "a signer out of place (a second one, or after the signed head)");
	c->signer = true;
	memcpy(c->rep->head_key_name, name, nlen);
	c->rep->head_key_name[nlen] = '\0';
	chain_fingerprint(pub, fp, sizeof(fp));
	snprintf(c->rep->head_key_fp, sizeof(c->rep->head_key_fp), "%s", fp);
	for (size_t i = 0; i < c->nkeys; i++)
		if (CRYPTO_memcmp(c->keys[i], pub, CHAIN_PUB_LEN) == 0) {
			c->head_pub = c->keys[i];
			return 0;
		}
	return export_fail(c, "the signed head is signed by key %s (named \"%s\" in the export), which is not among the keys "
			      "given", fp, c->rep->head_key_name);
}

static int export_check_all(struct export_check *c)
{
	struct buf in;
	bool ended = false;

	if (c->len > EXPORT_FILE_MAX)
		return export_fail(c, "the file is %zu bytes; an export has at most %u", c->len, EXPORT_FILE_MAX);
	buf_view(&in, c->file, c->len);
	if (buf_len(&in) >= EXPORT_MAGIC_LEN && memcmp(buf_ptr(&in), EXPORT_MAGIC, EXPORT_MAGIC_LEN) == 0)
		c->version = 1;
	else if (buf_len(&in) >= EXPORT_MAGIC_LEN && memcmp(buf_ptr(&in), EXPORT_MAGIC_V2, EXPORT_MAGIC_LEN) == 0)
		c->version = 2;
	else
		return export_fail(c, "not a Handoff export (no %s or %s at the start)", EXPORT_MAGIC, EXPORT_MAGIC_V2);
	c->rep->version = c->version;
	buf_consume(&in, EXPORT_MAGIC_LEN);
	while (buf_len(&in) > 0) {
		size_t at = c->len - buf_len(&in);
		uint8_t type = 0;
		uint32_t len = 0;
		const uint8_t *payload;
		size_t plen;
		struct buf item;
		int phase, r;

		if (ended)
			return export_fail(c, "offset %zu: bytes after the end marker", at);
		if (buf_get_u8(&in, &type) != 0 || buf_peek_u32(&in, &len) != 0)
			return export_fail(c, "offset %zu: the file is cut short inside an item header", at);
		if (buf_get_string_ptr(&in, &payload, &plen, buf_len(&in)) != 0)
			return export_fail(c, "offset %zu: the %s says %u bytes, the file has %zu left", at,
					   export_item_name(type), len, buf_len(&in) - 4);
		phase = export_item_phase(type);
		if (phase < 0)
			return export_fail(c, "offset %zu: unknown item type %u", at, type);
		if (c->phase == EXPORT_PHASE_NEW && type != EXPORT_HEADER)
			return export_fail(c, "offset %zu: a %s before the header", at, export_item_name(type));
		if ((c->version == 2 && (type == EXPORT_STUB || type == EXPORT_CHECKPOINT)) ||
		    (c->version == 1 && (type == EXPORT_HEAD || type == EXPORT_SIGNER)))
			return export_fail(c, "offset %zu: a %s has no place in a version %d export", at,
					   export_item_name(type), c->version);
		if (phase < c->phase || (type == EXPORT_HEADER && c->phase != EXPORT_PHASE_NEW))
			return export_fail(c, "offset %zu: a %s out of place", at, export_item_name(type));
		if (c->version == 1 && c->phase == EXPORT_PHASE_LINKS && phase > EXPORT_PHASE_LINKS &&
		    export_links_done(c) != 0)
			return -1;
		if (c->version == 2 && c->phase <= EXPORT_PHASE_HEAD && phase > EXPORT_PHASE_LINKS &&
		    export_links_done_v2(c, phase) != 0)
			return -1;
		c->phase = phase == EXPORT_PHASE_NEW ? EXPORT_PHASE_LINKS : phase;
		buf_view(&item, payload, plen);
		switch (type) {
		case EXPORT_HEADER: r = export_check_header(c, &item); break;
		case EXPORT_LINK: r = export_check_link(c, &item, true); break;
		case EXPORT_STUB: r = export_check_link(c, &item, false); break;
		case EXPORT_CHECKPOINT: r = export_check_checkpoint(c, &item); break;
		case EXPORT_HEAD: r = export_check_head(c, &item); break;
		case EXPORT_SIGNER: r = export_check_signer(c, &item); break;
		case EXPORT_ATTACHMENT: r = export_check_attachment(c, &item); break;
		case EXPORT_RECORDING: r = export_check_recording(c, &item); break;
		default:
			if (plen < CHAIN_SIG_LEN)
				return export_fail(c, "offset %zu: the end marker is too short", at);
			r = export_check_end(c, &item, c->len - buf_len(&in) - CHAIN_SIG_LEN);
			ended = true;
			break;
		}
		if (r == EXPORT_EXPLAINED)
			return -1;
		if (r != 0)
			return export_fail(c, "offset %zu: malformed %s (%s)", at, export_item_name(type), buf_strerror(r));
	}
	if (!ended) {
		if (c->version == 1 && c->phase == EXPORT_PHASE_LINKS && c->walk.seq > 0 && export_links_done(c) != 0)
			return -1;
		if (c->version == 2 && c->phase <= EXPORT_PHASE_HEAD && c->rep->ticket_records > 0 &&
		    export_links_done_v2(c, EXPORT_PHASE_DONE) != 0)
			return -1;
		return export_fail(c, "the export is cut short (it has no end marker)");
	}
	return 0;
}

/* The second pass, once everything verified: hand the ticket's events to the caller. */
static void export_each_event(const uint8_t *p, size_t n, export_event_fn fn, void *ctx)
{
	struct buf in;

	buf_view(&in, p, n);
	buf_consume(&in, EXPORT_MAGIC_LEN);
	while (buf_len(&in) > 0) {
		uint8_t type;
		const uint8_t *payload, *body;
		size_t plen, blen;
		struct buf item;
		uint64_t seq, ticket;
		struct chain_event_owned e;

		if (buf_get_u8(&in, &type) != 0 || buf_get_string_ptr(&in, &payload, &plen, buf_len(&in)) != 0)
			return;
		if (type != EXPORT_LINK)
			continue;
		buf_view(&item, payload, plen);
		if (buf_get_u64(&item, &seq) != 0 || buf_get_u64(&item, &ticket) != 0 ||
		    buf_consume(&item, CHAIN_HASH_LEN) != 0 ||
		    buf_get_string_ptr(&item, &body, &blen, CHAIN_BODY_MAX) != 0 ||
		    chain_body_decode(body, blen, &e) != 0)
			return;
		fn(seq, &e.e, ctx);
		chain_event_free(&e);
	}
}

void export_each_checkpoint(const uint8_t *p, size_t n, export_checkpoint_fn fn, void *ctx)
{
	struct buf in;

	buf_view(&in, p, n);
	buf_consume(&in, EXPORT_MAGIC_LEN);
	while (buf_len(&in) > 0) {
		uint8_t type, hash[CHAIN_HASH_LEN];
		const uint8_t *payload;
		size_t plen;
		struct buf item;
		uint64_t seq;

		if (buf_get_u8(&in, &type) != 0 || buf_get_string_ptr(&in, &payload, &plen, buf_len(&in)) != 0)
			return;
		if (type != EXPORT_CHECKPOINT && type != EXPORT_HEAD)
			continue;
		buf_view(&item, payload, plen);
		if (buf_get_u64(&item, &seq) != 0 || buf_get(&item, hash, CHAIN_HASH_LEN) != 0)
			return;
		fn(seq, hash, ctx);
	}
}

int export_verify_keys(const uint8_t *p, size_t n, const uint8_t (*keys)[CHAIN_PUB_LEN], size_t nkeys,
		       struct export_report *rep, export_event_fn each_event, void *ctx, char *err, size_t errlen)
{
	struct export_check c = { .file = p, .len = n, .keys = keys, .nkeys = nkeys, .rep = rep, .err = err,
				  .errlen = errlen };
	int rc;

	memset(rep, 0, sizeof(*rep));
	chain_walk_init(&c.walk);
	if (errlen > 0)
		err[0] = '\0';
	if (nkeys == 0 || nkeys > EXPORT_KEYS_MAX) {
		snprintf(err, errlen, "between 1 and %u trusted keys, not %zu", EXPORT_KEYS_MAX, nkeys);
		return -1;
	}
	rc = export_check_all(&c);
	free(c.arefs);
	free(c.rrefs);
	if (rc == 0 && each_event != NULL)
		export_each_event(p, n, each_event, ctx);
	return rc == 0 ? 0 : -1;
}

int export_verify(const uint8_t *p, size_t n, const uint8_t pub[CHAIN_PUB_LEN], struct export_report *rep,
		  export_event_fn each_event, void *ctx, char *err, size_t errlen)
{
	return export_verify_keys(p, n, (const uint8_t (*)[CHAIN_PUB_LEN])pub, 1, rep, each_event, ctx, err, errlen);
}

/* ---- one recording out of an export ---- */

/* The path the records give, or its last component. */
static int export_names_recording(const uint8_t *path, size_t plen, const char *id)
{
	size_t idlen = strlen(id);
	const uint8_t *last = path;

	for (size_t i = 0; i < plen; i++)
		if (path[i] == '/')
			last = path + i + 1;
	if (plen == idlen && memcmp(path, id, idlen) == 0)
		return 1;
	return (size_t)(path + plen - last) == idlen && memcmp(last, id, idlen) == 0;
}

/* The recording-closed record of the exported ticket that names path; 0 when found. */
static int export_find_record(const uint8_t *p, size_t n, const uint8_t *path, size_t plen, uint64_t ticket,
			      struct event_recording *ref, uint64_t *seq_out)
{
	struct buf in;
	int found = -1;

	buf_view(&in, p, n);
	buf_consume(&in, EXPORT_MAGIC_LEN);
	while (buf_len(&in) > 0) {
		uint8_t type;
		const uint8_t *payload, *body;
		size_t len, blen;
		struct buf item;
		uint64_t seq, t;
		struct chain_event_owned e;
		struct event_recording r;

		if (buf_get_u8(&in, &type) != 0 || buf_get_string_ptr(&in, &payload, &len, buf_len(&in)) != 0)
			break;
		if (type != EXPORT_LINK)
			continue;
		buf_view(&item, payload, len);
		if (buf_get_u64(&item, &seq) != 0 || buf_get_u64(&item, &t) != 0 ||
		    buf_consume(&item, CHAIN_HASH_LEN) != 0 ||
		    buf_get_string_ptr(&item, &body, &blen, CHAIN_BODY_MAX) != 0 || t != ticket ||
		    chain_body_decode(body, blen, &e) != 0)
			continue;
		if (e.e.ticket == ticket && strcmp(e.e.kind, EVENT_RECORDING_CLOSED) == 0 &&
		    event_recording_parse(e.e.detail, &r) == 0 && r.hashed && strlen(r.path) == plen &&
		    memcmp(r.path, path, plen) == 0) {
			*ref = r;
			*seq_out = seq;
			found = 0;
		}
		chain_event_free(&e);
	}
	return found;
}

int export_recording_find(const uint8_t *p, size_t n, const char *id, const uint8_t **bytes, size_t *len,
			  struct event_recording *ref, char *err, size_t errlen)
{
	struct buf in;
	uint64_t ticket = 0, seq = 0;
	int matches = 0;
	const uint8_t *found_path = NULL, *found_bytes = NULL;
	size_t found_plen = 0, found_blen = 0;
	uint8_t sha[CHAIN_HASH_LEN];

	memset(ref, 0, sizeof(*ref));
	buf_view(&in, p, n);
	if (n > EXPORT_FILE_MAX || buf_len(&in) < EXPORT_MAGIC_LEN ||
	    (memcmp(buf_ptr(&in), EXPORT_MAGIC, EXPORT_MAGIC_LEN) != 0 &&
	     memcmp(buf_ptr(&in), EXPORT_MAGIC_V2, EXPORT_MAGIC_LEN) != 0)) {
		snprintf(err, errlen, "not a Handoff export (no %s or %s at the start)", EXPORT_MAGIC, EXPORT_MAGIC_V2);
		return -1;
	}
	buf_consume(&in, EXPORT_MAGIC_LEN);
	while (buf_len(&in) > 0) {
		uint8_t type;
		const uint8_t *payload, *path, *rec;
		size_t plen, pathlen, reclen;
		struct buf item;

		if (buf_get_u8(&in, &type) != 0 || buf_get_string_ptr(&in, &payload, &plen, buf_len(&in)) != 0) {
			snprintf(err, errlen, "the export is malformed at offset %zu", n - buf_len(&in));
			return -1;
		}
		buf_view(&item, payload, plen);
		if (type == EXPORT_HEADER && buf_get_u64(&item, &ticket) != 0) {
			snprintf(err, errlen, "the export's header is malformed");
			return -1;
		}
		if (type != EXPORT_RECORDING)
			continue;
		if (buf_get_string_ptr(&item, &path, &pathlen, EXPORT_NAME_MAX) != 0 ||
		    buf_get_string_ptr(&item, &rec, &reclen, EXPORT_RECORDING_MAX) != 0 || buf_len(&item) != 0) {
			snprintf(err, errlen, "a recording in the export is malformed");
			return -1;
		}
		if (!export_names_recording(path, pathlen, id))
			continue;
		matches++;
		found_path = path;
		found_plen = pathlen;
		found_bytes = rec;
		found_blen = reclen;
	}
	if (matches == 0) {
		snprintf(err, errlen, "the export holds no recording %s (handoff-tech verify EXPORT --show lists them)", id);
		return -1;
	}
	if (matches > 1) {
		snprintf(err, errlen, "%d recordings in the export are named %s: give the whole path", matches, id);
		return -1;
	}
	if (export_find_record(p, n, found_path, found_plen, ticket, ref, &seq) != 0) {
		snprintf(err, errlen, "recording %s is not named by any record of ticket %llu", ref->path[0] ? ref->path : id,
			 (unsigned long long)ticket);
		return -1;
	}
	chain_sha256(found_bytes, found_blen, sha);
	if (found_blen != ref->size || CRYPTO_memcmp(sha, ref->sha256, CHAIN_HASH_LEN) != 0) {
		snprintf(err, errlen, "recording %s: content does not match sha256 in record %llu", ref->path,
			 (unsigned long long)seq);
		return -1;
	}
	*bytes = found_bytes;
	*len = found_blen;
	return 0;
}
