/*
 * KDFa/KDFe against implementations written here from TPM 2.0 Part 1
 * 11.4.10, and credential_make's blob opened here the way a TPM's
 * ActivateCredential does (Part 1 24.4-24.6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

/* Before cmocka.h, whose fail() macro would mangle failure.h. */
#include "credential.h"
#include "kdf.h"

#include <cmocka.h>

static const EVP_MD *md_of(TPMI_ALG_HASH alg)
{
	return alg == TPM2_ALG_SHA384 ? EVP_sha384() : EVP_sha256();
}

/* Appends to a buffer; the test's KDF inputs are all small. */
struct buf {
	uint8_t b[512];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	if (n) /* p may be NULL then */
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t x)
{
	uint8_t be[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8),
			  (uint8_t)x };

	put(b, be, 4);
}

/* KDFa: HMAC(key, counter || label\0 || u || v || bits), blocks until bytes. */
static void ref_kdfa(TPMI_ALG_HASH alg, const uint8_t *key, size_t klen,
		     const char *label, const uint8_t *u, size_t ulen,
		     const uint8_t *v, size_t vlen, uint8_t *out, size_t bytes)
{
	const size_t total = bytes;

	for (uint32_t i = 1; bytes; i++) {
		uint8_t block[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		struct buf in = { .n = 0 };

		put32(&in, i);
		put(&in, label, strlen(label) + 1);
		put(&in, u, ulen);
		put(&in, v, vlen);
		put32(&in, (uint32_t)(total * 8));
		assert_non_null(HMAC(md_of(alg), key, (int)klen, in.b, in.n, block, &n));
		memcpy(out, block, bytes < n ? bytes : n);
		out += bytes < n ? bytes : n;
		bytes -= bytes < n ? bytes : n;
	}
}

/* KDFe: H(counter || Z || label\0 || u || v), blocks until bytes. */
static void ref_kdfe(TPMI_ALG_HASH alg, const uint8_t *z, size_t zlen,
		     const char *label, const uint8_t *u, size_t ulen,
		     const uint8_t *v, size_t vlen, uint8_t *out, size_t bytes)
{
	for (uint32_t i = 1; bytes; i++) {
		uint8_t block[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		struct buf in = { .n = 0 };

		put32(&in, i);
		put(&in, z, zlen);
		put(&in, label, strlen(label) + 1);
		put(&in, u, ulen);
		put(&in, v, vlen);
		assert_int_equal(EVP_Digest(in.b, in.n, block, &n, md_of(alg), NULL), 1);
		memcpy(out, block, bytes < n ? bytes : n);
		out += bytes < n ? bytes : n;
		bytes -= bytes < n ? bytes : n;
	}
}

/*
 * The references are SP 800-108 counter-mode KBKDF (label, 0x00, context
 * u||v, 32-bit L) and the SP 800-56C one-step hash KDF (FixedInfo =
 * label\0||u||v): check them against OpenSSL's own KBKDF and SSKDF.
 */
static void openssl_kdf(const char *kdf_name, const char *label, const uint8_t *secret,
			size_t slen, const uint8_t *uv, size_t uvlen, uint8_t *out,
			size_t bytes)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, kdf_name, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	bool kb = !strcmp(kdf_name, "KBKDF");
	uint8_t info[64];
	OSSL_PARAM p[6], *q = p;

	assert_non_null(kctx);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(kb ? OSSL_KDF_PARAM_KEY :
						 OSSL_KDF_PARAM_SECRET, (void *)secret, slen);
	if (kb) {
		*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0);
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)label, strlen(label));
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)uv, uvlen);
	} else {
		memcpy(info, label, strlen(label) + 1);
		memcpy(info + strlen(label) + 1, uv, uvlen);
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
							 strlen(label) + 1 + uvlen);
	}
	*q = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kctx, out, bytes, p), 1);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

