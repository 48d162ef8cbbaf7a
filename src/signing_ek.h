/* The restricted signing key derived from the endorsement seed, and its checks. */
#ifndef SIGNING_EK_H
#define SIGNING_EK_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "tpm.h"

struct signing_ek {
	ESYS_TR handle;
	TPM2B_PUBLIC *pub;
	TPM2B_NAME name;    /* computed from pub by us */
	TPM2B_NAME qname;   /* endorsement handle || name */
	EVP_PKEY *key;
	bool persistent;    /* found at a persistent handle: never flushed */
};

/* Not derived yet: what signing_ek_release may be given. */
#define SIGNING_EK_NONE { .handle = ESYS_TR_NONE }

/* One CreatePrimary, authorized by `auth` (see primary_create). */
int signing_ek_derive(struct tpm *tpm, ESYS_TR auth, struct signing_ek *ek,
		      struct failure *f);

/* STATUS_VERIFY unless the derived key has the enrolled name. */
int signing_ek_check(const struct signing_ek *ek, const TPM2B_NAME *enrolled,
		     struct failure *f);

/*
 * The signing EK persisted at `handle` (one ReadPublic), when it is there
 * and has the enrolled name, computed from the public area it reports:
 * *found set, ek filled, nothing loaded. Nothing there: *found false, and
 * the caller derives the key. Another object there is a verification
 * failure: enrollment put the enrolled key at that handle, and only the
 * owner can replace it, so another name is a changed TPM or an interposer's
 * answer, either of which a boot should not pass over silently. The
 * Certify that follows proves the key is really there and in the
 * endorsement hierarchy (its qualified name is checked).
 */
int signing_ek_load(struct tpm *tpm, TPM2_HANDLE handle, const TPM2B_NAME *enrolled,
		    struct signing_ek *ek, bool *found, struct failure *f);

/*
 * Make the derived signing EK persistent at `handle` (EvictControl,
 * authorized by owner_auth: ESYS_TR_PASSWORD or a session). A handle that
 * already holds this key is left as it is; one that holds another object
 * is an error that names it.
 */
int signing_ek_persist(struct tpm *tpm, const struct signing_ek *ek, TPM2_HANDLE handle,
		       ESYS_TR owner_auth, struct failure *f);

/* Unload: flush a derived key, forget a persistent one; no command for the latter. */
void signing_ek_unload(struct tpm *tpm, struct signing_ek *ek);

/* Unload and free; safe on a SIGNING_EK_NONE or partly derived struct. */
void signing_ek_release(struct tpm *tpm, struct signing_ek *ek);

#endif
