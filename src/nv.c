#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nv.h"

/* The spec's floor for MAX_NV_BUFFER_SIZE, used if the TPM will not say. */
#define NV_CHUNK_FALLBACK 512

int nv_list(struct tpm *tpm, TPM2_HANDLE first, UINT32 count, TPML_HANDLE *out,
	    struct failure *f)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	UINT32 i;

	out->count = 0;
	rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES, &more, &cap);
	if (rc)
		return fail_tss(f, "GetCapability (NV indices)", rc);
	for (i = 0; i < cap->data.handles.count && out->count < TPM2_MAX_CAP_HANDLES; i++) {
		TPM2_HANDLE h = cap->data.handles.handle[i];

		if (h >= first && h - first < count)
			out->handle[out->count++] = h;
	}
	Esys_Free(cap);
	return STATUS_OK;
}

bool nv_listed(const TPML_HANDLE *list, TPM2_HANDLE index)
{
	UINT32 i;

	for (i = 0; i < list->count; i++)
		if (list->handle[i] == index)
			return true;
	return false;
}

static UINT16 nv_chunk(struct tpm *tpm)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	UINT16 chunk = NV_CHUNK_FALLBACK;

	if (!Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1,
				&more, &cap) &&
	    cap->data.tpmProperties.count == 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
	    cap->data.tpmProperties.tpmProperty[0].value >= 64 &&
	    cap->data.tpmProperties.tpmProperty[0].value <= sizeof(((TPM2B_MAX_NV_BUFFER *)0)->buffer))
		chunk = (UINT16)cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	return chunk;
}

int nv_read(struct tpm *tpm, TPM2_HANDLE index, uint8_t **data, size_t *len,
	    struct failure *f)
{
	ESYS_TR nv = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_MAX_NV_BUFFER *part = NULL;
	uint8_t *buf = NULL;
	UINT16 size, off = 0, chunk;
	TSS2_RC rc;
	int ret;

	rc = Esys_TR_FromTPMPublic(tpm->esys, index, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, &nv);
	if (rc) {
		ret = fail_tss(f, "reading NV index", rc);
		goto out;
	}
	rc = Esys_NV_ReadPublic(tpm->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, &pub, NULL);
	if (rc) {
		ret = fail_tss(f, "NV_ReadPublic", rc);
		goto out;
	}
	size = pub->nvPublic.dataSize;
	if (!size) {
		ret = fail(f, STATUS_TPM, "NV index 0x%08x is empty", index);
		goto out;
	}
	buf = malloc(size);
	if (!buf) {
		ret = fail(f, STATUS_TPM, "out of memory reading NV index 0x%08x", index);
		goto out;
	}
	chunk = nv_chunk(tpm);
	while (off < size) {
		UINT16 want = (UINT16)(size - off < chunk ? size - off : chunk);

		rc = Esys_NV_Read(tpm->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				  ESYS_TR_NONE, want, off, &part);
		if (rc) {
			ret = fail_tss(f, "NV_Read", rc);
			goto out;
		}
		if (part->size != want) {
			ret = fail(f, STATUS_TPM, "NV_Read of index 0x%08x returned %u "
				   "bytes, not %u", index, part->size, want);
			goto out;
		}
		memcpy(buf + off, part->buffer, want);
		off = (UINT16)(off + want);
		Esys_Free(part);
		part = NULL;
	}
	*data = buf;
	*len = size;
	buf = NULL;
	ret = STATUS_OK;
out:
	free(buf);
	Esys_Free(part);
	Esys_Free(pub);
	/* Closes only ESYS's record of the index; the TPM is not told. */
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &nv);
	return ret;
}