static void reference_kdfs_match_openssl(void **state)
{
	static const uint8_t secret[32] = "a seed, or a shared secret Z...";
	static const uint8_t u[] = { 1, 2, 3 }, v[] = { 4, 5 }, uv[] = { 1, 2, 3, 4, 5 };
	uint8_t want[70], got[70];

	(void)state;
	ref_kdfa(TPM2_ALG_SHA256, secret, 32, "STORAGE", u, 3, v, 2, want, 70);
	openssl_kdf("KBKDF", "STORAGE", secret, 32, uv, 5, got, 70);
	assert_memory_equal(got, want, 70);
	ref_kdfe(TPM2_ALG_SHA256, secret, 32, "IDENTITY", u, 3, v, 2, want, 70);
	openssl_kdf("SSKDF", "IDENTITY", secret, 32, uv, 5, got, 70);
	assert_memory_equal(got, want, 70);
}

static const size_t sizes[] = { 1, 16, 31, 32, 33, 48, 65, 100 };

static void kdfa_matches_reference(void **state)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcde";
	static const uint8_t u[] = { 0x00, 0x0b, 1, 2, 3 }, v[] = { 9, 8, 7 };
	static const TPMI_ALG_HASH algs[] = { TPM2_ALG_SHA256, TPM2_ALG_SHA384 };
	uint8_t want[100], got[101];

	(void)state;
	for (size_t a = 0; a < 2; a++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			ref_kdfa(algs[a], key, 32, "STORAGE", u, sizeof(u), v, sizeof(v),
				 want, sizes[i]);
			memset(got, 0xee, sizeof(got));
			assert_int_equal(kdf_a(algs[a], key, 32, "STORAGE", u, sizeof(u),
					       v, sizeof(v), got, sizeof(got), sizes[i]), 0);
			assert_memory_equal(got, want, sizes[i]);
			assert_int_equal(got[sizes[i]], 0xee); /* wrote no more */
		}
	/* No u/v, as for the INTEGRITY key. */
	ref_kdfa(TPM2_ALG_SHA256, key, 20, "INTEGRITY", NULL, 0, NULL, 0, want, 32);
	assert_int_equal(kdf_a(TPM2_ALG_SHA256, key, 20, "INTEGRITY", NULL, 0, NULL, 0,
			       got, sizeof(got), 32), 0);
	assert_memory_equal(got, want, 32);
	/* The bit count is part of every block: a prefix of a longer output differs. */
	ref_kdfa(TPM2_ALG_SHA256, key, 32, "STORAGE", u, sizeof(u), NULL, 0, want, 64);
	assert_int_equal(kdf_a(TPM2_ALG_SHA256, key, 32, "STORAGE", u, sizeof(u), NULL, 0,
			       got, sizeof(got), 16), 0);
	assert_memory_not_equal(got, want, 16);
}

static void kdfe_matches_reference(void **state)
{
	static const uint8_t z[32] = "an ECDH shared x-coordinate....";
	static const uint8_t u[32] = { 1 }, v[32] = { 2 };
	uint8_t want[100], got[101];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ref_kdfe(TPM2_ALG_SHA256, z, 32, "IDENTITY", u, 32, v, 32, want, sizes[i]);
		memset(got, 0xee, sizeof(got));
		assert_int_equal(kdf_e(TPM2_ALG_SHA256, z, 32, "IDENTITY", u, 32, v, 32,
				       got, sizeof(got), sizes[i]), 0);
		assert_memory_equal(got, want, sizes[i]);
		assert_int_equal(got[sizes[i]], 0xee);
	}
	ref_kdfe(TPM2_ALG_SHA384, z, 32, "IDENTITY", u, 32, v, 32, want, 48);
	assert_int_equal(kdf_e(TPM2_ALG_SHA384, z, 32, "IDENTITY", u, 32, v, 32, got,
			       sizeof(got), 48), 0);
	assert_memory_equal(got, want, 48);
}

