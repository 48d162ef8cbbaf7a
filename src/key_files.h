/* The verified key's output files: --file (PEM) and --public (TPM2B_PUBLIC). */
#ifndef KEY_FILES_H
#define KEY_FILES_H

#include <tss2/tss2_tpm2_types.h>

#include "failure.h"

/*
 * Write `pub` to pem_path and public_path (either may be NULL), each
 * atomically. Both contents are made before either file is touched, and
 * if the second write fails the first file is removed: a failure leaves
 * neither behind.
 */
int key_files_write(const TPM2B_PUBLIC *pub, const char *pem_path,
		    const char *public_path, struct failure *f);

#endif
