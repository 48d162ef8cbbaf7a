/* The TPM's key derivation functions (TPM 2.0 Part 1, 11.4.10). */
#ifndef KDF_H
#define KDF_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

/*
 * KDFa: HMAC-based counter-mode KDF. `label` is a C string whose terminating
 * NUL is part of the input, as the TPM's labels are. Writes `bytes` bytes to
 * `out`, which has room for `out_cap`; returns -1 and writes nothing when
 * `bytes` is 0 or more than `out_cap`.
 */
int kdf_a(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len, const char *label,
	  const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
	  uint8_t *out, size_t out_cap, size_t bytes);

/* KDFe: the hash-based KDF for ECDH shared secrets, same conventions. */
int kdf_e(TPMI_ALG_HASH alg, const uint8_t *z, size_t z_len, const char *label,
	  const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
	  uint8_t *out, size_t out_cap, size_t bytes);

/* One-shot HMAC over a || b. */
int hmac_two(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len,
	     const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
	     uint8_t *out);

#endif
