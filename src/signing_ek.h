/* The restricted signing key derived from the endorsement seed, and its checks. */
#ifndef SIGNING_EK_H
#define SIGNING_EK_H

#include <openssl/evp.h>

#include "tpm.h"

struct signing_ek {
	ESYS_TR handle;
	TPM2B_PUBLIC *pub;
	TPM2B_NAME name;    /* computed from pub by us */
	TPM2B_NAME qname;   /* endorsement handle || name */
	EVP_PKEY *key;
};

/* One CreatePrimary, authorized by `auth` (see primary_create). */
int signing_ek_derive(struct tpm *tpm, ESYS_TR auth, struct signing_ek *ek,
		      struct failure *f);

/* STATUS_VERIFY unless the derived key has the enrolled name. */
int signing_ek_check(const struct signing_ek *ek, const TPM2B_NAME *enrolled,
		     struct failure *f);

/* Flush and free; safe on a zeroed or partly derived struct. */
void signing_ek_release(struct tpm *tpm, struct signing_ek *ek);

#endif
