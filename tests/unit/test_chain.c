/*
 * CA folders as vendors ship them: PEM and DER files in any mix, DER padded
 * like NV, files that are not certificates, cross-signed vendor roots. The
 * certificates are made here with libcrypto, in a fresh temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Before cmocka.h, whose fail() macro would mangle failure.h. */
#include "chain.h"

#include <cmocka.h>

static char dir[64];

struct pki {
	EVP_PKEY *ultimate_key, *vendor_key, *int_key, *leaf_key, *other_key;
	X509 *ultimate;     /* self-signed */
	X509 *vendor;       /* self-signed vendor root */
	X509 *vendor_cross; /* the same subject and key, issued by `ultimate` */
	X509 *intermediate; /* issued by the vendor root */
	X509 *leaf;         /* issued by the intermediate */
	X509 *self_issued;  /* the vendor root's name and key, signed by another key */
};

static struct pki pki;

static X509_NAME *cn(const char *text)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						    (const unsigned char *)text, -1, -1, 0), 1);
	return n;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for `key` named `subject`, signed by `signer` under the name
 * `issuer_name`; `issuer` (NULL: itself) supplies the authority key id when
 * `ids` is set.
 */
static X509 *make(const char *subject, EVP_PKEY *key, const char *issuer_name,
		  X509 *issuer, EVP_PKEY *signer, int ca, int ids)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *s = cn(subject), *i = cn(issuer_name);

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365));
	assert_int_equal(X509_set_subject_name(x, s), 1);
	assert_int_equal(X509_set_issuer_name(x, i), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ca)
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (ids) {
		add_ext(x, issuer, NID_subject_key_identifier, "hash");
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	X509_NAME_free(s);
	X509_NAME_free(i);
	return x;
}

static int make_pki(void **state)
{
	(void)state;
	pki.ultimate_key = EVP_EC_gen("P-256");
	pki.vendor_key = EVP_EC_gen("P-256");
	pki.int_key = EVP_EC_gen("P-256");
	pki.leaf_key = EVP_EC_gen("P-256");
	pki.other_key = EVP_EC_gen("P-256");
	if (!pki.ultimate_key || !pki.vendor_key || !pki.int_key || !pki.leaf_key ||
	    !pki.other_key)
		return -1;
	pki.ultimate = make("Ultimate Root", pki.ultimate_key, "Ultimate Root", NULL,
			    pki.ultimate_key, 1, 1);
	pki.vendor = make("Vendor Root", pki.vendor_key, "Vendor Root", NULL,
			  pki.vendor_key, 1, 1);
	pki.vendor_cross = make("Vendor Root", pki.vendor_key, "Ultimate Root", pki.ultimate,
				pki.ultimate_key, 1, 1);
	pki.intermediate = make("Vendor Intermediate", pki.int_key, "Vendor Root", pki.vendor,
				pki.vendor_key, 1, 1);
	pki.leaf = make("EK", pki.leaf_key, "Vendor Intermediate", pki.intermediate,
			pki.int_key, 0, 1);
	/* No key identifiers: only the signature tells it is not self-signed. */
	pki.self_issued = make("Vendor Root", pki.vendor_key, "Vendor Root", NULL,
			       pki.other_key, 1, 0);
	return 0;
}

static int free_pki(void **state)
{
	(void)state;
	X509_free(pki.ultimate);
	X509_free(pki.vendor);
	X509_free(pki.vendor_cross);
	X509_free(pki.intermediate);
	X509_free(pki.leaf);
	X509_free(pki.self_issued);
	EVP_PKEY_free(pki.ultimate_key);
	EVP_PKEY_free(pki.vendor_key);
	EVP_PKEY_free(pki.int_key);
	EVP_PKEY_free(pki.leaf_key);
	EVP_PKEY_free(pki.other_key);
	return 0;
}

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_chain.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Appending: putting certificates one after another makes a bundle. */
static FILE *open_in_dir(const char *name)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "ab");
	assert_non_null(fp);
	return fp;
}

