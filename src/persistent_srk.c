#include "persistent.h"
#include "persistent_srk.h"

static bool srk_kind(const TPMT_PUBLIC *p)
{
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN;

	return (p->type == TPM2_ALG_ECC || p->type == TPM2_ALG_RSA) &&
	       (p->objectAttributes & need) == need &&
	       !(p->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT);
}

/*
 * Whatever is sealed to the SRK from now on is only as strong as it: a
 * SHA-1 name, a short RSA key, an odd curve or a weak symmetric cipher
 * would be handed on as the target. What systemd, tpm2-tools and the TCG
 * provisioning guidance make passes.
 */
static const char *srk_weakness(const TPMT_PUBLIC *p)
{
	const TPMT_SYM_DEF_OBJECT *sym = p->type == TPM2_ALG_RSA ?
		&p->parameters.rsaDetail.symmetric : &p->parameters.eccDetail.symmetric;

	if (p->nameAlg != TPM2_ALG_SHA256 && p->nameAlg != TPM2_ALG_SHA384 &&
	    p->nameAlg != TPM2_ALG_SHA512)
		return "its name algorithm is not SHA-256, SHA-384 or SHA-512";
	if (p->type == TPM2_ALG_RSA && p->parameters.rsaDetail.keyBits < 2048)
		return "its RSA key is shorter than 2048 bits";
	if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 &&
	    p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P384 &&
	    p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P521)
		return "its curve is not NIST P-256, P-384 or P-521";
	if (sym->algorithm != TPM2_ALG_AES || sym->keyBits.aes < 128 ||
	    sym->mode.aes != TPM2_ALG_CFB)
		return "its symmetric algorithm is not AES-128 or stronger in CFB mode";
	return NULL;
}

int persistent_srk_load(struct tpm *tpm, bool *present, ESYS_TR *handle,
			TPM2B_PUBLIC *pub, struct failure *f)
{
	const char *weak;
	int ret;

	*handle = ESYS_TR_NONE;
	ret = persistent_read(tpm, PERSISTENT_SRK_HANDLE, present, pub, f);
	if (ret || !*present)
		return ret;
	*present = false;
	if (!srk_kind(&pub->publicArea))
		return fail(f, STATUS_VERIFY, "the persistent object at 0x81000001 is not "
			    "a storage key of the SRK kind (restricted, decrypt, fixedTPM, "
			    "fixedParent, sensitiveDataOrigin)");
	weak = srk_weakness(&pub->publicArea);
	if (weak)
		return fail(f, STATUS_VERIFY, "the persistent SRK at 0x81000001 is too "
			    "weak to seal to: %s", weak);
	ret = persistent_esys_tr(tpm, PERSISTENT_SRK_HANDLE, pub, handle, f);
	*present = !ret;
	return ret;
}

void persistent_srk_release(struct tpm *tpm, ESYS_TR *handle)
{
	if (*handle != ESYS_TR_NONE)
		(void)Esys_TR_Close(tpm->esys, handle);
	*handle = ESYS_TR_NONE;
}
