/*
 * EK templates against the TCG EK Credential Profile 2.x: the policies are
 * recomputed here from their definitions with OpenSSL, the rest is the
 * profile's tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ek_templates.h"

/* The profile's template table (label prefix, hash, symmetric bits). */
static const struct {
	const char *label;
	TPMI_ALG_PUBLIC type;
	TPMI_ALG_HASH name_alg;
	unsigned key_bits;     /* RSA modulus or ECC curve size */
	UINT16 sym_bits;
} profile[] = {
	{ "L-1", TPM2_ALG_RSA, TPM2_ALG_SHA256, 2048, 128 },
	{ "L-2", TPM2_ALG_ECC, TPM2_ALG_SHA256, 256, 128 },
	{ "H-1", TPM2_ALG_RSA, TPM2_ALG_SHA256, 2048, 128 },
	{ "H-2", TPM2_ALG_ECC, TPM2_ALG_SHA256, 256, 128 },
	{ "H-3", TPM2_ALG_ECC, TPM2_ALG_SHA384, 384, 256 },
	{ "H-4", TPM2_ALG_ECC, TPM2_ALG_SHA512, 521, 256 },
	{ "H-6", TPM2_ALG_RSA, TPM2_ALG_SHA384, 3072, 256 },
	{ "H-7", TPM2_ALG_RSA, TPM2_ALG_SHA384, 4096, 256 },
};
#define PROFILE_COUNT (sizeof(profile) / sizeof(profile[0]))

static const struct ek_template *find(const char *label)
{
	for (size_t i = 0; i < ek_template_count; i++)
		if (!strncmp(ek_templates[i].label, label, strlen(label)) &&
		    ek_templates[i].label[strlen(label)] == ' ')
			return &ek_templates[i];
	fail_msg("no template %s", label);
	return NULL;
}

static const EVP_MD *md_of(TPMI_ALG_HASH alg)
{
	return alg == TPM2_ALG_SHA384 ? EVP_sha384() :
	       alg == TPM2_ALG_SHA512 ? EVP_sha512() : EVP_sha256();
}

static void put32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

/* out = H(a || b || c), returns the digest size. */
static size_t hash3(const EVP_MD *md, const void *a, size_t al, const void *b,
		    size_t bl, const void *c, size_t cl, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, al), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, b, bl), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, c, cl), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	EVP_MD_CTX_free(ctx);
	return n;
}

struct policies {
	size_t n;
	uint8_t a[64], b[64], c[64];
};

static void compute_policies(TPMI_ALG_HASH alg, struct policies *p)
{
	const EVP_MD *md = md_of(alg);
	size_t n = (size_t)EVP_MD_get_size(md);
	uint8_t zero[64] = { 0 }, cc_handle[8], step[64], nvpub[4 + 2 + 4 + 2 + 64 + 2];
	uint8_t nvname[2 + 64], cc[4], ac[128];
	TPM2_HANDLE index = alg == TPM2_ALG_SHA256 ? 0x01C07F01 :
			    alg == TPM2_ALG_SHA384 ? 0x01C07F02 : 0x01C07F03;
	size_t off = 0;

	p->n = n;
	/* PolicyA = PolicySecret(TPM_RH_ENDORSEMENT), empty policyRef. */
	put32(cc_handle, 0x00000151);
	put32(cc_handle + 4, TPM2_RH_ENDORSEMENT);
	hash3(md, zero, n, cc_handle, 8, "", 0, step);
	hash3(md, step, n, "", 0, "", 0, p->a);

	/* The PolicyC NV index: TPMS_NV_PUBLIC marshalled by hand, its name. */
	put32(nvpub, index);
	nvpub[4] = (uint8_t)(alg >> 8);
	nvpub[5] = (uint8_t)alg;
	put32(nvpub + 6, 0x220F1008);
	nvpub[10] = (uint8_t)(n >> 8);
	nvpub[11] = (uint8_t)n;
	memcpy(nvpub + 12, p->a, n);
	off = 12 + n;
	nvpub[off] = (uint8_t)((n + 2) >> 8);
	nvpub[off + 1] = (uint8_t)(n + 2);
	off += 2;
	nvname[0] = (uint8_t)(alg >> 8);
	nvname[1] = (uint8_t)alg;
	hash3(md, nvpub, off, "", 0, "", 0, nvname + 2);

	/* PolicyC = PolicyAuthorizeNV(index). */
	put32(cc, 0x00000192);
	hash3(md, zero, n, cc, 4, nvname, 2 + n, p->c);

	/* PolicyB = PolicyOR(A, C). */
	put32(cc, 0x00000171);
	memcpy(ac, p->a, n);
	memcpy(ac + n, p->c, n);
	hash3(md, zero, n, cc, 4, ac, 2 * n, p->b);
}

static void policy_a_sha256_is_the_profiles(void **state)
{
	/* Sanity check of compute_policies: the value printed in the profile. */
	static const uint8_t want[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d,
		0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
		0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};
	struct policies p;

	(void)state;
	compute_policies(TPM2_ALG_SHA256, &p);
	assert_memory_equal(p.a, want, 32);
}

