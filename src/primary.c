#include <stdbool.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "primary.h"

bool primary_fits_template(const TPMT_PUBLIC *a, const TPMT_PUBLIC *b)
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

	do
		rc = Esys_CreatePrimary(tpm->esys, hierarchy, auth, ESYS_TR_NONE,
					ESYS_TR_NONE, &sensitive, tmpl, &outside, &pcrs,
					handle, pub, NULL, NULL, NULL);
	while (rc && tpm_sweep_for_retry(tpm, rc));
	if (rc)
		return fail_tss(f, "CreatePrimary", rc);
	tpm_own(tpm, *handle);
	/* The TPM must have used our template: only the unique field may differ. */
	if (!primary_fits_template(&(*pub)->publicArea, &tmpl->publicArea)) {
		tpm_flush(tpm, handle);
		Esys_Free(*pub);
		*pub = NULL;
		return fail(f, STATUS_VERIFY,
			    "CreatePrimary returned a key that does not match the template");
	}
	return STATUS_OK;
}
