/*
 * The session that authorizes with the endorsement password without sending
 * it: an HMAC session salted to a key loaded in the TPM, so that its key
 * holds a secret only that TPM can decrypt. Unbound, so that ESYS keeps no
 * bound-entity copy of the password (see the man page on what remains).
 */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H

#include "tpm.h"

/*
 * Start an HMAC session salted to `salt_key` (a loaded decryption key),
 * unbound, with continueSession set. The caller flushes *session with
 * tpm_flush. A full TPM is swept and asked once more (tpm_sweep_for_retry).
 */
int auth_session_start(struct tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
		       struct failure *f);

#endif
