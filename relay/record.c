/*
 * record.c: every spliced RFB stream is recorded, both directions, with
 * times, one segment per viewer, sealed (seal.h) to the auditors' X25519
 * public key: the relay writes recordings it cannot read back.
 *
 * Files live in the relay home under recordings/TICKET/, each with a
 * ".open" marker while it is written. The loop seals each chunk of up to
 * 64 KiB as it fills (each ends on a 64 KiB boundary of the file) and
 * writes it, and once a second the partial one; a thread per
 * segment makes that durable (fdatasync at most every half second) and
 * keeps it out of the page cache, and the loop stops splicing a segment
 * whose oldest byte not yet durable is a second old. So a kill -9 loses
 * under 64 KiB and at most the last second, a power cut at most the last
 * second of the stream (docs/internals.md, "Recordings"); at the next start
 * a segment still marked open is closed as truncated. Closing a
 * segment writes a `recording-closed` event, "PATH SHA256 SIZE STATE", so
 * the audit chain covers every byte of every recording. The SHA-256 is
 * taken as the file grows, by the sync thread from the page cache just
 * before it drops what it synced: the close hashes only the tail, where it
 * read the whole file back from the disk on the loop (7 s a GB here, every
 * session of the relay stopped meanwhile).
 *
 * Keystrokes travel in the technician's half of the stream. relay.conf's
 * record_input = no drops that half (the screen is still recorded; a replay
 * then assumes the viewer's default pixel format). recording = required (the
 * default) stops a session whose recording fails or cannot start; optional
 * lets it go on unrecorded, with an event saying so; off records nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "recording.h"
#include "audit.h"
#include "relay.h"
#include "seal.h"
#include "wake.h"

/*
 * The page cache: written bytes are sent to the disk a window at a time and
 * the window before dropped once written, so a recording holds a few MiB
 * of cache instead of everything it wrote. Page cache the relay keeps
 * growing costs more than the disk: writing into pages never used before
 * ran at a third of the speed of writing into pages used again (the run
 * to run slowdown of issue 21), and recordings nobody reads pushed out
 * the cache that others use.
 */
#define RELAY_RECORD_WINDOW (4u << 20)
/* Written but not yet sent to the disk, at most (then the segment's splice waits). */
#define RELAY_RECORD_UNSENT_MAX (64u << 20)
/* How often a segment that gets bytes is synced, and how old its oldest unsynced byte may get. */
#define RELAY_RECORD_SYNC_MS 500
#define RELAY_RECORD_LAG_MS 1000
/*
 * Each chunk is sized to end on a 64 KiB boundary of the file, so that the
 * page cache gets aligned writes of 64 KiB: 1 GB written with the sync
 * thread's window and drop took 0.58-0.67 s of system time here in writes
 * of 65557 bytes (a full chunk and its frame, as before), 0.40-0.51 s in
 * aligned writes of 64 KiB. The format is unchanged: a chunk may be any length up
 * to SEAL_CHUNK_MAX, as the partial ones always were.
 */
#define RELAY_RECORD_ALIGN SEAL_CHUNK_MAX

struct relay_recorder {
	struct seal_writer *writer;
	int fd;
	char relpath[128];
	uint64_t start_us;
	struct buf scratch;
	bool failed;
	/* The chunk the loop fills, sealed in place when it reaches its boundary. */
	uint8_t *fill;
	size_t fill_used;
	size_t fill_target;
	/* The sync thread and what it shares with the loop, under lock. */
	pthread_t thread;
	bool has_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wake *wake;             /* the loop's, signalled when a waiting segment may go on */
	uint64_t written;              /* bytes of the file written (loop) */
	uint64_t sent;                 /* bytes whose writeback the thread started */
	bool dirty;                    /* written since the thread's last snapshot */
	int64_t dirty_since;           /* ms: when the first of those bytes came */
	bool syncing;                  /* an fdatasync is running */
	int64_t sync_since;            /* ms: when the first byte it covers came */
	int64_t last_sync;             /* ms: when the last one started */
	int error;                     /* errno of a failed sync, for the loop */
	bool stop;
	/*
	 * The file's SHA-256 so far, over its first hashed bytes: the sync
	 * thread's while it runs (outside the lock: only it reads the file
	 * below written), the loop's once it is joined. NULL once a read
	 * failed: the close then hashes the whole file.
	 */
	EVP_MD_CTX *sha;
	uint64_t hashed;
	atomic_bool waiting;           /* the loop holds the splice back */
	const char *gate;              /* a test's HANDOFF_TEST_RECORD_SYNC_GATE, or NULL */
	/* The loop's: how often the splice was held back, to say so once and count at the close. */
	bool held;
	unsigned long holds;
};

