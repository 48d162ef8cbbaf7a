/*
 * Sessions that authorize with the endorsement password without sending it:
 * an HMAC session bound to the endorsement hierarchy, salted to a key the
 * TPM is known to hold when there is one.
 */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H

#include "tpm.h"

/*
 * Start an HMAC session bound to ESYS_TR_RH_ENDORSEMENT (whose auth must be
 * set) and salted to `salt_key` unless that is ESYS_TR_NONE. The caller
 * flushes *session.
 */
int auth_session_start(struct tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
		       struct failure *f);

#endif
