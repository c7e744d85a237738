/*
 * webhook_conf.c: the receivers relay.conf names (webhook.h).
 *
 * relay.conf is flat "key = value" (config.h), so several receivers are
 * keys with the receiver's name in them, webhook.NAME.SETTING; one
 * receiver alone may use the plain webhook_SETTING keys, and is then
 * called "default". A section syntax would have meant a second parser for
 * one file, and dotted keys are already legal in it.
 *
 * The secret: HMAC keys are what lets a receiver tell our deliveries from
 * anyone's, so they sit only where no other account can read them. The
 * home's directory is 0700 and init writes relay.conf 0600, but an
 * operator may loosen relay.conf's mode (it holds nothing else secret),
 * so secret = ... is accepted only while relay.conf is 0600 or stricter,
 * and secret_file = PATH (preferred: it keeps the secret out of the file
 * people paste into tickets) only when PATH is too.
 */
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "event.h"

/* A receiver's settings, as the part after webhook.NAME. or webhook_. */
static const char *const webhook_settings[] = {
	"url", "events", "secret", "secret_file", "ca_file", "clearance", "timeout", "backoff_max", "inline_max",
	"kind", "rt_url", "rt_token_file", "rt_queue_l1", "rt_queue_l2", "rt_queue_l3", "poll_interval", NULL,
};
#define WEBHOOK_SETTINGS_SAY                                                                                       \
	"url, events, secret_file, secret, ca_file, clearance, timeout, backoff_max, inline_max; "                 \
	"for kind = rt: rt_url, rt_token_file, rt_queue_l1, rt_queue_l2, rt_queue_l3, poll_interval"
/* What an RT receiver takes when events is not set: the ticket's story, nothing of the relay's own. */
#define WEBHOOK_RT_EVENTS                                                                                          \
	"created,ticket-opened-by-customer,opened-as,chat,note,escalated,attachment-added,taken,resolved,reopened"

static int webhook_setting_known(const char *s, size_t n)
{
	for (size_t i = 0; webhook_settings[i] != NULL; i++)
		if (strlen(webhook_settings[i]) == n && memcmp(webhook_settings[i], s, n) == 0)
			return 1;
	return 0;
}

int relay_webhook_conf_key(const char *key)
{
	return strncmp(key, "webhook.", 8) == 0;
}

static int webhook_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > RELAY_WEBHOOK_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* The key of setting for receiver name: webhook_SETTING for the unnamed one, else webhook.NAME.SETTING. */
static void webhook_key(char *key, size_t keylen, const char *name, bool unnamed, const char *setting)
{
	if (unnamed)
		snprintf(key, keylen, "webhook_%s", setting);
	else
		snprintf(key, keylen, "webhook.%s.%s", name, setting);
}

/* An https URL with a host, no spaces or controls: libcurl gets nothing it would read another way. */
static int webhook_url_ok(const char *u)
{
	size_t n = strlen(u);

	if (n >= RELAY_WEBHOOK_URL_MAX || strncmp(u, "https://", 8) != 0 || n == 8 || u[8] == '/' || u[8] == ':')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return 0;
	return 1;
}

/* events = all, or kinds separated by commas: each one a kind the relay records. */
static int webhook_kinds(const struct config *cfg, const char *key, const char *v, char *kinds, size_t kindslen,
			 char *err, size_t errlen)
{
	size_t used = 0, len;
	const char *rest = v, *p;

	if (strcmp(v, "all") == 0) {
		snprintf(kinds, kindslen, "all");
		return 0;
	}
	kinds[used++] = ',';
	kinds[used] = '\0';
	while (config_list_next(&rest, &p, &len)) {
		if (len == 0)
			return config_value_error(cfg, key, err, errlen, "an empty kind between commas");
		if (len == 3 && memcmp(p, "all", 3) == 0)
			return config_value_error(cfg, key, err, errlen, "all stands alone, not in a list");
		if (!event_kind_known(p, len))
			return config_value_error(cfg, key, err, errlen,
						  "\"%.*s\" is not an event kind (docs/webhooks.md lists them)", (int)len, p);
		if (used + len + 2 > kindslen)
			return config_value_error(cfg, key, err, errlen, "too many kinds");
		memcpy(kinds + used, p, len);
		used += len;
		kinds[used++] = ',';
		kinds[used] = '\0';
	}
	if (used == 1)
		return config_value_error(cfg, key, err, errlen, "no kinds (all, or kinds separated by commas)");
	return 0;
}

