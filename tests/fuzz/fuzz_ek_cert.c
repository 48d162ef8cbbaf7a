/*
 * ek_cert_parse on arbitrary bytes, PEM or DER. On success the certificate
 * must be usable the way mode_attest uses it: public key extracted and freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "ek_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failure f = { 0 };
	X509 *cert = NULL;
	int ret;

	ret = ek_cert_parse(data, size, &cert, &f);
	if (ret == STATUS_OK) {
		EVP_PKEY *key;

		if (!cert)
			abort();
		key = X509_get_pubkey(cert);
		EVP_PKEY_free(key);
		X509_free(cert);
	} else if (ret != STATUS_USAGE || cert || !f.text[0]) {
		abort();
	}
	return 0;
}
