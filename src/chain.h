/* Verifying an EK certificate up to the TPM manufacturer's root. */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "failure.h"

/*
 * Load every certificate under `path`: a file, or a folder of files, each a
 * PEM bundle or DER certificates (trailing 0xff/0x00 padding allowed), in any
 * mix. Self-signed ones become trust anchors, the rest intermediates. In a
 * folder, files that hold no certificate are skipped, except that one named
 * *.pem, *.crt, *.cer or *.der must hold one unless it is well-formed PEM of
 * something else (a key); a damaged certificate is always STATUS_USAGE.
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
