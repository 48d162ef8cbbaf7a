/*
 * Bounds that hold whatever the TPM supplies: KDFa/KDFe refuse to write past
 * the room they are given, credential_make refuses a template it cannot
 * honour (an AES key of 1024 or 0xfff8 bits once overflowed a 32-byte stack
 * buffer), and template_from_nv refuses every field of an NV-stored EK
 * template or nonce that is out of what the tool supports. Run under ASan
 * (make SANITIZE=1) too: a refusal that still wrote out of bounds fails there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

/* Before cmocka.h, whose fail() macro would mangle failure.h. */
#include "credential.h"
#include "ek_templates.h"
#include "kdf.h"
#include "template_check.h"

#include <cmocka.h>

static const uint8_t key[32] = "0123456789abcdef0123456789abcde";

/* Room for 32 bytes followed by a guard that no refused call may touch. */
struct guarded {
	uint8_t out[32];
	uint8_t guard[64];
};

static void guard_intact(const struct guarded *g)
{
	for (size_t i = 0; i < sizeof(g->guard); i++)
		assert_int_equal(g->guard[i], 0xa5);
}

static void kdf_refuses_more_than_its_room(void **state)
{
	static const size_t too_many[] = { 33, 128, 0xfff8 / 8, 0x1fffffff, 0 };
	struct guarded g;

	(void)state;
	for (size_t i = 0; i < sizeof(too_many) / sizeof(too_many[0]); i++) {
		memset(&g, 0xa5, sizeof(g));
		assert_int_not_equal(kdf_a(TPM2_ALG_SHA256, key, 32, "STORAGE", NULL, 0,
					   NULL, 0, g.out, sizeof(g.out), too_many[i]), 0);
		assert_int_not_equal(kdf_e(TPM2_ALG_SHA256, key, 32, "IDENTITY", NULL, 0,
					   NULL, 0, g.out, sizeof(g.out), too_many[i]), 0);
		guard_intact(&g);
	}
	/* Exactly the room is fine, and writes only it. */
	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(kdf_a(TPM2_ALG_SHA256, key, 32, "STORAGE", NULL, 0, NULL, 0,
			       g.out, sizeof(g.out), sizeof(g.out)), 0);
	assert_int_equal(kdf_e(TPM2_ALG_SHA512, key, 32, "IDENTITY", NULL, 0, NULL, 0,
			       g.out, sizeof(g.out), sizeof(g.out)), 0);
	guard_intact(&g);
	/* A hash the code does not know gives no output, whatever the room. */
	assert_int_not_equal(kdf_a(0x0012, key, 32, "STORAGE", NULL, 0, NULL, 0, g.out,
				   sizeof(g.out), 16), 0);
	/* KDFa without a key would silently be a plain hash: refused. */
	assert_int_not_equal(kdf_a(TPM2_ALG_SHA256, NULL, 0, "STORAGE", NULL, 0, NULL, 0,
				   g.out, sizeof(g.out), 16), 0);
	guard_intact(&g);
}

static TPMT_PUBLIC good_template(TPMI_ALG_PUBLIC type)
{
	TPMT_PUBLIC t = { .type = type, .nameAlg = TPM2_ALG_SHA256 };
	TPMT_SYM_DEF_OBJECT sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				    .mode.aes = TPM2_ALG_CFB };

	if (type == TPM2_ALG_RSA)
		t.parameters.rsaDetail.symmetric = sym;
	else
		t.parameters.eccDetail.symmetric = sym;
	return t;
}

static TPMT_SYM_DEF_OBJECT *sym_of(TPMT_PUBLIC *t)
{
	return t->type == TPM2_ALG_RSA ? &t->parameters.rsaDetail.symmetric :
					 &t->parameters.eccDetail.symmetric;
}

/* credential_make's verdict on tmpl; the outputs are poisoned first. */
static int make(EVP_PKEY *ek, const TPMT_PUBLIC *tmpl, const TPM2B_NAME *name,
		const TPM2B_DIGEST *secret, TPM2B_ID_OBJECT *blob)
{
	TPM2B_ENCRYPTED_SECRET es;
	struct failure f = { 0 };
	int ret;

	memset(blob, 0xa5, sizeof(*blob));
	memset(&es, 0xa5, sizeof(es));
	ret = credential_make(ek, tmpl, name, secret, blob, &es, &f);
	if (ret)
		assert_true(f.text[0] != '\0');
	return ret;
}

