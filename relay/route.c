/*
 * route.c: a technician on this relay views a customer whose helper is
 * connected to another relay of the same store.
 *
 * Every relay that serves writes its row in the store (store_peer_put):
 * named by its audit key (so retiring that key retires the relay as a peer
 * too), with the address its peers dial (`peer_address` in relay.conf) and
 * its SSH host key, renewed every RELAY_ROUTE_BEAT seconds. When a helper's
 * tcpip-forward makes a ticket live, the relay writes that it holds the
 * ticket (store_live_set); it clears the row when the last such customer
 * leaves, and all of its rows at its next start after a crash. A row whose
 * relay has not beaten for RELAY_ROUTE_STALE seconds is not believed.
 *
 * A technician's direct-tcpip to ticket-N:5900 with no live customer here,
 * and a ticket live on relay B, becomes a routed view: a thread connects to
 * B as an SSH client (libssh, blocking, off the loop), checks that B
 * presents the host key the store pins for it, logs in with this relay's
 * own host key under the technician's name, and opens direct-tcpip to the
 * same ticket-N:port on B. B takes that key only because it is the host key
 * of a relay of its store whose audit key is in service
 * (relay_route_peer_key), and then treats the connection exactly as the
 * technician's own (conn->routed): the same rights check, the same consent
 * question to its helper, the recording made there, the same RFB refusals,
 * which reach the technician unchanged because this relay splices bytes.
 * The thread hands the session to the loop, which polls it like any other
 * (one ssh_event per session) and splices it with viewer.c's code, without
 * recording: the stream is recorded once, where the customer is.
 *
 * Threads: the thread owns the session until it marks the route ready or
 * failed under the route's lock; from then on only the loop touches it. A
 * view that ends while its route is still connecting marks it abandoned,
 * and the thread frees it when it is done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"
#include "sshutil.h"
#include "relay.h"

#define RELAY_ROUTE_BEAT 20   /* seconds between heartbeats */
#define RELAY_ROUTE_STALE 90  /* a relay silent this long holds nothing */
#define RELAY_ROUTE_TIMEOUT 10 /* seconds for the far relay to answer each step */

enum relay_route_state { ROUTE_CONNECTING, ROUTE_READY, ROUTE_FAILED };

struct relay_route {
	pthread_mutex_t lock;
	enum relay_route_state state; /* under lock until ready or failed */
	bool abandoned;               /* under lock: the view went; the thread frees the route */
	struct relay_routing *routing;
	/* What the thread needs, copied so that it reads nothing of the loop's. */
	char host[256];
	unsigned port;
	char pinned[1024];            /* the far relay's host key as the store has it */
	char peer_name[256];
	char key_path[PATH_MAX];
	char user[128];
	int64_t ticket;
	int dest_port;
	/* The thread's results. */
	char why[768];
	ssh_session session;
	ssh_channel chan;
	/* The loop's, once ready. */
	ssh_event event;
	int poll_index;
	struct ssh_channel_callbacks_struct cb;
	char far_why[256];            /* the far relay's exit-signal message */
	bool has_far_why;
	/* `control N` asked on the far relay for this stream (relay_route_ask_control). */
	enum { ROUTE_CTL_IDLE, ROUTE_CTL_OPEN, ROUTE_CTL_EXEC, ROUTE_CTL_READ } ctl_state;
	bool ctl_pending;
	ssh_channel ctl_chan;
	char ctl_said[256];
	struct relay_route *next;     /* in routing->routes once handed to the loop */
};

struct relay_routing {
	uint8_t pub[STORE_PUB_LEN];
	char host_key[1024];
	char address[300];
	time_t last_beat;
	struct wake wake;             /* a thread finished connecting */
	struct relay_route *routes;   /* handed to the loop */
};

/* "TYPE BASE64" of key's public half into out. 0 or -1. */
static int relay_route_key_line(ssh_key key, char *out, size_t outlen)
{
	char *b64 = NULL;
	int rc = -1;

	if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK &&
	    (size_t)snprintf(out, outlen, "%s %s", ssh_key_type_to_char(ssh_key_type(key)), b64) < outlen)
		rc = 0;
	ssh_string_free_char(b64);
	return rc;
}