/* A test holds every sync until the file exists, to see the splice wait for the disk. */
static void relay_record_gate(struct relay_recorder *r)
{
	const struct timespec step = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	struct stat sb;
	bool stop = false;

	if (r->gate == NULL || stat(r->gate, &sb) == 0)
		return;
	log_info("recording %s: its sync waits for the file %s (a test setting)", r->relpath, r->gate);
	while (!stop && stat(r->gate, &sb) != 0) {
		nanosleep(&step, NULL);
		pthread_mutex_lock(&r->lock);
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
	}
}

static int64_t relay_record_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The sync thread of one segment. The loop seals and writes (a kill of the
 * relay then loses no more than before); this thread does what used to
 * stop the loop: the fdatasync, and the writeback and dropping of the
 * page cache behind it.
 */
/*
 * The file's bytes from r->hashed up to end into r->sha, read back with
 * pread: called before their pages are dropped, so they come from the
 * page cache. Bytes below the loop's written count never change.
 */
static void relay_record_hash_to(struct relay_recorder *r, uint64_t end)
{
	uint8_t chunk[65536];

	while (r->sha != NULL && r->hashed < end) {
		size_t want = end - r->hashed < sizeof(chunk) ? (size_t)(end - r->hashed) : sizeof(chunk);
		ssize_t n = pread(r->fd, chunk, want, (off_t)r->hashed);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || EVP_DigestUpdate(r->sha, chunk, (size_t)n) != 1) {
			EVP_MD_CTX_free(r->sha);
			r->sha = NULL;
			break;
		}
		r->hashed += (uint64_t)n;
	}
}

