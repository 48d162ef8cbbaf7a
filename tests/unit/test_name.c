/*
 * Names against tpm2-tools on swtpm (tests/unit/fixtures/README.md), and the
 * templates against the public areas the TPM built from the same arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "name.h"
#include "templates.h"

/* Fixtures live next to this file; the tests run from the repository root. */
static void fixture_path(const char *file, char *path, size_t size)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 1;

	snprintf(path, size, "%.*s/fixtures/%s", dir, slash ? __FILE__ : ".", file);
}

static size_t read_fixture(const char *file, uint8_t *buf, size_t size)
{
	char path[512];
	FILE *fp;
	size_t n;

	fixture_path(file, path, sizeof(path));
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open fixture %s", path);
	n = fread(buf, 1, size, fp);
	assert_int_equal(fgetc(fp), EOF);
	fclose(fp);
	return n;
}

/* The fixture's public area and tpm2-tools' name for it. */
static void load(const char *base, TPM2B_PUBLIC *pub, TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	char file[64];
	size_t len, off = 0;

	snprintf(file, sizeof(file), "%s.pub", base);
	len = read_fixture(file, buf, sizeof(buf));
	memset(pub, 0, sizeof(*pub));
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub), 0);
	assert_int_equal(off, len);
	snprintf(file, sizeof(file), "%s.name", base);
	memset(name, 0, sizeof(*name));
	name->size = (UINT16)read_fixture(file, name->name, sizeof(name->name));
	assert_true(name->size >= 2 + 32);
}

static void name_of_public_matches_tpm2_tools(void **state)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME want, got;

	load(*state, &pub, &want);
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(name_of_public(&pub.publicArea, &got), 0);
	assert_int_equal(got.size, want.size);
	assert_memory_equal(got.name, want.name, want.size);
	assert_true(name_equal(&got, &want));
}

/* nameAlg || H_nameAlg(handle || name), computed here with OpenSSL directly. */
static void expect_qualified(TPM2_HANDLE hierarchy, const TPM2B_NAME *name,
			     const EVP_MD *md)
{
	uint8_t handle[4] = { (uint8_t)(hierarchy >> 24), (uint8_t)(hierarchy >> 16),
			      (uint8_t)(hierarchy >> 8), (uint8_t)hierarchy };
	uint8_t want[2 + EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	TPM2B_NAME got;

	assert_non_null(ctx);
	memcpy(want, name->name, 2);
	assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, handle, 4), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, name->name, name->size), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, want + 2, &dlen), 1);
	EVP_MD_CTX_free(ctx);

	assert_int_equal(name_qualified(hierarchy, name, &got), 0);
	assert_int_equal(got.size, 2 + dlen);
	assert_memory_equal(got.name, want, 2 + dlen);
}

static void name_qualified_endorsement_sha256(void **state)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;

	(void)state;
	load("eksign", &pub, &name);
	expect_qualified(TPM2_RH_ENDORSEMENT, &name, EVP_sha256());
	expect_qualified(TPM2_RH_NULL, &name, EVP_sha256());
}

static void name_qualified_uses_the_names_hash(void **state)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;

	(void)state;
	load("owner_sha384", &pub, &name);
	assert_int_equal(name.size, 2 + 48);
	expect_qualified(TPM2_RH_OWNER, &name, EVP_sha384());
}

static void name_qualified_refuses_short_or_unknown_names(void **state)
{
	/* One byte of a SHA-256 name: the second algorithm byte is not in it. */
	TPM2B_NAME name = { .size = 1, .name = { 0x00, 0x0b } }, q;

	(void)state;
	assert_int_not_equal(name_qualified(TPM2_RH_OWNER, &name, &q), 0);
	name.size = 34;
	name.name[1] = 0x99; /* alg 0x0099 */
	assert_int_not_equal(name_qualified(TPM2_RH_OWNER, &name, &q), 0);
}

static void name_of_public_refuses_unknown_name_alg(void **state)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;

	(void)state;
	template_storage(&pub);
	pub.publicArea.nameAlg = TPM2_ALG_NULL;
	assert_int_not_equal(name_of_public(&pub.publicArea, &name), 0);
}