/* A "TYPE BASE64" line as a key (the caller frees it), or NULL. */
static ssh_key relay_route_key_parse(const char *line)
{
	char type[64];
	const char *sp = strchr(line, ' ');
	ssh_key key = NULL;

	if (sp == NULL || (size_t)(sp - line) >= sizeof(type))
		return NULL;
	memcpy(type, line, (size_t)(sp - line));
	type[sp - line] = '\0';
	if (ssh_key_type_from_name(type) == SSH_KEYTYPE_UNKNOWN ||
	    ssh_pki_import_pubkey_base64(sp + 1, ssh_key_type_from_name(type), &key) != SSH_OK)
		return NULL;
	return key;
}

static int relay_route_beat(struct relay *relay)
{
	struct relay_routing *r = relay->routing;

	r->last_beat = time(NULL);
	return store_peer_put(relay->store, r->pub, r->address, r->host_key, relay_now(relay));
}

int relay_route_setup(struct relay *relay, const uint8_t pub[STORE_PUB_LEN], char *err, size_t errlen)
{
	struct relay_routing *r = calloc(1, sizeof(*r));
	ssh_key priv = NULL;
	int rc = -1;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->wake = (struct wake){ .fd = -1, .peer = -1 };
	relay->routing = r;
	memcpy(r->pub, pub, STORE_PUB_LEN);
	if (ssh_pki_import_privkey_file(relay->home->host_key_path, NULL, NULL, NULL, &priv) != SSH_OK ||
	    relay_route_key_line(priv, r->host_key, sizeof(r->host_key)) != 0) {
		snprintf(err, errlen, "routing: cannot read the host key %s", relay->home->host_key_path);
		goto out;
	}
	/* Unset, a listen address that names one interface is where peers come too; a wildcard names none. */
	{
		const char *host = relay->home->peer_host;
		unsigned port = relay->home->peer_port;

		if (host[0] == '\0' && strcmp(relay->home->listen_host, "0.0.0.0") != 0 &&
		    strcmp(relay->home->listen_host, "::") != 0) {
			host = relay->home->listen_host;
			port = relay->home->listen_port;
		}
		if (host[0] != '\0')
			snprintf(r->address, sizeof(r->address), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	}
	if (wake_open(&r->wake) != 0) {
		snprintf(err, errlen, "routing: cannot make a wake descriptor: %s", strerror(errno));
		goto out;
	}
	/* Rows left by a crash of this relay name customers it no longer has. */
	if (relay_route_beat(relay) != STORE_OK || store_live_clear(relay->store, 0, r->pub) != STORE_OK) {
		snprintf(err, errlen, "routing: cannot write this relay's row in the store");
		goto out;
	}
	if (r->address[0] != '\0')
		log_info("routing: peers reach this relay at %s", r->address);
	rc = 0;
out:
	ssh_key_free(priv);
	return rc;
}

void relay_route_stop(struct relay *relay)
{
	struct relay_routing *r = relay->routing;

	if (r == NULL)
		return;
	/* A stopping relay holds no customer: its peers need not wait for the rows to go stale. */
	store_live_clear(relay->store, 0, r->pub);
	wake_close(&r->wake);
	free(r);
	relay->routing = NULL;
}

void relay_route_tick(struct relay *relay)
{
	struct relay_routing *r = relay->routing;

	if (r != NULL && wake_drain(&r->wake))
		log_debug("routing: a connection to a peer is done");
	if (r != NULL && time(NULL) - r->last_beat >= RELAY_ROUTE_BEAT && relay_route_beat(relay) != STORE_OK)
		log_error("routing: the heartbeat could not be written to the store");
}

void relay_route_live(struct relay *relay, int64_t ticket)
{
	if (relay->routing != NULL && store_live_set(relay->store, ticket, relay->routing->pub, relay_now(relay)) != STORE_OK)
		log_error("routing: could not record that ticket %lld is live here", (long long)ticket);
}

void relay_route_left(struct relay *relay, int64_t ticket)
{
	if (relay->routing == NULL)
		return;
	/* Another connection of the same customer may still be live here (the newest wins). */
	if (relay_conn_live_customer(relay, ticket) != NULL) {
		relay_route_live(relay, ticket);
		return;
	}
	if (store_live_clear(relay->store, ticket, relay->routing->pub) != STORE_OK)
		log_error("routing: could not clear ticket %lld's live row", (long long)ticket);
}

bool relay_route_held_elsewhere(struct relay *relay, int64_t ticket)
{
	uint8_t holder[STORE_PUB_LEN];
	int64_t since;

	return relay->routing != NULL && store_live_get(relay->store, ticket, holder, &since) == STORE_OK &&
	       CRYPTO_memcmp(holder, relay->routing->pub, STORE_PUB_LEN) != 0;
}

struct relay_route_find {
	ssh_key key;                  /* by host key, or */
	const uint8_t *pub;           /* by audit key */
	struct store_peer found;
	bool ok;
};

static int relay_route_find_one(const struct store_peer *p, void *ctx)
{
	struct relay_route_find *f = ctx;
	ssh_key k;
	bool same;

	if (p->retired_seq != 0)
		return 0;
	if (f->pub != NULL) {
		if (CRYPTO_memcmp(p->pub, f->pub, STORE_PUB_LEN) != 0)
			return 0;
		f->found = *p;
		f->ok = true;
		return 1;
	}
	if ((k = relay_route_key_parse(p->host_key)) == NULL)
		return 0;
	same = ssh_key_cmp(k, f->key, SSH_KEY_CMP_PUBLIC) == 0;
	ssh_key_free(k);
	if (!same)
		return 0;
	f->found = *p;
	f->ok = true;
	return 1;
}

int relay_route_peer_by_pub(struct store *st, const uint8_t pub[STORE_PUB_LEN], struct store_peer *out)
{
	struct relay_route_find f = { .pub = pub };

	if (store_peers(st, relay_route_find_one, &f) != STORE_OK)
		return -1;
	if (!f.ok)
		return 0;
	*out = f.found;
	return 1;
}

int relay_route_peer_key(struct relay *relay, ssh_key key, char *name, size_t namelen)
{
	struct relay_route_find f = { .key = key };

	if (relay->routing == NULL)
		return 0;
	if (store_peers(relay->store, relay_route_find_one, &f) != STORE_OK)
		return -1;
	/* This relay's own key is no peer's: nobody routes to itself. */
	if (!f.ok || CRYPTO_memcmp(f.found.pub, relay->routing->pub, STORE_PUB_LEN) == 0)
		return 0;
	snprintf(name, namelen, "%s", f.found.name);
	return 1;
}

int relay_route_dial(const struct relay_peer_dial *d, ssh_session *out, char *why, size_t whylen)
{
	ssh_key pinned = relay_route_key_parse(d->pinned), srv = NULL, priv = NULL;
	ssh_session session = NULL;
	char fp[SSHUTIL_FP_MAX] = "?";
	long timeout = RELAY_ROUTE_TIMEOUT;
	unsigned port = d->port;
	int process_config = 0, rc = -1;

	*out = NULL;
	if (pinned == NULL) {
		snprintf(why, whylen, "the store holds no usable host key for relay %s", d->name);
		goto out;
	}
	session = ssh_new();
	if (session == NULL ||
	    ssh_options_set(session, SSH_OPTIONS_HOST, d->host) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_PORT, &port) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_USER, d->user) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &process_config) != SSH_OK ||
	    ssh_options_set(session, SSH_OPTIONS_HOSTKEYS, ssh_key_type_to_char(ssh_key_type(pinned))) != SSH_OK) {
		snprintf(why, whylen, "cannot set up a connection to relay %s", d->name);
		goto out;
	}
	if (ssh_connect(session) != SSH_OK) {
		snprintf(why, whylen, "cannot reach relay %s: %s", d->name, ssh_get_error(session));
		goto out;
	}
	/* Pinned before anything is sent under this relay's name. */
	if (ssh_get_server_publickey(session, &srv) != SSH_OK || ssh_key_cmp(srv, pinned, SSH_KEY_CMP_PUBLIC) != 0) {
		if (srv != NULL)
			sshutil_fingerprint(srv, fp, sizeof(fp));
		snprintf(why, whylen, "relay %s presented host key %s, not the one the store pins for it", d->name, fp);
		goto out;
	}
	if (ssh_pki_import_privkey_file(d->key_path, NULL, NULL, NULL, &priv) != SSH_OK) {
		snprintf(why, whylen, "cannot read this relay's host key to log in to relay %s", d->name);
		goto out;
	}
	if (ssh_userauth_publickey(session, NULL, priv) != SSH_AUTH_SUCCESS) {
		snprintf(why, whylen, "relay %s refused this relay's key", d->name);
		goto out;
	}
	*out = session;
	session = NULL;
	rc = 0;
