/*
 * audit.c: the relay's side of the audit chain (protocol/chain.h).
 *
 * Every event is written here (relay_audit_event): this module computes
 * its link, and the store only reads the head and appends the link in one
 * transaction (store_chain_append). It also holds the audit key and signs
 * checkpoints over the chain: once 100
 * records are unsigned, once a record has waited 60 s, before an export,
 * and when the relay stops. Before it signs, it re-checks the links written
 * since the last checkpoint, so that a row changed in the database between
 * two checkpoints is reported instead of being signed over.
 *
 * It also checks the whole chain on request (the auditors' `verify`) and
 * writes a ticket's export (protocol/export.h) for `export`. Each link is
 * also one of its ticket's own chain (chain.h: ticket_hash), and each
 * checkpoint signs the Merkle root over every ticket's head as well, so
 * that an export (version 2) carries its ticket alone: see
 * docs/internals.md, "Exports bounded by the ticket".
 *
 * Checkpoints run in the relay's loop; the timer is driven by relay_tick,
 * never by a signal. An export or a verify reads the whole chain, which
 * takes seconds on a big database, so each comes in two halves: a prepare
 * on the loop (the checkpoint an export ends on, copies of the key) and a
 * walk that job.c runs on its thread, over its own store connection and
 * what the prepare copied, touching nothing of struct relay.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit.h"
#include "chain.h"
#include "event.h"
#include "export.h"
#include "hex.h"
#include "ledger.h"
#include "merkle.h"
#include "witness.h"
#include "log.h"
#include "relay.h"

/* Unsigned records that trigger a checkpoint, and seconds one may wait. */
#define RELAY_AUDIT_EVERY_RECORDS 100
#define RELAY_AUDIT_EVERY_SECONDS 60
/* Exports are built in memory, in one buf; see exec.c. */
#define RELAY_AUDIT_FIT "the export format's limits"

struct relay_audit {
	EVP_PKEY *key;
	uint8_t pub[CHAIN_PUB_LEN];
	char fp[CHAIN_FP_MAX];
	int64_t cp_seq;          /* the last checkpoint's seq */
	uint8_t cp_hash[CHAIN_HASH_LEN];
	int64_t pending_since;   /* when unsigned records were first seen; 0 when none */
	int64_t broken_seen;     /* head seq at which a broken chain was last logged */
	/*
	 * The kept head (RELAY_AUDIT_HEAD_FILE) names a checkpoint the database
	 * no longer holds: it is evidence, so no later checkpoint replaces it.
	 */
	bool head_frozen;
	char head_path[4200];
};

/* The latest signed head, outside the database (witness.h's line format), in the relay home. */
#define RELAY_AUDIT_HEAD_FILE "audit-head"

/* The event being appended, as relay_audit_event's make callback sees it. */
struct relay_audit_new {
	struct chain_event e;
};

static int relay_audit_make_link(int64_t seq, const uint8_t prev[STORE_HASH_LEN],
				 const uint8_t ticket_prev[STORE_HASH_LEN], struct store_link_new *l, void *ctx)
{
	const struct relay_audit_new *n = ctx;

	*l = (struct store_link_new){ .ticket = (int64_t)n->e.ticket, .at = n->e.at, .kind = n->e.kind,
				      .actor = n->e.actor, .role = n->e.role, .clearance = n->e.clearance,
				      .detail = n->e.detail };
	if (chain_link_compute(&n->e, (uint64_t)seq, prev, l->body_hash, l->hash) != 0)
		return -1;
	chain_ticket_link_hash(ticket_prev, (uint64_t)seq, n->e.ticket, l->body_hash, l->ticket_hash);
	return 0;
}

int relay_audit_event(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *actor,
		      const char *role, const char *clearance, const char *detail)
{
	return relay_audit_event_seq(st, ticket, now, kind, actor, role, clearance, detail, NULL);
}

int relay_audit_event_seq(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *actor,
			  const char *role, const char *clearance, const char *detail, int64_t *seq)
{
	struct relay_audit_new n = { .e = { .ticket = (uint64_t)ticket, .at = now, .kind = kind,
					    .actor = actor ? actor : "", .role = role ? role : "",
					    .clearance = clearance ? clearance : "", .detail = detail ? detail : "" } };

	if (kind == NULL || ticket < 0)
		return STORE_ERR;
	return store_chain_append(st, ticket, relay_audit_make_link, &n, seq);
}

int relay_audit_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t now, int64_t *seq)
{
	char hex[2 * CHAIN_PUB_LEN + 1];
	struct relay_audit_new n = { .e = { .ticket = 0, .at = now, .kind = EVENT_RELAY_KEY_RETIRED, .actor = "operator",
					    .role = "relay", .clearance = "", .detail = hex } };
	int rc;

	hex_encode(pub, CHAIN_PUB_LEN, hex);
	if (store_begin(st) != STORE_OK)
		return STORE_ERR;
	rc = store_chain_append(st, 0, relay_audit_make_link, &n, seq);
	if (rc == STORE_OK)
		rc = store_relay_key_retire(st, pub, *seq);
	if (rc == STORE_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	return rc;
}

void relay_audit_fingerprint(struct relay *relay, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", relay->audit ? relay->audit->fp : "");
}

int relay_audit_public(struct relay *relay, uint8_t pub[CHAIN_PUB_LEN])
{
	if (relay->audit == NULL)
		return -1;
	memcpy(pub, relay->audit->pub, CHAIN_PUB_LEN);
	return 0;
}

/* Reads the kept head at path. 0, STORE_NOT_FOUND when there is none, or -1 (unreadable or malformed). */
static int relay_audit_head_read(const char *path, struct witness_head *h)
{
	char line[WITNESS_LINE_MAX + 2];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? STORE_NOT_FOUND : -1;
	n = read(fd, line, sizeof(line));
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof(line) || line[n - 1] != '\n')
		return -1;
	return witness_head_parse(line, (size_t)n - 1, h);
}

/*
 * Replaces the kept head, atomically (a temporary file, fsync, rename,
 * fsync of the directory): a crash leaves the old head or the new one,
 * never half of one. 0 or -1.
 */
static int relay_audit_head_write(const char *path, const struct witness_head *h)
{
	char tmp[4300], line[WITNESS_LINE_MAX], dir[4200];
	char *slash;
	size_t len, off = 0;
	int fd, dfd, rc = -1;

	witness_head_format(h, line, sizeof(line));
	len = strlen(line);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off == len && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

struct relay_audit_at {
	const uint8_t *want;
	bool found, same;
};

static int relay_audit_at_link(const struct store_link *l, void *ctx)
{
	struct relay_audit_at *a = ctx;

	a->found = true;
	a->same = l->hash != NULL && CRYPTO_memcmp(l->hash, a->want, CHAIN_HASH_LEN) == 0 && l->has_checkpoint;
	return 0;
}

/* 1 when the store holds a checkpoint at h's seq with h's hash. */
static int relay_audit_store_has(struct store *st, const struct witness_head *h)
{
	struct relay_audit_at a = { .want = h->hash };

	return store_chain_links(st, (int64_t)h->seq, (int64_t)h->seq, relay_audit_at_link, &a) == STORE_OK &&
	       a.found && a.same;
}

struct relay_audit_mine {
	const uint8_t *pub;
	struct store_relay_key k;
	bool found;
};

static int relay_audit_mine_find(const struct store_relay_key *k, void *ctx)
{
	struct relay_audit_mine *m = ctx;

	if (CRYPTO_memcmp(k->pub, m->pub, CHAIN_PUB_LEN) != 0)
		return 0;
	m->k = *k;
	m->found = true;
	return 1;
}

/*
 * Registers this relay's audit key in the store unless it is there: the
 * chain record (ticket 0, detail "HEX NAME") and the relay_keys row in one
 * transaction, so the key set is covered by the chain's checkpoints like
 * any record and a row cannot exist without its record. NAME is
 * host:home, what an operator reads in verify's errors. A retired key
 * does not sign again. 0, or -1 with err.
 */
static int relay_audit_register(struct relay *relay, struct relay_audit *a, char *err, size_t errlen)
{
	struct relay_audit_mine m = { .pub = a->pub };
	struct relay_audit_new n = { 0 };
	char host[128] = "", hex[2 * CHAIN_PUB_LEN + 1], detail[2 * CHAIN_PUB_LEN + 2 + sizeof(m.k.name)];
	int rc;

	if (store_relay_keys(relay->store, relay_audit_mine_find, &m) != STORE_OK) {
		snprintf(err, errlen, "cannot read the relays' audit keys");
		return -1;
	}
	if (m.found && m.k.retired_seq > 0) {
		snprintf(err, errlen, "the audit key %s was retired at seq %lld: give this relay a new key", a->fp,
			 (long long)m.k.retired_seq);
		return -1;
	}
	if (m.found)
		return 0;
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	/* A long home path is cut: the name is for people, the key is the identity. */
	if (snprintf(m.k.name, sizeof(m.k.name), "%s:%s", host, relay->home->dir) >= (int)sizeof(m.k.name))
		log_debug("the relay key's name is cut to %zu bytes", sizeof(m.k.name) - 1);
	memcpy(m.k.pub, a->pub, CHAIN_PUB_LEN);
	m.k.added_at = relay_now(relay);
	hex_encode(a->pub, CHAIN_PUB_LEN, hex);
	snprintf(detail, sizeof(detail), "%s %s", hex, m.k.name);
	n.e = (struct chain_event){ .ticket = 0, .at = m.k.added_at, .kind = EVENT_RELAY_KEY_ADDED, .actor = "relay",
				    .role = "relay", .clearance = "", .detail = detail };
	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "cannot register the audit key: the store is unavailable");
		return -1;
	}
	rc = store_chain_append(relay->store, 0, relay_audit_make_link, &n, &m.k.seq);
	if (rc == STORE_OK)
		rc = store_relay_key_add(relay->store, &m.k);
	if (rc == STORE_OK)
		rc = store_commit(relay->store);
	else
		store_rollback(relay->store);
	if (rc != STORE_OK) {
		snprintf(err, errlen, "cannot register the audit key %s in the store", a->fp);
		return -1;
	}
	log_info("registered the audit key %s as %s at seq %lld", a->fp, m.k.name, (long long)m.k.seq);
	return 0;
}

