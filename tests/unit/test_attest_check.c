/*
 * attest_check against real, freshly signed TPMS_ATTEST structures. Each
 * negative case changes one thing and signs again, so that only the check
 * of that one field can catch it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

/* Before cmocka.h, whose fail() macro would mangle failure.h. */
#include "attest_check.h"

#include <cmocka.h>

struct ctx {
	EVP_PKEY *signer, *other;
	TPM2B_DATA nonce;
	TPM2B_NAME signer_qname, object_name, object_qname;
	struct certify_expect want;
	TPMS_ATTEST att;          /* what the "TPM" attests, edited per test */
	TPM2B_ATTEST blob;        /* its signed bytes */
	TPMT_SIGNATURE sig;
};

static struct ctx C;

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static void make_name(TPM2B_NAME *n, uint8_t seed)
{
	n->size = 34;
	n->name[0] = 0x00;
	n->name[1] = 0x0b;
	fill(n->name + 2, 32, seed);
}

/* ECDSA over H(data) with the given key and hash, as a TPMT_SIGNATURE. */
static void sign(const uint8_t *data, size_t len, EVP_PKEY *key, const EVP_MD *md,
		 TPMI_ALG_HASH hash, TPMT_SIGNATURE *sig)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char der[128];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	const BIGNUM *r, *s;
	ECDSA_SIG *esig;

	assert_non_null(mctx);
	assert_int_equal(EVP_DigestSignInit(mctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(mctx, der, &der_len, data, len), 1);
	EVP_MD_CTX_free(mctx);
	esig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(esig);
	ECDSA_SIG_get0(esig, &r, &s);
	memset(sig, 0, sizeof(*sig));
	sig->sigAlg = TPM2_ALG_ECDSA;
	sig->signature.ecdsa.hash = hash;
	sig->signature.ecdsa.signatureR.size = 32;
	sig->signature.ecdsa.signatureS.size = 32;
	assert_int_equal(BN_bn2binpad(r, sig->signature.ecdsa.signatureR.buffer, 32), 32);
	assert_int_equal(BN_bn2binpad(s, sig->signature.ecdsa.signatureS.buffer, 32), 32);
	ECDSA_SIG_free(esig);
}

/* Marshal C.att, apply a byte-level change (-1: drop last byte, 1: append 0), sign. */
static void marshal_and_sign(int length_change)
{
	size_t off = 0;

	memset(&C.blob, 0, sizeof(C.blob));
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&C.att, C.blob.attestationData,
						     sizeof(C.blob.attestationData), &off), 0);
	assert_true(off > 100 && off < sizeof(C.blob.attestationData));
	off = (size_t)((long)off + length_change);
	C.blob.size = (UINT16)off;
	sign(C.blob.attestationData, C.blob.size, C.signer, EVP_sha256(),
	     TPM2_ALG_SHA256, &C.sig);
}

static int check(TPMS_CLOCK_INFO *clock, struct failure *f)
{
	memset(f, 0, sizeof(*f));
	return attest_check(&C.blob, &C.sig, C.signer, &C.want, clock, f);
}

static void expect_rejected(void)
{
	TPMS_CLOCK_INFO clock;
	struct failure f;

	assert_int_equal(check(&clock, &f), STATUS_VERIFY);
	assert_int_equal(f.status, STATUS_VERIFY);
	assert_true(f.text[0] != '\0');
}

/* Re-sign the edited attestation; its signature is good, a field is not. */
static void expect_field_rejected(int length_change)
{
	struct failure f = { 0 };

	marshal_and_sign(length_change);
	assert_int_equal(attest_signature_check(C.blob.attestationData, C.blob.size,
						&C.sig, C.signer, &f), STATUS_OK);
	expect_rejected();
}

static int group_setup(void **state)
{
	(void)state;
	C.signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	C.other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return C.signer && C.other ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(C.signer);
	EVP_PKEY_free(C.other);
	return 0;
}

/* A good attestation of the expected object, freshly signed. */
static int setup(void **state)
{
	TPMS_ATTEST *a = &C.att;

	(void)state;
	C.nonce.size = 32;
	fill(C.nonce.buffer, 32, 0x11);
	make_name(&C.signer_qname, 0x22);
	make_name(&C.object_name, 0x33);
	make_name(&C.object_qname, 0x44);
	C.want = (struct certify_expect){ &C.nonce, &C.signer_qname, &C.object_name,
					  &C.object_qname };
	memset(a, 0, sizeof(*a));
	a->magic = TPM2_GENERATED_VALUE;
	a->type = TPM2_ST_ATTEST_CERTIFY;
	a->qualifiedSigner = C.signer_qname;
	a->extraData = C.nonce;
	a->clockInfo = (TPMS_CLOCK_INFO){ .clock = 0x0102030405060708ULL,
					  .resetCount = 9, .restartCount = 10, .safe = 1 };
	a->firmwareVersion = 0x2019032120190321ULL;
	a->attested.certify.name = C.object_name;
	a->attested.certify.qualifiedName = C.object_qname;
	marshal_and_sign(0);
	return 0;
}

static void accepts_good_attestation_and_returns_clock(void **state)
{
	TPMS_CLOCK_INFO clock;
	struct failure f;

	(void)state;
	memset(&clock, 0, sizeof(clock));
	assert_int_equal(check(&clock, &f), STATUS_OK);
	assert_true(clock.clock == 0x0102030405060708ULL);
	assert_int_equal(clock.resetCount, 9);
	assert_int_equal(clock.restartCount, 10);
	assert_int_equal(clock.safe, 1);
}

