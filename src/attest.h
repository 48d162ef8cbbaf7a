#ifndef ATTEST_H
#define ATTEST_H

#include <openssl/evp.h>

#include "ek_templates.h"
#include "signing_ek.h"

/* The TPM's EK, loaded, and how it was found. */
struct found_ek {
	ESYS_TR handle;
	TPM2B_PUBLIC tmpl;              /* the template that reproduced it */
	const struct ek_template *used; /* its profile entry */
};

/*
 * Load the EK whose public key is `cert_key`: try each EK template that can
 * reproduce that key (`only`, when set, is the one to try, the certificate's
 * NV index names it; `custom` a TPM-stored template that replaces it) with
 * CreatePrimary authorized by `auth` (see primary_create), and keep the one
 * whose whole key matches. A matching EK can be trusted to salt sessions:
 * only the TPM that owns the certified key can decrypt to it.
 */
int attest_find_ek(struct tpm *tpm, ESYS_TR auth, EVP_PKEY *cert_key,
		   const struct ek_template *only, const TPM2B_PUBLIC *custom,
		   struct found_ek *ek, struct failure *f);

/*
 * Prove that the signing EK lives in the same TPM as `ek`: make a credential
 * for the signing EK's name locally and have the TPM activate it, the EK's
 * policy satisfied with PolicySecret authorized by `auth`.
 */
int attest_activate(struct tpm *tpm, ESYS_TR auth, const struct signing_ek *sek,
		    EVP_PKEY *cert_key, const struct found_ek *ek, struct failure *f);

/* Flush the EK if loaded. */
void attest_release_ek(struct tpm *tpm, struct found_ek *ek);

#endif
