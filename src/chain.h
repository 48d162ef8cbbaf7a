/* Verifying an EK certificate up to the TPM manufacturer's root. */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "failure.h"

/*
 * Load every certificate under `path` (a PEM/DER file or bundle, or a folder
 * of them): self-signed ones become trust anchors, the rest intermediates.
 */
int chain_load_ca(const char *path, X509_STORE **store, STACK_OF(X509) **untrusted,
		  struct failure *f);

/*
 * Verify `leaf` to a root in `store`, using `untrusted` intermediates. On
 * success `root` names the trust anchor's subject. STATUS_VERIFY names the
 * failing certificate otherwise.
 */
int chain_verify(X509 *leaf, X509_STORE *store, STACK_OF(X509) *untrusted,
		 char *root, size_t root_len, struct failure *f);

#endif