int relay_audit_setup(struct relay *relay, char *err, size_t errlen)
{
	struct relay_audit *a = calloc(1, sizeof(*a));
	struct store_checkpoint cp;
	int64_t head = 0;
	uint8_t head_hash[CHAIN_HASH_LEN];
	int created = 0, rc;

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (relay_home_audit_key(relay->home, &created, a->fp, sizeof(a->fp), err, errlen) != 0 ||
	    chain_key_load_private(relay->home->audit_key_path, &a->key, err, errlen) != 0 ||
	    chain_key_public(a->key, a->pub) != 0)
		goto fail;
	if (created)
		log_info("created the audit key %s (fingerprint %s); give auditors %s", relay->home->audit_key_path,
			 a->fp, relay->home->audit_pub_path);
	if (relay_audit_register(relay, a, err, errlen) != 0)
		goto fail;
	rc = store_checkpoint_last(relay->store, &cp);
	if (rc == STORE_OK) {
		a->cp_seq = cp.seq;
		memcpy(a->cp_hash, cp.hash, CHAIN_HASH_LEN);
	} else if (rc != STORE_NOT_FOUND) {
		snprintf(err, errlen, "cannot read the audit checkpoints");
		goto fail;
	}
	if (store_chain_head(relay->store, &head, head_hash) != STORE_OK) {
		snprintf(err, errlen, "cannot read the audit chain");
		goto fail;
	}
	if (head < a->cp_seq)
		log_error("the audit chain ends at record %lld but a checkpoint covers %lld: records were removed",
			  (long long)head, (long long)a->cp_seq);
	snprintf(a->head_path, sizeof(a->head_path), "%s/" RELAY_AUDIT_HEAD_FILE, relay->home->dir);
	{
		struct witness_head kept;

		rc = relay_audit_head_read(a->head_path, &kept);
		if (rc == 0 && !relay_audit_store_has(relay->store, &kept)) {
			a->head_frozen = true;
			log_error("the audit chain does not contain the signed head in %s (seq %llu, signed at %lld): "
				  "records were removed or rewritten; the file is kept as evidence and verify fails until "
				  "an operator moves it away",
				  a->head_path, (unsigned long long)kept.seq, (long long)kept.at);
		} else if (rc == -1) {
			a->head_frozen = true;
			log_error("%s is unreadable or malformed; kept as it is", a->head_path);
		}
	}
	log_info("audit key %s; chain at record %lld, last checkpoint at %lld", a->fp, (long long)head,
		 (long long)a->cp_seq);
	relay->audit = a;
	return 0;
fail:
	EVP_PKEY_free(a->key);
	free(a);
	return -1;
}

/*
 * Checks one stored link: its content against its body hash, its place in
 * the chain (w). 0, or -1 with err naming the record.
 */
static int relay_audit_check_link(struct chain_walk *w, const struct store_link *l, char *err, size_t errlen)
{
	struct chain_event e = { .ticket = (uint64_t)l->ticket, .at = l->event.at, .kind = l->event.kind,
				 .actor = l->event.actor, .role = l->event.role, .clearance = l->event.clearance,
				 .detail = l->event.detail };
	uint8_t body_hash[CHAIN_HASH_LEN], unused[CHAIN_HASH_LEN];

	if (l->prev_hash == NULL || l->body_hash == NULL || l->hash == NULL) {
		snprintf(err, errlen, "record %lld: its chain hashes are missing or damaged", (long long)l->seq);
		w->failed = true;
		return -1;
	}
	if (chain_link_compute(&e, (uint64_t)l->seq, w->hash, body_hash, unused) != 0) {
		snprintf(err, errlen, "record %lld: a field is longer than the chain allows", (long long)l->seq);
		w->failed = true;
		return -1;
	}
	if (CRYPTO_memcmp(body_hash, l->body_hash, CHAIN_HASH_LEN) != 0) {
		snprintf(err, errlen, "record %lld: its content does not match its body hash (the row was changed)",
			 (long long)l->seq);
		w->failed = true;
		return -1;
	}
	return chain_walk_step(w, (uint64_t)l->seq, (uint64_t)l->ticket, body_hash, l->prev_hash, l->hash, err,
			       errlen);
}

/* A file a record names, to be checked once the walk is done. */
struct relay_audit_file {
	int64_t ticket;
	int64_t seq;                  /* the record that names it */
	int64_t id;                   /* attachments */
	uint64_t size;
	uint8_t sha256[CHAIN_HASH_LEN];
	char path[EXPORT_NAME_MAX + 1]; /* recordings */
};

struct relay_audit_files {
	struct relay_audit_file *v;
	size_t n, cap;
};

/* A ticket's chain as far as a walk has followed it. */
struct relay_audit_head {
	int64_t ticket, seq;
	uint8_t hash[CHAIN_HASH_LEN];
	uint8_t leaf[CHAIN_HASH_LEN];  /* chain_ticket_leaf of the above */
};

struct relay_audit_heads {
	struct relay_audit_head *v;   /* by ticket */
	size_t n, cap;
	uint8_t (*leaves)[CHAIN_HASH_LEN]; /* scratch for a root, cap entries */
};

/* The registered relay keys (store.h), read once at the start of a walk. */
struct relay_audit_keys {
	struct store_relay_key *v;    /* in the order of their registration */
	size_t n, cap;
	bool nomem;
};

struct relay_audit_walk {
	const uint8_t *pub;           /* the walking relay's key (the kept head is its own) */
	struct relay_audit_keys keys;
	const uint8_t *cp_pub;        /* the key the current checkpoint is checked under */
	const atomic_bool *cancel;    /* NULL, or set when the job's channel is gone */
	struct store *st;             /* a walk from the middle reads each ticket's link before it here */
	bool from_start;              /* it began at seq 1: the heads are all the tickets', roots can be rebuilt */
	struct relay_audit_heads heads;
	int64_t roots;                /* tickets roots checked */
	struct chain_walk w;
	int64_t checkpoints;
	int64_t last_checkpoint;
	char err[512];
	/* Only a verify collects these (the checkpoint's re-check does not). */
	bool collect;
	bool nomem;
	struct relay_audit_files atts, recs;
	struct relay_audit_report *rep;
	size_t cps_cap;
	int64_t *opened;              /* tickets a record opens, in order */
	size_t nopened, cap_opened;
};

static void *relay_audit_grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t want;
	void *grown;

	if (n < *cap)
		return v;
	want = *cap ? 2 * *cap : 64;
	if ((grown = realloc(v, want * size)) == NULL)
		return NULL;
	*cap = want;
	return grown;
}

static struct relay_audit_file *relay_audit_file_new(struct relay_audit_walk *v, struct relay_audit_files *f)
{
	struct relay_audit_file *grown = relay_audit_grow(f->v, &f->cap, f->n, sizeof(*f->v));

	if (grown == NULL) {
		v->nomem = true;
		return NULL;
	}
	f->v = grown;
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	return &f->v[f->n++];
}

