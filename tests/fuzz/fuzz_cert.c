/*
 * fuzz_cert.c: libFuzzer target for cert_parse and the signature check
 * behind it (relay/cert.c), which read a certificate a client offers
 * before it has authenticated.
 *
 * When cert_parse accepts the input: every view lies inside it, the
 * signed part ends before the signature, every principal it counted can be
 * read back, the key id prints without control bytes, and cert_check runs
 * with the certificate's own signature key trusted, so the CA-key and
 * signature decoders (Ed25519, RSA, ECDSA) see the fuzzer's bytes too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return n == 0 || (p >= data && p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert c;
	struct cert_cas cas = { 0 };
	char name[CERT_PRINCIPAL_MAX + 1], id[CERT_KEY_ID_MAX + 1], why[512];

	if (cert_parse(data, size, &c) != CERT_OK)
		return 0;
	if (!inside(c.key_id, c.key_id_len, data, size) || !inside(c.principals, c.principals_len, data, size) ||
	    !inside(c.critical, c.critical_len, data, size) || !inside(c.ca_key, c.ca_key_len, data, size) ||
	    !inside(c.signature, c.signature_len, data, size) || c.signed_len > size ||
	    c.signature < data + c.signed_len)
		abort();
	for (size_t i = 0; i < c.nprincipals; i++)
		if (cert_principal(&c, i, name, sizeof(name)) != 0)
			abort();
	if (cert_principal(&c, c.nprincipals, name, sizeof(name)) == 0)
		abort();
	cert_key_id_text(&c, id, sizeof(id));
	for (size_t i = 0; id[i] != '\0'; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			abort();
	cas.blob[0] = malloc(c.ca_key_len + 1);
	if (cas.blob[0] == NULL)
		return 0;
	memcpy(cas.blob[0], c.ca_key, c.ca_key_len);
	cas.len[0] = c.ca_key_len;
	cas.n = 1;
	(void)cert_check(&c, &cas, NULL, 1800000000, why, sizeof(why));
	cert_cas_free(&cas);
	return 0;
}