/* A template is the fixture minus unique; with the TPM's unique, same name. */
static void expect_template(void (*make)(TPM2B_PUBLIC *), const char *base)
{
	uint8_t a[sizeof(TPMT_PUBLIC)], b[sizeof(TPMT_PUBLIC)];
	size_t alen = 0, blen = 0;
	TPM2B_PUBLIC tmpl, tpm;
	TPM2B_NAME want, got;

	load(base, &tpm, &want);
	make(&tmpl);
	assert_int_equal(tmpl.publicArea.unique.ecc.x.size, 0);
	assert_int_equal(tmpl.publicArea.unique.ecc.y.size, 0);
	assert_true(tpm.publicArea.unique.ecc.x.size == 32);
	tmpl.publicArea.unique = tpm.publicArea.unique;
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&tmpl.publicArea, a, sizeof(a), &alen), 0);
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&tpm.publicArea, b, sizeof(b), &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_int_equal(name_of_public(&tmpl.publicArea, &got), 0);
	assert_true(name_equal(&got, &want));
}

static void template_signing_ek_matches_tpm2_tools(void **state)
{
	(void)state;
	expect_template(template_signing_ek, "eksign");
}

static void template_storage_matches_tpm2_tools_null_and_owner(void **state)
{
	(void)state;
	expect_template(template_storage, "null_storage");
	expect_template(template_storage, "owner_storage");
}

static void name_to_hex_is_lowercase_and_terminated(void **state)
{
	TPM2B_NAME name = { .size = 5, .name = { 0x00, 0x0b, 0xab, 0xcd, 0xef } };
	char hex[NAME_HEX_MAX];
	TPM2B_PUBLIC pub;

	(void)state;
	memset(hex, 'X', sizeof(hex));
	name_to_hex(&name, hex);
	assert_string_equal(hex, "000babcdef");

	load("owner_sha384", &pub, &name);
	memset(hex, 'X', sizeof(hex));
	name_to_hex(&name, hex);
	assert_int_equal(strlen(hex), 2 * 50);
	assert_memory_equal(hex, "000c", 4);
	for (size_t i = 0; i < 50; i++) {
		char two[3];

		snprintf(two, sizeof(two), "%02x", name.name[i]);
		assert_memory_equal(hex + 2 * i, two, 2);
	}
}

static void name_equal_compares_size_and_bytes(void **state)
{
	TPM2B_NAME a = { .size = 34 }, b;

	(void)state;
	for (int i = 0; i < 34; i++)
		a.name[i] = (uint8_t)i;
	b = a;
	assert_true(name_equal(&a, &b));
	b.size = 33; /* a prefix of a */
	assert_false(name_equal(&a, &b));
	assert_false(name_equal(&b, &a));
	b.size = 34;
	b.name[33] ^= 1;
	assert_false(name_equal(&a, &b));
	b.name[33] ^= 1;
	b.name[34] = 0x77; /* bytes past size do not count */
	assert_true(name_equal(&a, &b));
	a.size = b.size = 0;
	assert_true(name_equal(&a, &b));
}

#define FIXTURE_TEST(base) \
	{ "name_of_public_matches_tpm2_tools_" base, name_of_public_matches_tpm2_tools, \
	  NULL, NULL, base }

int main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST("eksign"),
		FIXTURE_TEST("null_storage"),
		FIXTURE_TEST("owner_storage"),
		FIXTURE_TEST("owner_rsa2048"),
		FIXTURE_TEST("owner_sha384"),
		cmocka_unit_test(name_qualified_endorsement_sha256),
		cmocka_unit_test(name_qualified_uses_the_names_hash),
		cmocka_unit_test(name_qualified_refuses_short_or_unknown_names),
		cmocka_unit_test(name_of_public_refuses_unknown_name_alg),
		cmocka_unit_test(template_signing_ek_matches_tpm2_tools),
		cmocka_unit_test(template_storage_matches_tpm2_tools_null_and_owner),
		cmocka_unit_test(name_to_hex_is_lowercase_and_terminated),
		cmocka_unit_test(name_equal_compares_size_and_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