static void *relay_record_sync_main(void *arg)
{
	struct relay_recorder *r = arg;

	pthread_setname_np(pthread_self(), "relay-recsync");
	pthread_mutex_lock(&r->lock);
	/* On stop, relay_record_stop's close makes the rest durable. */
	while (!r->stop) {
		int64_t now = relay_record_ms();

		if (r->written - r->sent >= RELAY_RECORD_WINDOW) {
			uint64_t at = r->sent;

			r->sent += RELAY_RECORD_WINDOW;
			pthread_mutex_unlock(&r->lock);
			/* Start this window's writeback; wait for the one before, then drop it. */
			sync_file_range(r->fd, (off_t)at, RELAY_RECORD_WINDOW, SYNC_FILE_RANGE_WRITE);
			if (at >= RELAY_RECORD_WINDOW) {
				sync_file_range(r->fd, (off_t)(at - RELAY_RECORD_WINDOW), RELAY_RECORD_WINDOW,
						SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
							SYNC_FILE_RANGE_WAIT_AFTER);
				relay_record_hash_to(r, at);
				posix_fadvise(r->fd, (off_t)(at - RELAY_RECORD_WINDOW), RELAY_RECORD_WINDOW,
					      POSIX_FADV_DONTNEED);
			}
			pthread_mutex_lock(&r->lock);
			if (atomic_load(&r->waiting))
				wake_signal(r->wake);
			continue;
		}
		if (r->dirty && now - r->last_sync >= RELAY_RECORD_SYNC_MS) {
			const uint64_t upto = r->written;
			int rc;

			r->dirty = false;
			r->syncing = true;
			r->sync_since = r->dirty_since;
			r->last_sync = now;
			pthread_mutex_unlock(&r->lock);
			relay_record_gate(r);
			rc = fdatasync(r->fd) == 0 ? 0 : errno;
			if (rc == 0) {
				uint64_t synced = upto;

				/* What the loop wrote during the sync may be clean now too: hashed before it is dropped. */
				pthread_mutex_lock(&r->lock);
				if (r->written > synced)
					synced = r->written;
				pthread_mutex_unlock(&r->lock);
				relay_record_hash_to(r, synced);
				posix_fadvise(r->fd, 0, 0, POSIX_FADV_DONTNEED);
			}
			pthread_mutex_lock(&r->lock);
			r->syncing = false;
			if (rc != 0 && r->error == 0)
				r->error = rc;
			if (atomic_load(&r->waiting))
				wake_signal(r->wake);
			continue;
		}
		if (r->dirty) {
			int64_t due = r->last_sync + RELAY_RECORD_SYNC_MS;
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((due - now) / 1000);
			ts.tv_nsec += (long)((due - now) % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&r->cond, &r->lock, &ts);
		} else {
			pthread_cond_wait(&r->cond, &r->lock);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* The length of the chunk that starts at pos and ends on the next boundary (1 to RELAY_RECORD_ALIGN). */
static size_t relay_record_target(uint64_t pos)
{
	return RELAY_RECORD_ALIGN - (size_t)((pos + SEAL_CHUNK_OVERHEAD) % RELAY_RECORD_ALIGN);
}

/* Seals and writes the chunk filled so far, which the next chunk's boundary then follows. */
static int relay_record_seal(struct relay_recorder *r)
{
	if (seal_writer_seal(r->writer, r->fill, r->fill_used) != 0)
		return -1;
	r->fill_used = 0;
	r->fill_target = relay_record_target(seal_writer_size(r->writer));
	return 0;
}

/* The record's bytes into the chunk; each full chunk is sealed and written. */
static int relay_record_append(struct relay_recorder *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		size_t take = r->fill_target - r->fill_used;

		if (take > n)
			take = n;
		memcpy(r->fill + r->fill_used, b, take);
		r->fill_used += take;
		b += take;
		n -= take;
		if (r->fill_used == r->fill_target && relay_record_seal(r) != 0)
			return -1;
	}
	return 0;
}

/* After the loop wrote: tells the thread, which wakes for a new window or the first byte since its last sync. */
static void relay_record_written(struct relay_recorder *r)
{
	uint64_t size = seal_writer_size(r->writer);
	bool tell;

	if (!r->has_thread || size == r->written)
		return;
	pthread_mutex_lock(&r->lock);
	tell = !r->dirty || size - r->sent >= RELAY_RECORD_WINDOW;
	if (!r->dirty) {
		r->dirty = true;
		r->dirty_since = relay_record_ms();
	}
	r->written = size;
	if (tell)
		pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

bool relay_record_ready(struct relay_viewer *v)
{
	struct relay_recorder *r = v->recorder;
	int64_t oldest;
	bool ok;

	if (r == NULL || r->failed || !r->has_thread)
		return true;
	pthread_mutex_lock(&r->lock);
	oldest = r->syncing ? r->sync_since : r->dirty ? r->dirty_since : -1;
	ok = (oldest < 0 || relay_record_ms() - oldest < RELAY_RECORD_LAG_MS) &&
	     r->written - r->sent < RELAY_RECORD_UNSENT_MAX;
	atomic_store(&r->waiting, !ok);
	pthread_mutex_unlock(&r->lock);
	if (!ok && !r->held) {
		/* Said once a segment; the close says how often. */
		if (r->holds++ == 0)
			log_info("recording %s: the splice waits for the disk", r->relpath);
	}
	r->held = !ok;
	return ok;
}

bool relay_record_held(const struct relay_viewer *v)
{
	return v->recorder != NULL && atomic_load(&v->recorder->waiting);
}

static int relay_record_thread_start(struct relay *relay, struct relay_recorder *r)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int e;

	r->wake = &relay->record_wake;
	r->gate = getenv("HANDOFF_TEST_RECORD_SYNC_GATE");
	r->written = seal_writer_size(r->writer);
	r->last_sync = relay_record_ms();
	if (pthread_mutex_init(&r->lock, NULL) != 0)
		return -1;
	/* The thread's timed waits count on the monotonic clock, like everything it compares. */
	if (pthread_condattr_init(&attr) != 0 || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&r->cond, &attr) != 0) {
		pthread_mutex_destroy(&r->lock);
		return -1;
	}
	pthread_condattr_destroy(&attr);
	/* The stop signals belong to the loop's ppoll. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&r->thread, NULL, relay_record_sync_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		errno = e;
		return -1;
	}
	r->has_thread = true;
	return 0;
}

static void relay_record_thread_stop(struct relay_recorder *r)
{
	if (!r->has_thread)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	r->has_thread = false;
}

/* A sync the thread could not do fails the segment like a failed write. */
static int relay_record_thread_error(struct relay_recorder *r)
{
	int e = 0;

	if (r->has_thread) {
		pthread_mutex_lock(&r->lock);
		e = r->error;
		pthread_mutex_unlock(&r->lock);
	}
	if (e != 0)
		errno = e;
	return e != 0 ? -1 : 0;
}

static uint64_t relay_record_now_us(struct relay *relay)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)(tv.tv_sec + relay->clock_offset) * 1000000u + (uint64_t)tv.tv_usec;
}

