/*
 * Exports: a round trip, then every way of tampering with one that the
 * verifier must catch, each checked for the message that names the place:
 * every single byte flipped (exhaustively), every prefix, a record
 * deleted, two reordered, the tail cut, content changed with and without
 * the hashes recomputed, an attachment or a recording replaced, removed or
 * added, the ticket's own record passed off as a stub, another key.
 *
 * With HANDOFF_EXPORT_FILE, HANDOFF_AUDIT_PUB and HANDOFF_AUDIT_KEY set (the
 * relay's key files; tests/e2e/test_audit.sh does), it instead tampers with
 * that real export item by item (a record deleted, two reordered, the tail
 * cut, an attachment or a recording replaced, everything re-signed with
 * another key), printing why each copy fails; with
 * HANDOFF_EXPORT_EXHAUSTIVE=1 also every byte flipped and every prefix.
 * A version 2 export (HOEXP002) gets its own cases too: the ticket's last
 * record dropped, a proof hash changed, and, with HANDOFF_EXPORT_OTHER (an
 * export of another ticket of the same relay), that ticket's record put
 * in as it is and with its ticket number rewritten. With
 * HANDOFF_EXPORT_TAMPER_DIR every tampered copy is also written there as
 * NAME.hexp, for handoff-tech verify to be run on (tests/e2e/test_export_bound.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"
#include "export.h"

#define TICKET 7
#define OTHER 3
#define NEV 9

struct ev {
	uint64_t ticket;
	const char *kind, *actor, *role, *clearance;
	char detail[512];
};

struct att {
	int64_t id;
	const char *kind, *name, *content;
};

static const struct att atts[] = {
	{ 1, "transcript", "transcript-L1-to-L2.txt", "[10:00:00] customer: プリンターが動きません\n" },
	{ 2, "handover-note", "handover-L1-to-L2.txt", "Reinstalled the driver; error 0x12 persists" },
};
static const char rec_path[] = "recordings/7/viewer-1-1700000000000000.hrec";
static const char rec_bytes[] = "HOSEAL01 sealed recording bytes, opaque to the relay";

enum tamper {
	T_NONE,
	T_FLIP_BODY,          /* a byte of a record's content, hashes left alone */
	T_EDIT_REHASH,        /* a record's content changed and every hash after recomputed */
	T_DELETE,             /* a record left out */
	T_DELETE_RENUMBER,    /* a record left out, the rest renumbered and rehashed */
	T_SWAP,               /* two records in each other's place */
	T_SWAP_REHASH,        /* two records' contents swapped, seq kept, rehashed */
	T_CUT_TAIL,           /* the last records dropped, their checkpoint kept */
	T_CUT_TAIL_AND_CP,    /* the last records and their checkpoint dropped */
	T_NO_FINAL_CP,        /* the final checkpoint left out */
	T_OWN_AS_STUB,        /* a record of the ticket shown as a stub */
	T_OTHER_IN_FULL,      /* another ticket's record in full */
	T_STUB_TICKET,        /* a stub's ticket changed */
	T_ATT_REPLACED,
	T_ATT_MISSING,
	T_ATT_EXTRA,
	T_ATT_RENAMED,
	T_REC_REPLACED,
	T_REC_MISSING,
	T_CP_MOVED,           /* a checkpoint placed after a later record */
	T_CP_AT,              /* a checkpoint's time changed */
	T_OTHER_KEY,          /* everything signed by another key, which the header names */
	T_OTHER_KEY_SAME_ID,  /* signed by another key, the header still naming ours */
	T_HEADER_TICKET,      /* the header names another ticket */
	T_NO_END,
};

struct fixture {
	EVP_PKEY *key, *other;
	uint8_t pub[CHAIN_PUB_LEN];
	struct ev ev[NEV];
};

static EVP_PKEY *key_from_seed(uint8_t seed)
{
	uint8_t raw[32];

	memset(raw, seed, sizeof(raw));
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
}

