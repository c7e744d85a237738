/*
 * home.c: see home.h.
 */
#include "home.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cert.h"
#include "chain.h"
#include "code.h"
#include "config.h"
#include "files.h"
#include "sshutil.h"
#include "store.h"

static int home_paths(const char *dir, struct relay_home *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if ((size_t)snprintf(h->dir, sizeof(h->dir), "%s", dir) >= sizeof(h->dir) ||
	    (size_t)snprintf(h->conf_path, sizeof(h->conf_path), "%s/relay.conf", dir) >= sizeof(h->conf_path) ||
	    (size_t)snprintf(h->host_key_path, sizeof(h->host_key_path), "%s/host_ed25519", dir) >= sizeof(h->host_key_path) ||
	    (size_t)snprintf(h->pepper_path, sizeof(h->pepper_path), "%s/code.key", dir) >= sizeof(h->pepper_path) ||
	    (size_t)snprintf(h->db_path, sizeof(h->db_path), "%s/handoff.db", dir) >= sizeof(h->db_path) ||
	    (size_t)snprintf(h->store, sizeof(h->store), "%s", h->db_path) >= sizeof(h->store) ||
	    (size_t)snprintf(h->keys_dir, sizeof(h->keys_dir), "%s/keys", dir) >= sizeof(h->keys_dir) ||
	    (size_t)snprintf(h->audit_key_path, sizeof(h->audit_key_path), "%s/keys/audit_ed25519", dir) >=
		    sizeof(h->audit_key_path) ||
	    (size_t)snprintf(h->audit_pub_path, sizeof(h->audit_pub_path), "%s/keys/audit_ed25519.pub", dir) >=
		    sizeof(h->audit_pub_path)) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	return 0;
}

