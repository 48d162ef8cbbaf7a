#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "credential.h"
#include "digest.h"
#include "kdf.h"

static const char identity_label[] = "IDENTITY";

/* RSA EK: a random seed, OAEP-encrypted to the EK with label "IDENTITY\0". */
static int seed_rsa(EVP_PKEY *ek, TPMI_ALG_HASH alg, uint8_t *seed, size_t len,
		    TPM2B_ENCRYPTED_SECRET *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL);
	unsigned char *label = OPENSSL_memdup(identity_label, sizeof(identity_label));
	size_t outlen = sizeof(out->secret);
	int ret = -1;

	if (!ctx || !label || RAND_bytes(seed, (int)len) != 1 ||
	    EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, digest_md(alg)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, digest_md(alg)) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, sizeof(identity_label)) != 1)
		goto out;
	label = NULL; /* owned by ctx */
	if (EVP_PKEY_encrypt(ctx, out->secret, &outlen, seed, len) != 1)
		goto out;
	out->size = (UINT16)outlen;
	ret = 0;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

static int coordinate(EVP_PKEY *key, const char *which, uint8_t *out, size_t field)
{
	BIGNUM *bn = NULL;
	int ret = -1;

	if (EVP_PKEY_get_bn_param(key, which, &bn) == 1 &&
	    BN_bn2binpad(bn, out, (int)field) == (int)field)
		ret = 0;
	BN_free(bn);
	return ret;
}

/*
 * ECC EK: an ephemeral key on the EK's curve; seed = KDFe(Z, "IDENTITY",
 * ephemeral x, EK x); the encrypted secret is the ephemeral point.
 */
static int seed_ecc(EVP_PKEY *ek, TPMI_ALG_HASH alg, uint8_t *seed, size_t len,
		    TPM2B_ENCRYPTED_SECRET *out)
{
	EVP_PKEY_CTX *gen = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL), *dctx = NULL;
	EVP_PKEY *eph = NULL;
	TPMS_ECC_POINT point = { 0 };
	uint8_t z[66], ek_x[66];
	size_t field = ((size_t)EVP_PKEY_get_bits(ek) + 7) / 8, zlen = sizeof(z), off = 0;
	int ret = -1;

	if (!gen || field > sizeof(z) || EVP_PKEY_keygen_init(gen) != 1 ||
	    EVP_PKEY_keygen(gen, &eph) != 1)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, ek) != 1 ||
	    EVP_PKEY_derive(dctx, z, &zlen) != 1 || zlen != field)
		goto out;
	if (coordinate(eph, OSSL_PKEY_PARAM_EC_PUB_X, point.x.buffer, field) ||
	    coordinate(eph, OSSL_PKEY_PARAM_EC_PUB_Y, point.y.buffer, field) ||
	    coordinate(ek, OSSL_PKEY_PARAM_EC_PUB_X, ek_x, field))
		goto out;
	point.x.size = point.y.size = (UINT16)field;
	if (kdf_e(alg, z, zlen, identity_label, point.x.buffer, field, ek_x, field,
		  seed, len, len))
		goto out;
	if (Tss2_MU_TPMS_ECC_POINT_Marshal(&point, out->secret, sizeof(out->secret), &off))
		goto out;
	out->size = (UINT16)off;
	ret = 0;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_free(eph);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(gen);
	return ret;
}

static int cfb_encrypt(UINT16 bits, const uint8_t *key, uint8_t *buf, int len)
{
	const EVP_CIPHER *cipher = bits == 256 ? EVP_aes_256_cfb128() :
				   bits == 128 ? EVP_aes_128_cfb128() : NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t iv[16] = { 0 };
	int n = 0, fin = 0, ret = -1;

	if (cipher && ctx && EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(ctx, buf, &n, buf, len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, buf + n, &fin) == 1 && n + fin == len)
		ret = 0;
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/*
 * The EK's symmetric definition, as the TPM will use it to open the blob:
 * only AES-128 and AES-256 in CFB mode are built here. Anything else (a key
 * size read from a TPM-supplied template, say) is refused, not sized from.
 */
static const TPMT_SYM_DEF_OBJECT *ek_symmetric(const TPMT_PUBLIC *ek_tmpl)
{
	const TPMT_SYM_DEF_OBJECT *sym;

	if (ek_tmpl->type == TPM2_ALG_RSA)
		sym = &ek_tmpl->parameters.rsaDetail.symmetric;
	else if (ek_tmpl->type == TPM2_ALG_ECC)
		sym = &ek_tmpl->parameters.eccDetail.symmetric;
	else
		return NULL;
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB ||
	    (sym->keyBits.aes != 128 && sym->keyBits.aes != 256))
		return NULL;
	return sym;
}

