#ifndef ATTEST_H
#define ATTEST_H

#include <openssl/evp.h>

#include "ek_templates.h"
#include "signing_ek.h"

/*
 * Prove that the signing EK lives in the TPM that owns the EK whose public key
 * is `cert_key`: find the EK template that reproduces that key, make a
 * credential for the signing EK's name locally and have the TPM activate it.
 * `only`, when set, is the one template to try (the certificate's NV index
 * names it) and `custom` a TPM-stored template that replaces it. On success
 * *used names the template.
 */
int attest_signing_ek(struct tpm *tpm, const struct signing_ek *sek,
		      EVP_PKEY *cert_key, const struct ek_template *only,
		      const TPM2B_PUBLIC *custom, const struct ek_template **used,
		      struct failure *f);

#endif