static void relay_record_path(struct relay *relay, const char *rel, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", relay->home->dir, rel);

	/* The home path was checked at start; a path that does not fit opens nothing. */
	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0';
}

int relay_record_install_key(const char *home_dir, const uint8_t key[SEAL_KEY_LEN], char *err, size_t errlen)
{
	char dir[4096], path[4200];

	snprintf(dir, sizeof(dir), "%s/keys", home_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/recording_x25519.pub", dir);
	unlink(path);
	return seal_key_save(path, key, false, err, errlen);
}

/* SHA-256 of a file, streamed. */
static int relay_record_hash_file(const char *path, uint8_t digest[CHAIN_HASH_LEN], uint64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t chunk[65536];
	unsigned int dlen = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	ssize_t n;

	*size = 0;
	if (fd < 0 || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		EVP_DigestUpdate(md, chunk, (size_t)n);
		*size += (uint64_t)n;
	}
	if (n < 0 || EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != CHAIN_HASH_LEN)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * The segment's recording-closed event. streamed: its SHA-256 and size as
 * taken while it was written (relay_record_digest), or NULL: the file is
 * hashed here (a segment a crash left open, or one whose streamed digest
 * failed).
 */
static void relay_record_closed_event(struct relay *relay, int64_t ticket, const char *rel, const char *state,
				      const char *actor, const char *role, const uint8_t *streamed, uint64_t streamed_size)
{
	char path[4200], detail[512];
	uint8_t digest[CHAIN_HASH_LEN];
	uint64_t size = 0;
	bool hashed;

	relay_record_path(relay, rel, path, sizeof(path));
	if (streamed != NULL) {
		memcpy(digest, streamed, sizeof(digest));
		size = streamed_size;
		hashed = true;
	} else {
		hashed = relay_record_hash_file(path, digest, &size) == 0;
	}
	/* The relay names its own files, so a refusal here is a bug: the event still marks the close. */
	if (event_recording_format(detail, sizeof(detail), rel, hashed ? digest : NULL, size, state) != 0)
		log_error("ticket %lld: recording %s: no recording-closed detail for it", (long long)ticket, rel);
	relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_RECORDING_CLOSED, actor, role, NULL, detail);
	log_info("ticket %lld: recording %s closed (%s, %llu bytes)", (long long)ticket, rel, state,
		 (unsigned long long)size);
}

/* Segments a crash left open are closed as truncated: what was flushed still opens. */
static void relay_record_recover(struct relay *relay)
{
	char base[4200], sub[4300];
	DIR *top, *d;
	struct dirent *e, *f;

	relay_record_path(relay, "recordings", base, sizeof(base));
	top = opendir(base);
	if (top == NULL)
		return;
	while ((e = readdir(top)) != NULL) {
		char *end;
		long long ticket = strtoll(e->d_name, &end, 10);

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || *end != '\0')
			continue;
		snprintf(sub, sizeof(sub), "%s/%lld", base, ticket);
		d = opendir(sub);
		if (d == NULL)
			continue;
		while ((f = readdir(d)) != NULL) {
			size_t len = strlen(f->d_name);
			char rel[256], marker[4500];

			if (len < 6 || strcmp(f->d_name + len - 5, ".open") != 0 || len - 5 >= 100)
				continue;
			snprintf(rel, sizeof(rel), "recordings/%lld/%.*s", ticket, (int)(len - 5), f->d_name);
			relay_record_closed_event(relay, ticket, rel, "truncated", "relay", "relay", NULL, 0);
			snprintf(marker, sizeof(marker), "%s/%.*s", sub, (int)len, f->d_name);
			unlink(marker);
		}
		closedir(d);
	}
	closedir(top);
}

