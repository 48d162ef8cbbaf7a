/* Reading NV indices: EK certificates and the manufacturer's intermediates. */
#ifndef NV_H
#define NV_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "tpm.h"

/* The defined NV indices in [first, first + count), in one GetCapability. */
int nv_list(struct tpm *tpm, TPM2_HANDLE first, UINT32 count, TPML_HANDLE *out,
	    struct failure *f);

/* The whole content of an index, read in chunks the TPM accepts. */
int nv_read(struct tpm *tpm, TPM2_HANDLE index, uint8_t **data, size_t *len,
	    struct failure *f);

bool nv_listed(const TPML_HANDLE *list, TPM2_HANDLE index);

#endif