/* The TPM's side: the seed back from the encrypted secret with the EK private key. */
static size_t recover_seed(EVP_PKEY *ek, TPMI_ALG_HASH alg,
			   const TPM2B_ENCRYPTED_SECRET *es, uint8_t *seed)
{
	size_t hlen = (size_t)EVP_MD_get_size(md_of(alg));

	if (EVP_PKEY_is_a(ek, "RSA")) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL);
		unsigned char *label = OPENSSL_memdup("IDENTITY", 9);
		size_t len = 512;
		uint8_t out[512];

		assert_non_null(ctx);
		assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md_of(alg)), 1);
		assert_int_equal(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, 9), 1);
		assert_int_equal(EVP_PKEY_decrypt(ctx, out, &len, es->secret, es->size), 1);
		EVP_PKEY_CTX_free(ctx);
		assert_int_equal(len, hlen);
		memcpy(seed, out, len);
	} else {
		TPMS_ECC_POINT pt;
		size_t off = 0, zlen = 66, field = ((size_t)EVP_PKEY_get_bits(ek) + 7) / 8;
		uint8_t enc[1 + 2 * 66], z[66], ek_x[66];
		char group[32];
		OSSL_PARAM params[3];
		EVP_PKEY_CTX *fctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *dctx;
		EVP_PKEY *eph = NULL;
		BIGNUM *x = NULL;

		assert_int_equal(Tss2_MU_TPMS_ECC_POINT_Unmarshal(es->secret, es->size,
								  &off, &pt), 0);
		assert_int_equal(off, es->size);
		assert_int_equal(pt.x.size, field);
		assert_int_equal(pt.y.size, field);
		enc[0] = 0x04;
		memcpy(enc + 1, pt.x.buffer, field);
		memcpy(enc + 1 + field, pt.y.buffer, field);
		assert_int_equal(EVP_PKEY_get_utf8_string_param(ek, OSSL_PKEY_PARAM_GROUP_NAME,
								group, sizeof(group), NULL), 1);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, enc,
							      1 + 2 * field);
		params[2] = OSSL_PARAM_construct_end();
		assert_non_null(fctx);
		assert_int_equal(EVP_PKEY_fromdata_init(fctx), 1);
		assert_int_equal(EVP_PKEY_fromdata(fctx, &eph, EVP_PKEY_PUBLIC_KEY, params), 1);
		dctx = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL);
		assert_non_null(dctx);
		assert_int_equal(EVP_PKEY_derive_init(dctx), 1);
		assert_int_equal(EVP_PKEY_derive_set_peer(dctx, eph), 1);
		assert_int_equal(EVP_PKEY_derive(dctx, z, &zlen), 1);
		assert_int_equal(zlen, field);
		assert_int_equal(EVP_PKEY_get_bn_param(ek, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
		assert_int_equal(BN_bn2binpad(x, ek_x, (int)field), (int)field);
		ref_kdfe(alg, z, zlen, "IDENTITY", pt.x.buffer, field, ek_x, field, seed, hlen);
		BN_free(x);
		EVP_PKEY_free(eph);
		EVP_PKEY_CTX_free(dctx);
		EVP_PKEY_CTX_free(fctx);
	}
	return hlen;
}

/*
 * ActivateCredential: check the outer HMAC over encIdentity || name, then
 * decrypt encIdentity (AES-CFB, IV 0) into the TPM2B credential. Returns
 * false when the integrity check fails.
 */
