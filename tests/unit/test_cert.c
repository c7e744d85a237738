/*
 * cert.c against certificates ssh-keygen made (the .pub files in tests/unit/cert, the
 * raw blobs also the fuzz corpus): each CA algorithm verifies, every
 * refusal says why, a flipped byte anywhere breaks the signature, and the
 * revocation list's four kinds of line each revoke; a FIDO key's
 * certificate parses and verifies. The CA keys' private
 * halves were thrown away after signing: nothing here can make a new one.
 * Certificates are valid from 2020-01-01 to 2040-01-01 (UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cert.h"

#define DIR "tests/unit/cert/"
#define NOW 1800000000LL  /* 2027-01-15 */

/* The blob of the second field of an OpenSSH .pub line; the caller frees it. */
static uint8_t *load_pub(const char *name, size_t *len)
{
	char path[256], line[8192], *sp, *end;
	FILE *f;
	uint8_t *out;
	int n;

	snprintf(path, sizeof(path), DIR "%s.pub", name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	sp = strchr(line, ' ');
	assert_non_null(sp);
	end = strchr(sp + 1, ' ');
	assert_non_null(end);
	*end = '\0';
	out = malloc(strlen(sp + 1));
	assert_non_null(out);
	n = EVP_DecodeBlock(out, (unsigned char *)sp + 1, (int)strlen(sp + 1));
	assert_true(n > 0);
	while (end[-1] == '=') {
		n--;
		end--;
	}
	*len = (size_t)n;
	return out;
}

static void load_cas(struct cert_cas *cas)
{
	char err[512];
	FILE *f = fopen("/tmp/test_cert.cas", "w");
	const char *names[] = { "ca_ed25519", "ca_rsa", "ca_ecdsa", "ca_sk" };

	assert_non_null(f);
	fputs("# the organisation's CAs\n\n", f);
	for (size_t i = 0; i < 4; i++) {
		char path[256], line[4096];
		FILE *p;

		snprintf(path, sizeof(path), DIR "%s.pub", names[i]);
		p = fopen(path, "r");
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		fclose(p);
		fputs(line, f);
	}
	fclose(f);
	memset(cas, 0, sizeof(*cas));
	assert_int_equal(cert_cas_load("/tmp/test_cert.cas", cas, err, sizeof(err)), 0);
	assert_int_equal(cas->n, 4);
	unlink("/tmp/test_cert.cas");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* cert_check's verdict on certificate name at now, with rev; why into why. */
static int check(const char *name, int64_t now, const struct cert_revoked *rev, char *why, size_t whylen)
{
	struct cert_cas cas;
	struct cert c;
	size_t len;
	uint8_t *blob = load_pub(name, &len);
	int rc;

	load_cas(&cas);
	assert_int_equal(cert_parse(blob, len, &c), CERT_OK);
	why[0] = '\0';
	rc = cert_check(&c, &cas, rev, now, why, whylen);
	free(blob);
	cert_cas_free(&cas);
	return rc;
}

static void test_parse_fields(void **state)
{
	struct cert c;
	size_t len;
	uint8_t *blob = load_pub("ed25519", &len);
	char p[64], id[64];

	(void)state;
	assert_int_equal(cert_parse(blob, len, &c), CERT_OK);
	assert_string_equal(c.type, "ssh-ed25519-cert-v01@openssh.com");
	assert_string_equal(c.plain_type, "ssh-ed25519");
	assert_int_equal(c.serial, 7);
	assert_int_equal(c.cert_type, CERT_TYPE_USER);
	assert_int_equal(c.nprincipals, 2);
	assert_int_equal(cert_principal(&c, 0, p, sizeof(p)), 0);
	assert_string_equal(p, "alice");
	assert_int_equal(cert_principal(&c, 1, p, sizeof(p)), 0);
	assert_string_equal(p, "root");
	assert_int_equal(cert_principal(&c, 2, p, sizeof(p)), -1);
	cert_key_id_text(&c, id, sizeof(id));
	assert_string_equal(id, "alice@sso");
	assert_int_equal(c.valid_after, 1577836800);
	assert_int_equal(c.valid_before, 2208988800);
	free(blob);
}

static void test_valid_each_algorithm(void **state)
{
	const char *names[] = { "ed25519", "rsa256", "rsa512", "ecdsa", "bobcert" };
	char why[256];

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		int rc = check(names[i], NOW, NULL, why, sizeof(why));

		if (rc != 0)
			fail_msg("%s: %s", names[i], why);
	}
}

/*
 * A FIDO key's certificate (sk-ssh-ed25519, made from a synthetic public
 * key: ssh-keygen makes the key itself only with a token): parsed, its
 * plain type and fields are the sk key's, and revoking that key revokes it.
 */
static void test_fido(void **state)
{
	struct cert_revoked rev = { 0 };
	char why[256], err[512], line[4096], text[8192];
	struct cert c;
	size_t len;
	uint8_t *blob = load_pub("fidocert", &len);
	FILE *f;

	(void)state;
	assert_int_equal(cert_parse(blob, len, &c), CERT_OK);
	assert_string_equal(c.type, "sk-ssh-ed25519-cert-v01@openssh.com");
	assert_string_equal(c.plain_type, "sk-ssh-ed25519@openssh.com");
	assert_int_equal(c.key_fields_len, 4 + 32 + 4 + 4);
	free(blob);
	assert_int_equal(check("fidocert", NOW, NULL, why, sizeof(why)), 0);
	f = fopen(DIR "fido.pub", "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	snprintf(text, sizeof(text), "key: %s", line);
	write_file("/tmp/test_cert.rev", text);
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("fidocert", NOW, &rev, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "certified key is revoked"));
	cert_revoked_free(&rev);
	unlink("/tmp/test_cert.rev");
}

static void test_refusals(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(check("ed25519", 2208988800LL, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(check("ed25519", 1577836799LL, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not valid yet"));
	assert_int_equal(check("other", NOW, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not in trusted_user_ca_keys"));
	assert_int_equal(check("host", NOW, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "host certificate"));
	assert_int_equal(check("force", NOW, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "force-command"));
	assert_int_equal(check("noprinc", NOW, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no principal"));
}

/* A changed byte anywhere the CA signed must fail (or no longer parse): nothing signed is ignored. */
static void test_tampered(void **state)
{
	const char *names[] = { "ed25519", "rsa256", "ecdsa" };
	struct cert_cas cas;

	(void)state;
	load_cas(&cas);
	for (size_t k = 0; k < 3; k++) {
		size_t len;
		uint8_t *blob = load_pub(names[k], &len);
		struct cert c;

		assert_int_equal(cert_parse(blob, len, &c), CERT_OK);
		for (size_t i = 0; i < c.signed_len; i++) {
			char why[256];
			struct cert t;

			blob[i] ^= 0x01;
			if (cert_parse(blob, len, &t) == CERT_OK && cert_check(&t, &cas, NULL, NOW, why, sizeof(why)) == 0)
				fail_msg("%s: byte %zu changed and still accepted", names[k], i);
			blob[i] ^= 0x01;
		}
		free(blob);
	}
	cert_cas_free(&cas);
}

static void test_truncated(void **state)
{
	size_t len;
	uint8_t *blob = load_pub("rsa256", &len);
	struct cert c;

	(void)state;
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(cert_parse(blob, n, &c), CERT_OK);
	free(blob);
}

static void test_revocation(void **state)
{
	struct cert_revoked rev = { 0 };
	char err[512], why[256], line[4096], text[8192];
	FILE *f;

	(void)state;
	write_file("/tmp/test_cert.rev", "# nothing yet\n\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("ed25519", NOW, &rev, why, sizeof(why)), 0);

	write_file("/tmp/test_cert.rev", "serial: 1-6\nserial: 8\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("ed25519", NOW, &rev, why, sizeof(why)), 0);
	assert_int_equal(check("rsa256", NOW, &rev, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "serial 8 is revoked"));

	write_file("/tmp/test_cert.rev", "id: alice@sso\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("ed25519", NOW, &rev, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "key id"));

	/* The certified key itself, whichever CA signed it. */
	f = fopen(DIR "alice.pub", "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	snprintf(text, sizeof(text), "key: %s", line);
	write_file("/tmp/test_cert.rev", text);
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("ecdsa", NOW, &rev, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "certified key is revoked"));
	assert_int_equal(check("bobcert", NOW, &rev, why, sizeof(why)), 0);

	/* A whole CA, by fingerprint (ssh-keygen -l). */
	write_file("/tmp/test_cert.rev", "sha256: SHA256:WEybJVIQqAc+Fww4eBA7qlt0t4VNsxgXmaDt281FUBc\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), 0);
	assert_int_equal(check("bobcert", NOW, &rev, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "is revoked"));
	assert_int_equal(check("rsa256", NOW, &rev, why, sizeof(why)), 0);

	write_file("/tmp/test_cert.rev", "serial: 3\nserials: 4\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2"));
	write_file("/tmp/test_cert.rev", "SSHKRL\n");
	assert_int_equal(cert_revoked_load("/tmp/test_cert.rev", &rev, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "binary KRL"));
	cert_revoked_free(&rev);
	unlink("/tmp/test_cert.rev");
}

static void test_ca_file_errors(void **state)
{
	struct cert_cas cas = { 0 };
	char err[512];

	(void)state;
	write_file("/tmp/test_cert.cas", "# comment\n\n");
	assert_int_equal(cert_cas_load("/tmp/test_cert.cas", &cas, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no CA key"));
	write_file("/tmp/test_cert.cas", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKfbN1ni0t3jGA2GbMyYxJmFw6zYtcs8bqCfXuBiIEth x\n");
	assert_int_equal(cert_cas_load("/tmp/test_cert.cas", &cas, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(cert_cas_load("/nonexistent/cas", &cas, err, sizeof(err)), -1);
	unlink("/tmp/test_cert.cas");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_valid_each_algorithm),
		cmocka_unit_test(test_fido),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_ca_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
