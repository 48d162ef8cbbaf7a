/*
 * EK templates and nonces the TPM supplies (the EK Credential Profile's NV
 * overrides): parsed and checked field by field against what this tool can
 * derive and build a credential for, before any of it is used. A TPM, or an
 * interposer answering for it, chooses these bytes.
 */
#ifndef TEMPLATE_CHECK_H
#define TEMPLATE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "ek_templates.h"
#include "failure.h"

/* The longest EK nonce the profile's low range uses: the P-256 x coordinate. */
#define EK_NONCE_MAX 32

struct ek_override {
	TPM2_HANDLE tmpl_index, nonce_index; /* where they were read, for messages */
	const uint8_t *tmpl;                 /* marshalled TPMT_PUBLIC, NULL if none */
	size_t tmpl_len;
	const uint8_t *nonce;                /* NULL if none */
	size_t nonce_len;
};

/*
 * The CreatePrimary template for the EK of `t` (whose certificate index the
 * overrides belong to): the TPM's own template if it stores one, else `t`'s,
 * with the nonce put into the unique field. STATUS_VERIFY, and `out`
 * unspecified, when any of it is malformed or not something this tool supports.
 */
int template_from_nv(const struct ek_template *t, const struct ek_override *o,
		     TPM2B_PUBLIC *out, struct failure *f);

/*
 * STATUS_OK when `p` is an EK template for `t`'s key that this tool can use:
 * same type and key size or curve, SHA-256/384/512, an EK's attributes, the
 * profile's policy, AES-128/256-CFB, no scheme, a unique no larger than the key.
 */
int template_check_ek(const struct ek_template *t, const TPMT_PUBLIC *p,
		      TPM2_HANDLE index, struct failure *f);

#endif
