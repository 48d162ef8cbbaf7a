/*
 * TPM2_MakeCredential done in libcrypto, so enrollment needs no TPM call
 * for it and the challenge never passes the bus in clear.
 */
#ifndef CREDENTIAL_H
#define CREDENTIAL_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/*
 * Wrap `secret` for `object_name` to the EK whose public key is `ek_key` and
 * whose template (nameAlg, symmetric key size) is `ek_tmpl`: the result only
 * a TPM holding both the EK and the named object can ActivateCredential.
 */
int credential_make(EVP_PKEY *ek_key, const TPMT_PUBLIC *ek_tmpl,
		    const TPM2B_NAME *object_name, const TPM2B_DIGEST *secret,
		    TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *seed_out,
		    struct failure *f);

#endif
