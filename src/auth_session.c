#include "auth_session.h"

int auth_session_start(struct tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
		       struct failure *f)
{
	/* No parameter encryption: nothing secret travels as a parameter. */
	TPMT_SYM_DEF no_sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR s = ESYS_TR_NONE;
	TSS2_RC rc;

	/*
	 * Bound: the session key mixes in the password, so the HMACs prove it
	 * without carrying it. Salted: the key also holds a secret only the TPM
	 * that owns salt_key can decrypt, so a recorded exchange no longer lets
	 * anyone test password guesses offline.
	 */
	rc = Esys_StartAuthSession(tpm->esys, salt_key, ESYS_TR_RH_ENDORSEMENT,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
				   TPM2_SE_HMAC, &no_sym, TPM2_ALG_SHA256, &s);
	if (rc)
		return fail_tss(f, salt_key == ESYS_TR_NONE ? "StartAuthSession (bound)" :
				"StartAuthSession (salted)", rc);
	rc = Esys_TRSess_SetAttributes(tpm->esys, s, TPMA_SESSION_CONTINUESESSION,
				       0xff);
	if (rc) {
		(void)Esys_FlushContext(tpm->esys, s);
		return fail_tss(f, "setting session attributes", rc);
	}
	*session = s;
	return STATUS_OK;
}
