#include <tss2/tss2_mu.h>

#include "name.h"
#include "tr_blob.h"

/* tpm2-tss's IESYSC_KEY_RSRC (esys_types.h, not public). */
#define RESOURCE_KEY 1u

int tr_blob(TPM2_HANDLE handle, const TPM2B_PUBLIC *pub, uint8_t buf[TR_BLOB_MAX],
	    size_t *len)
{
	TPM2B_NAME name;

	*len = 0;
	if (name_of_public(&pub->publicArea, &name) ||
	    Tss2_MU_TPM2_HANDLE_Marshal(handle, buf, TR_BLOB_MAX, len) ||
	    Tss2_MU_TPM2B_NAME_Marshal(&name, buf, TR_BLOB_MAX, len) ||
	    Tss2_MU_UINT32_Marshal(RESOURCE_KEY, buf, TR_BLOB_MAX, len) ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, TR_BLOB_MAX, len))
		return -1;
	return 0;
}
