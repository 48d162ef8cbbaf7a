#include <stdbool.h>
#include <string.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "primary.h"

/* Equal in everything the template fixes: all of TPMT_PUBLIC but the unique field. */
static bool same_but_unique(const TPMT_PUBLIC *a, const TPMT_PUBLIC *b)
{
	TPMT_PUBLIC x = *a, y = *b;
	uint8_t bx[sizeof(TPMT_PUBLIC)], by[sizeof(TPMT_PUBLIC)];
	size_t lx = 0, ly = 0;

	memset(&x.unique, 0, sizeof(x.unique));
	memset(&y.unique, 0, sizeof(y.unique));
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&x, bx, sizeof(bx), &lx) ||
	    Tss2_MU_TPMT_PUBLIC_Marshal(&y, by, sizeof(by), &ly))
		return false;
	return lx == ly && memcmp(bx, by, lx) == 0;
}

int primary_create(struct tpm *tpm, ESYS_TR hierarchy, ESYS_TR auth,
		   const TPM2B_PUBLIC *tmpl,
		   ESYS_TR *handle, TPM2B_PUBLIC **pub, struct failure *f)
{
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TSS2_RC rc;

	rc = Esys_CreatePrimary(tpm->esys, hierarchy, auth, ESYS_TR_NONE,
				ESYS_TR_NONE, &sensitive, tmpl, &outside, &pcrs,
				handle, pub, NULL, NULL, NULL);
	if (rc)
		return fail_tss(f, "CreatePrimary", rc);
	/* The TPM must have used our template: only the unique field may differ. */
	if (!same_but_unique(&(*pub)->publicArea, &tmpl->publicArea)) {
		primary_flush(tpm, handle);
		Esys_Free(*pub);
		*pub = NULL;
		return fail(f, STATUS_VERIFY,
			    "CreatePrimary returned a key that does not match the template");
	}
	return STATUS_OK;
}

void primary_flush(struct tpm *tpm, ESYS_TR *handle)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	TPM2_HANDLE tpm_handle = 0;

	if (*handle == ESYS_TR_NONE)
		return;
	/*
	 * Best effort: a failed flush on a cleanup path cannot change the verdict.
	 * After an answer it could not parse (a malformed or tampered response)
	 * ESAPI refuses every further call with BAD_SEQUENCE, but the SAPI layer
	 * below it still works: flush through it, so the object does not stay
	 * loaded in the TPM (on /dev/tpm0 nothing else would flush it).
	 */
	if (Esys_FlushContext(tpm->esys, *handle) == TSS2_ESYS_RC_BAD_SEQUENCE &&
	    Esys_TR_GetTpmHandle(tpm->esys, *handle, &tpm_handle) == TSS2_RC_SUCCESS &&
	    Esys_GetSysContext(tpm->esys, &sys) == TSS2_RC_SUCCESS && sys)
		(void)Tss2_Sys_FlushContext(sys, tpm_handle);
	*handle = ESYS_TR_NONE;
}