static void ev_set(struct ev *e, uint64_t ticket, const char *kind, const char *detail)
{
	*e = (struct ev){ .ticket = ticket, .kind = kind, .actor = "alice", .role = "L1", .clearance = "" };
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

static void att_detail(const struct att *a, char *out, size_t outlen)
{
	uint8_t sha[CHAIN_HASH_LEN];
	char hex[65];

	chain_sha256(a->content, strlen(a->content), sha);
	hex_encode(sha, sizeof(sha), hex);
	snprintf(out, outlen, "#%lld %s %s, %zu bytes, sha256 %s", (long long)a->id, a->kind, a->name,
		 strlen(a->content), hex);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char d[512], hex[65];
	uint8_t sha[CHAIN_HASH_LEN];

	f->key = key_from_seed(1);
	f->other = key_from_seed(2);
	assert_int_equal(chain_key_public(f->key, f->pub), 0);
	ev_set(&f->ev[0], OTHER, "created", "Another customer's printer");
	ev_set(&f->ev[1], TICKET, "created", "Printer shows error 0x12");
	ev_set(&f->ev[2], TICKET, "chat", "こんにちは、ヘルプデスクです");
	ev_set(&f->ev[3], OTHER, "note", "confidential to ticket 3");
	att_detail(&atts[0], d, sizeof(d));
	ev_set(&f->ev[4], TICKET, "attachment-added", d);
	chain_sha256(rec_bytes, strlen(rec_bytes), sha);
	hex_encode(sha, sizeof(sha), hex);
	snprintf(d, sizeof(d), "%s %s %zu complete", rec_path, hex, strlen(rec_bytes));
	ev_set(&f->ev[5], TICKET, "recording-closed", d);
	att_detail(&atts[1], d, sizeof(d));
	ev_set(&f->ev[6], TICKET, "attachment-added", d);
	ev_set(&f->ev[7], OTHER, "note", "more about ticket 3");
	ev_set(&f->ev[8], TICKET, "resolved", "Driver patched");
	f->ev[8].clearance = "L2";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}

/* Checkpoints after these records (seq numbers). */
static int has_cp(uint64_t seq)
{
	return seq == 4 || seq == NEV;
}

/*
 * Builds the export of TICKET from the fixture's events, tampered as asked.
 * The checkpoints and END are signed with the real key unless the tamper
 * says otherwise: the worst case, where only the chain can tell.
 */
static struct buf build(struct fixture *f, enum tamper t)
{
	struct ev ev[NEV];
	size_t order[NEV];
	uint8_t body_hash[NEV][CHAIN_HASH_LEN], hash[NEV][CHAIN_HASH_LEN], prev[CHAIN_HASH_LEN] = { 0 };
	uint8_t cp_hash[NEV][CHAIN_HASH_LEN];
	EVP_PKEY *signer = (t == T_OTHER_KEY || t == T_OTHER_KEY_SAME_ID) ? f->other : f->key;
	uint8_t signer_pub[CHAIN_PUB_LEN];
	struct export_writer w;
	struct buf out, body;
	size_t n = NEV;

	memcpy(ev, f->ev, sizeof(ev));
	for (size_t i = 0; i < NEV; i++)
		order[i] = i;
	if (t == T_SWAP_REHASH) {
		struct ev tmp = ev[1];

		ev[1] = ev[2];
		ev[2] = tmp;
	}
	if (t == T_EDIT_REHASH)
		snprintf(ev[2].detail, sizeof(ev[2].detail), "%s", "nothing was said");
	/* The honest chain (or the attacker's recomputed one). */
	for (size_t i = 0; i < NEV; i++) {
		struct chain_event ce = { .ticket = ev[i].ticket, .at = 1700000000 + (int64_t)i, .kind = ev[i].kind,
					  .actor = ev[i].actor, .role = ev[i].role, .clearance = ev[i].clearance,
					  .detail = ev[i].detail };

		assert_int_equal(chain_link_compute(&ce, i + 1, prev, body_hash[i], hash[i]), 0);
		memcpy(prev, hash[i], CHAIN_HASH_LEN);
	}
	/* Checkpoints were signed over the honest chain, whatever the attacker recomputed since. */
	memset(prev, 0, sizeof(prev));
	for (size_t i = 0; i < NEV; i++) {
		struct chain_event ce = { .ticket = f->ev[i].ticket, .at = 1700000000 + (int64_t)i,
					  .kind = f->ev[i].kind, .actor = f->ev[i].actor, .role = f->ev[i].role,
					  .clearance = f->ev[i].clearance, .detail = f->ev[i].detail };
		uint8_t bh[CHAIN_HASH_LEN];

		assert_int_equal(chain_link_compute(&ce, i + 1, prev, bh, cp_hash[i]), 0);
		memcpy(prev, cp_hash[i], CHAIN_HASH_LEN);
	}
	if (t == T_DELETE_RENUMBER) {
		/* Record 3 goes; 4.. become 3.. and are rehashed from record 2. */
		memmove(&ev[2], &ev[3], (NEV - 3) * sizeof(ev[0]));
		n = NEV - 1;
		memcpy(prev, hash[1], CHAIN_HASH_LEN);
		for (size_t i = 2; i < n; i++) {
			struct chain_event ce = { .ticket = ev[i].ticket, .at = 1700000000 + (int64_t)i,
						  .kind = ev[i].kind, .actor = ev[i].actor, .role = ev[i].role,
						  .clearance = ev[i].clearance, .detail = ev[i].detail };

			assert_int_equal(chain_link_compute(&ce, i + 1, prev, body_hash[i], hash[i]), 0);
			memcpy(prev, hash[i], CHAIN_HASH_LEN);
		}
	}
	if (t == T_SWAP) {
		order[1] = 2;
		order[2] = 1;
	}
	assert_int_equal(chain_key_public(t == T_OTHER_KEY ? f->other : f->key, signer_pub), 0);
	buf_init(&out, 1 << 20);
	buf_init(&body, CHAIN_BODY_MAX);
	assert_int_equal(export_writer_start(&w, &out, t == T_HEADER_TICKET ? OTHER : TICKET, 1700000100, signer_pub), 0);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		uint64_t seq = (t == T_SWAP) ? i + 1 : k + 1;
		struct chain_event ce = { .ticket = ev[i].ticket, .at = 1700000000 + (int64_t)i, .kind = ev[i].kind,
					  .actor = ev[i].actor, .role = ev[i].role, .clearance = ev[i].clearance,
					  .detail = ev[i].detail };
		bool full = ev[i].ticket == TICKET;

		if (t == T_DELETE && seq == 3)
			continue;
		if ((t == T_CUT_TAIL || t == T_CUT_TAIL_AND_CP) && seq > 6)
			continue;
		if (t == T_OWN_AS_STUB && seq == 3)
			full = false;
		if (t == T_OTHER_IN_FULL && seq == 4)
			full = true;
		if (full) {
			buf_reset(&body);
			assert_int_equal(chain_body_encode(&body, &ce), 0);
			if (t == T_FLIP_BODY && seq == 3)
				((uint8_t *)(uintptr_t)buf_ptr(&body))[buf_len(&body) - 1] ^= 1;
			assert_int_equal(export_put_link(&w, seq, ev[i].ticket, hash[i], buf_ptr(&body), buf_len(&body)), 0);
		} else {
			assert_int_equal(export_put_stub(&w, seq, t == T_STUB_TICKET && seq == 4 ? 4 : ev[i].ticket,
							 body_hash[i], hash[i]),
					 0);
		}
		if (t == T_CP_MOVED && seq == 4)
			continue;
		if ((has_cp(seq) && !(t == T_NO_FINAL_CP && seq == NEV)) || (t == T_CP_MOVED && seq == 5)) {
			uint64_t cseq = t == T_CP_MOVED && seq == 5 ? 4 : seq;
			int64_t at = 1700000050 + (int64_t)cseq;
			uint8_t sig[CHAIN_SIG_LEN];

			assert_int_equal(chain_checkpoint_sign(signer, cseq, cp_hash[cseq - 1], at, sig), 0);
			if (t == T_CP_AT)
				at++;
			assert_int_equal(export_put_checkpoint(&w, cseq, cp_hash[cseq - 1], at, sig), 0);
		}
	}
	if (t == T_CUT_TAIL) {
		uint8_t sig[CHAIN_SIG_LEN];

		assert_int_equal(chain_checkpoint_sign(signer, NEV, cp_hash[NEV - 1], 1700000059, sig), 0);
		assert_int_equal(export_put_checkpoint(&w, NEV, cp_hash[NEV - 1], 1700000059, sig), 0);
	}
	for (size_t a = 0; a < 2; a++) {
		if (t == T_ATT_MISSING && a == 1)
			continue;
		assert_int_equal(export_put_attachment(&w, atts[a].id, atts[a].kind,
						       t == T_ATT_RENAMED && a == 0 ? "renamed.txt" : atts[a].name,
						       t == T_ATT_REPLACED && a == 1 ? "Reinstalled the driver; error 0x13 persists"
										    : atts[a].content,
						       strlen(atts[a].content)),
				 0);
	}
	if (t == T_ATT_EXTRA)
		assert_int_equal(export_put_attachment(&w, 9, "note", "extra.txt", "x", 1), 0);
	if (t != T_REC_MISSING)
		assert_int_equal(export_put_recording(&w, rec_path, t == T_REC_REPLACED ? "HOSEAL01 forged" : rec_bytes,
						      t == T_REC_REPLACED ? 15 : strlen(rec_bytes)),
				 0);
	if (t != T_NO_END)
		assert_int_equal(export_writer_finish(&w, signer), 0);
	buf_free(&body);
	return out;
}

