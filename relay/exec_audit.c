/*
 * exec_audit.c: see exec_audit.h.
 */
#include "exec_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "job.h"
#include "log.h"
#include "report.h"
#include "timefmt.h"

static int exec_tickets_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	char created[32];

	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "owner", t->owner);
		emit_kint(&x->j, "created_at", t->created_at);
		emit_kint(&x->j, "updated_at", t->updated_at);
		emit_kstring(&x->j, "summary", t->summary);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s %s  %-12s ", (long long)t->id, t->priority, t->tier, t->state,
		    created, t->owner[0] ? t->owner : "-");
	exec_text(x->out, t->summary);
	buf_printf(x->out, "\n");
	return 0;
}

int exec_tickets(struct exec_ctx *x)
{
	int64_t since = 0;
	size_t before;
	int rc = EXIT_OK;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (x->opt_value[0] != NULL && exec_parse_day(x->opt_value[0], &since) != 0) {
		buf_printf(x->err, "tickets: --since wants a day as YYYY-MM-DD, got \"%s\"\n", x->opt_value[0]);
		return EXIT_USAGE;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "since", since);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else
		buf_printf(x->out, "%6s  %s  %s  %-10s %-20s  %-12s %s\n", "ticket", "P ", "T ", "state", "opened", "owner",
			    "summary");
	before = buf_len(x->out);
	if (store_tickets_active_since(x->relay->store, since, exec_tickets_row, x) != STORE_OK) {
		buf_printf(x->err, "tickets: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
	return rc;
}

/* Auditor commands on one ticket (the right was checked first, so that technicians learn nothing of the ticket). */
static int exec_audit_ticket(struct exec_ctx *x, struct store_ticket *t)
{
	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	return exec_ticket_arg(x, RELAY_ACT_SHOW, t);
}

static int exec_transcript_line(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "author", e->actor);
		emit_kstring(&x->j, "role", e->role);
		emit_kstring(&x->j, "text", e->detail);
		emit_object_end(&x->j);
		return 0;
	}
	relay_ticket_chat_line(e, line, sizeof(line));
	buf_put(x->out, line, strlen(line));
	return 0;
}

int exec_transcript(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	size_t before;
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	if (x->json)
		exec_json_begin_list(x, t->id, "lines");
	before = buf_len(x->out);
	if (store_events(x->relay->store, t->id, EVENT_CHAT, exec_transcript_line, x) != STORE_OK) {
		buf_printf(x->err, "transcript: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
out:
	free(t);
	return rc;
}

/*
 * The file of a recording-closed record: "on disk", "missing" or "size
 * differs" as this relay's disk holds it now, or "on relay NAME" when the
 * store says another relay holds it (`recording` and `export` fetch it).
 */
static const char *exec_recording_on_disk(struct exec_ctx *x, const struct event_recording *r, char *where,
					  size_t wherelen)
{
	struct store_peer *peer;
	uint8_t place[STORE_PUB_LEN];
	char path[4400];
	uint8_t self[STORE_PUB_LEN];
	struct stat sb;
	int here = relay_audit_public(x->relay, self) == 0 ?
			   relay_audit_recording_here(x->relay->store, self, r->path, place) : 1;

	if (here == 0 && (peer = calloc(1, sizeof(*peer))) != NULL) {
		if (relay_route_peer_by_pub(x->relay->store, place, peer) == 1)
			snprintf(where, wherelen, "on relay %s", peer->name);
		else
			snprintf(where, wherelen, "on a relay no longer in service");
		free(peer);
		return where;
	}
	if (here < 0)
		return "unknown (the store failed)";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->relay->home->dir, r->path) >= sizeof(path) ||
	    stat(path, &sb) != 0)
		return "missing";
	return (uint64_t)sb.st_size == r->size ? "on disk" : "size differs";
}