static void expect_credential_refusals(EVP_PKEY *ek, TPMI_ALG_PUBLIC type)
{
	static const UINT16 bad_bits[] = { 1024, 0xfff8, 0, 64, 192, 512 };
	TPM2B_NAME name = { .size = 34, .name = { 0x00, 0x0b } };
	TPM2B_DIGEST secret = { .size = 32 };
	TPM2B_ID_OBJECT blob;
	TPMT_PUBLIC t;

	assert_non_null(ek);
	t = good_template(type);
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_OK);
	assert_int_equal(blob.size, 2 + 32 + 2 + 32);
	t = good_template(type);
	sym_of(&t)->keyBits.aes = 256;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_OK);

	for (size_t i = 0; i < sizeof(bad_bits) / sizeof(bad_bits[0]); i++) {
		t = good_template(type);
		sym_of(&t)->keyBits.aes = bad_bits[i];
		assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	}
	t = good_template(type);
	sym_of(&t)->mode.aes = TPM2_ALG_OFB;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	t = good_template(type);
	sym_of(&t)->algorithm = TPM2_ALG_NULL;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	t = good_template(type);
	t.nameAlg = TPM2_ALG_SHA1;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	t.nameAlg = 0x0012; /* SM3: no digest here */
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	t = good_template(type);
	t.type = TPM2_ALG_KEYEDHASH;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	/* Sizes from the caller are checked against the TPM2B buffers too. */
	t = good_template(type);
	secret.size = 33;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	secret.size = 0xffff;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	secret.size = 32;
	name.size = sizeof(name.name) + 1;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	name.size = 0xffff;
	assert_int_equal(make(ek, &t, &name, &secret, &blob), STATUS_VERIFY);
	EVP_PKEY_free(ek);
}

static void credential_refuses_bad_templates_rsa(void **state)
{
	(void)state;
	expect_credential_refusals(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
				   TPM2_ALG_RSA);
}

static void credential_refuses_bad_templates_ecc(void **state)
{
	(void)state;
	expect_credential_refusals(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
				   TPM2_ALG_ECC);
}

/* --- NV overrides ------------------------------------------------------ */

#define L1_TMPL 0x01c00004
#define L1_NONCE 0x01c00003
#define L2_TMPL 0x01c0000c
#define L2_NONCE 0x01c0000b

static const struct ek_template *template_at(TPM2_HANDLE cert_index)
{
	for (size_t i = 0; i < ek_template_count; i++)
		if (ek_templates[i].cert_index == cert_index)
			return &ek_templates[i];
	fail_msg("no template for 0x%08x", cert_index);
	return NULL;
}

struct nv_case {
	uint8_t tmpl[sizeof(TPMT_PUBLIC) + 16];
	size_t tmpl_len;
};

static void marshal(const TPMT_PUBLIC *p, struct nv_case *c)
{
	c->tmpl_len = 0;
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(p, c->tmpl, sizeof(c->tmpl),
						     &c->tmpl_len), 0);
}

/* template_from_nv on a stored template (and nonce); the message is checked. */
static int from_nv(const struct ek_template *t, const struct nv_case *c,
		   const uint8_t *nonce, size_t nonce_len, TPM2B_PUBLIC *out)
{
	bool rsa = t->type == TPM2_ALG_RSA;
	struct ek_override o = {
		.tmpl_index = rsa ? L1_TMPL : L2_TMPL,
		.nonce_index = rsa ? L1_NONCE : L2_NONCE,
		.tmpl = c ? c->tmpl : NULL, .tmpl_len = c ? c->tmpl_len : 0,
		.nonce = nonce, .nonce_len = nonce_len,
	};
	struct failure f = { 0 };
	int ret = template_from_nv(t, &o, out, &f);

	if (ret)
		assert_non_null(strstr(f.text, "NV 0x01c0000"));
	return ret;
}

static void every_profile_template_passes_its_own_check(void **state)
{
	TPM2B_PUBLIC pub;
	struct failure f = { 0 };

	(void)state;
	for (size_t i = 0; i < ek_template_count; i++) {
		ek_template_public(&ek_templates[i], &pub);
		assert_int_equal(template_check_ek(&ek_templates[i], &pub.publicArea,
						   ek_templates[i].cert_index, &f), STATUS_OK);
	}
}