static void expect_fail(struct fixture *f, enum tamper t, const char *want)
{
	struct buf b = build(f, t);
	struct export_report rep;
	char err[600] = "";

	if (export_verify(buf_ptr(&b), buf_len(&b), f->pub, &rep, NULL, NULL, err, sizeof(err)) == 0)
		fail_msg("tamper %d verified", t);
	if (strstr(err, want) == NULL)
		fail_msg("tamper %d: \"%s\" does not say \"%s\"", t, err, want);
	buf_free(&b);
}

struct seen {
	int events;
	uint64_t last_seq;
};

static void count_event(uint64_t seq, const struct chain_event *e, void *ctx)
{
	struct seen *s = ctx;

	assert_int_equal(e->ticket, TICKET);
	s->events++;
	s->last_seq = seq;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct buf b = build(f, T_NONE);
	struct export_report rep;
	struct seen seen = { 0 };
	char err[600] = "", fp[CHAIN_FP_MAX];

	assert_int_equal(export_verify(buf_ptr(&b), buf_len(&b), f->pub, &rep, count_event, &seen, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(rep.ticket, TICKET);
	assert_int_equal(rep.records, NEV);
	assert_int_equal(rep.ticket_records, 6);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.last_checkpoint, NEV);
	assert_int_equal(rep.attachments, 2);
	assert_int_equal(rep.recordings, 1);
	assert_int_equal(rep.exported_at, 1700000100);
	chain_fingerprint(f->pub, fp, sizeof(fp));
	assert_string_equal(rep.key_fp, fp);
	assert_int_equal(seen.events, 6);
	assert_int_equal(seen.last_seq, NEV);
	/* Other tickets' content is not in the file. */
	assert_null(memmem(buf_ptr(&b), buf_len(&b), "confidential", 12));
	buf_free(&b);
}

static void test_tampering_is_named(void **state)
{
	struct fixture *f = *state;

	expect_fail(f, T_FLIP_BODY, "record 3: hash mismatch");
	expect_fail(f, T_EDIT_REHASH, "checkpoint at seq 4: its hash is not the chain's");
	expect_fail(f, T_DELETE, "record 3 is missing");
	expect_fail(f, T_DELETE_RENUMBER, "checkpoint at seq 4: its hash is not the chain's");
	expect_fail(f, T_SWAP, "record 2 is missing");
	expect_fail(f, T_SWAP_REHASH, "checkpoint at seq 4: its hash is not the chain's");
	expect_fail(f, T_CUT_TAIL, "records end at seq 6 but the checkpoint that follows covers 9");
	expect_fail(f, T_CUT_TAIL_AND_CP, "records 5 to 6 are not covered by a checkpoint");
	expect_fail(f, T_NO_FINAL_CP, "records 5 to 9 are not covered by a checkpoint");
	expect_fail(f, T_OWN_AS_STUB, "record 3 belongs to ticket 7 but its content is withheld");
	expect_fail(f, T_OTHER_IN_FULL, "record 4: the full content of ticket 3");
	expect_fail(f, T_STUB_TICKET, "record 4: hash mismatch");
	expect_fail(f, T_ATT_REPLACED, "attachment #2: content does not match sha256 in record 7");
	expect_fail(f, T_ATT_MISSING, "attachment #2 (named in record 7) is missing");
	expect_fail(f, T_ATT_EXTRA, "attachment #9 is not named by any record of ticket 7");
	expect_fail(f, T_ATT_RENAMED, "attachment #1: kind or name differ from record 5");
	expect_fail(f, T_REC_REPLACED, "recording recordings/7/viewer-1-1700000000000000.hrec: content does not match sha256 in record 6");
	expect_fail(f, T_REC_MISSING, "recording recordings/7/viewer-1-1700000000000000.hrec (named in record 6) is missing");
	expect_fail(f, T_CP_MOVED, "checkpoint at seq 4 is out of place (after record 5)");
	expect_fail(f, T_CP_AT, "checkpoint at seq 4: bad signature");
	expect_fail(f, T_OTHER_KEY, "the export names audit key");
	expect_fail(f, T_OTHER_KEY_SAME_ID, "checkpoint at seq 4: bad signature");
	expect_fail(f, T_HEADER_TICKET, "record 1 belongs to ticket 3 but its content is withheld");
	expect_fail(f, T_NO_END, "cut short");
}

/* Every byte, flipped two ways, and every prefix: each fails with a reason. */
static void flip_every_byte(const uint8_t *file, size_t len, const uint8_t pub[CHAIN_PUB_LEN], size_t *cases)
{
	uint8_t *copy = malloc(len);
	struct export_report rep;
	char err[600];

	assert_non_null(copy);
	for (size_t i = 0; i < len; i++) {
		static const uint8_t masks[] = { 0x01, 0xff };

		for (size_t m = 0; m < sizeof(masks); m++) {
			memcpy(copy, file, len);
			copy[i] ^= masks[m];
			err[0] = '\0';
			if (export_verify(copy, len, pub, &rep, NULL, NULL, err, sizeof(err)) == 0)
				fail_msg("flipping byte %zu with %02x still verifies", i, masks[m]);
			if (err[0] == '\0')
				fail_msg("flipping byte %zu: no reason given", i);
			(*cases)++;
		}
	}
	for (size_t cut = 0; cut < len; cut++) {
		err[0] = '\0';
		if (export_verify(file, cut, pub, &rep, NULL, NULL, err, sizeof(err)) == 0 || err[0] == '\0')
			fail_msg("the first %zu bytes verify, or fail without a reason", cut);
		(*cases)++;
	}
	free(copy);
}

static void test_every_byte_flip_fails(void **state)
{
	struct fixture *f = *state;
	struct buf b = build(f, T_NONE);
	size_t cases = 0;

	flip_every_byte(buf_ptr(&b), buf_len(&b), f->pub, &cases);
	print_message("%zu tampered copies of a %zu-byte export rejected\n", cases, buf_len(&b));
	buf_free(&b);
}

static void test_writer_refuses_disorder(void **state)
{
	struct fixture *f = *state;
	struct export_writer w;
	struct buf out;
	uint8_t h[CHAIN_HASH_LEN] = { 0 };

	buf_init(&out, 4096);
	assert_int_equal(export_writer_start(&w, &out, TICKET, 1, f->pub), 0);
	assert_int_equal(export_put_attachment(&w, 1, "note", "n", "x", 1), 0);
	/* A link after an attachment would break the file's order. */
	assert_true(export_put_stub(&w, 1, OTHER, h, h) != 0);
	assert_true(export_put_attachment(&w, 2, "note", "n", "x", 1) != 0);
	buf_free(&out);
	/* A SIGNER: version 2 only, once, before the HEAD, its name bounded. */
	buf_init(&out, 4096);
	assert_int_equal(export_writer_start(&w, &out, TICKET, 1, f->pub), 0);
	assert_true(export_put_signer(&w, f->pub, "relay-b:/srv") != 0);
	buf_free(&out);
	buf_init(&out, 4096);
	assert_int_equal(export_writer_start_v2(&w, &out, TICKET, 1, f->pub), 0);
	{
		char longname[EXPORT_SIGNER_NAME_MAX + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_true(export_put_signer(&w, f->pub, longname) != 0);
	}
	buf_free(&out);
	buf_init(&out, 4096);
	assert_int_equal(export_writer_start_v2(&w, &out, TICKET, 1, f->pub), 0);
	assert_int_equal(export_put_signer(&w, f->pub, "relay-b:/srv"), 0);
	assert_true(export_put_signer(&w, f->pub, "relay-b:/srv") != 0);
	buf_free(&out);
	/* A buffer too small fails cleanly. */
	buf_init(&out, 40);
	assert_true(export_writer_start(&w, &out, TICKET, 1, f->pub) != 0 ||
		    export_put_stub(&w, 1, OTHER, h, h) != 0);
	buf_free(&out);
}

/*
 * Version 2 from two relays: HEADER and END by the exporter (0x42), the
 * HEAD by another relay (0x43) named in a SIGNER item. It verifies with
 * both keys, not with the exporter's alone, and a SIGNER naming a key
 * other than the HEAD's fails on the signature. HANDOFF_EXPORT_SEED_DIR
 * writes it as fuzz_export's seed (corpus/export/signer).
 */
static void test_signer_of_another_relay(void **state)
{
	EVP_PKEY *exporter = key_from_seed(0x42), *signer = key_from_seed(0x43);
	struct chain_event e = { .ticket = TICKET, .at = 5, .kind = "created", .actor = "alice", .role = "L1",
				 .clearance = "", .detail = "Printer" };
	uint8_t keys[2][CHAIN_PUB_LEN], zeros[CHAIN_HASH_LEN] = { 0 }, body_hash[CHAIN_HASH_LEN], leaf[CHAIN_HASH_LEN];
	struct export_head *h = calloc(1, sizeof(*h));
	struct export_report rep;
	struct export_writer w;
	struct buf body, out;
	const char *dir = getenv("HANDOFF_EXPORT_SEED_DIR");
	char err[600];

	(void)state;
	assert_non_null(h);
	assert_int_equal(chain_key_public(exporter, keys[0]), 0);
	assert_int_equal(chain_key_public(signer, keys[1]), 0);
	buf_init(&body, CHAIN_BODY_MAX);
	assert_int_equal(chain_body_encode(&body, &e), 0);
	chain_sha256(buf_ptr(&body), buf_len(&body), body_hash);
	*h = (struct export_head){ .seq = 1, .at = 9, .tickets = 1, .head_seq = 1, .index = 0, .nproof = 0 };
	memset(h->hash, 0x5a, sizeof(h->hash));
	chain_ticket_link_hash(zeros, 1, TICKET, body_hash, h->head_hash);
	chain_ticket_leaf(TICKET, 1, h->head_hash, leaf);
	merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])leaf, 1, h->root);
	assert_int_equal(chain_checkpoint_sign(signer, 1, h->hash, h->at, h->sig), 0);
	assert_int_equal(chain_tickets_sign(signer, 1, h->hash, h->at, 1, h->root, h->tickets_sig), 0);
	buf_init(&out, 1u << 20);
	assert_int_equal(export_writer_start_v2(&w, &out, TICKET, 10, keys[0]), 0);
	assert_int_equal(export_put_link(&w, 1, TICKET, h->head_hash, buf_ptr(&body), buf_len(&body)), 0);
	assert_int_equal(export_put_signer(&w, keys[1], "relay-b:/srv/handoff"), 0);
	assert_int_equal(export_put_head(&w, h), 0);
	assert_int_equal(export_writer_finish(&w, exporter), 0);
	if (export_verify_keys(buf_ptr(&out), buf_len(&out), (const uint8_t (*)[CHAIN_PUB_LEN])keys, 2, &rep, NULL, NULL,
			       err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(rep.head_key_name, "relay-b:/srv/handoff");
	assert_int_equal(export_verify(buf_ptr(&out), buf_len(&out), keys[0], &rep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "named \"relay-b:/srv/handoff\" in the export), which is not among the keys given"));
	if (dir != NULL) {
		char path[4200];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/signer", dir);
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(buf_ptr(&out), 1, buf_len(&out), fp), buf_len(&out));
		assert_int_equal(fclose(fp), 0);
	}
	export_writer_release(&w);
	/* Without the SIGNER the HEAD is checked under the exporter's key, and fails. */
	buf_reset(&out);
	assert_int_equal(export_writer_start_v2(&w, &out, TICKET, 10, keys[0]), 0);
	assert_int_equal(export_put_link(&w, 1, TICKET, h->head_hash, buf_ptr(&body), buf_len(&body)), 0);
	assert_int_equal(export_put_head(&w, h), 0);
	assert_int_equal(export_writer_finish(&w, exporter), 0);
	assert_int_equal(export_verify_keys(buf_ptr(&out), buf_len(&out), (const uint8_t (*)[CHAIN_PUB_LEN])keys, 2, &rep,
					    NULL, NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "checkpoint at seq 1: bad signature"));
	export_writer_release(&w);
	buf_free(&out);
	buf_free(&body);
	free(h);
	EVP_PKEY_free(exporter);
	EVP_PKEY_free(signer);
}

