/*
 * The EK certificate as the TPM stores it (TCG EK Credential Profile NV
 * indices), with the template it certifies and any template/nonce override.
 */
#ifndef EK_NV_H
#define EK_NV_H

#include <openssl/x509.h>

#include "ek_templates.h"
#include "tpm.h"

struct ek_nv {
	X509 *cert;
	TPM2_HANDLE index;
	const struct ek_template *tmpl;
	bool has_custom;          /* the TPM stores its own template or nonce */
	TPM2B_PUBLIC custom;      /* then this is the template to derive the EK with,
				     checked field by field (template_check.h) */
};

/*
 * Read the certificate at `index`, or with index 0 the first present in the
 * order ECC before RSA (cheaper to derive). STATUS_NO_EK_CERT when the TPM
 * holds none; STATUS_VERIFY when the certificate, or a template or nonce
 * stored for it, is malformed or unsupported.
 */
int ek_nv_read(struct tpm *tpm, TPM2_HANDLE index, struct ek_nv *out,
	       struct failure *f);

void ek_nv_release(struct ek_nv *ek);

/* Certificates in a buffer as stored in NV: leading vendor header, trailing padding. */
X509 *ek_nv_parse(const uint8_t *data, size_t len);

/* Add the manufacturer intermediates stored from NV 0x01c00100 to `untrusted`. */
int ek_nv_intermediates(struct tpm *tpm, STACK_OF(X509) *untrusted,
			struct failure *f);

#endif
