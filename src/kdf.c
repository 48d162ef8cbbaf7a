#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "digest.h"
#include "kdf.h"

static void be32(uint32_t x, uint8_t out[4])
{
	out[0] = (uint8_t)(x >> 24);
	out[1] = (uint8_t)(x >> 16);
	out[2] = (uint8_t)(x >> 8);
	out[3] = (uint8_t)x;
}

struct part {
	const uint8_t *p;
	size_t len;
};

/* HMAC when key is set, plain hash otherwise, over the parts in order. */
static int mac_parts(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len,
		     const struct part *parts, size_t n, uint8_t *out)
{
	const EVP_MD *md = digest_md(alg);
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *mctx = NULL;
	EVP_MD_CTX *hctx = NULL;
	OSSL_PARAM params[2];
	size_t i, outlen;
	int ret = -1;

	if (!md)
		goto out;
	if (key) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)EVP_MD_get0_name(md), 0);
		params[1] = OSSL_PARAM_construct_end();
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
		if (!mctx || EVP_MAC_init(mctx, key, key_len, params) != 1)
			goto out;
		for (i = 0; i < n; i++)
			if (parts[i].len && EVP_MAC_update(mctx, parts[i].p, parts[i].len) != 1)
				goto out;
		if (EVP_MAC_final(mctx, out, &outlen, EVP_MAX_MD_SIZE) != 1)
			goto out;
	} else {
		hctx = EVP_MD_CTX_new();
		if (!hctx || EVP_DigestInit_ex(hctx, md, NULL) != 1)
			goto out;
		for (i = 0; i < n; i++)
			if (parts[i].len && EVP_DigestUpdate(hctx, parts[i].p, parts[i].len) != 1)
				goto out;
		if (EVP_DigestFinal_ex(hctx, out, NULL) != 1)
			goto out;
	}
	ret = 0;
out:
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	EVP_MD_CTX_free(hctx);
	return ret;
}

int hmac_two(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len,
	     const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
	     uint8_t *out)
{
	struct part parts[] = { { a, a_len }, { b, b_len } };

	return mac_parts(alg, key, key_len, parts, 2, out);
}

/*
 * Both KDFs: blocks of F(counter || ...) until `bytes` are produced. The
 * length often comes from a key size in a template the TPM supplied, so it
 * is checked here against the room the caller has, not trusted.
 */
static int kdf_counter(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len,
		       const uint8_t *z, size_t z_len, const char *label,
		       const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
		       uint8_t *out, size_t out_cap, size_t bytes)
{
	size_t hlen = digest_size(alg), done = 0;
	uint8_t counter[4], bits[4], block[EVP_MAX_MD_SIZE];
	uint32_t i;
	int ret = -1;

	/* The bit count is a 32-bit field of every block. */
	if (!hlen || !out || !bytes || bytes > out_cap || bytes > 0x1fffffff)
		return -1;
	be32((uint32_t)(bytes * 8), bits);
	for (i = 1; done < bytes; i++) {
		/* KDFa: counter||label||u||v||bits; KDFe: counter||Z||label||u||v. */
		struct part parts[] = {
			{ counter, 4 }, { z, z_len },
			{ (const uint8_t *)label, strlen(label) + 1 },
			{ u, u_len }, { v, v_len }, { bits, key ? 4 : 0 },
		};
		size_t take = bytes - done < hlen ? bytes - done : hlen;

		be32(i, counter);
		if (mac_parts(alg, key, key_len, parts, 6, block))
			goto out;
		memcpy(out + done, block, take);
		done += take;
	}
	ret = 0;
out:
	OPENSSL_cleanse(block, sizeof(block));
	return ret;
}

int kdf_a(TPMI_ALG_HASH alg, const uint8_t *key, size_t key_len, const char *label,
	  const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
	  uint8_t *out, size_t out_cap, size_t bytes)
{
	/* Without a key mac_parts would hash: KDFa is always keyed. */
	if (!key || !key_len)
		return -1;
	return kdf_counter(alg, key, key_len, NULL, 0, label, u, u_len, v, v_len,
			   out, out_cap, bytes);
}

int kdf_e(TPMI_ALG_HASH alg, const uint8_t *z, size_t z_len, const char *label,
	  const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
	  uint8_t *out, size_t out_cap, size_t bytes)
{
	return kdf_counter(alg, NULL, 0, z, z_len, label, u, u_len, v, v_len, out,
			   out_cap, bytes);
}