/* What a verified link tells the rest of the verify: files to check, tickets opened, checkpoints. */
static void relay_audit_collect(struct relay_audit_walk *v, const struct store_link *l)
{
	const struct store_event *e = &l->event;
	struct relay_audit_file *f;

	if (strcmp(e->kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct event_attachment ref;

		if (event_attachment_parse(e->detail, &ref) != 0 || (f = relay_audit_file_new(v, &v->atts)) == NULL)
			return;
		*f = (struct relay_audit_file){ .ticket = l->ticket, .seq = l->seq, .id = ref.id, .size = ref.size };
		memcpy(f->sha256, ref.sha256, CHAIN_HASH_LEN);
	} else if (strcmp(e->kind, EVENT_RECORDING_CLOSED) == 0) {
		struct event_recording ref;

		/* "unreadable": the relay could not hash it when it closed, so there is nothing to hold it to. */
		if (event_recording_parse(e->detail, &ref) != 0 || !ref.hashed ||
		    (f = relay_audit_file_new(v, &v->recs)) == NULL)
			return;
		*f = (struct relay_audit_file){ .ticket = l->ticket, .seq = l->seq, .size = ref.size };
		memcpy(f->sha256, ref.sha256, CHAIN_HASH_LEN);
		snprintf(f->path, sizeof(f->path), "%s", ref.path);
	} else if (strcmp(e->kind, EVENT_CREATED) == 0 || strcmp(e->kind, EVENT_TICKET_OPENED_BY_CUSTOMER) == 0) {
		int64_t *grown = relay_audit_grow(v->opened, &v->cap_opened, v->nopened, sizeof(*v->opened));

		if (grown == NULL) {
			v->nomem = true;
			return;
		}
		v->opened = grown;
		v->opened[v->nopened++] = l->ticket;
	}
	if (l->has_checkpoint) {
		struct relay_audit_report *rep = v->rep;
		struct relay_audit_cp *grown = relay_audit_grow(rep->cps, &v->cps_cap, rep->ncps, sizeof(*rep->cps));

		if (grown == NULL) {
			v->nomem = true;
			return;
		}
		rep->cps = grown;
		rep->cps[rep->ncps].seq = l->seq;
		memcpy(rep->cps[rep->ncps].hash, l->cp_hash, CHAIN_HASH_LEN);
		rep->ncps++;
		rep->has_head = 1;
		rep->head_at = l->cp_at;
		memcpy(rep->head_hash, l->cp_hash, CHAIN_HASH_LEN);
		memcpy(rep->head_sig, l->cp_sig, CHAIN_SIG_LEN);
	}
}

static int relay_audit_head_cmp(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, e = ((const struct relay_audit_head *)elem)->ticket;

	return (k > e) - (k < e);
}

/* The walk's head of ticket, added (from the store when the walk began mid-chain) if new; NULL when out of memory. */
static struct relay_audit_head *relay_audit_head_of(struct relay_audit_walk *v, int64_t ticket, int64_t seq)
{
	struct relay_audit_heads *h = &v->heads;
	struct relay_audit_head *found;
	size_t at = h->n;

	found = h->n ? bsearch(&ticket, h->v, h->n, sizeof(*h->v), relay_audit_head_cmp) : NULL;
	if (found != NULL)
		return found;
	if (h->n == h->cap) {
		size_t want = h->cap ? 2 * h->cap : 64;
		struct relay_audit_head *grown = realloc(h->v, want * sizeof(*grown));
		uint8_t (*leaves)[CHAIN_HASH_LEN];

		if (grown == NULL)
			return NULL;
		h->v = grown;
		leaves = realloc(h->leaves, want * sizeof(*leaves));
		if (leaves == NULL)
			return NULL;
		h->leaves = leaves;
		h->cap = want;
	}
	/* Tickets mostly come in order, so this is nearly always the end. */
	while (at > 0 && h->v[at - 1].ticket > ticket)
		at--;
	memmove(&h->v[at + 1], &h->v[at], (h->n - at) * sizeof(*h->v));
	h->n++;
	memset(&h->v[at], 0, sizeof(h->v[at]));
	h->v[at].ticket = ticket;
	if (!v->from_start && store_ticket_prev(v->st, ticket, seq, &h->v[at].seq, h->v[at].hash) != STORE_OK)
		v->nomem = true; /* reported as unreadable below */
	return &h->v[at];
}

/* Link l in its ticket's chain: its ticket_hash must follow the ticket's last link. 0 or -1 with v->err. */
static int relay_audit_check_ticket_link(struct relay_audit_walk *v, const struct store_link *l)
{
	struct relay_audit_head *h = relay_audit_head_of(v, l->ticket, l->seq);
	uint8_t want[CHAIN_HASH_LEN];

	if (h == NULL || v->nomem) {
		snprintf(v->err, sizeof(v->err), "record %lld: its ticket's chain could not be read", (long long)l->seq);
		return -1;
	}
	chain_ticket_link_hash(h->hash, (uint64_t)l->seq, (uint64_t)l->ticket, l->body_hash, want);
	if (l->ticket_hash == NULL) {
		snprintf(v->err, sizeof(v->err), "record %lld: its link in ticket %lld's chain is missing or damaged",
			 (long long)l->seq, (long long)l->ticket);
		return -1;
	}
	if (CRYPTO_memcmp(want, l->ticket_hash, CHAIN_HASH_LEN) != 0) {
		snprintf(v->err, sizeof(v->err),
			 "record %lld: its link in ticket %lld's chain does not follow record %lld (the row was changed)",
			 (long long)l->seq, (long long)l->ticket, (long long)h->seq);
		return -1;
	}
	h->seq = l->seq;
	memcpy(h->hash, want, CHAIN_HASH_LEN);
	chain_ticket_leaf((uint64_t)l->ticket, (uint64_t)l->seq, want, h->leaf);
	return 0;
}

/*
 * A checkpoint's tickets root: signed by its checkpoint's signer, and, on a walk from seq 1,
 * the root of the heads the walk followed. 0 or -1 with v->err.
 */
static int relay_audit_check_root(struct relay_audit_walk *v, const struct store_link *l)
{
	struct relay_audit_heads *h = &v->heads;
	uint8_t root[CHAIN_HASH_LEN];

	if (l->cp_tickets_root == NULL || l->cp_tickets_sig == NULL || l->cp_hash == NULL || l->cp_tickets_n < 0) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: its tickets root is damaged", (long long)l->seq);
		return -1;
	}
	if (!chain_tickets_verify(v->cp_pub, (uint64_t)l->seq, l->cp_hash, l->cp_at, (uint64_t)l->cp_tickets_n,
				  l->cp_tickets_root, l->cp_tickets_sig)) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: bad signature on its tickets root", (long long)l->seq);
		return -1;
	}
	if (!v->from_start)
		return 0;
	for (size_t i = 0; i < h->n; i++)
		memcpy(h->leaves[i], h->v[i].leaf, CHAIN_HASH_LEN);
	merkle_root((const uint8_t (*)[CHAIN_HASH_LEN])h->leaves, h->n, root);
	if ((uint64_t)l->cp_tickets_n != h->n || CRYPTO_memcmp(root, l->cp_tickets_root, CHAIN_HASH_LEN) != 0) {
		snprintf(v->err, sizeof(v->err),
			 "checkpoint at seq %lld: its tickets root (%lld tickets) is not the root of the %zu tickets' chains",
			 (long long)l->seq, (long long)l->cp_tickets_n, h->n);
		return -1;
	}
	v->roots++;
	return 0;
}

static int relay_audit_key_add(const struct store_relay_key *k, void *ctx)
{
	struct relay_audit_keys *ks = ctx;
	struct store_relay_key *nv;

	if (ks->n == ks->cap) {
		nv = relay_audit_grow(ks->v, &ks->cap, ks->n + 1, sizeof(*nv));
		if (nv == NULL) {
			ks->nomem = true;
			return 1;
		}
		ks->v = nv;
	}
	ks->v[ks->n++] = *k;
	return 0;
}

/* Reads the registered keys into ks. 0, or -1 (ks emptied). */
static int relay_audit_keys_load(struct store *st, struct relay_audit_keys *ks)
{
	if (store_relay_keys(st, relay_audit_key_add, ks) != STORE_OK || ks->nomem) {
		free(ks->v);
		*ks = (struct relay_audit_keys){ 0 };
		return -1;
	}
	return 0;
}

static const struct store_relay_key *relay_audit_key_find(const struct relay_audit_keys *ks, const uint8_t *pub)
{
	for (size_t i = 0; i < ks->n; i++)
		if (CRYPTO_memcmp(ks->v[i].pub, pub, CHAIN_PUB_LEN) == 0)
			return &ks->v[i];
	return NULL;
}

/*
 * The key a checkpoint at l's seq is checked under: its signer, when that
 * key was registered at or before the seq and not retired by then. A
 * checkpoint without a signer was written before migration 13, by the one
 * relay of the store then, whose key is the first registered, and before
 * that key's registration (which its relay wrote after the migration).
 * NULL, with v->err naming the checkpoint, when none may sign it.
 */
static const uint8_t *relay_audit_signer(struct relay_audit_walk *v, const struct store_link *l)
{
	const struct store_relay_key *k;
	char fp[CHAIN_FP_MAX];

	if (l->cp_signer == NULL) {
		if (v->keys.n == 0)
			return v->pub;
		if (l->seq < v->keys.v[0].seq)
			return v->keys.v[0].pub;
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: it names no signer (or a malformed one)",
			 (long long)l->seq);
		return NULL;
	}
	chain_fingerprint(l->cp_signer, fp, sizeof(fp));
	k = relay_audit_key_find(&v->keys, l->cp_signer);
	if (k == NULL) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: signed by key %s, which no relay registered",
			 (long long)l->seq, fp);
		return NULL;
	}
	if (k->seq > l->seq) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: signed by key %s (%s), registered only at seq %lld",
			 (long long)l->seq, fp, k->name, (long long)k->seq);
		return NULL;
	}
	if (k->retired_seq > 0 && l->seq >= k->retired_seq) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: signed by key %s (%s), retired at seq %lld",
			 (long long)l->seq, fp, k->name, (long long)k->retired_seq);
		return NULL;
	}
	return k->pub;
}