static int exec_recording_row(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	struct event_recording r;
	char sha[2 * CHAIN_HASH_LEN + 1] = "unreadable", where[300];

	if (event_recording_parse(e->detail, &r) != 0) {
		buf_printf(x->err, "record %lld: unreadable recording-closed detail\n", (long long)e->id);
		return 0;
	}
	if (r.hashed)
		hex_encode(r.sha256, CHAIN_HASH_LEN, sha);
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "record", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "path", r.path);
		emit_kuint(&x->j, "size", r.size);
		emit_kstring(&x->j, "sha256", sha);
		emit_kstring(&x->j, "state", r.state);
		emit_kstring(&x->j, "technician", e->actor);
		emit_kstring(&x->j, "file", exec_recording_on_disk(x, &r, where, sizeof(where)));
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%s  %llu bytes  sha256 %s  %s  (%s; %s)\n", r.path, (unsigned long long)r.size, sha,
		    r.state, e->actor, exec_recording_on_disk(x, &r, where, sizeof(where)));
	return 0;
}

int exec_recordings(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	x->nwords = 0;
	if (x->json)
		exec_json_begin_list(x, t->id, "recordings");
	if (store_events(x->relay->store, t->id, EVENT_RECORDING_CLOSED, exec_recording_row, x) != STORE_OK) {
		buf_printf(x->err, "recordings: the store failed\n");
		rc = EXIT_FAIL;
	}
	if (x->json)
		exec_json_end_list(x);
	else if (x->nwords == 0 && buf_len(x->out) == 0)
		buf_printf(x->out, "ticket %lld has no recordings\n", (long long)t->id);
out:
	free(t);
	return rc;
}

/*
 * Binary output (an export, a recording) must not reach a terminal: with
 * ssh -t the client asked for one, so the bytes would land on a screen.
 */
static int exec_binary_ok(struct exec_ctx *x, const char *redirect)
{
	if (!x->ch->pty)
		return 0;
	buf_printf(x->err, "%s: refusing to write binary data to a terminal (ssh -t asked for one); "
		    "run it without -t and redirect to a file: > %s\n", x->argv[0], redirect);
	return -1;
}

/* recording N ID of a recording another relay holds: fetched on the job thread (peerrec.c), then streamed. */
struct exec_recording_job {
	int64_t ticket;
	struct event_recording ref;
	uint8_t place[STORE_PUB_LEN];
	char key_path[PATH_MAX];
	char user[STORE_NAME_MAX];
	bool json;
	int fd;
	int rc;
	char err[512];
};

static void exec_recording_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_recording_job *j = ctx;

	j->rc = relay_peerrec_fetch(st, j->place, j->key_path, j->ticket, &j->ref, j->fd, cancel, j->err,
				    sizeof(j->err));
	if (j->rc == 0 && lseek(j->fd, 0, SEEK_SET) != 0) {
		snprintf(j->err, sizeof(j->err), "cannot read back the temporary file: %s", strerror(errno));
		j->rc = -1;
	}
}

static void exec_recording_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_recording_job *j = ctx;

	(void)relay;
	if (ch != NULL && j->rc == 0) {
		log_info("auditor %s downloaded recording %s of ticket %lld (from another relay)", j->user, j->ref.path,
			 (long long)j->ticket);
		ch->stream_fd = j->fd;
		j->fd = -1;
	} else if (ch != NULL) {
		buf_printf(&ch->err, "recording: %s\n", j->err);
		ch->exit_status = EXIT_FAIL;
		if (j->json)
			exec_json_errors(&ch->err, EXIT_FAIL);
	}
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

