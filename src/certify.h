#ifndef CERTIFY_H
#define CERTIFY_H

#include <stdbool.h>

#include "hierarchy.h"
#include "signing_ek.h"

struct certified {
	TPM2B_PUBLIC pub;       /* the storage primary's public area */
	TPM2B_NAME name;        /* its name, computed by us */
	TPMS_CLOCK_INFO clock;  /* TPM clock from the verified attestation */
};

/*
 * Have the signing EK certify the loaded `key` (public area `pub`, a primary
 * of `h`) with a fresh nonce and verify the result completely: the
 * certified qualified name places the key directly under h. Checked against
 * `expected` first when given. One Certify.
 */
int certify_primary(struct tpm *tpm, const struct signing_ek *ek,
		    const struct hierarchy *h, ESYS_TR key, const TPM2B_PUBLIC *pub,
		    const TPM2B_NAME *expected, struct certified *out,
		    struct failure *f);

/*
 * Derive the storage primary of `h` (its CreatePrimary authorized by `auth`,
 * see primary_create), check it against `expected` when given
 * (the kernel's null_name), have the signing EK certify it with a fresh
 * nonce and verify the result completely. Costs CreatePrimary, Certify and
 * FlushContext; the primary is flushed on every path.
 */
int certify_hierarchy(struct tpm *tpm, const struct signing_ek *ek,
		      const struct hierarchy *h, ESYS_TR auth,
		      const TPM2B_NAME *expected,
		      struct certified *out, struct failure *f);

/*
 * The owner SRK that is actually used: the persistent one at 0x81000001 when
 * there is one (*persistent set; ReadPublic and Certify, no CreatePrimary),
 * else a twin made from the storage template, as certify_hierarchy does.
 */
int certify_owner_srk(struct tpm *tpm, const struct signing_ek *ek,
		      const TPM2B_NAME *expected, struct certified *out,
		      bool *persistent, struct failure *f);

#endif