/* A checkpoint stored with link l: it must name the chain's hash there and carry a registered key's signature. */
static int relay_audit_check_checkpoint(struct relay_audit_walk *v, const struct store_link *l)
{
	const struct chain_walk *w = &v->w;

	if (l->cp_hash == NULL || l->cp_sig == NULL) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: damaged", (long long)l->seq);
		return -1;
	}
	if (CRYPTO_memcmp(l->cp_hash, w->hash, CHAIN_HASH_LEN) != 0) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: its hash is not the chain's", (long long)l->seq);
		return -1;
	}
	if ((v->cp_pub = relay_audit_signer(v, l)) == NULL)
		return -1;
	if (!chain_checkpoint_verify(v->cp_pub, (uint64_t)l->seq, l->cp_hash, l->cp_at, l->cp_sig)) {
		snprintf(v->err, sizeof(v->err), "checkpoint at seq %lld: bad signature", (long long)l->seq);
		return -1;
	}
	return 0;
}

/*
 * A record a registered key names as its registration (or retirement) must
 * be one: a key row cannot point at any record to pass as registered early
 * or retired late. Both details start with the key in hex
 * (EVENT_RELAY_KEY_ADDED, EVENT_RELAY_KEY_RETIRED).
 */
static int relay_audit_check_registration(struct relay_audit_walk *v, const struct store_link *l)
{
	char hex[2 * CHAIN_PUB_LEN + 1], fp[CHAIN_FP_MAX];

	for (size_t i = 0; i < v->keys.n; i++) {
		const struct store_relay_key *k = &v->keys.v[i];
		bool added = k->seq == l->seq;
		const char *kind = added ? EVENT_RELAY_KEY_ADDED : EVENT_RELAY_KEY_RETIRED;

		if (!added && k->retired_seq != l->seq)
			continue;
		hex_encode(k->pub, CHAIN_PUB_LEN, hex);
		if (strcmp(l->event.kind, kind) != 0 || l->ticket != 0 ||
		    strncmp(l->event.detail, hex, 2 * CHAIN_PUB_LEN) != 0) {
			chain_fingerprint(k->pub, fp, sizeof(fp));
			snprintf(v->err, sizeof(v->err), "key %s (%s) is %s at seq %lld, which is not its %s record", fp,
				 k->name, added ? "registered" : "retired", (long long)l->seq,
				 added ? "registration" : "retirement");
			return -1;
		}
	}
	return 0;
}

static int relay_audit_walk_link(const struct store_link *l, void *ctx)
{
	struct relay_audit_walk *v = ctx;

	if (v->cancel != NULL && atomic_load(v->cancel)) {
		snprintf(v->err, sizeof(v->err), "cancelled");
		v->w.failed = true;
		return 1;
	}
	if (relay_audit_check_link(&v->w, l, v->err, sizeof(v->err)) != 0)
		return 1;
	if (relay_audit_check_ticket_link(v, l) != 0 || relay_audit_check_registration(v, l) != 0) {
		v->w.failed = true;
		return 1;
	}
	if (l->has_checkpoint) {
		if (relay_audit_check_checkpoint(v, l) != 0 ||
		    (l->cp_has_tickets && relay_audit_check_root(v, l) != 0)) {
			v->w.failed = true;
			return 1;
		}
		v->checkpoints++;
		v->last_checkpoint = l->seq;
	}
	if (v->collect)
		relay_audit_collect(v, l);
	return 0;
}

/* Leaf hashes of every ticket's head, as the store gives them for a checkpoint. */
struct relay_audit_leaves {
	uint8_t (*v)[CHAIN_HASH_LEN];
	size_t n, cap;
	int64_t ticket;               /* an export's ticket: its place and head */
	size_t index;
	int64_t head_seq;
	uint8_t head_hash[CHAIN_HASH_LEN];
	bool found, damaged, nomem;
};

static int relay_audit_leaf(int64_t ticket, int64_t seq, const uint8_t *ticket_hash, void *ctx)
{
	struct relay_audit_leaves *lv = ctx;
	uint8_t (*grown)[CHAIN_HASH_LEN] = relay_audit_grow(lv->v, &lv->cap, lv->n, sizeof(*lv->v));

	if (grown == NULL) {
		lv->nomem = true;
		return 1;
	}
	lv->v = grown;
	if (ticket_hash == NULL) {
		lv->damaged = true;
		return 1;
	}
	if (ticket == lv->ticket) {
		lv->found = true;
		lv->index = lv->n;
		lv->head_seq = seq;
		memcpy(lv->head_hash, ticket_hash, CHAIN_HASH_LEN);
	}
	chain_ticket_leaf((uint64_t)ticket, (uint64_t)seq, ticket_hash, lv->v[lv->n++]);
	return 0;
}

/* Every ticket's head at upto, as leaves. 0, or -1 (unreadable, out of memory, a damaged head). */
static int relay_audit_leaves_at(struct store *st, int64_t upto, struct relay_audit_leaves *lv)
{
	if (store_ticket_heads(st, upto, relay_audit_leaf, lv) != STORE_OK || lv->nomem || lv->damaged)
		return -1;
	return 0;
}

int relay_audit_checkpoint(struct relay *relay, char *err, size_t errlen)
{
	struct relay_audit *a = relay->audit;
	struct relay_audit_walk v = { 0 };
	struct store_checkpoint cp = { 0 };
	struct relay_audit_leaves lv = { .ticket = -1 };
	int64_t head;
	int rc;

	if (a == NULL) {
		snprintf(err, errlen, "no audit key");
		return -1;
	}
	v.pub = a->pub;
	v.st = relay->store;
	if (store_chain_head(relay->store, &head, cp.hash) != STORE_OK) {
		snprintf(err, errlen, "cannot read the audit chain");
		return -1;
	}
	if (head <= a->cp_seq) {
		a->pending_since = 0;
		return 0;
	}
	/* Other relays' checkpoints in the range are checked under their registered keys. */
	if (relay_audit_keys_load(relay->store, &v.keys) != 0) {
		snprintf(err, errlen, "cannot read the relays' audit keys");
		return -1;
	}
	/* Only what was written since the last checkpoint, which itself was checked when it was signed. */
	chain_walk_init(&v.w);
	v.w.seq = (uint64_t)a->cp_seq;
	memcpy(v.w.hash, a->cp_hash, CHAIN_HASH_LEN);
	rc = store_chain_links(relay->store, a->cp_seq + 1, head, relay_audit_walk_link, &v);
	free(v.heads.v);
	free(v.heads.leaves);
	free(v.keys.v);
	if (rc != STORE_OK || v.w.failed || v.w.seq != (uint64_t)head) {
		snprintf(err, errlen, "the audit chain is broken, nothing signed: %s",
			 v.err[0] ? v.err : "the records could not be read");
		return -1;
	}
	cp.seq = head;
	cp.at = relay_now(relay);
	cp.has_signer = 1;
	memcpy(cp.signer, a->pub, CHAIN_PUB_LEN);
	/*
	 * The heads of every ticket's chain, one indexed read per ticket. Those
	 * written since the last checkpoint were just checked link by link; the
	 * others were checked when they were signed. A head the store cannot
	 * give leaves this checkpoint without a root (exports fall back to
	 * version 1) rather than signing a root that would not hold.
	 */
	if (relay_audit_leaves_at(relay->store, head, &lv) == 0) {
		merkle_root((const uint8_t (*)[CHAIN_HASH_LEN])lv.v, lv.n, cp.tickets_root);
		cp.tickets_n = (int64_t)lv.n;
		cp.has_tickets = chain_tickets_sign(a->key, (uint64_t)cp.seq, cp.hash, cp.at, (uint64_t)lv.n,
						    cp.tickets_root, cp.tickets_sig) == 0;
	}
	if (!cp.has_tickets)
		log_error("the checkpoint at seq %lld is signed without its tickets root: a ticket's head could not be read",
			  (long long)cp.seq);
	free(lv.v);
	if (chain_checkpoint_sign(a->key, (uint64_t)cp.seq, cp.hash, cp.at, cp.sig) != 0) {
		snprintf(err, errlen, "cannot sign the checkpoint at seq %lld", (long long)cp.seq);
		return -1;
	}
	rc = store_checkpoint_add(relay->store, &cp);
	/*
	 * Another relay on the same database (store.h: PostgreSQL) signed this
	 * head first: the same seq of the one chain, so the same hash, which
	 * this relay has just walked to; verify checks that checkpoint as any.
	 */
	if (rc == STORE_ERR_EXISTS)
		log_debug("the checkpoint at seq %lld was signed by another relay", (long long)cp.seq);
	else if (rc != STORE_OK) {
		snprintf(err, errlen, "cannot store the checkpoint at seq %lld", (long long)cp.seq);
		return -1;
	}
	a->cp_seq = cp.seq;
	memcpy(a->cp_hash, cp.hash, CHAIN_HASH_LEN);
	a->pending_since = 0;
	if (!a->head_frozen) {
		struct witness_head h = { .seq = (uint64_t)cp.seq, .at = cp.at };

		memcpy(h.hash, cp.hash, CHAIN_HASH_LEN);
		memcpy(h.sig, cp.sig, CHAIN_SIG_LEN);
		if (relay_audit_head_write(a->head_path, &h) != 0)
			log_error("cannot write the signed head to %s: %s", a->head_path, strerror(errno));
	}
	log_debug("audit checkpoint signed at seq %lld", (long long)cp.seq);
	return 0;
}

