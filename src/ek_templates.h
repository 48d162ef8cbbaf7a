/*
 * The endorsement key templates of the TCG EK Credential Profile (2.x):
 * the low range L-1/L-2 and the high range H-1 to H-7 (H-5, SM2, excluded).
 */
#ifndef EK_TEMPLATES_H
#define EK_TEMPLATES_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

struct ek_template {
	const char *label;        /* "H-3 (ECC P-384)" */
	TPM2_HANDLE cert_index;   /* NV index of its certificate */
	TPMI_ALG_PUBLIC type;
	TPMI_ALG_HASH name_alg;
	TPMI_ECC_CURVE curve;     /* ECC only */
	UINT16 rsa_bits;          /* RSA only */
	UINT16 sym_bits;
	bool high;                /* high range: PolicyB, userWithAuth, empty unique */
};

extern const struct ek_template ek_templates[];
extern const size_t ek_template_count;

/* The CreatePrimary template. */
void ek_template_public(const struct ek_template *t, TPM2B_PUBLIC *out);

/*
 * The authPolicy the template's range uses (PolicyA low, PolicyB high),
 * computed in `alg`; false for a hash the profile defines no policy in.
 */
bool ek_template_policy(const struct ek_template *t, TPMI_ALG_HASH alg,
			TPM2B_DIGEST *out);

/* PolicyA and PolicyC in the template's hash: the PolicyOR branches of PolicyB. */
void ek_template_or_branches(const struct ek_template *t, TPM2B_DIGEST *a,
			     TPM2B_DIGEST *c);

/* True when the key has the template's algorithm and size. */
bool ek_template_fits(const struct ek_template *t, EVP_PKEY *key);

#endif
