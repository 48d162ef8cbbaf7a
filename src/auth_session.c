#include "auth_session.h"

int auth_session_start(struct tpm *tpm, ESYS_TR salt_key, ESYS_TR *session,
		       struct failure *f)
{
	/* No parameter encryption: nothing secret travels as a parameter. */
	TPMT_SYM_DEF no_sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR s = ESYS_TR_NONE;
	TSS2_RC rc;

	/*
	 * Salted: the session key comes from a secret only the TPM holding
	 * salt_key can decrypt, so the HMACs that prove the password give a
	 * recorded exchange nothing to test guesses against. Not bound: a
	 * bound session would add nothing here, and ESYS would keep the
	 * password in the session's bound-entity record.
	 */
	do
		rc = Esys_StartAuthSession(tpm->esys, salt_key, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
					   TPM2_SE_HMAC, &no_sym, TPM2_ALG_SHA256, &s);
	while (rc && tpm_sweep_for_retry(tpm, rc));
	if (rc)
		return fail_tss(f, "StartAuthSession (salted)", rc);
	tpm_own(tpm, s);
	rc = Esys_TRSess_SetAttributes(tpm->esys, s, TPMA_SESSION_CONTINUESESSION,
				       0xff);
	if (rc) {
		tpm_flush(tpm, &s);
		return fail_tss(f, "setting session attributes", rc);
	}
	*session = s;
	return STATUS_OK;
}
