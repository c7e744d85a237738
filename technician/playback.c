/*
 * playback.c: see playback.h.
 *
 * The feeder holds its lock across each (non-blocking) write and the
 * count that follows it, and the decoding thread takes the same lock to
 * read the count together with the socket's queue length (FIONREAD, exact
 * for AF_UNIX stream sockets): the two are then consistent, so the number
 * of bytes decoded is exact, never an estimate. A blocking write under the
 * lock would deadlock (the decoder waits for the lock, the socket waits
 * for the decoder), hence the non-blocking end and poll.
 */
#include "playback.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct tech_playback_feeder {
	const struct tech_recfile *rf;
	int fd;                  /* our end of the socketpair, non-blocking */
	int wake[2];             /* a byte here stops the thread */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	uint64_t written;        /* under lock: screen bytes written to fd */
	bool all_written;        /* under lock: every chunk is in the socket */
	size_t chunk, chunk_off; /* the feeder thread's own position */
};

/* Writes what the socket takes of the current chunk. 0, or -1 when the reader is gone. */
static int tech_playback_feed_write(struct tech_playback_feeder *f)
{
	const struct tech_recfile_chunk *c = &f->rf->chunks[f->chunk];
	ssize_t n;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	n = write(f->fd, c->data + f->chunk_off, c->len - f->chunk_off);
	if (n > 0) {
		f->written += (uint64_t)n;
		f->chunk_off += (size_t)n;
		if (f->chunk_off == c->len) {
			f->chunk++;
			f->chunk_off = 0;
		}
		f->all_written = f->chunk == f->rf->n_chunks;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		rc = -1;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Reads and drops what libvncclient wrote. 0, or -1 when it closed its end. */
static int tech_playback_feed_drain(struct tech_playback_feeder *f)
{
	uint8_t sink[4096];

	for (;;) {
		ssize_t n = read(f->fd, sink, sizeof(sink));

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
}

static void *tech_playback_feed_main(void *arg)
{
	struct tech_playback_feeder *f = arg;
	bool shut = false;

	for (;;) {
		bool more = f->chunk < f->rf->n_chunks;
		struct pollfd pfd[2] = {
			{ .fd = f->fd, .events = POLLIN | (more ? POLLOUT : 0) },
			{ .fd = f->wake[0], .events = POLLIN },
		};

		/* The end of the recording is the end of the stream: libvncclient sees EOF. */
		if (!more && !shut) {
			shutdown(f->fd, SHUT_WR);
			shut = true;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && tech_playback_feed_drain(f) != 0)
			break;
		if (more && (pfd[0].revents & POLLOUT) != 0 && tech_playback_feed_write(f) != 0)
			break;
	}
	return NULL;
}

static void tech_playback_feeder_free(struct tech_playback_feeder *f)
{
	if (f == NULL)
		return;
	if (f->started) {
		/* A full pipe already holds a wake byte: the thread is waking anyway. */
		ssize_t w = write(f->wake[1], "x", 1);

		(void)w;
		pthread_join(f->thread, NULL);
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->wake[0] >= 0)
		close(f->wake[0]);
	if (f->wake[1] >= 0)
		close(f->wake[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Starts the feeder; *theirs is the end for libvncclient. */
static struct tech_playback_feeder *tech_playback_feeder_start(const struct tech_recfile *rf, int *theirs)
{
	struct tech_playback_feeder *f = calloc(1, sizeof(*f));
	int sv[2] = { -1, -1 };

	*theirs = -1;
	if (f == NULL)
		return NULL;
	f->rf = rf;
	f->fd = f->wake[0] = f->wake[1] = -1;
	f->all_written = rf->n_chunks == 0;
	pthread_mutex_init(&f->lock, NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		goto fail;
	f->fd = sv[0];
	if (fcntl(f->fd, F_SETFL, O_NONBLOCK) != 0 ||
	    pthread_create(&f->thread, NULL, tech_playback_feed_main, f) != 0)
		goto fail;
	f->started = true;
	*theirs = sv[1];
	return f;
fail:
	if (f->fd < 0 && sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	tech_playback_feeder_free(f);
	return NULL;
}

/* Screen bytes libvncclient has used up; exact at a message boundary. */
static uint64_t tech_playback_used(struct tech_playback *pb, bool *all_written, int *queued)
{
	struct tech_playback_feeder *f = pb->feeder;
	uint64_t written;
	int inq = 0;

	pthread_mutex_lock(&f->lock);
	if (ioctl(pb->vnc.client->sock, FIONREAD, &inq) != 0)
		inq = 0;
	written = f->written;
	if (all_written != NULL)
		*all_written = f->all_written;
	pthread_mutex_unlock(&f->lock);
	if (queued != NULL)
		*queued = inq;
	return written - (uint64_t)inq - pb->vnc.client->buffered;
}

/* libvncclient's name for each encoding it can ask for. */
static const char *tech_playback_encoding_name(int32_t e)
{
	switch (e) {
	case 0: return "raw";
	case 1: return "copyrect";
	case 2: return "rre";
	case 4: return "corre";
	case 5: return "hextile";
	case 6: return "zlib";
	case 7: return "tight";
	case 8: return "zlibhex";
	case 9: return "ultra";
	case 15: return "trle";
	case 16: return "zrle";
	case 17: return "zywrle";
	default: return NULL;
	}
}

/*
 * The recorded viewer's setup, for libvncclient. false when the recording
 * does not say (no input kept, or a handshake we cannot follow): then the
 * live viewer's defaults apply, which is what handoff-tech negotiated.
 */
static bool tech_playback_setup(struct tech_playback *pb, struct tech_vnc_setup *s)
{
	const struct tech_clientmsg *in = &pb->rf->input;
	size_t used = 0;

	memset(s, 0, sizeof(*s));
	if ((pb->rf->header.flags & RECORDING_NO_INPUT) || in->minor == 0)
		return false;
	s->auth_scheme = in->security;
	if (in->has_format) {
		s->has_format = true;
		s->format.bitsPerPixel = in->format.bits_per_pixel;
		s->format.depth = in->format.depth;
		s->format.bigEndian = in->format.big_endian;
		s->format.trueColour = in->format.true_colour;
		s->format.redMax = in->format.red_max;
		s->format.greenMax = in->format.green_max;
		s->format.blueMax = in->format.blue_max;
		s->format.redShift = in->format.red_shift;
		s->format.greenShift = in->format.green_shift;
		s->format.blueShift = in->format.blue_shift;
	} else {
		/* It talked but never set a format: the server kept its own. */
		s->native_format = in->initialised && !in->stopped;
	}
	s->compress = s->quality = -1;
	s->remote_cursor = false;
	pb->encodings[0] = '\0';
	for (size_t i = 0; i < in->n_encodings; i++) {
		int32_t e = in->encodings[i];
		const char *name = tech_playback_encoding_name(e);

		if (name != NULL) {
			int n = snprintf(pb->encodings + used, sizeof(pb->encodings) - used, "%s%s",
					 used ? " " : "", name);

			if (n > 0 && (size_t)n < sizeof(pb->encodings) - used)
				used += (size_t)n;
		} else if (e >= -256 && e <= -247) {
			s->compress = e + 256;
		} else if (e >= -32 && e <= -23) {
			s->quality = e + 32;
			s->jpeg = true;
		} else if (e == -239 || e == -240) {
			s->remote_cursor = true;
		}
	}
	s->encodings = used > 0 ? pb->encodings : NULL;
	if (!in->has_encodings)
		s->remote_cursor = true;
	return true;
}

int tech_playback_open(struct tech_playback *pb, const struct tech_recfile *rf, char *err, size_t errlen)
{
	struct tech_vnc_setup setup;
	bool have_setup;
	int fd;

	memset(pb, 0, sizeof(*pb));
	pb->rf = rf;
	pb->feeder = tech_playback_feeder_start(rf, &fd);
	if (pb->feeder == NULL) {
		snprintf(err, errlen, "cannot start the player: %s", strerror(errno));
		return -1;
	}
	have_setup = tech_playback_setup(pb, &setup);
	if (tech_vnc_open_setup(&pb->vnc, fd, have_setup ? &setup : NULL) != 0) {
		snprintf(err, errlen, "the recording holds no usable picture%s%s",
			 pb->vnc.reason[0] ? ": " : " (the RFB handshake is incomplete or unsupported)",
			 pb->vnc.reason);
		pb->ended = true;
		return -1;
	}
	pb->vnc_open = true;
	pb->pos = tech_playback_used(pb, NULL, NULL);
	return 0;
}

void tech_playback_close(struct tech_playback *pb)
{
	/* The feeder first: with it gone nobody writes into the socket libvncclient closes. */
	tech_playback_feeder_free(pb->feeder);
	pb->feeder = NULL;
	if (pb->vnc_open)
		tech_vnc_close(&pb->vnc);
	pb->vnc_open = false;
}

uint64_t tech_playback_next_us(const struct tech_playback *pb)
{
	return pb->ended ? UINT64_MAX : tech_recfile_time_at(pb->rf, pb->pos);
}

int tech_playback_step(struct tech_playback *pb, char *err, size_t errlen)
{
	bool all_written = false;
	int queued = 0;

	if (pb->ended)
		return 1;
	if (pb->pos >= pb->rf->screen_len) {
		pb->ended = true;
		return 1;
	}
	if (!HandleRFBServerMessage(pb->vnc.client)) {
		pb->ended = true;
		tech_playback_used(pb, &all_written, &queued);
		/* Everything read and still short: the stream stops inside this message. */
		if (all_written && queued == 0)
			return 1;
		snprintf(err, errlen, "libvncclient cannot decode the recorded screen at %.3f s",
			 (double)tech_recfile_time_at(pb->rf, pb->pos) / 1e6);
		return -1;
	}
	/* A whole message that is malformed, not a recording that stops. */
	if (tech_vnc_broken(&pb->vnc)) {
		pb->ended = true;
		snprintf(err, errlen, "%s at %.3f s", pb->vnc.error, (double)tech_recfile_time_at(pb->rf, pb->pos) / 1e6);
		return -1;
	}
	pb->pos = tech_playback_used(pb, NULL, NULL);
	return 0;
}

int tech_playback_until(struct tech_playback *pb, uint64_t t_us, char *err, size_t errlen)
{
	while (!pb->ended && tech_playback_next_us(pb) <= t_us) {
		int r = tech_playback_step(pb, err, errlen);

		if (r != 0)
			return r;
	}
	return pb->ended ? 1 : 0;
}
