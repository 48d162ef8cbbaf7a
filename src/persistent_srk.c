#include <string.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "name.h"
#include "persistent_srk.h"

/* ESYS's serialized ESYS_TR layout (Esys_TR_Serialize): its resource tag for keys. */
#define IESYS_KEY_RESOURCE 1

static bool srk_kind(const TPMT_PUBLIC *p)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN;

	return (p->type == TPM2_ALG_ECC || p->type == TPM2_ALG_RSA) &&
	       (p->objectAttributes & need) == need &&
	       !(p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT);
}

/*
 * An ESYS_TR for the object without asking the TPM again (ESYS's own
 * Esys_TR_FromTPMPublic would send a second ReadPublic): the handle, the name
 * we computed and the public area, in the layout Esys_TR_Serialize writes and
 * tpm2-tools keeps in files, so it is a stable format.
 */
static int esys_handle_for(struct tpm *tpm, const TPM2B_PUBLIC *pub,
			   const TPM2B_NAME *name, ESYS_TR *handle, struct failure *f)
{
	uint8_t buf[sizeof(TPM2_HANDLE) + sizeof(TPM2B_NAME) + sizeof(UINT32) +
		    sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	TSS2_RC rc;

	rc = Tss2_MU_TPM2_HANDLE_Marshal(PERSISTENT_SRK_HANDLE, buf, sizeof(buf), &off);
	if (!rc)
		rc = Tss2_MU_TPM2B_NAME_Marshal(name, buf, sizeof(buf), &off);
	if (!rc)
		rc = Tss2_MU_UINT32_Marshal(IESYS_KEY_RESOURCE, buf, sizeof(buf), &off);
	if (!rc)
		rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off);
	if (!rc)
		rc = Esys_TR_Deserialize(tpm->esys, buf, off, handle);
	if (rc)
		return fail_tss(f, "making a handle for the persistent SRK", rc);
	return STATUS_OK;
}

int persistent_srk_load(struct tpm *tpm, bool *present, ESYS_TR *handle,
			TPM2B_PUBLIC *pub, struct failure *f)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	TPM2B_NAME tpm_name = { .size = sizeof(TPMU_NAME) };
	TPM2B_NAME tpm_qname = { .size = sizeof(TPMU_NAME) };
	TPM2B_NAME name;
	TSS2_RC rc;

	*present = false;
	*handle = ESYS_TR_NONE;
	memset(pub, 0, sizeof(*pub));
	rc = Esys_GetSysContext(tpm->esys, &sys);
	if (rc || !sys)
		return fail_tss(f, "getting the SAPI context", rc);
	rc = Tss2_Sys_ReadPublic(sys, PERSISTENT_SRK_HANDLE, NULL, pub, &tpm_name,
				 &tpm_qname, NULL);
	/* TPM_RC_HANDLE for parameter 1: nothing is persisted there. */
	if ((rc & ~TPM2_RC_N_MASK) == TPM2_RC_HANDLE)
		return STATUS_OK;
	if (rc)
		return fail_tss(f, "ReadPublic of the persistent SRK 0x81000001", rc);
	/* The name the TPM sent is not used: Certify proves the one we compute. */
	if (!srk_kind(&pub->publicArea))
		return fail(f, STATUS_VERIFY, "the persistent object at 0x81000001 is not "
			    "a storage key of the SRK kind (restricted, decrypt, fixedTPM, "
			    "fixedParent, sensitiveDataOrigin)");
	if (name_of_public(&pub->publicArea, &name))
		return fail(f, STATUS_VERIFY, "cannot compute the persistent SRK's name");
	*present = true;
	return esys_handle_for(tpm, pub, &name, handle, f);
}

void persistent_srk_release(struct tpm *tpm, ESYS_TR *handle)
{
	if (*handle != ESYS_TR_NONE)
		(void)Esys_TR_Close(tpm->esys, handle);
	*handle = ESYS_TR_NONE;
}