static bool activate(EVP_PKEY *ek, const TPMT_PUBLIC *tmpl, const TPM2B_NAME *name,
		     const TPM2B_ID_OBJECT *blob, const TPM2B_ENCRYPTED_SECRET *es,
		     TPM2B_DIGEST *secret)
{
	TPMI_ALG_HASH alg = tmpl->nameAlg;
	UINT16 bits = tmpl->type == TPM2_ALG_RSA ?
		tmpl->parameters.rsaDetail.symmetric.keyBits.aes :
		tmpl->parameters.eccDetail.symmetric.keyBits.aes;
	uint8_t seed[64], hmac_key[64], sym_key[32], mac[64], plain[sizeof(TPM2B_DIGEST)];
	size_t hlen = recover_seed(ek, alg, es, seed), enc_len, off = 0;
	const uint8_t *enc;
	unsigned int maclen = 0;
	struct buf in = { .n = 0 };
	EVP_CIPHER_CTX *cctx;
	int n = 0;

	assert_true(blob->size > 2 + hlen);
	assert_int_equal(blob->credential[0] << 8 | blob->credential[1], hlen);
	enc = blob->credential + 2 + hlen;
	enc_len = blob->size - 2 - hlen;

	ref_kdfa(alg, seed, hlen, "INTEGRITY", NULL, 0, NULL, 0, hmac_key, hlen);
	put(&in, enc, enc_len);
	put(&in, name->name, name->size);
	assert_non_null(HMAC(md_of(alg), hmac_key, (int)hlen, in.b, in.n, mac, &maclen));
	if (memcmp(mac, blob->credential + 2, hlen))
		return false;

	ref_kdfa(alg, seed, hlen, "STORAGE", name->name, name->size, NULL, 0, sym_key,
		 bits / 8);
	cctx = EVP_CIPHER_CTX_new();
	assert_non_null(cctx);
	assert_int_equal(EVP_DecryptInit_ex(cctx, bits == 256 ? EVP_aes_256_cfb128() :
					    EVP_aes_128_cfb128(), NULL, sym_key,
					    (const uint8_t[16]){ 0 }), 1);
	assert_int_equal(EVP_DecryptUpdate(cctx, plain, &n, enc, (int)enc_len), 1);
	assert_int_equal((size_t)n, enc_len);
	EVP_CIPHER_CTX_free(cctx);
	memset(secret, 0, sizeof(*secret));
	assert_int_equal(Tss2_MU_TPM2B_DIGEST_Unmarshal(plain, enc_len, &off, secret), 0);
	assert_int_equal(off, enc_len);
	return true;
}

static void expect_round_trip(EVP_PKEY *ek, TPMI_ALG_PUBLIC type, TPMI_ALG_HASH alg,
			      UINT16 sym_bits)
{
	TPMT_PUBLIC tmpl = { .type = type, .nameAlg = alg };
	TPMT_SYM_DEF_OBJECT sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = sym_bits,
				    .mode.aes = TPM2_ALG_CFB };
	TPM2B_NAME name = { .size = 34, .name = { 0x00, 0x0b } }, other;
	TPM2B_DIGEST secret = { .size = 32 }, got;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET es;
	struct failure f = { 0 };

	assert_non_null(ek);
	if (type == TPM2_ALG_RSA)
		tmpl.parameters.rsaDetail.symmetric = sym;
	else
		tmpl.parameters.eccDetail.symmetric = sym;
	for (int i = 0; i < 32; i++) {
		name.name[2 + i] = (uint8_t)(0xa0 + i);
		secret.buffer[i] = (uint8_t)(0x50 ^ i);
	}
	memset(&blob, 0, sizeof(blob));
	memset(&es, 0, sizeof(es));
	assert_int_equal(credential_make(ek, &tmpl, &name, &secret, &blob, &es, &f),
			 STATUS_OK);
	assert_true(activate(ek, &tmpl, &name, &blob, &es, &got));
	assert_int_equal(got.size, secret.size);
	assert_memory_equal(got.buffer, secret.buffer, secret.size);

	/* Bound to the object: a TPM holding another key cannot activate it. */
	other = name;
	other.name[33] ^= 1;
	assert_false(activate(ek, &tmpl, &other, &blob, &es, &got));
	EVP_PKEY_free(ek);
}

static void credential_rsa2048_ek_activates(void **state)
{
	(void)state;
	expect_round_trip(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), TPM2_ALG_RSA,
			  TPM2_ALG_SHA256, 128);
}

static void credential_p256_ek_activates(void **state)
{
	(void)state;
	expect_round_trip(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), TPM2_ALG_ECC,
			  TPM2_ALG_SHA256, 128);
}

static void credential_p384_sha384_aes256_ek_activates(void **state)
{
	(void)state;
	expect_round_trip(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), TPM2_ALG_ECC,
			  TPM2_ALG_SHA384, 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference_kdfs_match_openssl),
		cmocka_unit_test(kdfa_matches_reference),
		cmocka_unit_test(kdfe_matches_reference),
		cmocka_unit_test(credential_rsa2048_ek_activates),
		cmocka_unit_test(credential_p256_ek_activates),
		cmocka_unit_test(credential_p384_sha384_aes256_ek_activates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
