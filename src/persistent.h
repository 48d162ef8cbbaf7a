/*
 * Persistent objects, read without ESYS's second ReadPublic: the public
 * area the TPM reports, and an ESYS_TR for it built from that public area.
 * Nothing here trusts the TPM's answer: callers compare names they compute
 * and let a Certify prove the key is there.
 */
#ifndef PERSISTENT_H
#define PERSISTENT_H

#include <stdbool.h>

#include "tpm.h"

/* 0x81000000 to 0x81FFFFFF: where TPM2_EvictControl can put an object. */
bool persistent_handle_valid(TPM2_HANDLE handle);

/*
 * One ReadPublic of `handle` (asked again while the TPM is busy or, once,
 * after a sweep when it is full). *present is false when nothing is
 * persisted there; else *pub is the public area the TPM sent.
 */
int persistent_read(struct tpm *tpm, TPM2_HANDLE handle, bool *present,
		    TPM2B_PUBLIC *pub, struct failure *f);

/* An ESYS_TR for `pub` at `handle`, no command sent; release with Esys_TR_Close. */
int persistent_esys_tr(struct tpm *tpm, TPM2_HANDLE handle, const TPM2B_PUBLIC *pub,
		       ESYS_TR *out, struct failure *f);

#endif
