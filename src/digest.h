#ifndef DIGEST_H
#define DIGEST_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

/* The libcrypto digest for a TPM hash algorithm, or NULL if unsupported. */
const EVP_MD *digest_md(TPMI_ALG_HASH alg);

/* Size in bytes of the TPM hash algorithm's digest, 0 if unsupported. */
size_t digest_size(TPMI_ALG_HASH alg);

/* out = H(a || b); out must hold digest_size(alg) bytes. Returns 0 on success. */
int digest_two(TPMI_ALG_HASH alg, const void *a, size_t alen, const void *b,
	       size_t blen, uint8_t *out);

#endif
