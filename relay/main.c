/*
 * main.c: handoff-relay's command line.
 *
 *   handoff-relay init DIR [--listen HOST:PORT] [--user NAME]
 *   handoff-relay user add DIR NAME --role tech|auditor|desk [--tier L1|L2|L3] --key FILE.pub
 *   handoff-relay user list DIR [--json] | disable|enable|remove DIR NAME
 *   handoff-relay serve DIR [--verbose]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "chain.h"
#include "event.h"
#include "home.h"
#include "log.h"
#include "priv.h"
#include "audit.h"
#include "relay.h"
#include "seal.h"
#include "sshutil.h"
#include "store.h"
#include "bundle_cmd.h"
#include "version.h"

#include <openssl/crypto.h>

static volatile sig_atomic_t relay_stop_requested;

static void relay_on_signal(int sig)
{
	(void)sig;
	relay_stop_requested = 1;
}

static void relay_usage(FILE *f)
{
	fprintf(f,
		"usage: handoff-relay init DIR [--listen HOST:PORT] [--user NAME]\n"
		"       handoff-relay user add DIR NAME --role tech --tier L1|L2|L3 --key FILE.pub\n"
		"       handoff-relay user add DIR NAME --role auditor|desk --key FILE.pub\n"
		"       handoff-relay user list DIR [--json]\n"
		"       handoff-relay user disable|enable|remove DIR NAME\n"
		"       handoff-relay recording-key DIR FILE.pub\n"
		"       handoff-relay serve DIR [--verbose]\n"
		"       handoff-relay bundle DIR --out FILE [--org NAME] [--relay HOST:PORT]\n"
		"       handoff-relay intake DIR list | revoke ID\n"
		"       handoff-relay webhooks DIR status | retry [RECEIVER]\n"
		"       handoff-relay audit-key DIR retire FILE.pub\n"
		"       handoff-relay --version | --help\n"
		"\n"
		"init   creates a relay home in DIR: an Ed25519 host key, relay.conf, an empty\n"
		"       database. Prints the host key's fingerprint: give it to technicians and\n"
		"       build it into helpers, which refuse any relay that does not show it.\n"
		"       --listen defaults to 127.0.0.1:2222. Also creates the audit key that\n"
		"       signs the audit chain and prints its fingerprint: give auditors\n"
		"       DIR/keys/audit_ed25519.pub to verify exports with. --user (as root)\n"
		"       makes the home for that account and sets user = NAME in relay.conf.\n"
		"user   registers a technician (with a tier), an auditor, or the desk's\n"
		"       ticket system, by public key (a desk may only open tickets and get\n"
		"       their support codes: ticket new --invite).\n"
		"       Adding the same name again adds another key. list shows each\n"
		"       account's name, role, tier, state and key fingerprints (--json: one\n"
		"       object a line). disable stops an account logging in and ends its\n"
		"       live sessions within about a second; enable undoes that. remove is\n"
		"       final: it also deletes the keys and puts the tickets it owned back\n"
		"       in their queue; the name stays with its past events and is not\n"
		"       given again.\n"
		"recording-key  installs the auditors' public recording key (from handoff-tech\n"
		"       keygen): sessions are recorded sealed to it, and the relay cannot read them.\n"
		"       With recording = required (the default) nothing is shared without it.\n"
		"serve  runs the relay until SIGINT or SIGTERM. Logs go to standard error.\n"
		"       Started as root, it binds its port, then runs as user = NAME from\n"
		"       relay.conf or else the owner of DIR; it refuses to run as root, and\n"
		"       refuses a home whose directories are not 0700 or secrets not 0600.\n"
		"bundle writes one executable for customers: the helper with its libraries,\n"
		"       this relay's address, pinned host key and the organisation's name,\n"
		"       and a new intake token that lets customers open L1 tickets without a code.\n"
		"intake lists the bundles' intake tokens (number, organisation, created,\n"
		"       revoked, tickets opened) or revokes one: its bundle then only takes codes.\n"
		"webhooks status: per receiver (webhook_url, webhook.NAME.url in relay.conf)\n"
		"       what was delivered, what is pending and failing, the last error in\n"
		"       words, the oldest pending event's age. retry: every pending event of\n"
		"       RECEIVER (default: all) is tried again within a second, back-off or not.\n"
		"audit-key retire: a relay of the store (its keys/audit_ed25519.pub) leaves the\n"
		"       set of keys that sign the audit chain, by a record: its checkpoints from\n"
		"       then on fail verify and a relay with that key refuses to start.\n"
		"\n"
		"Everything the relay keeps is in DIR: back up that one directory.\n"
		"man handoff-relay has more.\n");
}

/*
 * init --user NAME as root: the directory is made and given to NAME, and
 * the rest is created as NAME, so every file is the relay's own.
 */