out:
	if (session != NULL) {
		ssh_disconnect(session);
		ssh_free(session);
	}
	ssh_key_free(pinned);
	ssh_key_free(srv);
	ssh_key_free(priv);
	return rc;
}

/* The thread's blocking steps; r->why says what failed. 0 or -1. */
static int relay_route_connect(struct relay_route *r)
{
	struct relay_peer_dial d = { .host = r->host, .port = r->port, .pinned = r->pinned, .name = r->peer_name,
				     .key_path = r->key_path, .user = r->user };
	char dest[32];

	if (relay_route_dial(&d, &r->session, r->why, sizeof(r->why)) != 0)
		return -1;
	r->chan = ssh_channel_new(r->session);
	snprintf(dest, sizeof(dest), "ticket-%lld", (long long)r->ticket);
	if (r->chan == NULL || ssh_channel_open_forward(r->chan, dest, r->dest_port, "127.0.0.1", 0) != SSH_OK) {
		snprintf(r->why, sizeof(r->why), "relay %s did not open the stream: %s", r->peer_name, ssh_get_error(r->session));
		return -1;
	}
	return 0;
}

static void relay_route_release(struct relay_route *r)
{
	if (r->ctl_chan != NULL)
		ssh_channel_free(r->ctl_chan);
	if (r->chan != NULL) {
		ssh_remove_channel_callbacks(r->chan, &r->cb);
		ssh_channel_free(r->chan);
	}
	if (r->event != NULL) {
		ssh_event_remove_session(r->event, r->session);
		ssh_event_free(r->event);
	}
	if (r->session != NULL) {
		ssh_disconnect(r->session);
		ssh_free(r->session);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void *relay_route_thread(void *arg)
{
	struct relay_route *r = arg;
	int rc = relay_route_connect(r);
	bool abandoned;

	pthread_mutex_lock(&r->lock);
	abandoned = r->abandoned;
	if (!abandoned) {
		r->state = rc == 0 ? ROUTE_READY : ROUTE_FAILED;
		/* Under the lock: an abandoned route's routing may be gone; this one's is not. */
		wake_signal(&r->routing->wake);
	}
	pthread_mutex_unlock(&r->lock);
	if (abandoned)
		relay_route_release(r);
	return NULL;
}

/* The far relay's exit-signal: why the stream ended, for the technician. */
static void relay_route_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
				    const char *errmsg, const char *lang, void *userdata)
{
	struct relay_route *r = userdata;

	(void)session, (void)channel, (void)signal, (void)core, (void)lang;
	if (errmsg != NULL && errmsg[0] != '\0') {
		snprintf(r->far_why, sizeof(r->far_why), "%s", errmsg);
		r->has_far_why = true;
	}
}

int relay_route_open(struct relay *relay, int64_t ticket, int port, const char *user, struct relay_route **out,
		     char *why, size_t whylen)
{
	struct relay_routing *routing = relay->routing;
	struct relay_route_find f = { 0 };
	struct relay_route *r;
	pthread_t th;
	pthread_attr_t attr;
	int64_t since;
	uint8_t holder[STORE_PUB_LEN];
	int rc;

	*out = NULL;
	if (routing == NULL)
		return 0;
	rc = store_live_get(relay->store, ticket, holder, &since);
	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && CRYPTO_memcmp(holder, routing->pub, STORE_PUB_LEN) == 0))
		return 0;
	if (rc != STORE_OK) {
		snprintf(why, whylen, "the store could not say where ticket %lld's customer is", (long long)ticket);
		return -1;
	}
	f.pub = holder;
	if (store_peers(relay->store, relay_route_find_one, &f) != STORE_OK) {
		snprintf(why, whylen, "the store could not say where ticket %lld's customer is", (long long)ticket);
		return -1;
	}
	/* A crashed or retired relay's rows hold nobody. */
	if (!f.ok || relay_now(relay) - f.found.seen_at > RELAY_ROUTE_STALE)
		return 0;
	if (f.found.address[0] == '\0') {
		snprintf(why, whylen, "the customer is on relay %s, which has no peer_address set", f.found.name);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(why, whylen, "the relay is out of resources");
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->routing = routing;
	r->poll_index = -1;
	if (config_parse_hostport(f.found.address, r->host, sizeof(r->host), &r->port) != 0) {
		snprintf(why, whylen, "relay %s's peer address \"%s\" is not HOST:PORT", f.found.name, f.found.address);
		relay_route_release(r);
		return -1;
	}
	snprintf(r->pinned, sizeof(r->pinned), "%s", f.found.host_key);
	snprintf(r->peer_name, sizeof(r->peer_name), "%s", f.found.name);
	snprintf(r->key_path, sizeof(r->key_path), "%s", relay->home->host_key_path);
	snprintf(r->user, sizeof(r->user), "%s", user);
	r->ticket = ticket;
	r->dest_port = port;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, relay_route_thread, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		snprintf(why, whylen, "the relay is out of resources (no thread)");
		relay_route_release(r);
		return -1;
	}
	log_info("routing: ticket %lld's customer is on relay %s (%s): connecting for %s", (long long)ticket,
		 f.found.name, f.found.address, user);
	*out = r;
	return 0;
}