int credential_make(EVP_PKEY *ek_key, const TPMT_PUBLIC *ek_tmpl,
		    const TPM2B_NAME *object_name, const TPM2B_DIGEST *secret,
		    TPM2B_ID_OBJECT *blob, TPM2B_ENCRYPTED_SECRET *seed_out,
		    struct failure *f)
{
	TPMI_ALG_HASH alg = ek_tmpl->nameAlg;
	const TPMT_SYM_DEF_OBJECT *sym = ek_symmetric(ek_tmpl);
	size_t hlen = digest_size(alg), off = 0, sym_bytes;
	uint8_t seed[EVP_MAX_MD_SIZE], sym_key[32], hmac_key[EVP_MAX_MD_SIZE];
	uint8_t *enc;
	int ret;

	if (!sym) {
		ret = fail(f, STATUS_VERIFY, "unsupported EK template: the credential needs "
			   "an RSA or ECC EK with AES-128 or AES-256 in CFB mode");
		goto out;
	}
	sym_bytes = sym->keyBits.aes / 8u;
	if (alg == TPM2_ALG_SHA1 || !hlen || hlen > sizeof(seed)) {
		ret = fail(f, STATUS_VERIFY, "unsupported EK name algorithm");
		goto out;
	}
	/*
	 * The blob is size || HMAC || TPM2B(secret): all of it must fit the
	 * TPM2B_ID_OBJECT, and the name must be a name, whatever the caller says.
	 */
	if (secret->size > hlen || object_name->size > sizeof(object_name->name) ||
	    2 + hlen + sizeof(secret->size) + secret->size > sizeof(blob->credential)) {
		ret = fail(f, STATUS_VERIFY, "the credential does not fit its buffer");
		goto out;
	}
	if ((ek_tmpl->type == TPM2_ALG_RSA ? seed_rsa : seed_ecc)(ek_key, alg, seed,
								   hlen, seed_out)) {
		ret = fail_crypto(f, STATUS_VERIFY, "cannot encrypt the credential seed "
				  "to the EK certificate's key");
		goto out;
	}
	/* Blob: TPM2B outer HMAC, then the CFB-encrypted TPM2B credential. */
	enc = blob->credential + 2 + hlen;
	if (Tss2_MU_TPM2B_DIGEST_Marshal(secret, enc, sizeof(blob->credential) - 2 - hlen,
					 &off) ||
	    kdf_a(alg, seed, hlen, "STORAGE", object_name->name, object_name->size,
		  NULL, 0, sym_key, sizeof(sym_key), sym_bytes) ||
	    cfb_encrypt(sym->keyBits.aes, sym_key, enc, (int)off) ||
	    kdf_a(alg, seed, hlen, "INTEGRITY", NULL, 0, NULL, 0, hmac_key,
		  sizeof(hmac_key), hlen) ||
	    hmac_two(alg, hmac_key, hlen, enc, off, object_name->name,
		     object_name->size, blob->credential + 2)) {
		ret = fail_crypto(f, STATUS_VERIFY, "cannot build the credential blob");
		goto out;
	}
	blob->credential[0] = (uint8_t)(hlen >> 8);
	blob->credential[1] = (uint8_t)hlen;
	blob->size = (UINT16)(2 + hlen + off);
	ret = STATUS_OK;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym_key, sizeof(sym_key));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	return ret;
}