void relay_audit_tick(struct relay *relay)
{
	struct relay_audit *a = relay->audit;
	uint8_t hash[CHAIN_HASH_LEN];
	int64_t head, now;
	char err[600];

	if (a == NULL || store_chain_head(relay->store, &head, hash) != STORE_OK)
		return;
	if (head <= a->cp_seq) {
		a->pending_since = 0;
		return;
	}
	now = relay_now(relay);
	if (a->pending_since == 0)
		a->pending_since = now;
	if (head - a->cp_seq < RELAY_AUDIT_EVERY_RECORDS && now - a->pending_since < RELAY_AUDIT_EVERY_SECONDS)
		return;
	if (relay_audit_checkpoint(relay, err, sizeof(err)) != 0 && a->broken_seen != head) {
		/* Once per new record, not once per loop turn. */
		a->broken_seen = head;
		log_error("%s", err);
	}
}

int64_t relay_audit_next_due(struct relay *relay)
{
	const struct relay_audit *a = relay->audit;

	if (a == NULL || a->pending_since == 0)
		return -1;
	return a->pending_since + RELAY_AUDIT_EVERY_SECONDS;
}

void relay_audit_stop(struct relay *relay)
{
	struct relay_audit *a = relay->audit;
	char err[600];

	if (a == NULL)
		return;
	if (relay_audit_checkpoint(relay, err, sizeof(err)) != 0)
		log_error("at shutdown: %s", err);
	else
		log_info("audit chain signed up to record %lld", (long long)a->cp_seq);
	EVP_PKEY_free(a->key);
	free(a);
	relay->audit = NULL;
}

int relay_audit_verify_prepare(struct relay *relay, struct relay_audit_verify_plan *p,
			       struct relay_audit_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	memset(p, 0, sizeof(*p));
	if (relay->audit == NULL) {
		snprintf(rep->error, sizeof(rep->error), "the relay has no audit key loaded");
		return -1;
	}
	memcpy(p->pub, relay->audit->pub, CHAIN_PUB_LEN);
	snprintf(p->home_dir, sizeof(p->home_dir), "%s", relay->home->dir);
	return 0;
}

void relay_audit_report_clear(struct relay_audit_report *rep)
{
	free(rep->cps);
	rep->cps = NULL;
	rep->ncps = 0;
}

