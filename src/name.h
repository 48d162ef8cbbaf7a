/*
 * TPM object names, computed by us from the public area the TPM returned:
 * an interposer can rewrite the name field of a response, so it is never used.
 */
#ifndef NAME_H
#define NAME_H

#include <stdbool.h>
#include <tss2/tss2_tpm2_types.h>

/* A name as hex: 2 hex digits per byte plus NUL. */
#define NAME_HEX_MAX (2 * sizeof(TPMU_NAME) + 1)

/* name = nameAlg || H_nameAlg(marshalled TPMT_PUBLIC). Returns 0 on success. */
int name_of_public(const TPMT_PUBLIC *pub, TPM2B_NAME *name);

/* Qualified name of a primary: nameAlg || H(hierarchy handle || name). */
int name_qualified(TPM2_HANDLE hierarchy, const TPM2B_NAME *name,
		   TPM2B_NAME *qualified);

bool name_equal(const TPM2B_NAME *a, const TPM2B_NAME *b);

void name_to_hex(const TPM2B_NAME *name, char hex[NAME_HEX_MAX]);

#endif
