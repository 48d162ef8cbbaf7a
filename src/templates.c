#include <string.h>

#include "templates.h"

/*
 * Both keys are restricted P-256 primaries with the same attributes but for
 * their use: `use` is TPMA_OBJECT_SIGN_ENCRYPT or TPMA_OBJECT_DECRYPT.
 */
static TPMS_ECC_PARMS *template_ecc_p256(TPM2B_PUBLIC *tmpl, TPMA_OBJECT use)
{
	memset(tmpl, 0, sizeof(*tmpl));
	tmpl->publicArea.type = TPM2_ALG_ECC;
	tmpl->publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
		TPMA_OBJECT_RESTRICTED | use;
	tmpl->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	tmpl->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	return &tmpl->publicArea.parameters.eccDetail;
}

void template_signing_ek(TPM2B_PUBLIC *tmpl)
{
	TPMS_ECC_PARMS *ecc = template_ecc_p256(tmpl, TPMA_OBJECT_SIGN_ENCRYPT);

	ecc->symmetric.algorithm = TPM2_ALG_NULL;
	ecc->scheme.scheme = TPM2_ALG_ECDSA;
	ecc->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
}

void template_storage(TPM2B_PUBLIC *tmpl)
{
	TPMS_ECC_PARMS *ecc = template_ecc_p256(tmpl, TPMA_OBJECT_DECRYPT);

	ecc->symmetric.algorithm = TPM2_ALG_AES;
	ecc->symmetric.keyBits.aes = 128;
	ecc->symmetric.mode.aes = TPM2_ALG_CFB;
	ecc->scheme.scheme = TPM2_ALG_NULL;
}