/* Adds a line to the report's problems; the first is also its error. */
static void relay_audit_problem(struct relay_audit_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void relay_audit_problem(struct relay_audit_report *rep, const char *fmt, ...)
{
	char line[400];
	size_t used = strlen(rep->problems);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (rep->nproblems == 0)
		snprintf(rep->error, sizeof(rep->error), "%s", line);
	rep->nproblems++;
	if (rep->nproblems <= RELAY_AUDIT_PROBLEMS_MAX)
		snprintf(rep->problems + used, sizeof(rep->problems) - used, "%s%s", used ? "\n" : "", line);
}

struct relay_audit_digest {
	EVP_MD_CTX *md;
	uint64_t bytes;
};

static int relay_audit_digest_chunk(const uint8_t *p, size_t n, void *ctx)
{
	struct relay_audit_digest *d = ctx;

	d->bytes += n;
	return EVP_DigestUpdate(d->md, p, n) == 1 ? 0 : -1;
}

static void relay_audit_check_attachments(struct store *st, struct relay_audit_walk *v, const atomic_bool *cancel)
{
	for (size_t i = 0; i < v->atts.n && !atomic_load(cancel); i++) {
		const struct relay_audit_file *f = &v->atts.v[i];
		struct relay_audit_digest d = { .md = EVP_MD_CTX_new() };
		uint8_t sha[CHAIN_HASH_LEN];
		int rc = STORE_ERR;

		if (d.md != NULL && EVP_DigestInit_ex(d.md, EVP_sha256(), NULL) == 1)
			rc = store_attachment_read(st, f->ticket, f->id, relay_audit_digest_chunk, &d);
		if (rc == STORE_OK && EVP_DigestFinal_ex(d.md, sha, NULL) != 1)
			rc = STORE_ERR;
		EVP_MD_CTX_free(d.md);
		if (rc == STORE_NOT_FOUND)
			relay_audit_problem(v->rep, "ticket %lld: attachment #%lld (named in record %lld) is missing",
					    (long long)f->ticket, (long long)f->id, (long long)f->seq);
		else if (rc != STORE_OK)
			relay_audit_problem(v->rep, "ticket %lld: attachment #%lld cannot be read", (long long)f->ticket,
					    (long long)f->id);
		else if (d.bytes != f->size || CRYPTO_memcmp(sha, f->sha256, CHAIN_HASH_LEN) != 0)
			relay_audit_problem(v->rep,
					    "ticket %lld: attachment #%lld: its content does not match the sha256 in record %lld",
					    (long long)f->ticket, (long long)f->id, (long long)f->seq);
		else
			v->rep->attachments++;
	}
}

/* SHA-256 of an open file, read in chunks. 0 or -1. */
static int relay_audit_digest_fd(int fd, uint8_t sha[CHAIN_HASH_LEN], uint64_t *bytes)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t chunk[64 * 1024];
	int rc = -1;
	ssize_t n;

	*bytes = 0;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || EVP_DigestUpdate(md, chunk, (size_t)n) != 1)
			goto out;
		*bytes += (uint64_t)n;
	}
	rc = EVP_DigestFinal_ex(md, sha, NULL) == 1 ? 0 : -1;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static int relay_audit_file_by_path(const void *a, const void *b)
{
	const struct relay_audit_file *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void relay_audit_check_recordings(const char *home_dir, struct relay_audit_walk *v, const atomic_bool *cancel)
{
	/* A segment closed again at a restart is named twice: the latest record of a path is the one that holds. */
	if (v->recs.n > 1)
		qsort(v->recs.v, v->recs.n, sizeof(v->recs.v[0]), relay_audit_file_by_path);
	for (size_t i = 0; i < v->recs.n && !atomic_load(cancel); i++) {
		const struct relay_audit_file *f = &v->recs.v[i];
		uint8_t sha[CHAIN_HASH_LEN];
		char path[4400];
		struct stat sb;
		uint64_t bytes;
		int fd;

		if (i + 1 < v->recs.n && strcmp(f->path, v->recs.v[i + 1].path) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", home_dir, f->path) >= sizeof(path)) {
			relay_audit_problem(v->rep, "ticket %lld: recording %s: the path is too long", (long long)f->ticket,
					    f->path);
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			if (errno == ENOENT)
				relay_audit_problem(v->rep, "ticket %lld: recording %s (named in record %lld) is missing",
						    (long long)f->ticket, f->path, (long long)f->seq);
			else
				relay_audit_problem(v->rep, "ticket %lld: recording %s cannot be opened: %s", (long long)f->ticket,
						    f->path, strerror(errno));
			continue;
		}
		if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
			relay_audit_problem(v->rep, "ticket %lld: recording %s is not a file", (long long)f->ticket, f->path);
		else if ((uint64_t)sb.st_size != f->size)
			relay_audit_problem(v->rep, "ticket %lld: recording %s is %lld bytes, record %lld says %llu",
					    (long long)f->ticket, f->path, (long long)sb.st_size, (long long)f->seq,
					    (unsigned long long)f->size);
		else if (relay_audit_digest_fd(fd, sha, &bytes) != 0)
			relay_audit_problem(v->rep, "ticket %lld: recording %s cannot be read", (long long)f->ticket, f->path);
		else if (bytes != f->size || CRYPTO_memcmp(sha, f->sha256, CHAIN_HASH_LEN) != 0)
			relay_audit_problem(v->rep,
					    "ticket %lld: recording %s: its content does not match the sha256 in record %lld",
					    (long long)f->ticket, f->path, (long long)f->seq);
		else
			v->rep->recordings++;
		close(fd);
	}
}

struct relay_audit_rows {
	int64_t *ids;
	size_t n, cap;
	bool nomem;
};

static int relay_audit_row_id(const struct store_ticket *t, void *ctx)
{
	struct relay_audit_rows *r = ctx;
	int64_t *grown = relay_audit_grow(r->ids, &r->cap, r->n, sizeof(*r->ids));

	if (grown == NULL) {
		r->nomem = true;
		return 1;
	}
	r->ids = grown;
	r->ids[r->n++] = t->id;
	return 0;
}

static int relay_audit_ledger_event(const struct store_event *e, void *ctx)
{
	relay_ledger_event(ctx, e);
	return 0;
}

static int relay_audit_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int relay_audit_file_by_id(const void *a, const void *b)
{
	const struct relay_audit_file *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

struct relay_audit_unnamed {
	const struct relay_audit_walk *v;
	int64_t ticket;
};

/* An attachment row no record names: shown to technicians as part of the case, but never in the chain. */
static int relay_audit_attachment_named(const struct store_attachment *a, void *ctx)
{
	struct relay_audit_unnamed *u = ctx;
	struct relay_audit_file key = { .id = a->id };
	const struct relay_audit_file *f = u->v->atts.n ? bsearch(&key, u->v->atts.v, u->v->atts.n,
							     sizeof(key), relay_audit_file_by_id) : NULL;

	if (f == NULL || f->ticket != u->ticket)
		relay_audit_problem(u->v->rep, "ticket %lld: attachment #%lld is in no record (added outside the relay)",
				    (long long)u->ticket, (long long)a->id);
	return 0;
}

/*
 * Every row of the tickets table against its events, each in one read
 * transaction so that a change the loop commits meanwhile (a row and its
 * event together) is seen whole or not at all. And every ticket a record
 * opens must have its row.
 */
static void relay_audit_check_tickets(struct store *st, struct relay_audit_walk *v, const atomic_bool *cancel)
{
	struct relay_audit_rows rows = { 0 };
	struct relay_ledger *l = malloc(sizeof(*l));
	struct store_ticket *t = malloc(sizeof(*t));
	char diff[1200];

	if (l == NULL || t == NULL || store_tickets_all(st, relay_audit_row_id, &rows) != STORE_OK || rows.nomem) {
		relay_audit_problem(v->rep, "the tickets could not be read");
		goto out;
	}
	if (v->atts.n > 1)
		qsort(v->atts.v, v->atts.n, sizeof(v->atts.v[0]), relay_audit_file_by_id);
	for (size_t i = 0; i < rows.n && !atomic_load(cancel); i++) {
		int rc;

		/* Ticket 0 is the relay's own record (security events), not a case: no event opens or moves it. */
		if (rows.ids[i] == 0)
			continue;
		relay_ledger_init(l);
		if (store_begin_read(st) != STORE_OK) {
			relay_audit_problem(v->rep, "ticket %lld could not be read", (long long)rows.ids[i]);
			continue;
		}
		rc = store_ticket_get(st, rows.ids[i], t);
		if (rc == STORE_OK)
			rc = store_events(st, rows.ids[i], NULL, relay_audit_ledger_event, l);
		if (rc == STORE_OK) {
			struct relay_audit_unnamed u = { .v = v, .ticket = rows.ids[i] };

			rc = store_attachments(st, rows.ids[i], relay_audit_attachment_named, &u);
		}
		store_commit(st);
		if (rc != STORE_OK) {
			relay_audit_problem(v->rep, "ticket %lld could not be read", (long long)rows.ids[i]);
			continue;
		}
		v->rep->tickets++;
		if (relay_ledger_compare(l, t, diff, sizeof(diff)) == 0)
			continue;
		for (char *line = diff, *next; line != NULL && *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			relay_audit_problem(v->rep, "%s", line);
		}
	}
	/* rows.ids is in order; a record that opens a ticket the table lacks is a row deleted. */
	if (v->nopened > 1)
		qsort(v->opened, v->nopened, sizeof(*v->opened), relay_audit_id_cmp);
	for (size_t i = 0; i < v->nopened && !atomic_load(cancel); i++)
		if ((i == 0 || v->opened[i] != v->opened[i - 1]) &&
		    (rows.n == 0 || bsearch(&v->opened[i], rows.ids, rows.n, sizeof(*rows.ids), relay_audit_id_cmp) == NULL))
			relay_audit_problem(v->rep, "ticket %lld: the chain opens it, the tickets table has no row",
					    (long long)v->opened[i]);
out:
	free(rows.ids);
	free(l);
	free(t);
}

static int relay_audit_cp_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key;
	int64_t e = ((const struct relay_audit_cp *)elem)->seq;

	return ((int64_t)k > e) - ((int64_t)k < e);
}

/*
 * The head kept outside the database must be one of the chain's
 * checkpoints: a database cut short after it, or rewritten, lacks it.
 */
static void relay_audit_check_kept_head(const struct relay_audit_verify_plan *p, struct relay_audit_walk *v)
{
	struct relay_audit_report *rep = v->rep;
	const struct relay_audit_cp *cp;
	struct witness_head h;
	char path[4200];
	int rc;

	snprintf(path, sizeof(path), "%s/" RELAY_AUDIT_HEAD_FILE, p->home_dir);
	rc = relay_audit_head_read(path, &h);
	if (rc == STORE_NOT_FOUND)
		return; /* a relay from before the file: the next checkpoint writes it */
	if (rc != 0) {
		relay_audit_problem(rep, "%s is unreadable or malformed", RELAY_AUDIT_HEAD_FILE);
		return;
	}
	rep->kept_head = (int64_t)h.seq;
	/* This home's head, signed by its key or, when the key was replaced since, by the one it registered before. */
	bool signed_ok = witness_head_signed(p->pub, &h);

	for (size_t i = 0; i < v->keys.n && !signed_ok; i++)
		signed_ok = witness_head_signed(v->keys.v[i].pub, &h);
	if (!signed_ok) {
		relay_audit_problem(rep, "%s (seq %llu): bad signature", RELAY_AUDIT_HEAD_FILE, (unsigned long long)h.seq);
		return;
	}
	if ((int64_t)h.seq > rep->records) {
		relay_audit_problem(rep,
				    "the chain ends at seq %lld, but the relay signed seq %llu (at %lld; kept in %s): "
				    "records were removed",
				    (long long)rep->records, (unsigned long long)h.seq, (long long)h.at, RELAY_AUDIT_HEAD_FILE);
		return;
	}
	cp = rep->ncps ? bsearch(&h.seq, rep->cps, rep->ncps, sizeof(*rep->cps), relay_audit_cp_cmp) : NULL;
	if (cp == NULL || CRYPTO_memcmp(cp->hash, h.hash, CHAIN_HASH_LEN) != 0)
		relay_audit_problem(rep,
				    "the chain does not contain the head the relay signed at seq %llu (at %lld; kept in %s): "
				    "it was rewritten",
				    (unsigned long long)h.seq, (long long)h.at, RELAY_AUDIT_HEAD_FILE);
}

int relay_audit_verify(struct store *st, const struct relay_audit_verify_plan *p, const atomic_bool *cancel,
		       struct relay_audit_report *rep)
{
	struct relay_audit_walk v = { .pub = p->pub, .cancel = cancel, .collect = true, .rep = rep, .st = st,
				       .from_start = true };
	int64_t orphan = 0;

	memset(rep, 0, sizeof(*rep));
	memcpy(rep->pub, p->pub, CHAIN_PUB_LEN);
	chain_walk_init(&v.w);
	if (relay_audit_keys_load(st, &v.keys) != 0)
		snprintf(v.err, sizeof(v.err), "the relays' audit keys could not be read");
	else if (store_chain_links(st, 1, 0, relay_audit_walk_link, &v) != STORE_OK && !v.w.failed)
		snprintf(v.err, sizeof(v.err), "the records could not be read");
	if (v.err[0] == '\0' && v.nomem)
		snprintf(v.err, sizeof(v.err), "out of memory");
	/* A checkpoint whose record is gone: the walk, which follows the records, cannot see it. */
	if (v.err[0] == '\0' && store_checkpoint_orphan(st, &orphan) != STORE_OK)
		snprintf(v.err, sizeof(v.err), "the database could not be read");
	if (v.err[0] == '\0' && orphan > 0) {
		if (orphan > (int64_t)v.w.seq)
			snprintf(v.err, sizeof(v.err), "records end at seq %llu but the last checkpoint covers %lld",
				 (unsigned long long)v.w.seq, (long long)orphan);
		else
			snprintf(v.err, sizeof(v.err), "checkpoint at seq %lld: its record is gone", (long long)orphan);
	}
	rep->records = (int64_t)v.w.seq;
	rep->checkpoints = v.checkpoints;
	rep->last_checkpoint = v.last_checkpoint;
	rep->unsigned_records = (int64_t)v.w.seq - v.last_checkpoint;
	if (v.err[0] != '\0')
		relay_audit_problem(rep, "%s", v.err);
	/* Against a broken chain the head proves nothing more: the break is named already. */
	if (v.err[0] == '\0' || orphan > 0)
		relay_audit_check_kept_head(p, &v);
	/* The files and rows the verified records name, even when the walk stopped early: all that is known is checked. */
	if (!atomic_load(cancel)) {
		relay_audit_check_attachments(st, &v, cancel);
		relay_audit_check_recordings(p->home_dir, &v, cancel);
		relay_audit_check_tickets(st, &v, cancel);
	}
	if (atomic_load(cancel) && rep->nproblems == 0)
		relay_audit_problem(rep, "cancelled");
	if (rep->nproblems > RELAY_AUDIT_PROBLEMS_MAX) {
		size_t used = strlen(rep->problems);

		snprintf(rep->problems + used, sizeof(rep->problems) - used, "\n... and %d more",
			 rep->nproblems - RELAY_AUDIT_PROBLEMS_MAX);
	}
	free(v.atts.v);
	free(v.recs.v);
	free(v.opened);
	free(v.heads.v);
	free(v.heads.leaves);
	free(v.keys.v);
	if (rep->nproblems > 0)
		return -1;
	rep->ok = 1;
	return 0;
}

/* ---- export ---- */

struct relay_audit_export {
	struct store *st;
	const struct relay_audit_export_plan *plan;
	const atomic_bool *cancel;
	struct export_writer w;
	int64_t ticket;
	struct buf body;
	int64_t *attachments;         /* ids named by the ticket's attachment-added records */
	size_t nattachments, cattachments;
	struct event_recording *recordings;
	size_t nrecordings, crecordings;
	char err[400];
};

static int relay_audit_export_note(struct relay_audit_export *x, const struct store_event *e)
{
	if (strcmp(e->kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct event_attachment ref;

		if (event_attachment_parse(e->detail, &ref) != 0)
			return 0; /* the verifier names it; the export still shows the record */
		if (x->nattachments == x->cattachments) {
			size_t want = x->cattachments ? 2 * x->cattachments : 16;
			int64_t *grown = realloc(x->attachments, want * sizeof(*grown));

			if (grown == NULL)
				return -1;
			x->attachments = grown;
			x->cattachments = want;
		}
		x->attachments[x->nattachments++] = ref.id;
	} else if (strcmp(e->kind, EVENT_RECORDING_CLOSED) == 0) {
		struct event_recording ref;

		if (event_recording_parse(e->detail, &ref) != 0 || !ref.hashed)
			return 0;
		if (x->nrecordings == x->crecordings) {
			size_t want = x->crecordings ? 2 * x->crecordings : 8;
			struct event_recording *grown = realloc(x->recordings, want * sizeof(*grown));

			if (grown == NULL)
				return -1;
			x->recordings = grown;
			x->crecordings = want;
		}
		x->recordings[x->nrecordings++] = ref;
	}
	return 0;
}

static int relay_audit_export_link(const struct store_link *l, void *ctx)
{
	static const uint8_t zeros[CHAIN_HASH_LEN + CHAIN_SIG_LEN];
	struct relay_audit_export *x = ctx;
	const uint8_t *hash = l->hash ? l->hash : zeros;
	int r;

	if (atomic_load(x->cancel)) {
		snprintf(x->err, sizeof(x->err), "cancelled");
		return 1;
	}
	/* What the database holds, damaged or not: the verifier, not the exporter, judges it. */
	if (l->ticket == x->ticket) {
		struct chain_event e = { .ticket = (uint64_t)l->ticket, .at = l->event.at, .kind = l->event.kind,
					 .actor = l->event.actor, .role = l->event.role,
					 .clearance = l->event.clearance, .detail = l->event.detail };

		buf_reset(&x->body);
		if (chain_body_encode(&x->body, &e) != 0) {
			snprintf(x->err, sizeof(x->err), "record %lld is too large to export", (long long)l->seq);
			return 1;
		}
		/* Version 2 carries the ticket's own chain, version 1 the relay's. */
		if (x->w.version == 2)
			hash = l->ticket_hash ? l->ticket_hash : zeros;
		r = export_put_link(&x->w, (uint64_t)l->seq, (uint64_t)l->ticket, hash, buf_ptr(&x->body),
				    buf_len(&x->body));
		if (r == 0 && relay_audit_export_note(x, &l->event) != 0)
			r = BUF_ERR_NOMEM;
	} else {
		r = export_put_stub(&x->w, (uint64_t)l->seq, (uint64_t)l->ticket, l->body_hash ? l->body_hash : zeros,
				    hash);
	}
	if (r == 0 && l->has_checkpoint && x->w.version == 1)
		r = export_put_checkpoint(&x->w, (uint64_t)l->seq, l->cp_hash ? l->cp_hash : zeros, l->cp_at,
					  l->cp_sig ? l->cp_sig : zeros);
	if (r != 0) {
		snprintf(x->err, sizeof(x->err), "the export does not fit in " RELAY_AUDIT_FIT " (at record %lld): %s", (long long)l->seq,
			 buf_strerror(r));
		return 1;
	}
	return 0;
}

struct relay_audit_attachment {
	char kind[EXPORT_NAME_MAX + 1];
	char name[EXPORT_NAME_MAX + 1];
};

static int relay_audit_attachment_meta(const struct store_attachment *a, void *ctx)
{
	struct relay_audit_attachment *m = ctx;

	snprintf(m->kind, sizeof(m->kind), "%s", a->kind);
	snprintf(m->name, sizeof(m->name), "%s", a->name);
	return 0;
}

static int relay_audit_export_attachments(struct relay_audit_export *x)
{
	for (size_t i = 0; i < x->nattachments; i++) {
		struct relay_audit_attachment m;
		uint8_t *content = NULL;
		size_t len = 0;
		int rc;

		rc = store_attachment_get(x->st, x->ticket, x->attachments[i], relay_audit_attachment_meta, &m,
					  &content, &len);
		if (rc == STORE_NOT_FOUND)
			continue; /* named but gone: the verifier reports it missing */
		if (rc != STORE_OK) {
			snprintf(x->err, sizeof(x->err), "attachment #%lld cannot be read", (long long)x->attachments[i]);
			return -1;
		}
		rc = export_put_attachment(&x->w, x->attachments[i], m.kind, m.name, content, len);
		free(content);
		if (rc != 0) {
			snprintf(x->err, sizeof(x->err), "the export does not fit in " RELAY_AUDIT_FIT " (at attachment #%lld)",
				 (long long)x->attachments[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * Maps a recording of the relay home (read-only); NULL when absent or larger
 * than an export may carry. The caller unmaps *len bytes.
 */
static uint8_t *relay_audit_map_recording(const char *home_dir, const char *rel, size_t *len)
{
	char path[4400];
	struct stat sb;
	void *map;
	int fd;

	*len = 0;
	if (!event_recording_path_ok(rel) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", home_dir, rel) >= sizeof(path))
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > EXPORT_RECORDING_MAX) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	*len = (size_t)sb.st_size;
	return map;
}

int relay_audit_recording_here(struct store *st, const uint8_t self[STORE_PUB_LEN], const char *path,
			       uint8_t place[STORE_PUB_LEN])
{
	int rc = store_recording_place_get(st, path, place);

	if (rc == STORE_NOT_FOUND)
		return 1;
	if (rc != STORE_OK)
		return -1;
	return CRYPTO_memcmp(place, self, STORE_PUB_LEN) == 0;
}

/*
 * A recording another relay of the store holds (its place in the store):
 * fetched from that relay into an unnamed file of this home, checked
 * against its record there (peerrec.c), then mapped as a local one. NULL
 * with x->err naming the recording and the relay when it cannot be had.
 */
static uint8_t *relay_audit_fetch_recording(struct relay_audit_export *x, const uint8_t place[STORE_PUB_LEN],
					    const struct event_recording *ref, size_t *len)
{
	char why[sizeof(x->err) - 32];
	void *map;
	int fd;

	*len = 0;
	fd = open(x->plan->home_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(x->err, sizeof(x->err), "no room for recording %s from its relay: %s", ref->path, strerror(errno));
		return NULL;
	}
	if (relay_peerrec_fetch(x->st, place, x->plan->key_path, x->ticket, ref, fd, x->cancel, why, sizeof(why)) != 0) {
		snprintf(x->err, sizeof(x->err), "%s", why);
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)ref->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(x->err, sizeof(x->err), "recording %s from its relay cannot be read back: %s", ref->path,
			 strerror(errno));
		return NULL;
	}
	*len = (size_t)ref->size;
	return map;
}

static int relay_audit_export_recordings(struct relay_audit_export *x)
{
	for (size_t i = 0; i < x->nrecordings; i++) {
		const struct event_recording *ref = &x->recordings[i];
		uint8_t place[STORE_PUB_LEN];
		size_t len;
		uint8_t *data;
		int r;

		r = relay_audit_recording_here(x->st, x->plan->pub, ref->path, place);
		if (r < 0) {
			snprintf(x->err, sizeof(x->err), "the store could not say where recording %s is", ref->path);
			return -1;
		}
		if (r == 0) {
			if (ref->size == 0 || ref->size > EXPORT_RECORDING_MAX) {
				log_warn("export of ticket %lld: recording %s is empty or too large; left out",
					 (long long)x->ticket, ref->path);
				continue; /* as a local one: the verifier names it missing */
			}
			/* Missing on its relay is not left out here: that relay is not this one to say so. */
			if ((data = relay_audit_fetch_recording(x, place, ref, &len)) == NULL)
				return -1;
		} else if ((data = relay_audit_map_recording(x->plan->home_dir, ref->path, &len)) == NULL) {
			log_warn("export of ticket %lld: recording %s is missing or too large; left out", (long long)x->ticket,
				 ref->path);
			continue; /* the verifier names it missing */
		}
		r = atomic_load(x->cancel) ? -1 : export_put_recording(&x->w, ref->path, data, len);
		munmap(data, len);
		if (r != 0) {
			snprintf(x->err, sizeof(x->err), "the export could not be written (at recording %s)", ref->path);
			return -1;
		}
	}
	return 0;
}

/*
 * The key that signed the checkpoint an export ends on, when it is not
 * this relay's: it must be registered (the same rule as verify's), and
 * goes in the export by name for the auditor's keys file to hold it. 0, or
 * -1 with err.
 */
static int relay_audit_export_signer(struct relay *relay, struct relay_audit_export_plan *p, char *err, size_t errlen)
{
	struct relay_audit_walk v = { .pub = relay->audit->pub };
	struct store_link l = { .seq = p->cp.seq, .cp_signer = p->cp.has_signer ? p->cp.signer : NULL };
	const uint8_t *pub;
	const struct store_relay_key *k;

	if (relay_audit_keys_load(relay->store, &v.keys) != 0) {
		snprintf(err, errlen, "cannot read the relays' audit keys");
		return -1;
	}
	pub = relay_audit_signer(&v, &l);
	if (pub == NULL) {
		snprintf(err, errlen, "%s", v.err);
		free(v.keys.v);
		return -1;
	}
	k = relay_audit_key_find(&v.keys, pub);
	if (CRYPTO_memcmp(pub, relay->audit->pub, CHAIN_PUB_LEN) != 0 && k != NULL) {
		p->foreign = true;
		p->signer = *k;
	}
	free(v.keys.v);
	return 0;
}

int relay_audit_export_prepare(struct relay *relay, int64_t ticket, struct relay_audit_export_plan *p, char *err,
			       size_t errlen)
{
	struct store_checkpoint cp;

	memset(p, 0, sizeof(*p));
	p->ticket = ticket;
	/* An export always ends on a checkpoint: sign one over everything written so far. */
	if (relay_audit_checkpoint(relay, err, errlen) != 0)
		return -1;
	if (store_checkpoint_last(relay->store, &cp) != STORE_OK) {
		snprintf(err, errlen, "the relay has signed no checkpoint yet");
		return -1;
	}
	p->upto = cp.seq;
	p->cp = cp;
	if (relay_audit_export_signer(relay, p, err, errlen) != 0)
		return -1;
	p->now = relay_now(relay);
	memcpy(p->pub, relay->audit->pub, CHAIN_PUB_LEN);
	/* The job's own key: the loop signs checkpoints with the relay's while the job signs the export. */
	p->key = EVP_PKEY_dup(relay->audit->key);
	p->home_dir = strdup(relay->home->dir);
	p->key_path = strdup(relay->home->host_key_path);
	if (p->key == NULL || p->home_dir == NULL || p->key_path == NULL) {
		snprintf(err, errlen, "out of memory");
		relay_audit_export_plan_clear(p);
		return -1;
	}
	return 0;
}

void relay_audit_export_plan_clear(struct relay_audit_export_plan *p)
{
	EVP_PKEY_free(p->key);
	free(p->home_dir);
	free(p->key_path);
	memset(p, 0, sizeof(*p));
}

/*
 * Version 2's signed head: the plan's checkpoint and tickets root, the
 * ticket's leaf among every ticket's heads at that checkpoint and its
 * inclusion proof. The heads are read again from the append-only events,
 * so they are the ones the root was signed over; if the database changed
 * meanwhile, the proof will not hold and the verifier says so.
 */
static int relay_audit_export_head(struct relay_audit_export *x)
{
	const struct store_checkpoint *cp = &x->plan->cp;
	struct relay_audit_leaves lv = { .ticket = x->ticket };
	struct export_head *h = calloc(1, sizeof(*h));
	int rc = -1;

	if (h == NULL || relay_audit_leaves_at(x->st, x->plan->upto, &lv) != 0) {
		snprintf(x->err, sizeof(x->err), "the heads of the tickets' chains at seq %lld cannot be read",
			 (long long)x->plan->upto);
		goto out;
	}
	if (!lv.found) {
		snprintf(x->err, sizeof(x->err), "ticket %lld has no record up to seq %lld", (long long)x->ticket,
			 (long long)x->plan->upto);
		goto out;
	}
	*h = (struct export_head){ .seq = (uint64_t)cp->seq, .at = cp->at, .tickets = (uint64_t)cp->tickets_n,
				   .head_seq = (uint64_t)lv.head_seq, .index = lv.index };
	memcpy(h->hash, cp->hash, CHAIN_HASH_LEN);
	memcpy(h->sig, cp->sig, CHAIN_SIG_LEN);
	memcpy(h->root, cp->tickets_root, CHAIN_HASH_LEN);
	memcpy(h->tickets_sig, cp->tickets_sig, CHAIN_SIG_LEN);
	memcpy(h->head_hash, lv.head_hash, CHAIN_HASH_LEN);
	if (merkle_proof((const uint8_t (*)[CHAIN_HASH_LEN])lv.v, lv.n, lv.index, h->proof, &h->nproof) != 0 ||
	    (x->plan->foreign && export_put_signer(&x->w, x->plan->signer.pub, x->plan->signer.name) != 0) ||
	    export_put_head(&x->w, h) != 0) {
		snprintf(x->err, sizeof(x->err), "the export's signed head could not be written");
		goto out;
	}
	rc = 0;
out:
	free(h);
	free(lv.v);
	return rc;
}

int relay_audit_export(struct store *st, const struct relay_audit_export_plan *p, int fd, const atomic_bool *cancel,
		       char *err, size_t errlen)
{
	struct relay_audit_export x = { .st = st, .plan = p, .cancel = cancel, .ticket = p->ticket };
	/* A checkpoint from before the tickets' chains (migration 8) has no root: the whole chain, version 1. */
	bool v2 = p->cp.has_tickets;
	struct buf staging;
	int rc = -1, r;

	/* Items pass through a small buffer on their way to fd; big payloads go straight. */
	buf_init(&staging, 4u * 1024 * 1024);
	buf_init(&x.body, CHAIN_BODY_MAX);
	if (v2)
		r = export_writer_start_v2(&x.w, &staging, (uint64_t)p->ticket, p->now, p->pub);
	else
		r = export_writer_start(&x.w, &staging, (uint64_t)p->ticket, p->now, p->pub);
	if (r != 0 || export_writer_sink(&x.w, fd) != 0 ||
	    (v2 ? store_ticket_links(st, p->ticket, p->upto, relay_audit_export_link, &x)
		: store_chain_links(st, 1, p->upto, relay_audit_export_link, &x)) != STORE_OK ||
	    x.err[0] != '\0' || (v2 && relay_audit_export_head(&x) != 0) || relay_audit_export_attachments(&x) != 0 ||
	    relay_audit_export_recordings(&x) != 0) {
		snprintf(err, errlen, "%s", x.err[0] ? x.err : atomic_load(cancel) ? "cancelled" : "the store failed");
		goto out;
	}
	if (export_writer_finish(&x.w, p->key) != 0) {
		snprintf(err, errlen, "the export does not fit in " RELAY_AUDIT_FIT);
		goto out;
	}
	rc = 0;
out:
	export_writer_release(&x.w);
	buf_free(&staging);
	buf_free(&x.body);
	free(x.attachments);
	free(x.recordings);
	return rc;
}

/* ---- one recording, for `recording N ID` ---- */

struct relay_audit_find {
	const char *id;
	struct event_recording *ref;
	int found;
};

/* The path `recordings N` lists, or its last component. */
static int relay_audit_names(const char *path, const char *id)
{
	const char *slash = strrchr(path, '/');

	return strcmp(path, id) == 0 || (slash != NULL && strcmp(slash + 1, id) == 0);
}

static int relay_audit_find_row(const struct store_event *e, void *ctx)
{
	struct relay_audit_find *f = ctx;
	struct event_recording r;

	/* The latest record of a path wins: a segment closed at restart names it again. */
	if (event_recording_parse(e->detail, &r) == 0 && relay_audit_names(r.path, f->id)) {
		*f->ref = r;
		f->found = 1;
	}
	return 0;
}

int relay_audit_recording_open(struct relay *relay, int64_t ticket, const char *id, int *fd,
			       struct event_recording *ref, uint8_t place[STORE_PUB_LEN], char *err, size_t errlen)
{
	struct relay_audit_find f = { .id = id, .ref = ref };
	char path[4400];
	struct stat sb;

	*fd = -1;
	if (store_events(relay->store, ticket, EVENT_RECORDING_CLOSED, relay_audit_find_row, &f) != STORE_OK) {
		snprintf(err, errlen, "the store failed");
		return -1;
	}
	if (!f.found)
		return STORE_NOT_FOUND;
	switch (relay_audit_recording_here(relay->store, relay->audit->pub, ref->path, place)) {
	case 0:
		return RELAY_AUDIT_ELSEWHERE;
	case 1:
		break;
	default:
		snprintf(err, errlen, "the store could not say where %s is", ref->path);
		return -1;
	}
	/* The record comes from our own database, but a path is opened only if it could be ours. */
	if (!event_recording_path_ok(ref->path) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", relay->home->dir, ref->path) >= sizeof(path)) {
		snprintf(err, errlen, "record names an unusable path");
		return -1;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0 || fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is %s", ref->path, *fd < 0 ? "missing from the relay's disk" : "not a file");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	if ((uint64_t)sb.st_size != ref->size)
		log_warn("recording %s is %lld bytes on disk, its record says %llu", ref->path, (long long)sb.st_size,
			 (unsigned long long)ref->size);
	return 0;
}