static int exec_recording_elsewhere(struct exec_ctx *x, int64_t ticket, const struct event_recording *ref,
				    const uint8_t place[STORE_PUB_LEN])
{
	struct exec_recording_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return EXIT_FAIL;
	*j = (struct exec_recording_job){ .ticket = ticket, .ref = *ref, .json = x->json, .fd = -1 };
	memcpy(j->place, place, STORE_PUB_LEN);
	snprintf(j->key_path, sizeof(j->key_path), "%s", x->relay->home->host_key_path);
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	/* As an export's: received whole into an unnamed file, so that a failed fetch sends only its error. */
	j->fd = open(x->relay->home->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		buf_printf(x->err, "recording: no room for a temporary file: %s\n", strerror(errno));
		free(j);
		return EXIT_FAIL;
	}
	if (relay_job_submit(x->relay, x->ch, exec_recording_run, exec_recording_done, j) != 0) {
		buf_printf(x->err, "recording: cannot start the job: out of memory\n");
		close(j->fd);
		free(j);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* recording N ID: one sealed recording file, byte for byte as the relay holds it (ID as `recordings N` lists it). */
int exec_recording(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	struct event_recording ref;
	uint8_t place[STORE_PUB_LEN];
	char err[512];
	const char *id = x->words;
	struct stat sb;
	int rc, fd = -1, found;

	if (t == NULL)
		return EXIT_FAIL;
	rc = EXIT_USAGE;
	if (exec_options(x) != 0 || x->nwords != 2 || strlen(x->words) > EXPORT_NAME_MAX) {
		exec_usage(x);
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	rc = EXIT_USAGE;
	if (exec_binary_ok(x, strrchr(id, '/') ? strrchr(id, '/') + 1 : id) != 0)
		goto out;
	found = relay_audit_recording_open(x->relay, t->id, id, &fd, &ref, place, err, sizeof(err));
	rc = EXIT_FAIL;
	if (found == RELAY_AUDIT_ELSEWHERE) {
		rc = exec_recording_elsewhere(x, t->id, &ref, place);
		goto out;
	}
	if (found == STORE_NOT_FOUND) {
		buf_printf(x->err, "recording: ticket %lld has no recording %s (see: recordings %lld)\n", (long long)t->id,
			    id, (long long)t->id);
		goto out;
	}
	if (found != 0) {
		buf_printf(x->err, "recording: %s\n", err);
		goto out;
	}
	if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_size != ref.size)
		buf_printf(x->err, "recording: warning: %s is %lld bytes on the relay's disk, its record says %llu; "
			    "it will not match its sha256\n", ref.path, (long long)sb.st_size, (unsigned long long)ref.size);
	log_info("auditor %s downloaded recording %s of ticket %lld", x->conn->user.name, ref.path, (long long)t->id);
	x->ch->stream_fd = fd;
	rc = EXIT_OK;
out:
	free(t);
	return rc;
}

/*
 * peer-recording N PATH, the one command of another relay's login for
 * recordings (peerrec.c): the file at PATH exactly, if a recording-closed
 * record of ticket N names it and the store places it here, streamed as
 * `recording` streams it.
 */
int exec_peer_recording(struct exec_ctx *x)
{
	struct relay *relay = x->relay;
	char **argv = x->argv;
	size_t argc = x->argc;
	struct buf *err = x->err;
	struct event_recording ref;
	uint8_t place[STORE_PUB_LEN];
	char why[512], *end = NULL;
	long long ticket;
	int fd = -1, rc;

	if (argc != 3 || strcmp(argv[0], RELAY_PEERREC_CMD) != 0) {
		buf_printf(err, "not allowed: a relay's login for recordings runs only " RELAY_PEERREC_CMD " N PATH\n");
		return EXIT_DENIED;
	}
	errno = 0;
	ticket = strtoll(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || ticket <= 0 || !event_recording_path_ok(argv[2])) {
		buf_printf(err, RELAY_PEERREC_CMD ": usage: " RELAY_PEERREC_CMD " N PATH\n");
		return EXIT_USAGE;
	}
	rc = relay_audit_recording_open(relay, ticket, argv[2], &fd, &ref, place, why, sizeof(why));
	/* A peer asks the relay the store names; one it names another is not passed on (no chains of fetches). */
	if (rc == RELAY_AUDIT_ELSEWHERE) {
		buf_printf(err, "the store says another relay holds %s\n", argv[2]);
		return EXIT_FAIL;
	}
	/* The exact path only: a file name alone could be another segment's on this relay. */
	if (rc == 0 && strcmp(ref.path, argv[2]) != 0) {
		close(fd);
		rc = STORE_NOT_FOUND;
	}
	if (rc == STORE_NOT_FOUND) {
		buf_printf(err, "ticket %lld has no recording %s here\n", ticket, argv[2]);
		return EXIT_FAIL;
	}
	if (rc != 0) {
		buf_printf(err, "%s\n", why);
		return EXIT_FAIL;
	}
	log_info("relay %s fetched recording %s of ticket %lld", x->conn->via_relay, ref.path, ticket);
	x->ch->stream_fd = fd;
	return EXIT_OK;
}

/* An export on the job thread (job.h): what it needs, and what it tells the channel when it ends. */
struct exec_export_job {
	struct relay_audit_export_plan plan;
	int fd;
	int rc;
	bool json;
	char user[STORE_NAME_MAX];
	char err[512];
};

static void exec_export_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_export_job *j = ctx;

	j->rc = relay_audit_export(st, &j->plan, j->fd, cancel, j->err, sizeof(j->err));
	if (j->rc == 0 && lseek(j->fd, 0, SEEK_SET) != 0) {
		snprintf(j->err, sizeof(j->err), "cannot read back the temporary file: %s", strerror(errno));
		j->rc = -1;
	}
}

static void exec_export_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_export_job *j = ctx;

	(void)relay;
	if (ch != NULL && j->rc == 0) {
		log_info("auditor %s exported ticket %lld", j->user, (long long)j->plan.ticket);
		ch->stream_fd = j->fd;
		j->fd = -1;
	} else if (ch != NULL) {
		buf_printf(&ch->err, "export: %s\n", j->err);
		ch->exit_status = EXIT_FAIL;
		if (j->json)
			exec_json_errors(&ch->err, EXIT_FAIL);
	}
	if (j->fd >= 0)
		close(j->fd);
	relay_audit_export_plan_clear(&j->plan);
	free(j);
}

