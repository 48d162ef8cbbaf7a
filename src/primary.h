#ifndef PRIMARY_H
#define PRIMARY_H

#include "tpm.h"

/*
 * CreatePrimary under `hierarchy` (an ESYS_TR_RH_* handle), authorized by
 * `auth`: ESYS_TR_PASSWORD for an empty password, else a session from
 * auth_session_start(). On success *handle is a loaded transient object the caller flushes
 * and *pub the public area the TPM returned (free with Esys_Free).
 */
int primary_create(struct tpm *tpm, ESYS_TR hierarchy, ESYS_TR auth,
		   const TPM2B_PUBLIC *tmpl,
		   ESYS_TR *handle, TPM2B_PUBLIC **pub, struct failure *f);

/* Flush a transient object or session if set, and clear the handle. */
void primary_flush(struct tpm *tpm, ESYS_TR *handle);

#endif
