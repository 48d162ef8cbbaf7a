#include "digest.h"

const EVP_MD *digest_md(TPMI_ALG_HASH alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return EVP_sha1();
	case TPM2_ALG_SHA256:
		return EVP_sha256();
	case TPM2_ALG_SHA384:
		return EVP_sha384();
	case TPM2_ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

size_t digest_size(TPMI_ALG_HASH alg)
{
	const EVP_MD *md = digest_md(alg);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

int digest_two(TPMI_ALG_HASH alg, const void *a, size_t alen, const void *b,
	       size_t blen, uint8_t *out)
{
	const EVP_MD *md = digest_md(alg);
	EVP_MD_CTX *ctx = NULL;
	int ret = -1;

	if (!md)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}