int exec_export(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	struct exec_export_job *j = NULL;
	char name[40];
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	snprintf(name, sizeof(name), "ticket-%lld.hexp", (long long)t->id);
	if (exec_binary_ok(x, name) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_FAIL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto out;
	j->json = x->json;
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	/*
	 * An export can be far bigger than a command's output buffer: it is
	 * written to an unnamed file in the relay home, which the channel then
	 * streams as the technician's window allows (and which vanishes with
	 * its descriptor). It is written whole before a byte is sent, so that
	 * an export that fails half-way sends nothing but its error.
	 */
	j->fd = open(x->relay->home->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		buf_printf(x->err, "export: no room for a temporary file: %s\n", strerror(errno));
		goto out;
	}
	/* The checkpoint it ends on is signed here, on the loop; reading the chain is the job thread's. */
	if (relay_audit_export_prepare(x->relay, t->id, &j->plan, j->err, sizeof(j->err)) != 0) {
		buf_printf(x->err, "export: %s\n", j->err);
		goto out;
	}
	if (relay_job_submit(x->relay, x->ch, exec_export_run, exec_export_done, j) != 0) {
		buf_printf(x->err, "export: cannot start the job: out of memory\n");
		goto out;
	}
	j = NULL;
	rc = EXIT_OK;
out:
	if (j != NULL) {
		if (j->fd >= 0)
			close(j->fd);
		relay_audit_export_plan_clear(&j->plan);
		free(j);
	}
	free(t);
	return rc;
}

/* A verify on the job thread: the whole chain is read there. */
struct exec_verify_job {
	struct relay_audit_verify_plan plan;
	struct relay_audit_report rep;
	int ok;
	bool json;
	char user[STORE_NAME_MAX];
};

/* Checkpoints verify --json lists at most (about 85 bytes each; the channel holds 1 MiB). */
#define EXEC_VERIFY_HEADS_MAX 8000

static void exec_verify_hex(char *out, const uint8_t *p, size_t n)
{
	hex_encode(p, n, out);
}

static void exec_verify_print(struct buf *out, bool json, int ok, const struct relay_audit_report *rep)
{
	char hash[2 * CHAIN_HASH_LEN + 1], sig[2 * CHAIN_SIG_LEN + 1], fp[CHAIN_FP_MAX];
	const char *line = rep->problems[0] ? rep->problems : rep->error;

	chain_fingerprint(rep->pub, fp, sizeof(fp));
	exec_verify_hex(hash, rep->head_hash, CHAIN_HASH_LEN);
	exec_verify_hex(sig, rep->head_sig, CHAIN_SIG_LEN);
	if (json) {
		struct emit j;

		emit_init(&j, out);
		emit_object_begin(&j);
		emit_kbool(&j, "ok", ok);
		emit_kint(&j, "records", rep->records);
		emit_kint(&j, "checkpoints", rep->checkpoints);
		emit_kint(&j, "last_checkpoint", rep->last_checkpoint);
		emit_kint(&j, "unsigned", rep->unsigned_records);
		emit_kint(&j, "attachments", rep->attachments);
		emit_kint(&j, "recordings", rep->recordings);
		emit_kint(&j, "tickets", rep->tickets);
		emit_kint(&j, "kept_head", rep->kept_head);
		emit_kstring(&j, "audit_key", fp);
		if (!ok) {
			emit_kstring(&j, "error", rep->error);
			emit_key(&j, "problems");
			emit_array_begin(&j);
			for (const char *p = line; *p != '\0';) {
				const char *nl = strchr(p, '\n');
				char one[400];
				size_t n = nl ? (size_t)(nl - p) : strlen(p);

				snprintf(one, sizeof(one), "%.*s", (int)n, p);
				emit_string(&j, one);
				p += n + (nl != NULL);
			}
			emit_array_end(&j);
		}
		if (rep->has_head) {
			/* What a witness keeps (handoff-tech witness): the last checkpoint, and every one before it. */
			emit_key(&j, "head");
			emit_object_begin(&j);
			emit_kint(&j, "seq", rep->last_checkpoint);
			emit_kstring(&j, "hash", hash);
			emit_kint(&j, "at", rep->head_at);
			emit_kstring(&j, "sig", sig);
			emit_object_end(&j);
			emit_key(&j, "heads");
			emit_array_begin(&j);
			for (size_t i = rep->ncps > EXEC_VERIFY_HEADS_MAX ? rep->ncps - EXEC_VERIFY_HEADS_MAX : 0; i < rep->ncps;
			     i++) {
				exec_verify_hex(hash, rep->cps[i].hash, CHAIN_HASH_LEN);
				emit_object_begin(&j);
				emit_kint(&j, "seq", rep->cps[i].seq);
				emit_kstring(&j, "hash", hash);
				emit_object_end(&j);
			}
			emit_array_end(&j);
			/* Older ones are left out so that the line fits the channel; exports carry them all. */
			if (rep->ncps > EXEC_VERIFY_HEADS_MAX)
				emit_kbool(&j, "heads_complete", false);
		}
		emit_object_end(&j);
		emit_newline(&j);
		return;
	}
	if (ok) {
		buf_printf(out, "chain ok: %lld records, %lld checkpoints, last checkpoint at seq %lld\n",
			    (long long)rep->records, (long long)rep->checkpoints, (long long)rep->last_checkpoint);
		buf_printf(out, "files ok: %lld attachments and %lld recordings match their records; %lld tickets match their events\n",
			    (long long)rep->attachments, (long long)rep->recordings, (long long)rep->tickets);
		if (rep->unsigned_records > 0)
			buf_printf(out, "%lld newer records are not signed yet (a checkpoint follows within 60 s)\n",
				    (long long)rep->unsigned_records);
	} else {
		for (const char *p = line; *p != '\0';) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			buf_printf(out, "chain verification FAILED: %.*s\n", (int)n, p);
			p += n + (nl != NULL);
		}
	}
	if (rep->has_head)
		buf_printf(out, "signed head: seq %lld hash %s at %lld sig %s key %s\n", (long long)rep->last_checkpoint,
			    hash, (long long)rep->head_at, sig, fp);
}

