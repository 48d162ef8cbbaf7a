#include <stdio.h>
#include <string.h>

#include <tss2/tss2_sys.h>

#include "persistent.h"
#include "tr_blob.h"

#define READ_TRIES 5

bool persistent_handle_valid(TPM2_HANDLE handle)
{
	return handle >> TPM2_HR_SHIFT == TPM2_HT_PERSISTENT;
}

/* A TPM busy with self-tests or another command asks to be asked again. */
static bool tpm_busy(TSS2_RC rc)
{
	return rc == TPM2_RC_RETRY || rc == TPM2_RC_YIELDED || rc == TPM2_RC_TESTING;
}

int persistent_read(struct tpm *tpm, TPM2_HANDLE handle, bool *present,
		    TPM2B_PUBLIC *pub, struct failure *f)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	TPM2B_NAME tpm_name = { .size = sizeof(TPMU_NAME) };
	TPM2B_NAME tpm_qname = { .size = sizeof(TPMU_NAME) };
	char what[48];
	int tries = 0;
	TSS2_RC rc;

	*present = false;
	memset(pub, 0, sizeof(*pub));
	rc = Esys_GetSysContext(tpm->esys, &sys);
	if (rc || !sys)
		return fail_tss(f, "getting the SAPI context", rc);
	/* The TPM loads a persistent object into a slot to read it: a full
	 * TPM is swept and asked again, as for CreatePrimary. */
	do
		rc = Tss2_Sys_ReadPublic(sys, handle, NULL, pub, &tpm_name, &tpm_qname, NULL);
	while ((tpm_busy(rc) && ++tries < READ_TRIES) || tpm_sweep_for_retry(tpm, rc));
	/* TPM_RC_HANDLE for parameter 1: nothing is persisted there. */
	if ((rc & ~TPM2_RC_N_MASK) == TPM2_RC_HANDLE)
		return STATUS_OK;
	if (rc) {
		snprintf(what, sizeof(what), "ReadPublic of persistent handle 0x%08x", handle);
		return fail_tss(f, what, rc);
	}
	/* The name the TPM sent is not used: callers compute it from pub. */
	*present = true;
	return STATUS_OK;
}

int persistent_esys_tr(struct tpm *tpm, TPM2_HANDLE handle, const TPM2B_PUBLIC *pub,
		       ESYS_TR *out, struct failure *f)
{
	uint8_t blob[TR_BLOB_MAX];
	size_t len;
	TSS2_RC rc;

	*out = ESYS_TR_NONE;
	if (tr_blob(handle, pub, blob, &len))
		return fail(f, STATUS_VERIFY, "cannot compute the name of the object at "
			    "0x%08x", handle);
	rc = Esys_TR_Deserialize(tpm->esys, blob, len, out);
	if (rc)
		return fail_tss(f, "making a handle for a persistent object", rc);
	return STATUS_OK;
}