static void test_garbage(void **state)
{
	struct fixture *f = *state;
	struct export_report rep;
	char err[600];
	uint8_t junk[64];

	memset(junk, 0xff, sizeof(junk));
	assert_int_equal(export_verify(junk, sizeof(junk), f->pub, &rep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a Handoff export"));
	memcpy(junk, EXPORT_MAGIC, 8);
	assert_int_equal(export_verify(junk, sizeof(junk), f->pub, &rep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "offset 8"));
	assert_int_equal(export_verify(junk, 8, f->pub, &rep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cut short"));
}

/* ---- a real export (tests/e2e/test_audit.sh) ---- */

/* The real export's version: join_items writes that magic and END label. */
static int real_version = 1;

struct item {
	uint8_t type;
	const uint8_t *p;
	size_t n;
};

/* Splits a verified export into its items (payloads point into data). */
static size_t split_items(const uint8_t *data, size_t len, struct item *items, size_t max)
{
	struct buf in;
	size_t count = 0;

	buf_view(&in, data, len);
	assert_int_equal(buf_consume(&in, 8), 0);
	while (buf_len(&in) > 0) {
		assert_true(count < max);
		assert_int_equal(buf_get_u8(&in, &items[count].type), 0);
		assert_int_equal(buf_get_string_ptr(&in, &items[count].p, &items[count].n, buf_len(&in)), 0);
		count++;
	}
	return count;
}

/*
 * Puts items back together as a file, END rebuilt with true counts and
 * signed by signer: with the relay's own key, the worst case (only the
 * chain can tell); with another, what an attacker can do.
 */
static struct buf join_items(const struct item *items, size_t count, EVP_PKEY *signer)
{
	uint64_t links = 0;
	uint32_t cps = 0, natts = 0, recs = 0;
	uint8_t msg[sizeof(EXPORT_SIGN_LABEL) - 1 + 32], sig[64];
	struct buf out;

	buf_init(&out, BUF_MAX_CAP);
	assert_int_equal(buf_put(&out, real_version == 2 ? EXPORT_MAGIC_V2 : EXPORT_MAGIC, 8), 0);
	for (size_t i = 0; i < count; i++) {
		if (items[i].type == EXPORT_END)
			continue;
		links += items[i].type == EXPORT_LINK || items[i].type == EXPORT_STUB;
		cps += items[i].type == EXPORT_CHECKPOINT || items[i].type == EXPORT_HEAD;
		natts += items[i].type == EXPORT_ATTACHMENT;
		recs += items[i].type == EXPORT_RECORDING;
		assert_int_equal(buf_put_u8(&out, items[i].type), 0);
		assert_int_equal(buf_put_string(&out, items[i].p, items[i].n), 0);
	}
	assert_int_equal(buf_put_u8(&out, EXPORT_END), 0);
	assert_int_equal(buf_put_u32(&out, 8 + 12 + 64), 0);
	assert_int_equal(buf_put_u64(&out, links), 0);
	assert_int_equal(buf_put_u32(&out, cps), 0);
	assert_int_equal(buf_put_u32(&out, natts), 0);
	assert_int_equal(buf_put_u32(&out, recs), 0);
	memcpy(msg, real_version == 2 ? EXPORT_SIGN_LABEL_V2 : EXPORT_SIGN_LABEL, sizeof(EXPORT_SIGN_LABEL) - 1);
	chain_sha256(buf_ptr(&out), buf_len(&out), msg + sizeof(EXPORT_SIGN_LABEL) - 1);
	assert_int_equal(chain_sign(signer, msg, sizeof(msg), sig), 0);
	assert_int_equal(buf_put(&out, sig, sizeof(sig)), 0);
	return out;
}

/* Verifies a tampered copy: it must fail, and the reason is printed for the e2e test to check. */
static void real_tamper(const char *name, struct buf *b, const uint8_t pub[CHAIN_PUB_LEN])
{
	struct export_report rep;
	char err[600] = "";

	const char *dir = getenv("HANDOFF_EXPORT_TAMPER_DIR");

	if (export_verify(buf_ptr(b), buf_len(b), pub, &rep, NULL, NULL, err, sizeof(err)) == 0)
		fail_msg("tamper %s: the export still verifies", name);
	assert_true(err[0] != '\0');
	print_message("tamper %s: %s\n", name, err);
	if (dir != NULL) {
		char path[4200];
		FILE *out;

		snprintf(path, sizeof(path), "%s/%s.hexp", dir, name);
		out = fopen(path, "wbx");
		assert_non_null(out);
		assert_int_equal(fwrite(buf_ptr(b), 1, buf_len(b), out), buf_len(b));
		assert_int_equal(fclose(out), 0);
	}
	buf_free(b);
}

/* Index of the n-th item (0-based) of a type, or count when there is none. */
static size_t nth_item(const struct item *items, size_t count, uint8_t type, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if ((items[i].type == type || (type == EXPORT_LINK && items[i].type == EXPORT_STUB)) && n-- == 0)
			return i;
	return count;
}

/* A file read whole (malloc'd, *len bytes). */
static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0 && n <= (long)BUF_MAX_CAP);
	rewind(fp);
	data = malloc((size_t)n);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return data;
}

/*
 * Version 2's own cases. The END is re-signed with the relay's key in each
 * (the worst case): only the ticket's chain and the signed head can tell.
 */
static void real_tamper_v2(const struct item *items, size_t count, struct item *copy, uint8_t *scratch,
			   size_t scratch_len, EVP_PKEY *key, const uint8_t pub[CHAIN_PUB_LEN])
{
	const char *other_path = getenv("HANDOFF_EXPORT_OTHER");
	size_t last = count, head = nth_item(items, count, EXPORT_HEAD, 0);
	struct buf b;

	assert_true(head < count);
	for (size_t i = 0; i < count; i++)
		if (items[i].type == EXPORT_LINK)
			last = i;
	assert_true(last < count);

	/* The ticket's last record dropped: the rest still chains, the signed head names it. */
	memcpy(copy, items, count * sizeof(*items));
	memmove(&copy[last], &copy[last + 1], (count - last - 1) * sizeof(*copy));
	b = join_items(copy, count - 1, key);
	real_tamper("drop-last-record", &b, pub);

	/* A hash of the inclusion proof changed (its last byte), when the relay has more than one ticket. */
	{
		struct buf in;
		uint32_t nproof = 0;

		buf_view(&in, items[head].p, items[head].n);
		assert_int_equal(buf_consume(&in, 8 + 32 + 8 + 64 + 8 + 32 + 64 + 8 + 32 + 8), 0);
		assert_int_equal(buf_get_u32(&in, &nproof), 0);
		if (nproof > 0) {
			assert_true(items[head].n <= scratch_len);
			memcpy(copy, items, count * sizeof(*items));
			memcpy(scratch, items[head].p, items[head].n);
			scratch[items[head].n - 1] ^= 0x01;
			copy[head].p = scratch;
			b = join_items(copy, count, key);
			real_tamper("change-proof-hash", &b, pub);
		}
	}

	/* Another ticket's record put in, in its place by seq: as it is, and with its ticket number rewritten. */
	if (other_path != NULL) {
		size_t olen, ocount, k, at;
		uint8_t *odata = read_whole(other_path, &olen);
		struct item *oitems = calloc(65536, sizeof(*oitems)), *grown = calloc(count + 1, sizeof(*grown));
		uint64_t oseq, seq;
		struct buf in;

		assert_non_null(oitems);
		assert_non_null(grown);
		ocount = split_items(odata, olen, oitems, 65536);
		k = nth_item(oitems, ocount, EXPORT_LINK, 0);
		assert_true(k < ocount);
		buf_view(&in, oitems[k].p, oitems[k].n);
		assert_int_equal(buf_get_u64(&in, &oseq), 0);
		for (at = 0; at < count; at++) {
			if (items[at].type == EXPORT_HEAD)
				break;
			if (items[at].type != EXPORT_LINK)
				continue;
			buf_view(&in, items[at].p, items[at].n);
			assert_int_equal(buf_get_u64(&in, &seq), 0);
			if (seq > oseq)
				break;
		}
		for (int rewrite = 0; rewrite < 2; rewrite++) {
			memcpy(grown, items, at * sizeof(*items));
			grown[at] = oitems[k];
			memcpy(&grown[at + 1], &items[at], (count - at) * sizeof(*items));
			if (rewrite) {
				uint64_t ticket;

				/* The header's ticket (offset 0 of its payload) over the record's (offset 8). */
				assert_true(oitems[k].n <= scratch_len);
				memcpy(scratch, oitems[k].p, oitems[k].n);
				buf_view(&in, items[0].p, items[0].n);
				assert_int_equal(buf_get_u64(&in, &ticket), 0);
				memcpy(scratch + 8, items[0].p, 8);
				grown[at].p = scratch;
			}
			b = join_items(grown, count + 1, key);
			real_tamper(rewrite ? "other-ticket-record-renumbered" : "other-ticket-record", &b, pub);
		}
		free(grown);
		free(oitems);
		free(odata);
	}
}

static void test_real_export(void **state)
{
	const char *path = getenv("HANDOFF_EXPORT_FILE"), *pubpath = getenv("HANDOFF_AUDIT_PUB");
	const char *keypath = getenv("HANDOFF_AUDIT_KEY"), *exhaustive = getenv("HANDOFF_EXPORT_EXHAUSTIVE");
	uint8_t pub[CHAIN_PUB_LEN], other_pub[CHAIN_PUB_LEN], other_id[32], *data, *scratch;
	EVP_PKEY *key = NULL, *other = key_from_seed(9);
	struct item *items, *copy;
	struct export_report rep;
	struct buf b;
	char err[600];
	size_t count, cases = 0, k, last_link;
	long len;
	FILE *fp;

	(void)state;
	assert_int_equal(chain_pub_load(pubpath, pub, err, sizeof(err)), 0);
	assert_int_equal(chain_key_load_private(keypath, &key, err, sizeof(err)), 0);
	assert_int_equal(chain_key_public(other, other_pub), 0);
	chain_key_id(other_pub, other_id);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len > 0 && len <= (long)BUF_MAX_CAP);
	rewind(fp);
	data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	real_version = memcmp(data, EXPORT_MAGIC_V2, 8) == 0 ? 2 : 1;
	if (export_verify(data, (size_t)len, pub, &rep, NULL, NULL, err, sizeof(err)) != 0)
		fail_msg("the real export does not verify: %s", err);
	print_message("real export: %ld bytes, %llu records, %llu checkpoints, %llu attachments, %llu recordings\n", len,
		      (unsigned long long)rep.records, (unsigned long long)rep.checkpoints,
		      (unsigned long long)rep.attachments, (unsigned long long)rep.recordings);
	if (exhaustive != NULL && strcmp(exhaustive, "1") == 0) {
		flip_every_byte(data, (size_t)len, pub, &cases);
		print_message("real export: %zu tampered copies (every byte flipped two ways, every prefix) rejected\n",
			      cases);
	}

	items = calloc(65536, sizeof(*items));
	copy = calloc(65536, sizeof(*copy));
	scratch = malloc((size_t)len);
	assert_non_null(items);
	assert_non_null(copy);
	assert_non_null(scratch);
	count = split_items(data, (size_t)len, items, 65536);
	/* Put back as it was, with the relay's key: still verifies (the tool itself is sound). */
	b = join_items(items, count, key);
	assert_int_equal(export_verify(buf_ptr(&b), buf_len(&b), pub, &rep, NULL, NULL, err, sizeof(err)), 0);
	buf_free(&b);

	/* A record deleted (the second), the rest as they were; END re-signed with the relay's own key. */
	k = nth_item(items, count, EXPORT_LINK, 1);
	assert_true(k < count);
	memcpy(copy, items, count * sizeof(*items));
	/* The explicit bound also tells GCC at -O2 that the length cannot wrap. */
	if (k + 1 < count)
		memmove(&copy[k], &copy[k + 1], (count - k - 1) * sizeof(*copy));
	b = join_items(copy, count - 1, key);
	real_tamper("delete-record", &b, pub);

	/* Two records reordered (the second and the third). */
	memcpy(copy, items, count * sizeof(*items));
	{
		size_t k2 = nth_item(items, count, EXPORT_LINK, 2);
		struct item t = copy[k];

		assert_true(k2 < count);
		copy[k] = copy[k2];
		copy[k2] = t;
	}
	b = join_items(copy, count, key);
	real_tamper("reorder-records", &b, pub);

	/* The tail cut: the last record and what follows it in the chain gone; END by someone without the key. */
	last_link = 0;
	for (size_t i = 0; i < count; i++)
		if (items[i].type == EXPORT_LINK || items[i].type == EXPORT_STUB)
			last_link = i;
	memcpy(copy, items, count * sizeof(*items));
	k = last_link;
	while (k + 1 < count && copy[k + 1].type == EXPORT_CHECKPOINT)
		k++;
	memmove(&copy[last_link], &copy[k + 1], (count - k - 1) * sizeof(*copy));
	b = join_items(copy, count - (k + 1 - last_link), other);
	real_tamper("truncate-tail", &b, pub);
	/* And the file itself cut short. */
	buf_init(&b, (size_t)len);
	assert_int_equal(buf_put(&b, data, (size_t)len - 100), 0);
	real_tamper("cut-file", &b, pub);

	/* An attachment's content replaced (its last byte), the relay's key on END. */
	for (size_t n = 0; (k = nth_item(items, count, EXPORT_ATTACHMENT, n)) < count; n++) {
		uint32_t clen = 0;

		/* The content is the item's last field; a non-empty one ends the payload. */
		memcpy(copy, items, count * sizeof(*items));
		memcpy(scratch, items[k].p, items[k].n);
		{
			struct buf in;
			uint64_t id;
			const uint8_t *pk, *pn, *pc;
			size_t nk, nn, nc;

			buf_view(&in, items[k].p, items[k].n);
			assert_int_equal(buf_get_u64(&in, &id), 0);
			assert_int_equal(buf_get_string_ptr(&in, &pk, &nk, 256), 0);
			assert_int_equal(buf_get_string_ptr(&in, &pn, &nn, 256), 0);
			assert_int_equal(buf_get_string_ptr(&in, &pc, &nc, items[k].n), 0);
			clen = (uint32_t)nc;
		}
		if (clen == 0)
			continue;
		scratch[items[k].n - 1] ^= 0x20;
		copy[k].p = scratch;
		b = join_items(copy, count, key);
		real_tamper("replace-attachment", &b, pub);
		break;
	}

	/* A recording's bytes replaced (its last byte), the relay's key on END. */
	k = nth_item(items, count, EXPORT_RECORDING, 0);
	if (k < count) {
		memcpy(copy, items, count * sizeof(*items));
		memcpy(scratch, items[k].p, items[k].n);
		scratch[items[k].n - 1] ^= 0x01;
		copy[k].p = scratch;
		b = join_items(copy, count, key);
		real_tamper("replace-recording", &b, pub);
	}

	/* Everything re-signed with another key: the header naming it, or still naming the relay's. */
	for (int same_id = 0; same_id < 2; same_id++) {
		uint8_t *resigned = malloc((size_t)len);
		size_t off = 0;

		assert_non_null(resigned);
		memcpy(copy, items, count * sizeof(*items));
		for (size_t i = 0; i < count; i++) {
			if (copy[i].type != EXPORT_HEADER && copy[i].type != EXPORT_CHECKPOINT && copy[i].type != EXPORT_HEAD)
				continue;
			memcpy(resigned + off, copy[i].p, copy[i].n);
			if (copy[i].type == EXPORT_HEADER && !same_id) {
				memcpy(resigned + off + 16, other_id, 32);
			} else if (copy[i].type == EXPORT_CHECKPOINT || copy[i].type == EXPORT_HEAD) {
				struct buf in;
				uint64_t seq, at, n;
				uint8_t hash[32], root[32];

				buf_view(&in, copy[i].p, copy[i].n);
				assert_int_equal(buf_get_u64(&in, &seq), 0);
				assert_int_equal(buf_get(&in, hash, 32), 0);
				assert_int_equal(buf_get_u64(&in, &at), 0);
				assert_int_equal(chain_checkpoint_sign(other, seq, hash, (int64_t)at, resigned + off + 48), 0);
				/* Version 2's tickets root too: u64 n at 112, the root at 120, its signature at 152. */
				if (copy[i].type == EXPORT_HEAD) {
					assert_int_equal(buf_consume(&in, 64), 0);
					assert_int_equal(buf_get_u64(&in, &n), 0);
					assert_int_equal(buf_get(&in, root, 32), 0);
					assert_int_equal(chain_tickets_sign(other, seq, hash, (int64_t)at, n, root,
									    resigned + off + 152), 0);
				}
			}
			copy[i].p = resigned + off;
			off += copy[i].n;
		}
		b = join_items(copy, count, other);
		/* The other key's own public half accepts it: the signatures are real, only the key is wrong. */
		assert_int_equal(export_verify(buf_ptr(&b), buf_len(&b), other_pub, &rep, NULL, NULL, err, sizeof(err)),
				 same_id ? -1 : 0);
		real_tamper(same_id ? "resign-other-key-same-header" : "resign-other-key", &b, pub);
		free(resigned);
	}

	if (real_version == 2)
		real_tamper_v2(items, count, copy, scratch, (size_t)len, key, pub);

	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	free(scratch);
	free(copy);
	free(items);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_flip_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_refuses_disorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test(test_signer_of_another_relay),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_export),
	};

	if (getenv("HANDOFF_EXPORT_FILE") != NULL && getenv("HANDOFF_AUDIT_PUB") != NULL &&
	    getenv("HANDOFF_AUDIT_KEY") != NULL)
		return cmocka_run_group_tests(real, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
