/*
 * The verified key's output files: --file (PEM), --public (TPM2B_PUBLIC)
 * and --token-pin (the pin of a systemd-tpm2 LUKS2 token).
 */
#ifndef KEY_FILES_H
#define KEY_FILES_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/* Where systemd keeps its SRK, and so the handle its token pins name. */
#define SYSTEMD_SRK_HANDLE 0x81000001u

struct key_paths {
	const char *pem;        /* --file */
	const char *public_;    /* --public */
	const char *token_pin;  /* --token-pin */
};

/*
 * The tpm2_srk field of a systemd-tpm2 token pinned to `pub` at
 * SYSTEMD_SRK_HANDLE: base64 of tpm2-tss's serialized ESYS_TR (handle,
 * TPM2B_NAME, resource type 1 for a key, TPM2B_PUBLIC), NUL-terminated in
 * out. STATUS_OK, or STATUS_VERIFY when it cannot be made.
 */
int key_files_token_pin(const TPM2B_PUBLIC *pub, char *out, size_t out_size,
			struct failure *f);

/*
 * Write `pub` to each path that is not NULL, each atomically. Every
 * content is made before any file is touched, and if a later write fails
 * the earlier files are removed: a failure leaves none of them behind.
 */
int key_files_write(const TPM2B_PUBLIC *pub, const struct key_paths *paths,
		    struct failure *f);

#endif