int relay_home_audit_key(const struct relay_home *h, int *created, char *fp, size_t fplen,
			 char *err, size_t errlen)
{
	uint8_t pub[CHAIN_PUB_LEN], file_pub[CHAIN_PUB_LEN];
	EVP_PKEY *key = NULL;
	int rc = -1;

	*created = 0;
	if (mkdir(h->keys_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", h->keys_dir, strerror(errno));
		return -1;
	}
	if (access(h->audit_key_path, F_OK) != 0) {
		/* A public half without its private key means a lost key, not a new relay: say so. */
		if (access(h->audit_pub_path, F_OK) == 0) {
			snprintf(err, errlen,
				 "%s is missing but %s exists: restore the key from a backup, or remove the .pub to "
				 "start a new audit key (exports signed by the old one still verify with the old .pub)",
				 h->audit_key_path, h->audit_pub_path);
			return -1;
		}
		key = chain_key_generate();
		if (key == NULL) {
			snprintf(err, errlen, "cannot generate the audit key");
			return -1;
		}
		if (chain_key_save(key, h->audit_key_path, h->audit_pub_path, err, errlen) != 0)
			goto out;
		*created = 1;
	} else if (chain_key_load_private(h->audit_key_path, &key, err, errlen) != 0) {
		return -1;
	}
	if (chain_key_public(key, pub) != 0) {
		snprintf(err, errlen, "%s: not an Ed25519 key", h->audit_key_path);
		goto out;
	}
	/* The .pub is what auditors copy: it must be the private key's other half. */
	if (chain_pub_load(h->audit_pub_path, file_pub, err, errlen) != 0)
		goto out;
	if (CRYPTO_memcmp(pub, file_pub, CHAIN_PUB_LEN) != 0) {
		snprintf(err, errlen, "%s does not belong to %s", h->audit_pub_path, h->audit_key_path);
		goto out;
	}
	chain_fingerprint(pub, fp, fplen);
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

int relay_home_init(const char *dir, const char *listen, const char *run_user, char *fingerprint, size_t fplen,
		    char *audit_fp, size_t audit_fplen, char *err, size_t errlen)
{
	int created;

	struct relay_home h;
	struct store *st = NULL;
	ssh_key key = NULL;
	char conf[4096], host[256];
	unsigned port;
	int rc = -1;

	if (home_paths(dir, &h, err, errlen) != 0)
		return -1;
	if (config_parse_hostport(listen, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "--listen wants HOST:PORT, got \"%s\"", listen);
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (access(h.conf_path, F_OK) == 0) {
		snprintf(err, errlen, "%s already holds a relay (relay.conf exists)", dir);
		return -1;
	}
	if (chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, h.host_key_path) != SSH_OK ||
	    chmod(h.host_key_path, 0600) != 0) {
		snprintf(err, errlen, "cannot create the host key %s", h.host_key_path);
		goto out;
	}
	if (sshutil_fingerprint(key, fingerprint, fplen) != 0) {
		snprintf(err, errlen, "cannot fingerprint the host key");
		goto out;
	}
	if (relay_home_audit_key(&h, &created, audit_fp, audit_fplen, err, errlen) != 0)
		goto out;
	if (RAND_bytes(h.pepper, sizeof(h.pepper)) != 1 ||
	    files_write_new(h.pepper_path, h.pepper, sizeof(h.pepper), 0600, err, errlen) != 0)
		goto out;
	snprintf(conf, sizeof(conf),
		 "# Handoff relay settings. See docs/operator.md.\n"
		 "listen = %s\n"
		 "# the account serve runs as when started as root (default: the owner of this directory)\n"
		 "%suser = %s\n"
		 "# seconds a support code stays valid\n"
		 "code_ttl = %d\n"
		 "# connections that have not authenticated yet, at most\n"
		 "max_unauthenticated = 64\n"
		 "# seconds a connection has to authenticate\n"
		 "login_grace = 30\n"
		 "# of those, from one address (IPv6: one /64); when the relay is full, a\n"
		 "# stalled connection makes room for a new one\n"
		 "max_unauthenticated_per_source = 8\n"
		 "# code guessing: a source waits 1, 2, 4 ... s after each wrong code, at most\n"
		 "code_backoff_max = 300\n"
		 "# past this many wrong codes in a minute, addresses that guessed wrong wait\n"
		 "code_failures_per_minute = 120\n"
		 "# tickets one bundle's intake token may open per hour (customers without a code)\n"
		 "intake_per_hour = 30\n"
		 "# knowledge base searches for self-help one intake token may make a minute (0 = no self-help)\n"
		 "intake_searches_per_minute = 10\n"
		 "# tickets one desk account (user add --role desk) may open a minute (0 = desk accounts off)\n"
		 "desk_tickets_per_minute = 10\n"
		 "# channels (commands, chat streams, views) one connection may hold, and one account\n"
		 "max_channels_per_connection = 32\n"
		 "max_channels_per_user = 64\n"
		 "# records (chat lines, pauses, answers) one customer's helper may add to its ticket a minute,\n"
		 "# and all the sessions of one bundle's intake token; more are counted, not recorded\n"
		 "customer_events_per_minute = 120\n"
		 "intake_events_per_minute = 600\n"
		 "# escalation policy: seconds a ticket may stay unresolved at a tier (0 = no limit)\n"
		 "escalate_after_l1 = 14400\n"
		 "escalate_after_l2 = 86400\n"
		 "# the tier each priority starts at (P1: an outage for many users)\n"
		 "start_tier_p1 = L2\n"
		 "start_tier_p2 = L1\n"
		 "start_tier_p3 = L1\n"
		 "start_tier_p4 = L1\n"
		 "# triage: the priority of an impact (one line each) for urgency high, medium, low\n"
		 "priority_impact_high = P1 P2 P3\n"
		 "priority_impact_medium = P2 P3 P4\n"
		 "priority_impact_low = P3 P4 P4\n"
		 "# what an escalation from L1 (L2) must have recorded first, comma-separated field\n"
		 "# names, filled by note N --field NAME TEXT (impact and urgency: by triage)\n"
		 "# checklist_l1 = error-text, started, tried, impact\n"
		 "# checklist_l2 = cause\n"
		 "# SLA per priority: seconds to the first response and to the resolution (0 = none),\n"
		 "# not counting the time waiting for the customer (wait N --for customer)\n"
		 "sla_p1 = 900 14400\n"
		 "sla_p2 = 3600 28800\n"
		 "sla_p3 = 14400 86400\n"
		 "sla_p4 = 28800 259200\n"
		 "# an sla-warning event when this share of a target is used\n"
		 "sla_warning_percent = 80\n"
		 "# what escalation collects from the customer's machine, with consent:\n"
		 "# facts, file PATH LINES, journal LINES; separated by commas\n"
		 "log_sources = facts, journal 200\n",
		 listen, run_user && run_user[0] ? "" : "# ", run_user && run_user[0] ? run_user : "handoff",
		 CODE_TTL_DEFAULT);
	if (files_write_new(h.conf_path, conf, strlen(conf), 0600, err, errlen) != 0)
		goto out;
	if (store_open(h.db_path, &st, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	store_close(st);
	ssh_key_free(key);
	relay_home_clear(&h);
	return rc;
}

static int home_read_pepper(struct relay_home *h, char *err, size_t errlen)
{
	int fd = open(h->pepper_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", h->pepper_path, strerror(errno));
		return -1;
	}
	n = read(fd, h->pepper, sizeof(h->pepper));
	close(fd);
	if (n != (ssize_t)sizeof(h->pepper)) {
		snprintf(err, errlen, "%s: expected %zu bytes", h->pepper_path, sizeof(h->pepper));
		return -1;
	}
	return 0;
}

static int home_tier_ok(const char *tier)
{
	return tier != NULL && (strcmp(tier, "L1") == 0 || strcmp(tier, "L2") == 0 || strcmp(tier, "L3") == 0);
}

/*
 * One log source as the helper understands it (client/logs.c): "facts",
 * "journal LINES" or "file /PATH LINES", LINES from 1. The helper would show
 * anything else to the customer as unsupported; the operator hears it here.
 */
static int home_log_source_ok(const char *p, size_t len)
{
	size_t sp = len;

	if (len == 5 && memcmp(p, "facts", 5) == 0)
		return 1;
	while (sp > 0 && p[sp - 1] != ' ')
		sp--;
	if (sp == 0 || len - sp == 0 || len - sp > 9 || strspn(p + sp, "0123456789") < len - sp ||
	    strspn(p + sp, "0") == len - sp)
		return 0;
	if (sp == 8 && memcmp(p, "journal ", 8) == 0)
		return 1;
	return sp > 6 && memcmp(p, "file /", 6) == 0;
}

/* Commas in the file become lines in the request, each trimmed. */
static int home_log_sources(struct relay_home *h, const struct config *cfg, const char *list, char *err,
			    size_t errlen)
{
	size_t used = 0, len;
	const char *rest = list, *p;

	h->log_sources[0] = '\0';
	while (config_list_next(&rest, &p, &len)) {
		if (len > 0 && !home_log_source_ok(p, len))
			return config_value_error(cfg, "log_sources", err, errlen,
						  "\"%.*s\" is not facts, journal LINES or file /PATH LINES", (int)len, p);
		if (len > 0) {
			int n = snprintf(h->log_sources + used, sizeof(h->log_sources) - used, "%s%.*s",
					 used ? "\n" : "", (int)len, p);

			if (n < 0 || (size_t)n >= sizeof(h->log_sources) - used)
				return config_value_error(cfg, "log_sources", err, errlen, "too long");
			used += (size_t)n;
		}
	}
	return 0;
}

/* The matrix rows and the checklists (triage.h), each refusal with its line. */
static int home_load_triage(struct relay_home *h, const struct config *cfg, char *err, size_t errlen)
{
	static const char *const rows[RELAY_TRIAGE_LEVELS] = { "priority_impact_high", "priority_impact_medium",
								"priority_impact_low" };
	static const char *const lists[2] = { "checklist_l1", "checklist_l2" };
	char why[256];

	relay_triage_default(&h->priority_matrix);
	for (int i = 0; i < RELAY_TRIAGE_LEVELS; i++) {
		const char *v = config_get(cfg, rows[i]);

		if (v != NULL && relay_triage_row_parse(&h->priority_matrix, i, v, why, sizeof(why)) != 0)
			return config_value_error(cfg, rows[i], err, errlen, "%s", why);
	}
	for (int i = 0; i < 2; i++)
		if (relay_checklist_parse(&h->checklist[i], config_get(cfg, lists[i]), why, sizeof(why)) != 0)
			return config_value_error(cfg, lists[i], err, errlen, "%s", why);
	relay_sla_default(&h->sla);
	for (int p = 0; p < 4; p++) {
		char key[24];
		const char *v;

		snprintf(key, sizeof(key), "sla_p%d", p + 1);
		if ((v = config_get(cfg, key)) != NULL && relay_sla_parse(&h->sla, p, v, why, sizeof(why)) != 0)
			return config_value_error(cfg, key, err, errlen, "%s", why);
	}
	return config_get_ulong(cfg, "sla_warning_percent", 80, 1, 99, &h->sla.warn_percent, err, errlen);
}

static int home_load_policy(struct relay_home *h, const struct config *cfg, char *err, size_t errlen)
{
	static const char *const defaults[4] = { "L2", "L1", "L1", "L1" };
	const char *sources;

	if (config_get_ulong(cfg, "escalate_after_l1", 14400, 0, 31536000, &h->escalate_after[0], err, errlen) != 0 ||
	    config_get_ulong(cfg, "escalate_after_l2", 86400, 0, 31536000, &h->escalate_after[1], err, errlen) != 0)
		return -1;
	h->escalate_after[2] = 0;
	for (int p = 0; p < 4; p++) {
		char key[32];
		const char *tier;

		snprintf(key, sizeof(key), "start_tier_p%d", p + 1);
		tier = config_get(cfg, key);
		if (tier == NULL)
			tier = defaults[p];
		if (!home_tier_ok(tier))
			return config_value_error(cfg, key, err, errlen, "expected L1, L2 or L3, got \"%s\"", tier);
		snprintf(h->start_tier[p], sizeof(h->start_tier[p]), "%s", tier);
	}
	if (home_load_triage(h, cfg, err, errlen) != 0)
		return -1;
	sources = config_get(cfg, "log_sources");
	return home_log_sources(h, cfg, sources ? sources : "facts, journal 200", err, errlen);
}

/*
 * trusted_user_ca_keys and revoked_keys: absolute paths, read now so that a
 * typo in either file stops serve with its line instead of refusing every
 * technician at login. The relay reads them again at each certificate login.
 */
static int home_load_certs(struct relay_home *h, const struct config *cfg, char *err, size_t errlen)
{
	static const char *const keys[2] = { "trusted_user_ca_keys", "revoked_keys" };
	char *dest[2] = { h->trusted_user_ca_keys, h->revoked_keys };
	char why[PATH_MAX + 256];

	for (int i = 0; i < 2; i++) {
		const char *v = config_get(cfg, keys[i]);

		dest[i][0] = '\0';
		if (v == NULL)
			continue;
		if (v[0] != '/' || strlen(v) >= PATH_MAX)
			return config_value_error(cfg, keys[i], err, errlen, "expected an absolute path, got \"%s\"", v);
		snprintf(dest[i], PATH_MAX, "%s", v);
	}
	if (h->trusted_user_ca_keys[0] != '\0') {
		struct cert_cas cas = { 0 };
		int rc = cert_cas_load(h->trusted_user_ca_keys, &cas, why, sizeof(why));

		cert_cas_free(&cas);
		if (rc != 0)
			return config_value_error(cfg, "trusted_user_ca_keys", err, errlen, "%s", why);
	}
	if (h->revoked_keys[0] != '\0') {
		struct cert_revoked rev = { 0 };
		int rc = cert_revoked_load(h->revoked_keys, &rev, why, sizeof(why));

		cert_revoked_free(&rev);
		if (rc != 0)
			return config_value_error(cfg, "revoked_keys", err, errlen, "%s", why);
	}
	return 0;
}

/*
 * store = postgresql://... (or postgres://): the shared database instead
 * of handoff.db. Only a URL: a path would be a second SQLite file beside
 * the home's, which nothing backs up or checks (priv.c checks handoff.db).
 */
static int home_load_store(struct relay_home *h, const struct config *cfg, char *err, size_t errlen)
{
	const char *v = config_get(cfg, "store");

	if (v == NULL)
		return 0;
	if (!store_is_url(v))
		return config_value_error(cfg, "store", err, errlen,
					  "expected a postgresql:// URL (without it the store is %s)", h->db_path);
	if ((size_t)snprintf(h->store, sizeof(h->store), "%s", v) >= sizeof(h->store))
		return config_value_error(cfg, "store", err, errlen, "too long");
	return 0;
}

/*
 * also_relays: HOME_ALSO_RELAYS_MAX words at most, each HOST:PORT=SHA256:FP
 * (the helper's --also-relay), checked here so that `bundle` writes no
 * argument the helper would refuse.
 */
static int home_load_also_relays(struct relay_home *h, const struct config *cfg, char *err, size_t errlen)
{
	const char *v = config_get(cfg, "also_relays");
	char copy[sizeof(h->also_relays)], *save = NULL;
	unsigned n = 0;

	if (v == NULL)
		return 0;
	if ((size_t)snprintf(copy, sizeof(copy), "%s", v) >= sizeof(copy))
		return config_value_error(cfg, "also_relays", err, errlen, "too long");
	for (char *w = strtok_r(copy, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strstr(w, "=SHA256:"), host[256];
		unsigned port;

		if (++n > HOME_ALSO_RELAYS_MAX)
			return config_value_error(cfg, "also_relays", err, errlen, "at most %d relays",
						  HOME_ALSO_RELAYS_MAX);
		if (eq == NULL || eq[8] == '\0')
			return config_value_error(cfg, "also_relays", err, errlen, "'%s' is not HOST:PORT=SHA256:...", w);
		*eq = '\0';
		if (config_parse_hostport(w, host, sizeof(host), &port) != 0)
			return config_value_error(cfg, "also_relays", err, errlen, "'%s' is not HOST:PORT", w);
	}
	snprintf(h->also_relays, sizeof(h->also_relays), "%s", v);
	return 0;
}

/* Every setting relay.conf may hold; anything else is a typo, refused with its line. */
static const char *const home_known_keys[] = {
	"listen", "peer_address", "user", "code_ttl", "max_unauthenticated", "login_grace", "max_unauthenticated_per_source",
	"code_backoff_max", "code_failures_per_minute", "intake_per_hour", "escalate_after_l1",
	"escalate_after_l2", "start_tier_p1", "start_tier_p2", "start_tier_p3", "start_tier_p4", "log_sources",
	"priority_impact_high", "priority_impact_medium", "priority_impact_low", "checklist_l1", "checklist_l2",
	"sla_p1", "sla_p2", "sla_p3", "sla_p4", "sla_warning_percent",
	"recording", "record_input", "max_channels_per_connection", "max_channels_per_user", "trusted_user_ca_keys",
	"revoked_keys", "customer_events_per_minute", "intake_events_per_minute", "intake_searches_per_minute",
	"desk_tickets_per_minute",
	"webhook_url", "webhook_events", "webhook_secret", "webhook_secret_file", "webhook_ca_file", "webhook_clearance",
	"webhook_timeout", "webhook_backoff_max", "webhook_inline_max", "store", "also_relays", NULL,
};

/*
 * config_check_keys over the known keys and the named receivers' keys
 * (webhook.NAME.SETTING), which relay_webhook_conf_load checks itself.
 */
static int home_check_keys(const struct config *cfg, char *err, size_t errlen)
{
	const size_t nknown = sizeof(home_known_keys) / sizeof(home_known_keys[0]) - 1;
	const char **known = calloc(nknown + cfg->count + 1, sizeof(*known));
	size_t n = nknown;
	int rc;

	if (known == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(known, home_known_keys, nknown * sizeof(*known));
	for (size_t i = 0; i < cfg->count; i++)
		if (relay_webhook_conf_key(cfg->entries[i].key))
			known[n++] = cfg->entries[i].key;
	rc = config_check_keys(cfg, known, err, errlen);
	free(known);
	return rc;
}

/* A word setting: absent, or one of the NULL-terminated choices (record.c reads its meaning). */
static int home_check_choice(const struct config *cfg, const char *key, const char *const *choices, const char *say,
			     char *err, size_t errlen)
{
	const char *v = config_get(cfg, key);

	if (v == NULL)
		return 0;
	for (size_t i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return 0;
	return config_value_error(cfg, key, err, errlen, "expected %s, got \"%s\"", say, v);
}

int relay_home_is_home(const char *dir)
{
	char conf[PATH_MAX];
	struct stat sb;

	if ((size_t)snprintf(conf, sizeof(conf), "%s/relay.conf", dir) >= sizeof(conf))
		return 0;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return 0;
	/* Someone else's private home: cannot tell, and the error on opening it says why. */
	if (lstat(conf, &sb) != 0)
		return errno == EACCES;
	return S_ISREG(sb.st_mode);
}

int relay_home_open(const char *dir, struct relay_home *h, char *err, size_t errlen)
{
	static const char *const recording_choices[] = { "required", "optional", "off", NULL };
	static const char *const yes_no[] = { "yes", "no", NULL };
	struct config cfg = { 0 };
	struct stat sb;
	const char *listen;
	int rc = -1;

	if (home_paths(dir, h, err, errlen) != 0)
		return -1;
	/* Before any advice on modes: a wrong directory is a wrong directory. */
	if (!relay_home_is_home(dir)) {
		relay_home_not_home(dir, err, errlen);
		return -1;
	}
	if (stat(dir, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "%s is open to other users (mode %03o); run chmod 700 %s", dir,
			 (unsigned)(sb.st_mode & 0777), dir);
		return -1;
	}
	if (config_load(h->conf_path, &cfg, err, errlen) != 0)
		return -1;
	if (home_check_keys(&cfg, err, errlen) != 0 ||
	    home_check_choice(&cfg, "recording", recording_choices, "required, optional or off", err, errlen) != 0 ||
	    home_check_choice(&cfg, "record_input", yes_no, "yes or no", err, errlen) != 0)
		goto out;
	listen = config_get(&cfg, "listen");
	if (listen == NULL) {
		snprintf(err, errlen, "%s: listen = HOST:PORT is missing", h->conf_path);
		goto out;
	}
	if (config_parse_hostport(listen, h->listen_host, sizeof(h->listen_host), &h->listen_port) != 0) {
		config_value_error(&cfg, "listen", err, errlen, "expected HOST:PORT, got \"%s\"", listen);
		goto out;
	}
	{
		const char *peer = config_get(&cfg, "peer_address");

		if (peer != NULL && config_parse_hostport(peer, h->peer_host, sizeof(h->peer_host), &h->peer_port) != 0) {
			config_value_error(&cfg, "peer_address", err, errlen, "expected HOST:PORT, got \"%s\"", peer);
			goto out;
		}
	}
	if (config_get_ulong(&cfg, "code_ttl", CODE_TTL_DEFAULT, 1, 86400, &h->code_ttl, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "max_unauthenticated", 64, 1, 100000, &h->max_unauthenticated, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "login_grace", 30, 1, 3600, &h->login_grace, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "max_unauthenticated_per_source", 8, 1, 100000,
			     &h->max_unauthenticated_per_source, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "code_backoff_max", 300, 1, 86400, &h->code_backoff_max, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "code_failures_per_minute", 120, 1, 1000000, &h->code_failures_per_minute, err,
			     errlen) != 0 ||
	    config_get_ulong(&cfg, "intake_per_hour", 30, 0, 100000, &h->intake_per_hour, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "max_channels_per_connection", 32, 1, 10000, &h->max_channels_per_connection, err,
			     errlen) != 0 ||
	    config_get_ulong(&cfg, "max_channels_per_user", 64, 1, 100000, &h->max_channels_per_user, err, errlen) != 0 ||
	    config_get_ulong(&cfg, "customer_events_per_minute", 120, 1, 100000, &h->customer_events_per_minute, err,
			     errlen) != 0 ||
	    config_get_ulong(&cfg, "intake_events_per_minute", 600, 1, 1000000, &h->intake_events_per_minute, err,
			     errlen) != 0 ||
	    config_get_ulong(&cfg, "intake_searches_per_minute", 10, 0, 10000, &h->intake_searches_per_minute, err,
			     errlen) != 0 ||
	    config_get_ulong(&cfg, "desk_tickets_per_minute", 10, 0, 10000, &h->desk_tickets_per_minute, err,
			     errlen) != 0)
		goto out;
	if (home_load_policy(h, &cfg, err, errlen) != 0)
		goto out;
	{
		const char *user = config_get(&cfg, "user");
		size_t n = user ? strlen(user) : 0;

		if (user != NULL && (n == 0 || n >= sizeof(h->run_user) ||
				     strspn(user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)) {
			config_value_error(&cfg, "user", err, errlen, "expected an account name");
			goto out;
		}
		snprintf(h->run_user, sizeof(h->run_user), "%s", user ? user : "");
	}
	if (home_load_certs(h, &cfg, err, errlen) != 0 || home_load_store(h, &cfg, err, errlen) != 0 ||
	    home_load_also_relays(h, &cfg, err, errlen) != 0 ||
	    relay_webhook_conf_load(&cfg, h->conf_path, &h->webhooks, err, errlen) != 0)
		goto out;
	if (home_read_pepper(h, err, errlen) != 0)
		goto out;
	if (RAND_bytes(h->code_key, sizeof(h->code_key)) != 1) {
		snprintf(err, errlen, "no randomness for the support codes' key");
		goto out;
	}
	rc = 0;
out:
	config_free(&cfg);
	return rc;
}

void relay_home_not_home(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(dir, &sb) != 0)
		snprintf(err, errlen, "%s is not a relay home: %s (create one with handoff-relay init %s)", dir,
			 strerror(errno), dir);
	else
		snprintf(err, errlen, "%s is not a relay home: it has no relay.conf (create one with handoff-relay init "
			 "DIR, or give the directory init made)", dir);
}

int relay_home_share_code_key(struct relay_home *h, uint8_t check[HOME_PEPPER_LEN])
{
	static const char label[] = "handoff support codes 1", check_label[] = "handoff support codes check 1";
	unsigned int len = HOME_PEPPER_LEN;

	if (HMAC(EVP_sha256(), h->pepper, sizeof(h->pepper), (const unsigned char *)label, sizeof(label) - 1,
		 h->code_key, &len) == NULL || len != HOME_PEPPER_LEN)
		return -1;
	len = HOME_PEPPER_LEN;
	if (HMAC(EVP_sha256(), h->code_key, sizeof(h->code_key), (const unsigned char *)check_label,
		 sizeof(check_label) - 1, check, &len) == NULL || len != HOME_PEPPER_LEN)
		return -1;
	return 0;
}

void relay_home_clear(struct relay_home *h)
{
	OPENSSL_cleanse(h->pepper, sizeof(h->pepper));
	OPENSSL_cleanse(h->code_key, sizeof(h->code_key));
	relay_webhook_conf_clear(&h->webhooks);
}
