#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "pubkey.h"

const char *pubkey_curve(TPMI_ECC_CURVE curve, size_t *field)
{
	size_t bytes;
	const char *name;

	switch (curve) {
	case TPM2_ECC_NIST_P256:
		bytes = 32;
		name = "prime256v1";
		break;
	case TPM2_ECC_NIST_P384:
		bytes = 48;
		name = "secp384r1";
		break;
	case TPM2_ECC_NIST_P521:
		bytes = 66;
		name = "secp521r1";
		break;
	default:
		return NULL;
	}
	if (field)
		*field = bytes;
	return name;
}

/* Uncompressed point 04||x||y, coordinates left-padded to the field size. */
static int ecc_point(const TPMS_ECC_POINT *p, size_t field, uint8_t *out)
{
	if (p->x.size > field || p->y.size > field)
		return -1;
	memset(out, 0, 1 + 2 * field);
	out[0] = 0x04;
	memcpy(out + 1 + field - p->x.size, p->x.buffer, p->x.size);
	memcpy(out + 1 + 2 * field - p->y.size, p->y.buffer, p->y.size);
	return 0;
}

static int fromdata(OSSL_PARAM_BLD *bld, const char *type, EVP_PKEY **key)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int ret = -1;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return ret;
}

int pubkey_from_tpm(const TPMT_PUBLIC *pub, EVP_PKEY **key, struct failure *f)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t point[1 + 2 * 66];
	BIGNUM *n = NULL, *e = NULL;
	const char *group;
	size_t field = 0;
	int ret;

	*key = NULL;
	if (!bld) {
		ret = fail(f, STATUS_VERIFY, "out of memory building a public key");
		goto out;
	}
	if (pub->type == TPM2_ALG_ECC) {
		group = pubkey_curve(pub->parameters.eccDetail.curveID, &field);
		if (!group || ecc_point(&pub->unique.ecc, field, point)) {
			ret = fail(f, STATUS_VERIFY, "TPM returned an unsupported or malformed ECC key");
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						      1 + 2 * field) ||
		    fromdata(bld, "EC", key)) {
			ret = fail_crypto(f, STATUS_VERIFY, "TPM returned an ECC key that is not on its curve");
			goto out;
		}
	} else if (pub->type == TPM2_ALG_RSA) {
		UINT32 exponent = pub->parameters.rsaDetail.exponent;

		n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
		e = BN_new();
		if (!n || !e || !BN_set_word(e, exponent ? exponent : 65537) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
		    fromdata(bld, "RSA", key)) {
			ret = fail_crypto(f, STATUS_VERIFY, "TPM returned a malformed RSA key");
			goto out;
		}
	} else {
		ret = fail(f, STATUS_VERIFY, "TPM returned a key of unsupported type 0x%04x",
			   pub->type);
		goto out;
	}
	ret = STATUS_OK;
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

int pubkey_to_pem(EVP_PKEY *key, char **pem, size_t *len, struct failure *f)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int ret;

	if (!bio || PEM_write_bio_PUBKEY(bio, key) != 1) {
		ret = fail_crypto(f, STATUS_VERIFY, "cannot encode public key as PEM");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	*pem = malloc((size_t)n + 1);
	if (!*pem) {
		ret = fail(f, STATUS_VERIFY, "out of memory encoding PEM");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	ret = STATUS_OK;
out:
	BIO_free(bio);
	return ret;
}

int pubkey_pem(const TPMT_PUBLIC *pub, char **pem, size_t *len, struct failure *f)
{
	EVP_PKEY *key = NULL;
	int ret;

	ret = pubkey_from_tpm(pub, &key, f);
	if (!ret)
		ret = pubkey_to_pem(key, pem, len, f);
	EVP_PKEY_free(key);
	return ret;
}