static void auth_policy_and_or_branches_match_definitions(void **state)
{
	(void)state;
	for (size_t i = 0; i < ek_template_count; i++) {
		const struct ek_template *t = &ek_templates[i];
		TPM2B_DIGEST a, c;
		TPM2B_PUBLIC pub;
		struct policies p;

		compute_policies(t->name_alg, &p);
		ek_template_public(t, &pub);
		assert_int_equal(pub.publicArea.authPolicy.size, p.n);
		assert_memory_equal(pub.publicArea.authPolicy.buffer,
				    t->high ? p.b : p.a, p.n);
		ek_template_or_branches(t, &a, &c);
		assert_int_equal(a.size, p.n);
		assert_int_equal(c.size, p.n);
		assert_memory_equal(a.buffer, p.a, p.n);
		assert_memory_equal(c.buffer, p.c, p.n);
	}
}

static void templates_follow_the_profile_table(void **state)
{
	(void)state;
	assert_int_equal(ek_template_count, PROFILE_COUNT);
	for (size_t i = 0; i < PROFILE_COUNT; i++) {
		const struct ek_template *t = find(profile[i].label);
		bool high = profile[i].label[0] == 'H';
		TPM2B_PUBLIC pub;
		const TPMT_PUBLIC *pa = &pub.publicArea;
		const TPMT_SYM_DEF_OBJECT *sym;

		ek_template_public(t, &pub);
		assert_int_equal(t->high, high);
		assert_int_equal(pa->type, profile[i].type);
		assert_int_equal(pa->nameAlg, profile[i].name_alg);
		assert_int_equal(pa->objectAttributes, high ? 0x000300F2 : 0x000300B2);
		if (pa->type == TPM2_ALG_RSA) {
			sym = &pa->parameters.rsaDetail.symmetric;
			assert_int_equal(pa->parameters.rsaDetail.keyBits, profile[i].key_bits);
			assert_int_equal(pa->parameters.rsaDetail.exponent, 0);
			assert_int_equal(pa->parameters.rsaDetail.scheme.scheme, TPM2_ALG_NULL);
		} else {
			sym = &pa->parameters.eccDetail.symmetric;
			assert_int_equal(pa->parameters.eccDetail.curveID,
					 profile[i].key_bits == 256 ? TPM2_ECC_NIST_P256 :
					 profile[i].key_bits == 384 ? TPM2_ECC_NIST_P384 :
					 TPM2_ECC_NIST_P521);
			assert_int_equal(pa->parameters.eccDetail.scheme.scheme, TPM2_ALG_NULL);
			assert_int_equal(pa->parameters.eccDetail.kdf.scheme, TPM2_ALG_NULL);
		}
		assert_int_equal(sym->algorithm, TPM2_ALG_AES);
		assert_int_equal(sym->keyBits.aes, profile[i].sym_bits);
		assert_int_equal(sym->mode.aes, TPM2_ALG_CFB);
		if (high && pa->type == TPM2_ALG_RSA)
			assert_int_equal(pa->unique.rsa.size, 0);
		if (high && pa->type == TPM2_ALG_ECC) {
			assert_int_equal(pa->unique.ecc.x.size, 0);
			assert_int_equal(pa->unique.ecc.y.size, 0);
		}
	}
}

static void low_range_unique_is_zero_filled(void **state)
{
	static const uint8_t zero[256];
	TPM2B_PUBLIC pub;

	(void)state;
	memset(&pub, 0xff, sizeof(pub));
	ek_template_public(find("L-1"), &pub);
	assert_int_equal(pub.publicArea.unique.rsa.size, 256);
	assert_memory_equal(pub.publicArea.unique.rsa.buffer, zero, 256);

	memset(&pub, 0xff, sizeof(pub));
	ek_template_public(find("L-2"), &pub);
	assert_int_equal(pub.publicArea.unique.ecc.x.size, 32);
	assert_int_equal(pub.publicArea.unique.ecc.y.size, 32);
	assert_memory_equal(pub.publicArea.unique.ecc.x.buffer, zero, 32);
	assert_memory_equal(pub.publicArea.unique.ecc.y.buffer, zero, 32);
}

/* Each key fits exactly the templates of its algorithm and size. */
static void expect_fits(EVP_PKEY *key, TPMI_ALG_PUBLIC type, unsigned bits,
			size_t count)
{
	size_t fits = 0;

	assert_non_null(key);
	for (size_t i = 0; i < PROFILE_COUNT; i++) {
		bool want = profile[i].type == type && profile[i].key_bits == bits;

		assert_int_equal(ek_template_fits(find(profile[i].label), key), want);
		fits += want;
	}
	assert_int_equal(fits, count);
	EVP_PKEY_free(key);
}

static void fits_rsa_keys(void **state)
{
	(void)state;
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), TPM2_ALG_RSA, 2048, 2);
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072), TPM2_ALG_RSA, 3072, 1);
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096), TPM2_ALG_RSA, 4096, 1);
	/* A size no template has. */
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), TPM2_ALG_RSA, 1024, 0);
}

static void fits_ecc_keys(void **state)
{
	(void)state;
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), TPM2_ALG_ECC, 256, 2);
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), TPM2_ALG_ECC, 384, 1);
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), TPM2_ALG_ECC, 521, 1);
	expect_fits(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224"), TPM2_ALG_ECC, 224, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_a_sha256_is_the_profiles),
		cmocka_unit_test(auth_policy_and_or_branches_match_definitions),
		cmocka_unit_test(templates_follow_the_profile_table),
		cmocka_unit_test(low_range_unique_is_zero_filled),
		cmocka_unit_test(fits_rsa_keys),
		cmocka_unit_test(fits_ecc_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