int relay_record_setup(struct relay *relay, char *err, size_t errlen)
{
	struct config cfg;
	const char *policy, *input;
	char path[4200];

	if (config_load(relay->home->conf_path, &cfg, err, errlen) != 0)
		return -1;
	policy = config_get(&cfg, "recording");
	input = config_get(&cfg, "record_input");
	relay->recording = RELAY_RECORDING_REQUIRED;
	if (policy != NULL && strcmp(policy, "optional") == 0)
		relay->recording = RELAY_RECORDING_OPTIONAL;
	else if (policy != NULL && strcmp(policy, "off") == 0)
		relay->recording = RELAY_RECORDING_OFF;
	else if (policy != NULL && strcmp(policy, "required") != 0) {
		snprintf(err, errlen, "recording: expected required, optional or off, got \"%s\"", policy);
		config_free(&cfg);
		return -1;
	}
	relay->record_input = !(input != NULL && strcmp(input, "no") == 0);
	config_free(&cfg);
	if (wake_open(&relay->record_wake) != 0) {
		snprintf(err, errlen, "recordings: cannot make a wake descriptor: %s", strerror(errno));
		return -1;
	}
	relay_record_path(relay, "keys/recording_x25519.pub", path, sizeof(path));
	relay->has_recording_key = seal_key_load(path, relay->recording_key, false, err, errlen) == 0;
	err[0] = '\0';
	if (!relay->has_recording_key && relay->recording != RELAY_RECORDING_OFF)
		log_warn("no recording key installed (handoff-relay recording-key DIR FILE.pub): %s",
			 relay->recording == RELAY_RECORDING_REQUIRED ? "screens will not be shared"
								       : "sessions will not be recorded");
	relay_record_recover(relay);
	return 0;
}

static void relay_record_free(struct relay_recorder *r)
{
	relay_record_thread_stop(r);
	if (r->writer != NULL)
		seal_writer_abort(r->writer);
	if (r->fd >= 0)
		close(r->fd);
	buf_free(&r->scratch);
	EVP_MD_CTX_free(r->sha);
	/* What was not sealed yet is plaintext of the session. */
	if (r->fill != NULL)
		OPENSSL_cleanse(r->fill, RELAY_RECORD_ALIGN);
	free(r->fill);
	free(r);
}