static void exec_verify_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_verify_job *j = ctx;

	j->ok = relay_audit_verify(st, &j->plan, cancel, &j->rep) == 0;
}

static void exec_verify_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_verify_job *j = ctx;

	(void)relay;
	if (ch != NULL) {
		exec_verify_print(&ch->out, j->json, j->ok, &j->rep);
		ch->exit_status = j->ok ? EXIT_OK : EXIT_FAIL;
		log_info("auditor %s verified the audit chain: %s", j->user, j->ok ? "ok" : j->rep.error);
	}
	relay_audit_report_clear(&j->rep);
	free(j);
}

int exec_verify(struct exec_ctx *x)
{
	struct exec_verify_job *j;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EXIT_FAIL;
	j->json = x->json;
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	if (relay_audit_verify_prepare(x->relay, &j->plan, &j->rep) != 0) {
		exec_verify_print(x->out, x->json, 0, &j->rep);
		log_info("auditor %s verified the audit chain: %s", j->user, j->rep.error);
		free(j);
		return EXIT_FAIL;
	}
	if (relay_job_submit(x->relay, x->ch, exec_verify_run, exec_verify_done, j) != 0) {
		buf_printf(x->err, "verify: cannot start the job: out of memory\n");
		free(j);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* `report`: the chain's events read on the job thread (a desk's whole history is long work). */
struct exec_report_job {
	struct relay_report rep;
	enum { EXEC_REPORT_TEXT, EXEC_REPORT_JSON, EXEC_REPORT_CSV, EXEC_REPORT_HTML } format;
	bool ok;
	struct buf out;
	char user[STORE_NAME_MAX];
};

struct exec_report_walk {
	struct relay_report *rep;
	const atomic_bool *cancel;
};

static int exec_report_link(const struct store_link *l, void *ctx)
{
	struct exec_report_walk *w = ctx;
	struct relay_report_event e = { .ticket = l->ticket, .at = l->event.at, .kind = l->event.kind,
					.actor = l->event.actor, .role = l->event.role, .detail = l->event.detail };

	if (atomic_load(w->cancel))
		return 1;
	return relay_report_event(w->rep, &e) != 0;
}

static void exec_report_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_report_job *j = ctx;
	struct exec_report_walk w = { .rep = &j->rep, .cancel = cancel };

	if (store_begin_read(st) != STORE_OK)
		return;
	j->ok = store_chain_links(st, 1, 0, exec_report_link, &w) == STORE_OK && !atomic_load(cancel) &&
		relay_report_finish(&j->rep) == 0;
	store_commit(st);
	if (!j->ok)
		return;
	switch (j->format) {
	case EXEC_REPORT_TEXT: relay_report_text(&j->rep, &j->out); break;
	case EXEC_REPORT_JSON: relay_report_json(&j->rep, &j->out); break;
	case EXEC_REPORT_CSV: relay_report_csv(&j->rep, &j->out); break;
	case EXEC_REPORT_HTML: relay_report_html(&j->rep, &j->out); break;
	}
}

