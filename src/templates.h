/*
 * The two key templates, byte for byte as openssl_tpm2_engine derives them,
 * so names match the kernel's null_name and the reference tool's output.
 */
#ifndef TEMPLATES_H
#define TEMPLATES_H

#include <tss2/tss2_tpm2_types.h>

/* Restricted ECDSA P-256 signing key in the endorsement hierarchy. */
void template_signing_ek(TPM2B_PUBLIC *tmpl);

/* Restricted P-256 storage key: the kernel's NULL-key and the usual SRK template. */
void template_storage(TPM2B_PUBLIC *tmpl);

#endif