int relay_record_start(struct relay *relay, struct relay_viewer *v, char *reason, size_t reasonlen)
{
	struct recording_header h = { .ticket = (uint64_t)v->ticket, .viewer = v->id };
	struct relay_recorder *r;
	char dir[4200], path[4300], marker[4400];
	int mfd;

	if (relay->recording == RELAY_RECORDING_OFF)
		return 0;
	if (!relay->has_recording_key) {
		if (relay->recording == RELAY_RECORDING_OPTIONAL)
			return 0;
		snprintf(reason, reasonlen, "Handoff: recording is required and no recording key is installed");
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	r->fd = -1;
	/* Without a digest context the close hashes the whole file, as before. */
	r->sha = EVP_MD_CTX_new();
	if (r->sha != NULL && EVP_DigestInit_ex(r->sha, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(r->sha);
		r->sha = NULL;
	}
	buf_init(&r->scratch, RECORDING_CHUNK_MAX + 64);
	r->fill = malloc(RELAY_RECORD_ALIGN);
	if (r->fill == NULL) {
		relay_record_free(r);
		r = NULL;
		goto fail;
	}
	r->start_us = relay_record_now_us(relay);
	relay_record_path(relay, "recordings", dir, sizeof(dir));
	mkdir(dir, 0700);
	snprintf(r->relpath, sizeof(r->relpath), "recordings/%lld", (long long)v->ticket);
	relay_record_path(relay, r->relpath, dir, sizeof(dir));
	mkdir(dir, 0700);
	snprintf(r->relpath, sizeof(r->relpath), "recordings/%lld/viewer-%u-%llu.hrec", (long long)v->ticket, v->id,
		 (unsigned long long)r->start_us);
	relay_record_path(relay, r->relpath, path, sizeof(path));
	snprintf(marker, sizeof(marker), "%s.open", path);
	mfd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (mfd >= 0)
		close(mfd);
	/* Read too: the sync thread hashes what it synced before dropping it (relay_record_hash_to). */
	r->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0 || seal_writer_open(&r->writer, r->fd, relay->recording_key) != 0)
		goto fail_file;
	snprintf(h.technician, sizeof(h.technician), "%s", v->tech ? v->tech->user.name : "");
	snprintf(h.tier, sizeof(h.tier), "%s", v->tech ? v->tech->user.tier : "");
	h.start_us = r->start_us;
	h.flags = relay->record_input ? 0 : RECORDING_NO_INPUT;
	if (recording_put_header(&r->scratch, &h) != 0 ||
	    seal_writer_write(r->writer, buf_ptr(&r->scratch), buf_len(&r->scratch)) != 0 ||
	    seal_writer_flush(r->writer) != 0 || relay_record_thread_start(relay, r) != 0)
		goto fail_file;
	buf_reset(&r->scratch);
	r->fill_target = relay_record_target(seal_writer_size(r->writer));
	v->recorder = r;
	relay_audit_event(relay->store, v->ticket, relay_now(relay), EVENT_RECORDING_STARTED, h.technician, h.tier, NULL,
			r->relpath);
	/* Where the file is, for an export on another relay of the store to fetch it from here (peerrec.c). */
	{
		uint8_t pub[CHAIN_PUB_LEN];

		if (relay_audit_public(relay, pub) != 0 ||
		    store_recording_place_put(relay->store, v->ticket, r->relpath, pub, relay_now(relay)) != STORE_OK)
			log_error("ticket %lld: recording %s: the store does not say it is on this relay; exports elsewhere "
				  "will not find it", (long long)v->ticket, r->relpath);
	}
	return 0;
fail_file:
	log_error("ticket %lld: cannot start recording %s: %s", (long long)v->ticket, r->relpath, strerror(errno));
	unlink(marker);
	unlink(path);
fail:
	if (r != NULL)
		relay_record_free(r);
	relay_audit_event(relay->store, v->ticket, relay_now(relay), EVENT_RECORDING_FAILED, "relay", "relay", NULL,
			"the recording could not start");
	if (relay->recording == RELAY_RECORDING_OPTIONAL)
		return 0;
	snprintf(reason, reasonlen, "Handoff: the session cannot be recorded (disk full?) and recording is required");
	return -1;
}

int relay_record_bytes(struct relay *relay, struct relay_viewer *v, uint8_t direction, const void *p, size_t n)
{
	struct relay_recorder *r = v->recorder;
	uint64_t offset;

	if (r == NULL || r->failed)
		return 0;
	if (direction == RECORDING_FROM_VIEWER && !relay->record_input)
		return 0;
	offset = relay_record_now_us(relay) - r->start_us;
	buf_reset(&r->scratch);
	/* The head, then the bytes straight from the splice's buffer: one copy, into the chunk. */
	if (recording_put_record_head(&r->scratch, offset, direction, n) == 0 &&
	    relay_record_append(r, buf_ptr(&r->scratch), buf_len(&r->scratch)) == 0 &&
	    relay_record_append(r, p, n) == 0) {
		relay_record_written(r);
		return 0;
	}
	/* Disk full or an I/O error: the policy decides whether sharing goes on. */
	log_error("ticket %lld: recording %s failed: %s", (long long)v->ticket, r->relpath, strerror(errno));
	r->failed = true;
	relay_audit_event(relay->store, v->ticket, relay_now(relay), EVENT_RECORDING_FAILED, "relay", "relay", NULL,
			r->relpath);
	return relay->recording == RELAY_RECORDING_REQUIRED ? -1 : 0;
}

/*
 * At the close, the sync thread joined and the file complete: the tail the
 * thread had not hashed, then the digest of the whole file as it is on
 * disk (its size from fstat, so nothing the writer counted but did not
 * write is claimed). -1: hash the file instead.
 */
static int relay_record_digest(struct relay_recorder *r, uint8_t digest[CHAIN_HASH_LEN], uint64_t *size)
{
	unsigned int dlen = 0;
	struct stat st;

	if (r->sha == NULL || r->fd < 0 || fstat(r->fd, &st) != 0 || (uint64_t)st.st_size < r->hashed)
		return -1;
	relay_record_hash_to(r, (uint64_t)st.st_size);
	if (r->sha == NULL || EVP_DigestFinal_ex(r->sha, digest, &dlen) != 1 || dlen != CHAIN_HASH_LEN)
		return -1;
	*size = r->hashed;
	return 0;
}

void relay_record_stop(struct relay *relay, struct relay_viewer *v)
{
	struct relay_recorder *r = v->recorder;
	char path[4300], marker[4400];
	const char *state = "complete";
	uint8_t digest[CHAIN_HASH_LEN];
	uint64_t size = 0;
	bool streamed;

	if (r == NULL)
		return;
	v->recorder = NULL;
	relay_record_thread_stop(r);
	buf_reset(&r->scratch);
	if (r->failed) {
		state = "failed";
	} else if (seal_writer_write(r->writer, r->fill, r->fill_used) != 0 ||
		   recording_put_end(&r->scratch, relay_record_now_us(relay) - r->start_us) != 0 ||
		   seal_writer_write(r->writer, buf_ptr(&r->scratch), buf_len(&r->scratch)) != 0) {
		state = "failed";
	} else {
		struct seal_writer *w = r->writer;

		r->writer = NULL; /* close frees it, whatever it returns */
		if (seal_writer_close(w) != 0)
			state = "failed";
	}
	streamed = relay_record_digest(r, digest, &size) == 0;
	if (!streamed)
		log_warn("recording %s: its SHA-256 was not taken as it was written; reading the whole file back",
			 r->relpath);
	close(r->fd);
	r->fd = -1;
	relay_record_path(relay, r->relpath, path, sizeof(path));
	snprintf(marker, sizeof(marker), "%s.open", path);
	unlink(marker);
	if (r->holds > 0)
		log_info("recording %s: the splice waited for the disk %lu times", r->relpath, r->holds);
	relay_record_closed_event(relay, v->ticket, r->relpath, state, v->tech ? v->tech->user.name : "relay",
				  v->tech ? v->tech->user.tier : "relay", streamed ? digest : NULL, size);
	relay_record_free(r);
}

void relay_record_tick(struct relay *relay)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		struct relay_recorder *r = v->recorder;

		if (r == NULL || r->failed)
			continue;
		/* The partial chunk goes to the file; the thread makes it durable. */
		if (relay_record_thread_error(r) != 0 || (r->fill_used > 0 && relay_record_seal(r) != 0)) {
			log_error("ticket %lld: recording %s failed: %s", (long long)v->ticket, r->relpath,
				  strerror(errno));
			r->failed = true;
			relay_audit_event(relay->store, v->ticket, relay_now(relay), EVENT_RECORDING_FAILED, "relay",
					"relay", NULL, r->relpath);
			if (relay->recording == RELAY_RECORDING_REQUIRED)
				v->state = VIEWER_DONE; /* the loop's reaper closes it next */
			continue;
		}
		relay_record_written(r);
	}
}