/* Stored copies of the profile's own templates are taken as they are. */
static void stored_profile_templates_are_used(void **state)
{
	static const uint8_t nonce[32] = "a nonce of thirty-two bytes ...";
	struct nv_case c, back;
	TPM2B_PUBLIC want, got;

	(void)state;
	for (int k = 0; k < 2; k++) {
		const struct ek_template *t = template_at(k ? 0x01c0000a : 0x01c00002);

		ek_template_public(t, &want);
		marshal(&want.publicArea, &c);
		assert_int_equal(from_nv(t, &c, NULL, 0, &got), STATUS_OK);
		marshal(&got.publicArea, &back);
		assert_int_equal(back.tmpl_len, c.tmpl_len);
		assert_memory_equal(back.tmpl, c.tmpl, c.tmpl_len);
		/* NV padding after the structure, as an index larger than it leaves. */
		memset(c.tmpl + c.tmpl_len, 0xff, 8);
		c.tmpl_len += 8;
		assert_int_equal(from_nv(t, &c, NULL, 0, &got), STATUS_OK);
		/* The nonce starts the zero-filled unique field of the key's size. */
		assert_int_equal(from_nv(t, &c, nonce, 17, &got), STATUS_OK);
		assert_int_equal(from_nv(t, NULL, nonce, 32, &got), STATUS_OK);
		if (t->type == TPM2_ALG_RSA) {
			assert_int_equal(got.publicArea.unique.rsa.size, 256);
			assert_memory_equal(got.publicArea.unique.rsa.buffer, nonce, 32);
		} else {
			assert_int_equal(got.publicArea.unique.ecc.x.size, 32);
			assert_int_equal(got.publicArea.unique.ecc.y.size, 32);
			assert_memory_equal(got.publicArea.unique.ecc.x.buffer, nonce, 32);
		}
	}
}

typedef void (*spoil_fn)(TPMT_PUBLIC *p);

static void sym_1024(TPMT_PUBLIC *p) { sym_of(p)->keyBits.aes = 1024; }
static void sym_fff8(TPMT_PUBLIC *p) { sym_of(p)->keyBits.aes = 0xfff8; }
static void sym_192(TPMT_PUBLIC *p) { sym_of(p)->keyBits.aes = 192; }
static void sym_ofb(TPMT_PUBLIC *p) { sym_of(p)->mode.aes = TPM2_ALG_OFB; }
static void sym_null(TPMT_PUBLIC *p) { sym_of(p)->algorithm = TPM2_ALG_NULL; }
static void sym_other(TPMT_PUBLIC *p) { sym_of(p)->algorithm = TPM2_ALG_CAMELLIA; }
static void name_sha1(TPMT_PUBLIC *p) { p->nameAlg = TPM2_ALG_SHA1; }
static void name_sm3(TPMT_PUBLIC *p) { p->nameAlg = 0x0012; }
static void name_sha384(TPMT_PUBLIC *p) { p->nameAlg = TPM2_ALG_SHA384; }
static void attrs_sign(TPMT_PUBLIC *p) { p->objectAttributes ^= TPMA_OBJECT_DECRYPT | TPMA_OBJECT_SIGN_ENCRYPT; }
static void attrs_unrestricted(TPMT_PUBLIC *p) { p->objectAttributes &= ~TPMA_OBJECT_RESTRICTED; }
static void attrs_not_fixed(TPMT_PUBLIC *p) { p->objectAttributes &= ~TPMA_OBJECT_FIXEDTPM; }
static void attrs_extra(TPMT_PUBLIC *p) { p->objectAttributes |= TPMA_OBJECT_ENCRYPTEDDUPLICATION; }
static void policy_empty(TPMT_PUBLIC *p) { p->authPolicy.size = 0; }
static void policy_long(TPMT_PUBLIC *p) { p->authPolicy.size = 48; }
static void policy_other(TPMT_PUBLIC *p) { p->authPolicy.buffer[0] ^= 1; }
static void type_keyedhash(TPMT_PUBLIC *p)
{
	p->type = TPM2_ALG_KEYEDHASH;
	memset(&p->parameters, 0, sizeof(p->parameters));
	p->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	memset(&p->unique, 0, sizeof(p->unique));
}

static void rsa_scheme(TPMT_PUBLIC *p)
{
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_OAEP;
	p->parameters.rsaDetail.scheme.details.oaep.hashAlg = TPM2_ALG_SHA256;
}
static void rsa_1024(TPMT_PUBLIC *p) { p->parameters.rsaDetail.keyBits = 1024; }
static void rsa_4096(TPMT_PUBLIC *p) { p->parameters.rsaDetail.keyBits = 4096; }
static void rsa_exp3(TPMT_PUBLIC *p) { p->parameters.rsaDetail.exponent = 3; }
static void rsa_unique(TPMT_PUBLIC *p) { p->unique.rsa.size = 257; }
static void ecc_p384(TPMT_PUBLIC *p) { p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384; }
static void ecc_bn(TPMT_PUBLIC *p) { p->parameters.eccDetail.curveID = TPM2_ECC_BN_P256; }
static void ecc_kdf(TPMT_PUBLIC *p)
{
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_KDF1_SP800_56A;
	p->parameters.eccDetail.kdf.details.kdf1_sp800_56a.hashAlg = TPM2_ALG_SHA256;
}
static void ecc_scheme(TPMT_PUBLIC *p)
{
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDH;
	p->parameters.eccDetail.scheme.details.ecdh.hashAlg = TPM2_ALG_SHA256;
}
static void ecc_unique_x(TPMT_PUBLIC *p) { p->unique.ecc.x.size = 33; }
static void ecc_unique_y(TPMT_PUBLIC *p) { p->unique.ecc.y.size = 66; }

