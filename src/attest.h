#ifndef ATTEST_H
#define ATTEST_H

#include <openssl/evp.h>

#include "ek_templates.h"
#include "signing_ek.h"

/*
 * Prove that the signing EK lives in the TPM that owns the EK whose public key
 * is `cert_key`: find the EK template that reproduces that key, make a
 * credential for the signing EK's name locally and have the TPM activate it.
 * On success *used names the template.
 */
int attest_signing_ek(struct tpm *tpm, const struct signing_ek *sek,
		      EVP_PKEY *cert_key, const struct ek_template **used,
		      struct failure *f);

#endif