/* A secret file: regular, the owner's alone, min to max bytes once a final newline is cut, into out (max bytes). */
static int webhook_read_secret(const struct config *cfg, const char *key, const char *path, size_t min, size_t max,
			       uint8_t *out, size_t *outlen, char *err, size_t errlen)
{
	struct stat sb;
	ssize_t n;
	uint8_t tmp[RELAY_WEBHOOK_SECRET_MAX + 2];
	int fd, rc = -1;

	if (path[0] != '/')
		return config_value_error(cfg, key, err, errlen, "expected an absolute path, got \"%s\"", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return config_value_error(cfg, key, err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		config_value_error(cfg, key, err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if (sb.st_mode & 077) {
		config_value_error(cfg, key, err, errlen, "%s may be read by other users (mode %03o); run chmod 600 %s",
				   path, (unsigned)(sb.st_mode & 0777), path);
		goto out;
	}
	n = read(fd, tmp, max + 2 <= sizeof(tmp) ? max + 2 : sizeof(tmp));
	if (n < 0) {
		config_value_error(cfg, key, err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	if (n > 0 && tmp[n - 1] == '\r')
		n--;
	if ((size_t)n < min || (size_t)n > max) {
		config_value_error(cfg, key, err, errlen, "%s: expected %zu to %zu bytes", path, min, max);
		goto out;
	}
	memcpy(out, tmp, (size_t)n);
	*outlen = (size_t)n;
	rc = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	close(fd);
	return rc;
}

static int webhook_secret_file(const struct config *cfg, const char *key, const char *path,
			       struct relay_webhook_conf *r, char *err, size_t errlen)
{
	return webhook_read_secret(cfg, key, path, RELAY_WEBHOOK_SECRET_MIN, RELAY_WEBHOOK_SECRET_MAX, r->secret,
				   &r->secret_len, err, errlen);
}

/*
 * RT's base URL: https://, or http:// to this machine alone (an RT beside
 * the relay, on loopback, is as private as the relay's own socket; across
 * a network the token must not travel in clear).
 */
static int webhook_rt_url_ok(const char *u)
{
	static const char *const local[] = { "http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:", "http://[::1]/",
					     "http://localhost:", "http://localhost/", NULL };
	size_t n = strlen(u);
	bool ok = webhook_url_ok(u);

	for (size_t i = 0; !ok && local[i] != NULL; i++)
		ok = strncmp(u, local[i], strlen(local[i])) == 0 || (strlen(local[i]) - 1 == n &&
								      strncmp(u, local[i], n) == 0);
	if (!ok || n >= RELAY_WEBHOOK_URL_MAX - 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || u[i] == '?' || u[i] == '#')
			return 0;
	return 1;
}

/* A queue name goes into JSON we build and into RT's search: printable, no quotes or backslashes. */
static int webhook_rt_queue_ok(const char *q)
{
	size_t n = strlen(q);

	if (n == 0 || n > RELAY_RT_QUEUE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f || q[i] == '"' || q[i] == '\\' || q[i] == '\'')
			return 0;
	return 1;
}

/* The settings of a kind = rt receiver (the JSON ones that make no sense for it are refused). */
static int webhook_load_rt(const struct config *cfg, const char *name, struct relay_webhook_conf *r, char *err,
			   size_t errlen)
{
	static const char *const json_only[] = { "url", "secret", "secret_file", NULL };
	static const char *const queues[] = { "rt_queue_l1", "rt_queue_l2", "rt_queue_l3" };
	char key[128];
	const char *v;
	uint8_t token[RELAY_RT_TOKEN_MAX];
	size_t tokenlen = 0;

	for (size_t i = 0; json_only[i] != NULL; i++) {
		webhook_key(key, sizeof(key), name, false, json_only[i]);
		if (config_get(cfg, key) != NULL)
			return config_value_error(cfg, key, err, errlen,
						  "a kind = rt receiver takes rt_url and rt_token_file, not %s",
						  json_only[i]);
	}
	webhook_key(key, sizeof(key), name, false, "rt_url");
	if ((v = config_get(cfg, key)) == NULL) {
		snprintf(err, errlen, "%s: receiver %s (kind = rt) needs %s = https://rt.example.org", cfg->name, name,
			 key);
		return -1;
	}
	if (!webhook_rt_url_ok(v))
		return config_value_error(cfg, key, err, errlen,
					  "expected RT's https:// base URL (http:// only to 127.0.0.1, [::1] or "
					  "localhost), no spaces, no ? or #, got \"%s\"",
					  v);
	snprintf(r->url, sizeof(r->url), "%s", v);
	/* The base without its final slashes: paths are appended as /REST/2.0/... */
	for (size_t n = strlen(r->url); n > 8 && r->url[n - 1] == '/'; n--)
		r->url[n - 1] = '\0';
	webhook_key(key, sizeof(key), name, false, "rt_token_file");
	if ((v = config_get(cfg, key)) == NULL) {
		snprintf(err, errlen, "%s: receiver %s (kind = rt) needs %s = PATH (a 0600 file holding an RT auth token)",
			 cfg->name, name, key);
		return -1;
	}
	if (webhook_read_secret(cfg, key, v, RELAY_RT_TOKEN_MIN, RELAY_RT_TOKEN_MAX, token, &tokenlen, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < tokenlen; i++)
		if (token[i] <= 0x20 || token[i] >= 0x7f) {
			OPENSSL_cleanse(token, sizeof(token));
			return config_value_error(cfg, key, err, errlen, "%s: an RT token is printable ASCII on one line",
						  v);
		}
	memcpy(r->rt_token, token, tokenlen);
	r->rt_token[tokenlen] = '\0';
	OPENSSL_cleanse(token, sizeof(token));
	for (size_t i = 0; i < 3; i++) {
		webhook_key(key, sizeof(key), name, false, queues[i]);
		v = config_get(cfg, key);
		if (v == NULL && i == 0)
			v = "General";
		else if (v == NULL)
			v = r->rt_queue[i - 1];
		if (!webhook_rt_queue_ok(v))
			return config_value_error(cfg, key, err, errlen,
						  "expected an RT queue's name, without quotes or backslashes");
		snprintf(r->rt_queue[i], sizeof(r->rt_queue[i]), "%s", v);
	}
	webhook_key(key, sizeof(key), name, false, "poll_interval");
	return config_get_ulong(cfg, key, 60, 1, 86400, &r->poll_interval, err, errlen);
}

static int webhook_load_one(const struct config *cfg, const char *conf_path, const char *name, bool unnamed,
			    struct relay_webhook_conf *r, char *err, size_t errlen)
{
	static const char *const tiers[] = { "L1", "L2", "L3", NULL };
	char key[128], key2[128];
	const char *v, *secret, *secret_file;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	webhook_key(key, sizeof(key), name, unnamed, "kind");
	if ((v = config_get(cfg, key)) != NULL && strcmp(v, "rt") == 0)
		r->kind = RELAY_WEBHOOK_RT;
	else if (v != NULL && strcmp(v, "json") != 0)
		return config_value_error(cfg, key, err, errlen, "expected json (the default) or rt, got \"%s\"", v);
	if (r->kind == RELAY_WEBHOOK_RT) {
		if (webhook_load_rt(cfg, name, r, err, errlen) != 0)
			return -1;
		webhook_key(key, sizeof(key), name, unnamed, "events");
		if (webhook_kinds(cfg, key, (v = config_get(cfg, key)) ? v : WEBHOOK_RT_EVENTS, r->kinds, sizeof(r->kinds),
				  err, errlen) != 0)
			return -1;
		goto common;
	}
	{
		static const char *const rt_only[] = { "rt_url", "rt_token_file", "rt_queue_l1", "rt_queue_l2",
						       "rt_queue_l3", "poll_interval", NULL };

		for (size_t i = 0; rt_only[i] != NULL; i++) {
			webhook_key(key, sizeof(key), name, unnamed, rt_only[i]);
			if (config_get(cfg, key) != NULL)
				return config_value_error(cfg, key, err, errlen,
							  "%s is for a Request Tracker receiver: add %s.kind = rt",
							  rt_only[i], name);
		}
	}
	webhook_key(key, sizeof(key), name, unnamed, "url");
	if ((v = config_get(cfg, key)) == NULL) {
		snprintf(err, errlen, "%s: receiver %s has settings but no %s = https://...", cfg->name, name, key);
		return -1;
	}
	if (!webhook_url_ok(v))
		return config_value_error(cfg, key, err, errlen,
					  "expected an https:// URL with a host and no spaces, got \"%s\"", v);
	snprintf(r->url, sizeof(r->url), "%s", v);
	webhook_key(key, sizeof(key), name, unnamed, "events");
	if (webhook_kinds(cfg, key, (v = config_get(cfg, key)) ? v : "all", r->kinds, sizeof(r->kinds), err, errlen) != 0)
		return -1;
	webhook_key(key, sizeof(key), name, unnamed, "secret");
	webhook_key(key2, sizeof(key2), name, unnamed, "secret_file");
	secret = config_get(cfg, key);
	secret_file = config_get(cfg, key2);
	if (secret != NULL && secret_file != NULL)
		return config_value_error(cfg, key, err, errlen, "set %s or %s, not both", key, key2);
	if (secret == NULL && secret_file == NULL) {
		snprintf(err, errlen, "%s: receiver %s needs %s = PATH (a 0600 file holding its HMAC secret)", cfg->name,
			 name, key2);
		return -1;
	}
	if (secret_file != NULL) {
		if (webhook_secret_file(cfg, key2, secret_file, r, err, errlen) != 0)
			return -1;
	} else {
		struct stat sb;
		size_t n = strlen(secret);

		if (stat(conf_path, &sb) != 0 || (sb.st_mode & 077))
			return config_value_error(cfg, key, err, errlen,
						  "%s may be read by other users: keep the secret in a 0600 file "
						  "(%s) or chmod 600 %s",
						  conf_path, key2, conf_path);
		if (n < RELAY_WEBHOOK_SECRET_MIN || n > RELAY_WEBHOOK_SECRET_MAX)
			return config_value_error(cfg, key, err, errlen, "a secret of %d to %d bytes, please",
						  RELAY_WEBHOOK_SECRET_MIN, RELAY_WEBHOOK_SECRET_MAX);
		memcpy(r->secret, secret, n);
		r->secret_len = n;
	}
common:
	webhook_key(key, sizeof(key), name, unnamed, "ca_file");
	if ((v = config_get(cfg, key)) != NULL) {
		if (v[0] != '/' || strlen(v) >= sizeof(r->ca_file))
			return config_value_error(cfg, key, err, errlen, "expected an absolute path, got \"%s\"", v);
		if (access(v, R_OK) != 0)
			return config_value_error(cfg, key, err, errlen, "%s: %s", v, strerror(errno));
		snprintf(r->ca_file, sizeof(r->ca_file), "%s", v);
	}
	webhook_key(key, sizeof(key), name, unnamed, "clearance");
	v = config_get(cfg, key);
	snprintf(r->clearance, sizeof(r->clearance), "%s", v ? v : "L1");
	{
		bool ok = false;

		for (size_t i = 0; tiers[i] != NULL; i++)
			ok = ok || strcmp(r->clearance, tiers[i]) == 0;
		if (!ok)
			return config_value_error(cfg, key, err, errlen, "expected L1, L2 or L3, got \"%s\"", v);
	}
	webhook_key(key, sizeof(key), name, unnamed, "timeout");
	if (config_get_ulong(cfg, key, 30, 1, 600, &r->timeout, err, errlen) != 0)
		return -1;
	webhook_key(key, sizeof(key), name, unnamed, "backoff_max");
	if (config_get_ulong(cfg, key, 600, 1, 86400, &r->backoff_max, err, errlen) != 0)
		return -1;
	webhook_key(key, sizeof(key), name, unnamed, "inline_max");
	/* RT stores what it is sent: its receivers get attachments whole unless told otherwise. */
	return config_get_ulong(cfg, key, r->kind == RELAY_WEBHOOK_RT ? 4 * 1024 * 1024 : 256 * 1024, 0,
				4 * 1024 * 1024, &r->inline_max, err, errlen);
}

int relay_webhook_conf_load(const struct config *cfg, const char *conf_path, struct relay_webhooks_conf *out,
			    char *err, size_t errlen)
{
	char names[RELAY_WEBHOOKS_MAX][RELAY_WEBHOOK_NAME_MAX + 1];
	size_t nnames = 0;
	bool unnamed = false;

	memset(out, 0, sizeof(*out));
	/* Every webhook key first: a typo in any of them is refused before anything is read. */
	for (size_t i = 0; i < cfg->count; i++) {
		const struct config_entry *e = &cfg->entries[i];
		const char *name, *dot;
		size_t namelen;
		bool seen = false;

		if (strncmp(e->key, "webhook_", 8) == 0) {
			unnamed = true;
			continue;
		}
		if (!relay_webhook_conf_key(e->key))
			continue;
		name = e->key + 8;
		dot = strchr(name, '.');
		namelen = dot ? (size_t)(dot - name) : 0;
		if (dot == NULL || !webhook_name_ok(name, namelen)) {
			snprintf(err, errlen,
				 "%s:%u: '%s': expected webhook.NAME.SETTING, NAME of 1 to %d characters a-z 0-9 _ -",
				 cfg->name, e->line, e->key, RELAY_WEBHOOK_NAME_MAX);
			return -1;
		}
		if (!webhook_setting_known(dot + 1, strlen(dot + 1))) {
			snprintf(err, errlen, "%s:%u: unknown setting '%s' (a receiver's settings: " WEBHOOK_SETTINGS_SAY ")",
				 cfg->name, e->line, e->key);
			return -1;
		}
		for (size_t k = 0; k < nnames; k++)
			seen = seen || (strlen(names[k]) == namelen && memcmp(names[k], name, namelen) == 0);
		if (seen)
			continue;
		if (nnames == RELAY_WEBHOOKS_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d webhook receivers", cfg->name, e->line,
				 RELAY_WEBHOOKS_MAX);
			return -1;
		}
		memcpy(names[nnames], name, namelen);
		names[nnames++][namelen] = '\0';
	}
	for (size_t k = 0; k < nnames; k++)
		if (unnamed && strcmp(names[k], "default") == 0) {
			snprintf(err, errlen, "%s: webhook_url and webhook.default.* name the same receiver: keep one",
				 cfg->name);
			return -1;
		}
	if (unnamed) {
		if (nnames == RELAY_WEBHOOKS_MAX) {
			snprintf(err, errlen, "%s: more than %d webhook receivers", cfg->name, RELAY_WEBHOOKS_MAX);
			return -1;
		}
		if (webhook_load_one(cfg, conf_path, "default", true, &out->r[out->n], err, errlen) != 0)
			goto fail;
		out->n++;
	}
	for (size_t k = 0; k < nnames; k++) {
		if (webhook_load_one(cfg, conf_path, names[k], false, &out->r[out->n], err, errlen) != 0)
			goto fail;
		out->n++;
	}
	return 0;
fail:
	relay_webhook_conf_clear(out);
	return -1;
}

void relay_webhook_conf_clear(struct relay_webhooks_conf *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}
