/* Public keys between TPM and libcrypto form, and their PEM export. */
#ifndef PUBKEY_H
#define PUBKEY_H

#include <stddef.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/*
 * libcrypto's group name for a TPM curve (as EVP_PKEY reports it), and the
 * coordinate size in bytes when field is not NULL; NULL if unsupported.
 */
const char *pubkey_curve(TPMI_ECC_CURVE curve, size_t *field);

/* An EVP_PKEY for an ECC (P-256/384/521) or RSA TPM public area. */
int pubkey_from_tpm(const TPMT_PUBLIC *pub, EVP_PKEY **key, struct failure *f);

/* SubjectPublicKeyInfo PEM in a fresh NUL-terminated buffer. */
int pubkey_to_pem(EVP_PKEY *key, char **pem, size_t *len, struct failure *f);

/* The PEM of a TPM public area, as pubkey_to_pem gives it. */
int pubkey_pem(const TPMT_PUBLIC *pub, char **pem, size_t *len, struct failure *f);

#endif
