#ifndef PRIMARY_H
#define PRIMARY_H

#include <stdbool.h>

#include "tpm.h"

/* Equal in everything the template fixes: all of TPMT_PUBLIC but the unique field. */
bool primary_fits_template(const TPMT_PUBLIC *pub, const TPMT_PUBLIC *tmpl);

/*
 * CreatePrimary under `hierarchy` (an ESYS_TR_RH_* handle), authorized by
 * `auth`: ESYS_TR_PASSWORD for an empty password, else a session from
 * auth_session_start(). On success *handle is a loaded transient object the
 * caller flushes with tpm_flush, and *pub the public area the TPM returned
 * (free with Esys_Free). A full TPM without a resource manager is swept of
 * stale handles and asked once more (tpm_sweep_for_retry).
 */
int primary_create(struct tpm *tpm, ESYS_TR hierarchy, ESYS_TR auth,
		   const TPM2B_PUBLIC *tmpl,
		   ESYS_TR *handle, TPM2B_PUBLIC **pub, struct failure *f);

#endif