static void expect_refused(const struct ek_template *t, const spoil_fn *spoil, size_t n)
{
	struct nv_case c;
	TPM2B_PUBLIC pub, out;

	for (size_t i = 0; i < n; i++) {
		ek_template_public(t, &pub);
		spoil[i](&pub.publicArea);
		marshal(&pub.publicArea, &c);
		if (from_nv(t, &c, NULL, 0, &out) != STATUS_VERIFY)
			fail_msg("%s: spoiled field %zu accepted", t->label, i);
	}
}

static void stored_templates_with_bad_fields_are_refused(void **state)
{
	static const spoil_fn common[] = {
		sym_1024, sym_fff8, sym_192, sym_ofb, sym_null, sym_other, name_sha1,
		name_sm3, name_sha384, attrs_sign, attrs_unrestricted, attrs_not_fixed,
		attrs_extra, policy_empty, policy_long, policy_other, type_keyedhash,
	};
	static const spoil_fn rsa[] = { rsa_scheme, rsa_1024, rsa_4096, rsa_exp3, rsa_unique };
	static const spoil_fn ecc[] = { ecc_p384, ecc_bn, ecc_kdf, ecc_scheme, ecc_unique_x,
					ecc_unique_y };
	const struct ek_template *l1 = template_at(0x01c00002), *l2 = template_at(0x01c0000a);

	(void)state;
	expect_refused(l1, common, sizeof(common) / sizeof(common[0]));
	expect_refused(l2, common, sizeof(common) / sizeof(common[0]));
	expect_refused(l1, rsa, sizeof(rsa) / sizeof(rsa[0]));
	expect_refused(l2, ecc, sizeof(ecc) / sizeof(ecc[0]));
	/* The other key type entirely: an ECC template for the RSA certificate. */
	{
		struct nv_case c;
		TPM2B_PUBLIC pub, out;

		ek_template_public(l2, &pub);
		marshal(&pub.publicArea, &c);
		assert_int_equal(from_nv(l1, &c, NULL, 0, &out), STATUS_VERIFY);
	}
}

static void stored_bytes_that_are_no_template_are_refused(void **state)
{
	const struct ek_template *t = template_at(0x01c0000a);
	static const uint8_t nonce[40] = { 1 };
	struct nv_case c;
	TPM2B_PUBLIC pub, out;
	size_t full;

	(void)state;
	ek_template_public(t, &pub);
	marshal(&pub.publicArea, &c);
	full = c.tmpl_len;
	/* Every truncation. */
	for (c.tmpl_len = 0; c.tmpl_len < full; c.tmpl_len++)
		assert_int_equal(from_nv(t, &c, NULL, 0, &out), STATUS_VERIFY);
	/* Trailing bytes that are not blank padding. */
	c.tmpl_len = full;
	c.tmpl[c.tmpl_len++] = 0x5a;
	assert_int_equal(from_nv(t, &c, NULL, 0, &out), STATUS_VERIFY);
	/* Nonces: empty or longer than the profile's 32 bytes. */
	c.tmpl_len = full;
	assert_int_equal(from_nv(t, &c, nonce, 0, &out), STATUS_VERIFY);
	assert_int_equal(from_nv(t, &c, nonce, 33, &out), STATUS_VERIFY);
	assert_int_equal(from_nv(t, NULL, nonce, 40, &out), STATUS_VERIFY);
	assert_int_equal(from_nv(template_at(0x01c00002), NULL, nonce, 33, &out),
			 STATUS_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kdf_refuses_more_than_its_room),
		cmocka_unit_test(credential_refuses_bad_templates_rsa),
		cmocka_unit_test(credential_refuses_bad_templates_ecc),
		cmocka_unit_test(every_profile_template_passes_its_own_check),
		cmocka_unit_test(stored_profile_templates_are_used),
		cmocka_unit_test(stored_templates_with_bad_fields_are_refused),
		cmocka_unit_test(stored_bytes_that_are_no_template_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