static int relay_init_as(const char *dir, const char *user, char *err, size_t errlen)
{
	struct relay_priv p;

	if (relay_priv_lookup(user, &p, err, errlen) != 0)
		return -1;
	if (p.uid == 0) {
		snprintf(err, errlen, "--user %s is root: name an unprivileged account", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (p.uid == geteuid())
			return 0;
		snprintf(err, errlen, "only root can make a home for another account (%s)", user);
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (chown(dir, p.uid, p.gid) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	p.drop = 1;
	return relay_priv_drop(&p, err, errlen);
}

static int relay_cmd_init(int argc, char **argv)
{
	const char *listen = "127.0.0.1:2222", *user = NULL;
	char fp[SSHUTIL_FP_MAX], audit_fp[SSHUTIL_FP_MAX], err[512];

	if (argc < 1)
		goto usage;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else
			goto usage;
	}
	if (user != NULL && relay_init_as(argv[0], user, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay init: %s\n", err);
		return 1;
	}
	if (relay_home_init(argv[0], listen, user, fp, sizeof(fp), audit_fp, sizeof(audit_fp), err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay init: %s\n", err);
		return 1;
	}
	printf("relay home %s created, listening on %s when served\n", argv[0], listen);
	printf("host key fingerprint: %s\n", fp);
	printf("audit key fingerprint: %s (public key: %s/keys/audit_ed25519.pub)\n", audit_fp, argv[0]);
	return 0;
usage:
	relay_usage(stderr);
	return 2;
}

/*
 * A private key given where a public one belongs: refused by name, before
 * anything parses it, and never echoed (the message names the file only).
 */
static int relay_refuse_private_key(const char *path, char *err, size_t errlen)
{
	char head[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), found;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	head[n] = '\0';
	found = strstr(head, "PRIVATE KEY-----") != NULL || strncmp(head, "handoff-x25519-private", 22) == 0;
	OPENSSL_cleanse(head, sizeof(head));
	if (found) {
		snprintf(err, errlen, "%s is a private key; give the .pub file (and keep this one secret)", path);
		return -1;
	}
	return 0;
}

static int relay_user_name_ok(const char *cmd, const char *name)
{
	size_t namelen = strlen(name);

	if (namelen == 0 || namelen >= STORE_NAME_MAX || strspn(name,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != namelen) {
		fprintf(stderr, "handoff-relay user %s: a name is 1-%d letters, digits, '.', '_' or '-'\n", cmd,
			STORE_NAME_MAX - 1);
		return 0;
	}
	return 1;
}

/* As root, becomes the home's owner, then opens the home and its store. 0 or -1 with err. */
static int relay_open_store(const char *dir, struct relay_home *home, struct store **st, char *err, size_t errlen)
{
	memset(home, 0, sizeof(*home));
	if (relay_priv_become_owner(dir, err, errlen) != 0 || relay_home_open(dir, home, err, errlen) != 0 ||
	    store_open(home->store, st, err, errlen) != 0)
		return -1;
	return 0;
}

static int relay_cmd_user_add(int argc, char **argv)
{
	const char *role = NULL, *tier = "", *keyfile = NULL;
	struct relay_home home;
	struct store *st = NULL;
	ssh_key key = NULL;
	char *b64 = NULL;
	char err[512] = "", fp[SSHUTIL_FP_MAX];
	int rc = 1;

	memset(&home, 0, sizeof(home));
	if (argc < 2)
		goto usage;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--tier") == 0 && i + 1 < argc)
			tier = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			keyfile = argv[++i];
		else
			goto usage;
	}
	if (role == NULL || keyfile == NULL)
		goto usage;
	if (strcmp(role, "tech") == 0) {
		if (strcmp(tier, "L1") != 0 && strcmp(tier, "L2") != 0 && strcmp(tier, "L3") != 0) {
			fprintf(stderr, "handoff-relay user add: a technician needs --tier L1, L2 or L3\n");
			return 2;
		}
	} else if (strcmp(role, "auditor") == 0 || strcmp(role, "desk") == 0) {
		tier = "";
	} else {
		fprintf(stderr, "handoff-relay user add: --role is tech, auditor or desk\n");
		return 2;
	}
	if (!relay_user_name_ok("add", argv[1]))
		return 2;
	/* The home first: a wrong directory is the first thing to hear about. */
	if (!relay_home_is_home(argv[0])) {
		relay_home_not_home(argv[0], err, sizeof(err));
		fprintf(stderr, "handoff-relay user add: %s\n", err);
		goto out;
	}
	/* Read as the caller: as root, the key may be in a place the relay's account cannot read. */
	if (relay_refuse_private_key(keyfile, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay user add: %s\n", err);
		goto out;
	}
	if (ssh_pki_import_pubkey_file(keyfile, &key) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		fprintf(stderr, "handoff-relay user add: %s is not an SSH public key\n", keyfile);
		goto out;
	}
	if (relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0 ||
	    store_user_add(st, argv[1], role, tier, ssh_key_type_to_char(ssh_key_type(key)), b64, err,
			   sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay user add: %s\n", err);
		goto out;
	}
	sshutil_fingerprint(key, fp, sizeof(fp));
	printf("%s added as %s%s%s, key %s\n", argv[1], role, tier[0] ? " " : "", tier, fp);
	rc = 0;
out:
	relay_home_clear(&home);
	store_close(st);
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return rc;
usage:
	relay_usage(stderr);
	return 2;
}

/* Text in JSON: names and roles are [A-Za-z0-9._-] and fingerprints base64, but say so in code. */
static void relay_json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int relay_user_print(const struct store_user_key *k, void *ctx)
{
	const int *json = ctx;
	char fp[SSHUTIL_FP_MAX] = "-";
	ssh_key key = NULL;

	if (k->key_type != NULL && k->key_base64 != NULL &&
	    ssh_pki_import_pubkey_base64(k->key_base64, ssh_key_type_from_name(k->key_type), &key) == SSH_OK)
		sshutil_fingerprint(key, fp, sizeof(fp));
	ssh_key_free(key);
	if (*json) {
		printf("{\"name\":");
		relay_json_str(k->user->name);
		printf(",\"role\":");
		relay_json_str(k->user->role);
		printf(",\"tier\":");
		relay_json_str(k->user->tier);
		printf(",\"state\":");
		relay_json_str(k->user->state);
		printf(",\"key\":");
		if (strcmp(fp, "-") == 0)
			printf("null");
		else
			relay_json_str(fp);
		printf(",\"state_since\":%lld}\n", (long long)k->state_at);
	} else {
		printf("%-16s %-8s %-4s %-9s %s\n", k->user->name, k->user->role, k->user->tier[0] ? k->user->tier : "-",
		       k->user->state, fp);
	}
	return 0;
}

static int relay_cmd_user_list(int argc, char **argv)
{
	struct relay_home home;
	struct store *st = NULL;
	char err[PATH_MAX + 256] = "";
	int json = 0, rc = 1;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1) {
		relay_usage(stderr);
		return 2;
	}
	if (relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay user list: %s\n", err);
		goto out;
	}
	if (!json)
		printf("%-16s %-8s %-4s %-9s %s\n", "NAME", "ROLE", "TIER", "STATE", "KEY");
	rc = store_user_list(st, relay_user_print, &json) == STORE_OK ? 0 : 1;
out:
	relay_home_clear(&home);
	store_close(st);
	return rc;
}

/* The tickets a removed account owned and had not finished: back to their tier's queue. */
struct relay_orphans {
	int64_t owner;
	int64_t *ids;
	size_t n, cap;
	int failed;
};

static int relay_orphan_collect(const struct store_ticket *t, void *ctx)
{
	struct relay_orphans *o = ctx;

	if (t->owner_id != o->owner || strcmp(t->state, "resolved") == 0 || strcmp(t->state, "closed") == 0)
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		int64_t *grown = realloc(o->ids, cap * sizeof(*grown));

		if (grown == NULL) {
			o->failed = 1;
			return 1;
		}
		o->ids = grown;
		o->cap = cap;
	}
	o->ids[o->n++] = t->id;
	return 0;
}

/* Inside the caller's transaction: each ticket loses its owner and gets an owner-removed event. */
static int relay_release_tickets(struct store *st, const struct store_user *u, int64_t now, struct relay_orphans *o)
{
	char detail[STORE_NAME_MAX + 64];

	o->owner = u->id;
	if (store_tickets_active_since(st, 0, relay_orphan_collect, o) != STORE_OK || o->failed)
		return -1;
	snprintf(detail, sizeof(detail), "%s was removed; the ticket is back in its queue", u->name);
	for (size_t i = 0; i < o->n; i++)
		if (store_ticket_update(st, o->ids[i], NULL, NULL, 0, now) != STORE_OK ||
		    relay_audit_event(st, o->ids[i], now, EVENT_OWNER_REMOVED, "operator", "relay", NULL, detail) !=
			    STORE_OK)
			return -1;
	return 0;
}

/* user disable|enable|remove DIR NAME: the state each sets and the audit event that records it. */
static const struct {
	const char *cmd, *state, *event;
} relay_user_changes[] = {
	{ "disable", "disabled", EVENT_USER_DISABLED },
	{ "enable", "active", EVENT_USER_ENABLED },
	{ "remove", "removed", EVENT_USER_REMOVED },
};

static int relay_cmd_user_state(const char *cmd, int argc, char **argv)
{
	const char *state = NULL, *event = NULL;
	struct relay_orphans orphans = { 0 };
	struct relay_home home;
	struct store_user u;
	struct store *st = NULL;
	char err[PATH_MAX + 256] = "", detail[STORE_NAME_MAX + 32];
	int64_t now = (int64_t)time(NULL);
	int rc = 1;

	for (size_t i = 0; i < sizeof(relay_user_changes) / sizeof(relay_user_changes[0]); i++)
		if (strcmp(cmd, relay_user_changes[i].cmd) == 0) {
			state = relay_user_changes[i].state;
			event = relay_user_changes[i].event;
		}
	if (state == NULL || argc != 2) {
		relay_usage(stderr);
		return 2;
	}
	if (!relay_user_name_ok(cmd, argv[1]))
		return 2;
	if (relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay user %s: %s\n", cmd, err);
		goto out;
	}
	/*
	 * One transaction: the change, its event in ticket 0 (the relay's own
	 * record) and, for a removal, the tickets going back to their queues
	 * commit together: no account changes without the audit chain saying so.
	 */
	if (store_begin(st) != STORE_OK) {
		fprintf(stderr, "handoff-relay user %s: the database is busy\n", cmd);
		goto out;
	}
	if (store_user_set_state(st, argv[1], state, now, &u, err, sizeof(err)) != STORE_OK) {
		store_rollback(st);
		fprintf(stderr, "handoff-relay user %s: %s\n", cmd, err);
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s (%s%s%s)", u.name, u.role, u.tier[0] ? " " : "", u.tier);
	if (relay_audit_event(st, 0, now, event, "operator", "relay", NULL, detail) != STORE_OK ||
	    (strcmp(state, "removed") == 0 && relay_release_tickets(st, &u, now, &orphans) != 0) ||
	    store_commit(st) != STORE_OK) {
		store_rollback(st);
		fprintf(stderr, "handoff-relay user %s: cannot record the change; %s is unchanged\n", cmd, u.name);
		goto out;
	}
	if (strcmp(state, "active") == 0)
		printf("%s may log in again\n", u.name);
	else
		printf("%s is %s: no new logins; a running relay ends their sessions within about a second\n", u.name,
		       state);
	for (size_t i = 0; i < orphans.n; i++)
		printf("ticket %lld has no owner now: it is back in its queue\n", (long long)orphans.ids[i]);
	rc = 0;
out:
	free(orphans.ids);
	relay_home_clear(&home);
	store_close(st);
	return rc;
}

static int relay_intake_print(const struct store_intake *it, void *ctx)
{
	char created[32] = "-", revoked[32] = "live";
	time_t t = (time_t)it->created_at;
	struct tm tm;

	(void)ctx;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = (time_t)it->revoked_at;
	if (it->revoked_at != 0 && gmtime_r(&t, &tm) != NULL)
		strftime(revoked, sizeof(revoked), "revoked %Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%lld\t%s\t%s\t%lld tickets\t%s\n", (long long)it->id, created, revoked, (long long)it->uses,
	       it->org[0] ? it->org : "-");
	return 0;
}

static int relay_cmd_intake(int argc, char **argv)
{
	struct relay_home home;
	struct store *st = NULL;
	char err[PATH_MAX + 256] = "", *end = NULL;
	long long id = 0;
	int rc = 1, r;

	memset(&home, 0, sizeof(home));
	if (argc == 3 && strcmp(argv[1], "revoke") == 0) {
		id = strtoll(argv[2], &end, 10);
		if (end == argv[2] || *end != '\0' || id <= 0)
			goto usage;
	} else if (!(argc == 2 && strcmp(argv[1], "list") == 0)) {
		goto usage;
	}
	if (relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay intake: %s\n", err);
		goto out;
	}
	if (id == 0) {
		rc = store_intake_list(st, relay_intake_print, NULL) == STORE_OK ? 0 : 1;
		goto out;
	}
	r = store_intake_revoke(st, (int64_t)id, (int64_t)time(NULL));
	if (r == STORE_OK) {
		char detail[64];

		snprintf(detail, sizeof(detail), "intake token %lld", id);
		relay_audit_event(st, 0, (int64_t)time(NULL), EVENT_INTAKE_REVOKED, "operator", "relay", NULL, detail);
		printf("intake token %lld revoked\n", id);
		rc = 0;
	} else {
		fprintf(stderr, "handoff-relay intake: no live intake token %lld\n", id);
	}
out:
	relay_home_clear(&home);
	store_close(st);
	return rc;
usage:
	relay_usage(stderr);
	return 2;
}

static int relay_cmd_audit_key(int argc, char **argv)
{
	struct relay_home home;
	struct store *st = NULL;
	uint8_t pub[STORE_PUB_LEN];
	char err[PATH_MAX + 256] = "";
	int64_t seq = 0;
	int rc = 1, r;

	memset(&home, 0, sizeof(home));
	if (!(argc == 3 && strcmp(argv[1], "retire") == 0))
		goto usage;
	if (chain_pub_load(argv[2], pub, err, sizeof(err)) != 0 ||
	    relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay audit-key: %s\n", err);
		goto out;
	}
	r = relay_audit_key_retire(st, pub, (int64_t)time(NULL), &seq);
	if (r == STORE_OK) {
		char fp[CHAIN_FP_MAX];

		chain_fingerprint(pub, fp, sizeof(fp));
		printf("audit key %s retired at seq %lld\n", fp, (long long)seq);
		rc = 0;
	} else if (r == STORE_NOT_FOUND) {
		fprintf(stderr, "handoff-relay audit-key: %s is not a registered key in service\n", argv[2]);
	} else {
		fprintf(stderr, "handoff-relay audit-key: the store could not record the retirement\n");
	}
out:
	relay_home_clear(&home);
	store_close(st);
	return rc;
usage:
	relay_usage(stderr);
	return 2;
}

static int relay_cmd_webhooks(int argc, char **argv)
{
	struct relay_home home;
	struct store *st = NULL;
	char err[PATH_MAX + 256] = "";
	int64_t count = 0;
	int rc = 1;

	memset(&home, 0, sizeof(home));
	if (!(argc == 2 && strcmp(argv[1], "status") == 0) && !((argc == 2 || argc == 3) && strcmp(argv[1], "retry") == 0))
		goto usage;
	if (relay_open_store(argv[0], &home, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay webhooks: %s\n", err);
		goto out;
	}
	if (strcmp(argv[1], "status") == 0) {
		rc = relay_webhooks_status(st, &home.webhooks, (int64_t)time(NULL), stdout) == 0 ? 0 : 1;
		goto out;
	}
	if (argc == 3) {
		bool known = false;

		for (size_t i = 0; i < home.webhooks.n; i++)
			known = known || strcmp(home.webhooks.r[i].name, argv[2]) == 0;
		if (!known) {
			fprintf(stderr, "handoff-relay webhooks: relay.conf names no receiver %s\n", argv[2]);
			goto out;
		}
	}
	if (relay_webhooks_retry(st, argc == 3 ? argv[2] : NULL, &count) != STORE_OK) {
		fprintf(stderr, "handoff-relay webhooks: the store failed\n");
		goto out;
	}
	printf("%lld pending event(s) to be tried again now\n", (long long)count);
	rc = 0;
out:
	relay_home_clear(&home);
	store_close(st);
	return rc;
usage:
	relay_usage(stderr);
	return 2;
}

static int relay_cmd_recording_key(int argc, char **argv)
{
	uint8_t key[SEAL_KEY_LEN];
	char err[512];

	if (argc != 2) {
		relay_usage(stderr);
		return 2;
	}
	/*
	 * The key file is read as the caller (root's own files, e.g. in /root,
	 * are not the relay account's to read), then written as the home's owner.
	 */
	if (!relay_home_is_home(argv[0])) {
		relay_home_not_home(argv[0], err, sizeof(err));
		fprintf(stderr, "handoff-relay recording-key: %s\n", err);
		return 1;
	}
	if (relay_refuse_private_key(argv[1], err, sizeof(err)) != 0 ||
	    seal_key_load(argv[1], key, false, err, sizeof(err)) != 0 ||
	    relay_priv_become_owner(argv[0], err, sizeof(err)) != 0 ||
	    relay_record_install_key(argv[0], key, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay recording-key: %s\n", err);
		return 1;
	}
	printf("recordings in %s are now sealed to %s; only its private half opens them\n", argv[0], argv[1]);
	return 0;
}

/*
 * The support codes' key for this run (home.h). Alone on its store (SQLite)
 * the relay keeps the key it drew and cancels the codes the last process
 * issued: their key died with it. On a shared store every relay derives the
 * same key from code.key, so codes outlive any one relay; the store's check
 * value refuses a relay whose code.key differs (its codes would be refused
 * elsewhere and its customers' right codes counted as wrong), and the first
 * relay to register it cancels the codes issued before, under process keys.
 */
static int relay_serve_codes(struct relay_home *home, struct store *st)
{
	int dead = 0, added = 0, rc;
	bool cancel = true;

	if (strcmp(store_backend_name(st), "postgresql") == 0) {
		uint8_t check[HOME_PEPPER_LEN];

		if (relay_home_share_code_key(home, check) != 0) {
			fprintf(stderr, "handoff-relay serve: cannot derive the support codes' key\n");
			return -1;
		}
		rc = store_secret_check(st, "codes", check, (int64_t)time(NULL), &added);
		OPENSSL_cleanse(check, sizeof(check));
		if (rc == STORE_ERR_EXISTS) {
			fprintf(stderr,
				"handoff-relay serve: %s/code.key is not the one the other relays of this store use: "
				"copy code.key from a relay already serving it (support codes and intake tokens "
				"must be checked alike on every relay)\n",
				home->dir);
			return -1;
		}
		if (rc != STORE_OK) {
			fprintf(stderr, "handoff-relay serve: cannot check the support codes' key with the store\n");
			return -1;
		}
		cancel = added != 0;
		log_info("support codes: the key shared by the relays of this store%s",
			 added ? " (registered now)" : "");
	}
	if (!cancel)
		return 0;
	/* Their key died with the last relay process (home.h): they can no longer be checked. */
	if (store_code_cancel_all(st, (int64_t)time(NULL), &dead) != 0) {
		fprintf(stderr, "handoff-relay serve: cannot cancel the last run's support codes\n");
		return -1;
	}
	if (dead > 0)
		log_info("%d support code%s from before this start cancelled: issue new ones (invite)", dead,
			 dead == 1 ? "" : "s");
	return 0;
}

static int relay_cmd_serve(int argc, char **argv)
{
	struct relay_home home;
	struct relay_priv priv;
	struct store *st = NULL;
	struct sigaction sa;
	ssh_bind bind = NULL;
	char err[512];
	enum log_level level = LOG_INFO;
	int rc = 1;

	if (argc < 1)
		goto usage;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0)
			level = LOG_DEBUG;
		else
			goto usage;
	}
	log_setup("handoff-relay", level);
	/* The port is bound as whoever started us; everything else happens as the relay's own account. */
	if (relay_home_open(argv[0], &home, err, sizeof(err)) != 0 ||
	    relay_priv_target(&home, &priv, err, sizeof(err)) != 0 ||
	    relay_priv_check_home(&home, &priv, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay serve: %s\n", err);
		goto out;
	}
	bind = relay_server_listen(&home);
	if (bind == NULL)
		goto out;
	if (relay_priv_drop(&priv, err, sizeof(err)) != 0 || store_open(home.store, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay serve: %s\n", err);
		goto out;
	}
	if (priv.drop)
		log_info("bound %s:%u as root, now running as %s (uid %u)", home.listen_host, home.listen_port,
			 priv.name, (unsigned)priv.uid);
	/* Which backend, never the URL: it may hold a password. */
	log_info("store: %s", store_backend_name(st));
	if (relay_serve_codes(&home, st) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = relay_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = relay_server_run(&home, st, bind, &relay_stop_requested) == 0 ? 0 : 1;
	bind = NULL;
out:
	if (bind != NULL)
		ssh_bind_free(bind);
	store_close(st);
	relay_home_clear(&home);
	return rc;
usage:
	relay_usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	int rc;

	/* Everything the relay writes is private to its operator. */
	umask(077);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		relay_usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("handoff-relay %s\n", HANDOFF_VERSION);
		return 0;
	}
	ssh_init();
	if (argc >= 3 && strcmp(argv[1], "init") == 0)
		rc = relay_cmd_init(argc - 2, argv + 2);
	else if (argc >= 4 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "add") == 0)
		rc = relay_cmd_user_add(argc - 3, argv + 3);
	else if (argc >= 4 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "list") == 0)
		rc = relay_cmd_user_list(argc - 3, argv + 3);
	else if (argc >= 4 && strcmp(argv[1], "user") == 0 &&
		 (strcmp(argv[2], "disable") == 0 || strcmp(argv[2], "enable") == 0 || strcmp(argv[2], "remove") == 0))
		rc = relay_cmd_user_state(argv[2], argc - 3, argv + 3);
	else if (argc >= 3 && strcmp(argv[1], "recording-key") == 0)
		rc = relay_cmd_recording_key(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "intake") == 0)
		rc = relay_cmd_intake(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "webhooks") == 0)
		rc = relay_cmd_webhooks(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "audit-key") == 0)
		rc = relay_cmd_audit_key(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "bundle") == 0)
		rc = relay_cmd_bundle(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		rc = relay_cmd_serve(argc - 2, argv + 2);
	else {
		relay_usage(stderr);
		rc = 2;
	}
	ssh_finalize();
	return rc;
}
