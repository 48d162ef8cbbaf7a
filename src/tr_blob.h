/*
 * tpm2-tss's serialized ESYS_TR for a key (what Esys_TR_Serialize writes,
 * tpm2-tools keeps in files and systemd puts in a token's tpm2_srk): the
 * handle, the TPM2B_NAME, resource type 1 and the TPM2B_PUBLIC, marshalled.
 * A stable format, so it is made here rather than by asking the TPM.
 */
#ifndef TR_BLOB_H
#define TR_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#define TR_BLOB_MAX (sizeof(TPM2_HANDLE) + sizeof(TPM2B_NAME) + sizeof(uint32_t) + \
		     sizeof(TPM2B_PUBLIC))

/* The blob of `pub` at `handle`, its name computed by us. 0, or -1. */
int tr_blob(TPM2_HANDLE handle, const TPM2B_PUBLIC *pub, uint8_t buf[TR_BLOB_MAX],
	    size_t *len);

#endif