int relay_route_ready(struct relay_route *r, ssh_channel *chan, char *why, size_t whylen)
{
	enum relay_route_state state;

	if (r->event != NULL) {
		*chan = r->chan;
		return 1;
	}
	pthread_mutex_lock(&r->lock);
	state = r->state;
	pthread_mutex_unlock(&r->lock);
	if (state == ROUTE_CONNECTING)
		return 0;
	if (state == ROUTE_FAILED) {
		snprintf(why, whylen, "%s", r->why);
		return -1;
	}
	/* The loop's from here: non-blocking, in its own event, polled with the others. */
	ssh_set_blocking(r->session, 0);
	r->event = ssh_event_new();
	if (r->event == NULL || ssh_event_add_session(r->event, r->session) != SSH_OK) {
		snprintf(why, whylen, "the relay is out of resources");
		return -1;
	}
	r->cb = (struct ssh_channel_callbacks_struct){ .userdata = r,
						      .channel_exit_signal_function = relay_route_exit_signal };
	ssh_callbacks_init(&r->cb);
	ssh_add_channel_callbacks(r->chan, &r->cb);
	r->next = r->routing->routes;
	r->routing->routes = r;
	*chan = r->chan;
	log_info("routing: ticket %lld: the stream from relay %s is open", (long long)r->ticket, r->peer_name);
	return 1;
}