static void put_pem(const char *name, X509 *x)
{
	FILE *fp = open_in_dir(name);

	assert_int_equal(PEM_write_X509(fp, x), 1);
	assert_int_equal(fclose(fp), 0);
}

/* DER, then `pad` bytes of `fill` (0xff: unused NV space). */
static void put_der(const char *name, X509 *x, size_t pad, int fill)
{
	FILE *fp = open_in_dir(name);

	assert_int_equal(i2d_X509_fp(fp, x), 1);
	while (pad--)
		assert_int_equal(fputc(fill, fp), fill);
	assert_int_equal(fclose(fp), 0);
}

static void put_text(const char *name, const char *text)
{
	FILE *fp = open_in_dir(name);

	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static int roots, intermediates;

/* chain_load_ca on `dir`, counting what became a root and an intermediate. */
static int load(const char *path, X509_STORE **store, STACK_OF(X509) **untrusted,
		struct failure *f)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = chain_load_ca(path ? path : dir, store, untrusted, f);
	roots = *store ? sk_X509_OBJECT_num(X509_STORE_get0_objects(*store)) : 0;
	intermediates = *untrusted ? sk_X509_num(*untrusted) : 0;
	return ret;
}

static char root[256];
static struct failure verify_failure;

/*
 * Verifying the EK leaf against `dir` ends in `status`, with that many roots
 * and intermediates loaded; `root` and `verify_failure` tell the rest.
 */
static void expect_leaf(int status, int want_roots, int want_intermediates)
{
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int ret;

	ret = load(NULL, &store, &untrusted, &verify_failure);
	if (!ret)
		ret = chain_verify(pki.leaf, store, untrusted, root, sizeof(root),
				   &verify_failure);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	assert_int_equal(ret, status);
	assert_int_equal(roots, want_roots);
	assert_int_equal(intermediates, want_intermediates);
}

/* Loading `dir` succeeds with that many roots and intermediates. */
static void expect_loaded(int want_roots, int want_intermediates)
{
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	struct failure f;

	assert_int_equal(load(NULL, &store, &untrusted, &f), STATUS_OK);
	assert_int_equal(roots, want_roots);
	assert_int_equal(intermediates, want_intermediates);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
}

static void der_and_pem_files_all_load(void **state)
{
	(void)state;
	put_pem("decoy.pem", pki.ultimate);
	put_der("vendor-root.cer", pki.vendor, 0, 0);
	put_der("vendor-int.crt", pki.intermediate, 0, 0);
	expect_leaf(STATUS_OK, 2, 1);
	assert_string_equal(root, "/CN=Vendor Root");
}

static void der_padded_like_nv_loads(void **state)
{
	(void)state;
	put_der("root.cer", pki.vendor, 431, 0xff);
	put_der("int.der", pki.intermediate, 16, 0x00);
	expect_leaf(STATUS_OK, 1, 1);
}

static void der_bundle_back_to_back_loads(void **state)
{
	(void)state;
	put_der("chain", pki.intermediate, 0, 0);
	put_der("chain", pki.vendor, 0, 0);
	expect_loaded(1, 1);
}

static void trusted_certificate_pem_loads(void **state)
{
	FILE *fp = open_in_dir("root.pem");

	(void)state;
	assert_int_equal(PEM_write_X509_AUX(fp, pki.vendor), 1);
	assert_int_equal(fclose(fp), 0);
	expect_loaded(1, 0);
}

