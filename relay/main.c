/*
 * main.c: handoff-relay's command line.
 *
 *   handoff-relay init DIR [--listen HOST:PORT] [--user NAME]
 *   handoff-relay user add DIR NAME --role tech|auditor [--tier L1|L2|L3] --key FILE.pub
 *   handoff-relay serve DIR [--verbose]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "home.h"
#include "log.h"
#include "priv.h"
#include "relay.h"
#include "sshutil.h"
#include "store.h"
#include "bundle_cmd.h"

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
		"       handoff-relay user add DIR NAME --role auditor --key FILE.pub\n"
		"       handoff-relay recording-key DIR FILE.pub\n"
		"       handoff-relay serve DIR [--verbose]\n"
		"       handoff-relay bundle DIR --out FILE [--org NAME] [--relay HOST:PORT]\n"
		"       handoff-relay intake DIR list | revoke ID\n"
		"\n"
		"init   creates a relay home in DIR: an Ed25519 host key, relay.conf, an empty\n"
		"       database. Prints the host key's fingerprint: give it to technicians and\n"
		"       build it into helpers, which refuse any relay that does not show it.\n"
		"       --listen defaults to 127.0.0.1:2222. Also creates the audit key that\n"
		"       signs the audit chain and prints its fingerprint: give auditors\n"
		"       DIR/keys/audit_ed25519.pub to verify exports with. --user (as root)\n"
		"       makes the home for that account and sets user = NAME in relay.conf.\n"
		"user   registers a technician (with a tier) or an auditor by public key.\n"
		"       Adding the same name again adds another key.\n"
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
		"\n"
		"Everything the relay keeps is in DIR: back up that one directory.\n");
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

static int relay_cmd_user_add(int argc, char **argv)
{
	const char *role = NULL, *tier = "", *keyfile = NULL;
	struct relay_home home;
	struct store *st = NULL;
	ssh_key key = NULL;
	char *b64 = NULL;
	char err[512] = "", fp[SSHUTIL_FP_MAX];
	int rc = 1;

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
	} else if (strcmp(role, "auditor") == 0) {
		tier = "";
	} else {
		fprintf(stderr, "handoff-relay user add: --role is tech or auditor\n");
		return 2;
	}
	size_t namelen = strlen(argv[1]);
	if (namelen == 0 || namelen >= STORE_NAME_MAX || strspn(argv[1],
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != namelen) {
		fprintf(stderr, "handoff-relay user add: a name is 1-%d letters, digits, '.', '_' or '-'\n",
			STORE_NAME_MAX - 1);
		return 2;
	}
	if (ssh_pki_import_pubkey_file(keyfile, &key) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		fprintf(stderr, "handoff-relay user add: %s is not an SSH public key\n", keyfile);
		goto out;
	}
	if (relay_priv_become_owner(argv[0], err, sizeof(err)) != 0 ||
	    relay_home_open(argv[0], &home, err, sizeof(err)) != 0 ||
	    store_open(home.db_path, &st, err, sizeof(err)) != 0 ||
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
	if (relay_priv_become_owner(argv[0], err, sizeof(err)) != 0 ||
	    relay_home_open(argv[0], &home, err, sizeof(err)) != 0 ||
	    store_open(home.db_path, &st, err, sizeof(err)) != 0) {
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
		store_event_add(st, 0, (int64_t)time(NULL), "intake-revoked", "operator", "relay", NULL, detail);
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

static int relay_cmd_recording_key(int argc, char **argv)
{
	char err[512];

	if (argc != 2) {
		relay_usage(stderr);
		return 2;
	}
	if (relay_priv_become_owner(argv[0], err, sizeof(err)) != 0 ||
	    relay_record_install_key(argv[0], argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay recording-key: %s\n", err);
		return 1;
	}
	printf("recordings in %s are now sealed to %s; only its private half opens them\n", argv[0], argv[1]);
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
	if (relay_priv_drop(&priv, err, sizeof(err)) != 0 || store_open(home.db_path, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay serve: %s\n", err);
		goto out;
	}
	if (priv.drop)
		log_info("bound %s:%u as root, now running as %s (uid %u)", home.listen_host, home.listen_port,
			 priv.name, (unsigned)priv.uid);
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
	ssh_init();
	if (argc >= 3 && strcmp(argv[1], "init") == 0)
		rc = relay_cmd_init(argc - 2, argv + 2);
	else if (argc >= 4 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "add") == 0)
		rc = relay_cmd_user_add(argc - 3, argv + 3);
	else if (argc >= 3 && strcmp(argv[1], "recording-key") == 0)
		rc = relay_cmd_recording_key(argc - 2, argv + 2);
	else if (argc >= 3 && strcmp(argv[1], "intake") == 0)
		rc = relay_cmd_intake(argc - 2, argv + 2);
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