int relay_route_ask_control(struct relay_route *r)
{
	if (r == NULL || r->event == NULL)
		return -1;
	r->ctl_pending = true;
	return 0;
}

/*
 * `control N` on the far relay, on a session channel of the route's own
 * SSH session, step by step without blocking (each libssh call returns
 * SSH_AGAIN until its reply is in): open, exec, read what it says until
 * it closes, for the log. The far relay asks its customer; the stream
 * itself carries the answer (the screen description's control flag).
 */
void relay_route_service(struct relay_route *r)
{
	char chunk[256];
	int rc, n;

	if (r == NULL || r->event == NULL)
		return;
	switch (r->ctl_state) {
	case ROUTE_CTL_IDLE:
		if (!r->ctl_pending || (r->ctl_chan = ssh_channel_new(r->session)) == NULL)
			return;
		r->ctl_pending = false;
		r->ctl_said[0] = '\0';
		r->ctl_state = ROUTE_CTL_OPEN;
		/* FALLTHROUGH */
	case ROUTE_CTL_OPEN:
		rc = ssh_channel_open_session(r->ctl_chan);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK)
			goto done;
		r->ctl_state = ROUTE_CTL_EXEC;
		/* FALLTHROUGH */
	case ROUTE_CTL_EXEC:
		snprintf(chunk, sizeof(chunk), "control %lld", (long long)r->ticket);
		rc = ssh_channel_request_exec(r->ctl_chan, chunk);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK)
			goto done;
		r->ctl_state = ROUTE_CTL_READ;
		/* FALLTHROUGH */
	case ROUTE_CTL_READ:
		for (int is_stderr = 0; is_stderr < 2; is_stderr++)
			while ((n = ssh_channel_read_nonblocking(r->ctl_chan, chunk, sizeof(chunk) - 1, is_stderr)) > 0) {
				size_t have = strlen(r->ctl_said);

				chunk[n] = '\0';
				snprintf(r->ctl_said + have, sizeof(r->ctl_said) - have, "%s", chunk);
			}
		if (!ssh_channel_is_eof(r->ctl_chan) && !ssh_channel_is_closed(r->ctl_chan))
			return;
		goto done;
	}
	return;