static void exec_report_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_report_job *j = ctx;

	(void)relay;
	if (ch != NULL) {
		if (j->ok && buf_put(&ch->out, buf_ptr(&j->out), buf_len(&j->out)) == 0)
			ch->exit_status = EXIT_OK;
		else {
			buf_printf(&ch->err, "report: %s\n", j->ok ? "too large to send" : "the store failed");
			ch->exit_status = EXIT_FAIL;
		}
		log_info("auditor %s ran a report", j->user);
	}
	relay_report_free(&j->rep);
	buf_free(&j->out);
	free(j);
}

int exec_report(struct exec_ctx *x)
{
	struct exec_report_job *j;
	int64_t since = 0, until = 0;
	int by;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	for (int k = 0; k < 2; k++) {
		int64_t *day = k == 0 ? &since : &until;

		if (x->opt_value[k] != NULL && exec_parse_day(x->opt_value[k], day) != 0) {
			buf_printf(x->err, "report: --%s wants a day as YYYY-MM-DD, got \"", k == 0 ? "since" : "until");
			exec_text(x->err, x->opt_value[k]);
			buf_printf(x->err, "\"\n");
			return EXIT_USAGE;
		}
	}
	/* --until names the last day counted. */
	if (until != 0)
		until += 86400;
	if (until != 0 && until <= since) {
		buf_printf(x->err, "report: --until is before --since\n");
		return EXIT_USAGE;
	}
	if ((by = relay_report_by_parse(x->opt_value[2])) < 0) {
		buf_printf(x->err, "report: --by is tier, tech, priority or kb\n");
		return EXIT_USAGE;
	}
	if ((x->opt_value[3] != NULL) + (x->opt_value[4] != NULL) + x->json > 1) {
		buf_printf(x->err, "report: one of --json, --csv, --html\n");
		return EXIT_USAGE;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EXIT_FAIL;
	relay_report_init(&j->rep, since, until, (enum relay_report_by)by);
	j->format = x->json ? EXEC_REPORT_JSON : x->opt_value[3] ? EXEC_REPORT_CSV : x->opt_value[4] ? EXEC_REPORT_HTML
												: EXEC_REPORT_TEXT;
	buf_init(&j->out, 16u * 1024 * 1024);
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	if (relay_job_submit(x->relay, x->ch, exec_report_run, exec_report_done, j) != 0) {
		buf_printf(x->err, "report: cannot start the job: out of memory\n");
		buf_free(&j->out);
		free(j);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