static void rejects_wrong_magic(void **state)
{
	(void)state;
	C.att.magic = TPM2_GENERATED_VALUE ^ 1;
	expect_field_rejected(0);
}

static void rejects_quote_type(void **state)
{
	(void)state;
	/* A well-formed quote by the same key, with our nonce and signer. */
	C.att.type = TPM2_ST_ATTEST_QUOTE;
	memset(&C.att.attested, 0, sizeof(C.att.attested));
	C.att.attested.quote.pcrDigest.size = 32;
	memcpy(C.att.attested.quote.pcrDigest.buffer, C.object_name.name + 2, 32);
	expect_field_rejected(0);
}

static void rejects_creation_type(void **state)
{
	/*
	 * A CertifyCreation by the same key whose objectName is our object and
	 * whose creationHash holds the qualified name's bytes: it unmarshals into
	 * exactly the certify fields we expect, so only the type check is left.
	 */
	(void)state;
	C.att.type = TPM2_ST_ATTEST_CREATION;
	memset(&C.att.attested, 0, sizeof(C.att.attested));
	C.att.attested.creation.objectName = C.object_name;
	C.att.attested.creation.creationHash.size = C.object_qname.size;
	memcpy(C.att.attested.creation.creationHash.buffer, C.object_qname.name,
	       C.object_qname.size);
	expect_field_rejected(0);
}

static void rejects_other_nonce(void **state)
{
	(void)state;
	C.att.extraData.buffer[31] ^= 1;
	expect_field_rejected(0);
}

static void rejects_empty_nonce(void **state)
{
	(void)state;
	C.att.extraData.size = 0;
	expect_field_rejected(0);
}

static void rejects_truncated_nonce(void **state)
{
	(void)state;
	C.att.extraData.size = 31;
	expect_field_rejected(0);
}

static void rejects_other_qualified_signer(void **state)
{
	(void)state;
	C.att.qualifiedSigner.name[33] ^= 1;
	expect_field_rejected(0);
}

static void rejects_other_certified_name(void **state)
{
	(void)state;
	C.att.attested.certify.name.name[10] ^= 0x80;
	expect_field_rejected(0);
}

static void rejects_other_certified_qualified_name(void **state)
{
	(void)state;
	C.att.attested.certify.qualifiedName = C.object_name;
	expect_field_rejected(0);
}

static void rejects_trailing_byte(void **state)
{
	(void)state;
	expect_field_rejected(1);
}

static void rejects_truncated_attestation(void **state)
{
	(void)state;
	expect_field_rejected(-1);
}

static void rejects_signature_by_another_key(void **state)
{
	(void)state;
	sign(C.blob.attestationData, C.blob.size, C.other, EVP_sha256(),
	     TPM2_ALG_SHA256, &C.sig);
	expect_rejected();
}

static void rejects_flipped_r(void **state)
{
	(void)state;
	C.sig.signature.ecdsa.signatureR.buffer[31] ^= 1;
	expect_rejected();
}

static void rejects_flipped_s(void **state)
{
	(void)state;
	C.sig.signature.ecdsa.signatureS.buffer[0] ^= 0x40;
	expect_rejected();
}

static void rejects_zero_r_and_s(void **state)
{
	(void)state;
	memset(C.sig.signature.ecdsa.signatureR.buffer, 0, 32);
	expect_rejected();
	setup(NULL);
	memset(C.sig.signature.ecdsa.signatureS.buffer, 0, 32);
	expect_rejected();
	C.sig.signature.ecdsa.signatureR.size = 0;
	C.sig.signature.ecdsa.signatureS.size = 0;
	expect_rejected();
}

static void rejects_other_ecc_scheme(void **state)
{
	(void)state;
	/* Same R and S, a scheme sharing the ECDSA layout. */
	C.sig.sigAlg = TPM2_ALG_ECSCHNORR;
	expect_rejected();
	C.sig.sigAlg = TPM2_ALG_RSASSA;
	expect_rejected();
}

static void rejects_valid_sha384_signature(void **state)
{
	(void)state;
	/* Truly ECDSA-SHA384 and labelled so: the signing EK never makes these. */
	sign(C.blob.attestationData, C.blob.size, C.signer, EVP_sha384(),
	     TPM2_ALG_SHA384, &C.sig);
	expect_rejected();
	sign(C.blob.attestationData, C.blob.size, C.signer, EVP_sha256(),
	     TPM2_ALG_SHA384, &C.sig);
	expect_rejected();
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(accepts_good_attestation_and_returns_clock),
		T(rejects_wrong_magic),
		T(rejects_quote_type),
		T(rejects_creation_type),
		T(rejects_other_nonce),
		T(rejects_empty_nonce),
		T(rejects_truncated_nonce),
		T(rejects_other_qualified_signer),
		T(rejects_other_certified_name),
		T(rejects_other_certified_qualified_name),
		T(rejects_trailing_byte),
		T(rejects_truncated_attestation),
		T(rejects_signature_by_another_key),
		T(rejects_flipped_r),
		T(rejects_flipped_s),
		T(rejects_zero_r_and_s),
		T(rejects_other_ecc_scheme),
		T(rejects_valid_sha384_signature),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