done:
	r->ctl_said[strcspn(r->ctl_said, "\r\n")] = '\0';
	log_info("routing: ticket %lld: control asked on relay %s: %s", (long long)r->ticket, r->peer_name,
		 r->ctl_said[0] ? r->ctl_said : ssh_get_error(r->session));
	if (ssh_channel_is_open(r->ctl_chan))
		ssh_channel_close(r->ctl_chan);
	ssh_channel_free(r->ctl_chan);
	r->ctl_chan = NULL;
	r->ctl_state = ROUTE_CTL_IDLE;
}

const char *relay_route_why(const struct relay_route *r)
{
	return r != NULL && r->has_far_why ? r->far_why : NULL;
}

void relay_route_free(struct relay_route *r)
{
	bool connecting;

	if (r == NULL)
		return;
	for (struct relay_route **pp = &r->routing->routes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_lock(&r->lock);
	connecting = r->state == ROUTE_CONNECTING;
	r->abandoned = connecting;
	pthread_mutex_unlock(&r->lock);
	if (connecting)
		return; /* the thread frees it */
	if (r->chan != NULL && ssh_channel_is_open(r->chan)) {
		ssh_channel_send_eof(r->chan);
		ssh_channel_close(r->chan);
	}
	relay_route_release(r);
}

size_t relay_route_nfds(const struct relay *relay)
{
	size_t n = 1;

	if (relay->routing == NULL)
		return 0;
	for (const struct relay_route *r = relay->routing->routes; r != NULL; r = r->next)
		n++;
	return n;
}

size_t relay_route_pollfds(struct relay *relay, struct pollfd *pfds)
{
	size_t n = 0;

	if (relay->routing == NULL)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = relay->routing->wake.fd, .events = POLLIN };
	for (struct relay_route *r = relay->routing->routes; r != NULL; r = r->next) {
		short events = POLLIN;

		if (ssh_get_poll_flags(r->session) & SSH_WRITE_PENDING)
			events |= POLLOUT;
		r->poll_index = (int)n;
		pfds[n++] = (struct pollfd){ .fd = ssh_get_fd(r->session), .events = events };
	}
	return n;
}

void relay_route_polled(struct relay *relay, const struct pollfd *pfds)
{
	if (relay->routing == NULL)
		return;
	for (struct relay_route *r = relay->routing->routes; r != NULL; r = r->next) {
		if (r->poll_index < 0 || pfds[r->poll_index].revents == 0)
			continue;
		for (int i = 0; i < RELAY_POLL_BURST && ssh_event_dopoll(r->event, 0) == SSH_OK; i++)
			if (ssh_get_status(r->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
				break;
	}
}