static void other_files_are_skipped(void **state)
{
	FILE *fp = open_in_dir("signkey.pem");

	(void)state;
	assert_int_equal(PEM_write_PrivateKey(fp, pki.other_key, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(fp), 0);
	put_text("README", "Vendor EK roots.\n");
	put_text("certserial", "1000\n");
	put_text("empty", "");
	put_der("root.crt", pki.vendor, 0, 0);
	expect_loaded(1, 0);
}

/* expect_refused(FILE): loading `dir` is an input error that names FILE. */
static void expect_refused(const char *file)
{
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	struct failure f;

	assert_int_equal(load(NULL, &store, &untrusted, &f), STATUS_USAGE);
	assert_null(store);
	assert_null(untrusted);
	assert_non_null(strstr(f.text, file));
}

/* Text that is no certificate, in a file next to a good root: the file is named. */
struct bad_text {
	const char *file, *text;
};

static struct bad_text page_named_like_a_certificate = {
	"missing-root.crt", "<html><body>404 Not Found</body></html>\n"
};
static struct bad_text empty_pem_file = { "int.pem", "" };
static struct bad_text bad_certificate_block = {
	"bundle2", "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n"
	"-----END CERTIFICATE-----\n"
};

static void bad_text_is_refused(void **state)
{
	const struct bad_text *bad = *state;

	put_der("root.cer", pki.vendor, 0, 0);
	put_text(bad->file, bad->text);
	expect_refused(bad->file);
}

static void truncated_der_is_refused(void **state)
{
	unsigned char *der = NULL;
	int len = i2d_X509(pki.ultimate, &der);
	FILE *fp;

	(void)state;
	assert_true(len > 200);
	put_der("root.cer", pki.vendor, 0, 0);
	fp = open_in_dir("old-root.cer");
	assert_int_equal(fwrite(der, 1, 200, fp), 200);
	assert_int_equal(fclose(fp), 0);
	OPENSSL_free(der);
	expect_refused("old-root.cer");
}

static void der_followed_by_junk_is_refused(void **state)
{
	(void)state;
	put_der("chain", pki.intermediate, 0, 0);
	put_text("chain", "junk");
	expect_refused("chain");
}

static void folder_without_certificates_is_refused(void **state)
{
	(void)state;
	put_text("README", "nothing here\n");
	expect_refused(dir);
}

static void cross_signed_vendor_root_is_an_intermediate(void **state)
{
	(void)state;
	put_pem("vendor-root.pem", pki.vendor_cross);
	put_pem("vendor-int.pem", pki.intermediate);
	expect_leaf(STATUS_VERIFY, 0, 2);
	assert_non_null(strstr(verify_failure.text, "Vendor Root"));
	/* With the root above it, the chain verifies to that root. */
	put_der("ultimate.cer", pki.ultimate, 0, 0);
	expect_leaf(STATUS_OK, 1, 2);
	assert_string_equal(root, "/CN=Ultimate Root");
}

static void self_issued_but_not_self_signed_is_no_root(void **state)
{
	(void)state;
	/* Subject and issuer names match, but another key signed it. */
	put_pem("vendor-root.pem", pki.self_issued);
	put_pem("vendor-int.pem", pki.intermediate);
	expect_leaf(STATUS_VERIFY, 0, 2);
}

/* One case per bad text, named after it, in a fresh folder. */
#define BAD_TEXT(bad) { #bad "_is_refused", bad_text_is_refused, make_dir, remove_dir, \
			&(bad) }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(der_and_pem_files_all_load, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(der_padded_like_nv_loads, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(der_bundle_back_to_back_loads, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(trusted_certificate_pem_loads, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(other_files_are_skipped, make_dir, remove_dir),
		BAD_TEXT(page_named_like_a_certificate),
		BAD_TEXT(empty_pem_file),
		cmocka_unit_test_setup_teardown(truncated_der_is_refused, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(der_followed_by_junk_is_refused, make_dir, remove_dir),
		BAD_TEXT(bad_certificate_block),
		cmocka_unit_test_setup_teardown(folder_without_certificates_is_refused, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(cross_signed_vendor_root_is_an_intermediate, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(self_issued_but_not_self_signed_is_no_root, make_dir,
						remove_dir),
	};

	return cmocka_run_group_tests(tests, make_pki, free_pki);
}
