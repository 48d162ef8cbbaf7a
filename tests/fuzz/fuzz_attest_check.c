/*
 * attest_check, the verifier of a TPM2_Certify result, on fuzzed attestation
 * and signature bytes. Expected values are those certify_hierarchy would use
 * for the recorded run in fixture_attest.h: the signing EK's qualified name,
 * the NULL primary's name and qualified name, the nonce 00..1f.
 *
 * Input: [0] mode, [1..2] big-endian attestation length L, [3..3+L) the
 * attestation body (TPM2B_ATTEST contents), then the rest.
 *   mode & 1 == 0: the rest is a marshalled TPMT_SIGNATURE (or, when it does
 *                  not unmarshal, raw R || S), checked against the recorded
 *                  signing EK: reaches the parser only with a real signature.
 *   mode & 1 == 1: the attestation is signed here with a fixed P-256 key, so
 *                  every fuzzed body gets past the signature to the field checks.
 *   mode & 2:      no expected qualified name for the certified object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "attest_check.h"
#include "name.h"
#include "pubkey.h"

#include "fixture_attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static EVP_PKEY *ek_key, *sign_key;
static TPM2B_NAME signer_qname, obj_name, obj_qname;
static TPM2B_DATA nonce = { .size = 32 };

static void load_public(const uint8_t *buf, size_t len, TPM2B_PUBLIC *pub)
{
	size_t off = 0;

	memset(pub, 0, sizeof(*pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, pub) || off != len)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct failure f = { 0 };
	TPM2B_PUBLIC ek, obj;
	TPM2B_NAME ek_name;
	BIO *bio;
	size_t i;

	(void)argc;
	(void)argv;
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	load_public(fixture_ek_pub, sizeof(fixture_ek_pub), &ek);
	load_public(fixture_obj_pub, sizeof(fixture_obj_pub), &obj);
	/* The same derivations certify_hierarchy makes. */
	if (pubkey_from_tpm(&ek.publicArea, &ek_key, &f) ||
	    name_of_public(&ek.publicArea, &ek_name) ||
	    name_qualified(TPM2_RH_ENDORSEMENT, &ek_name, &signer_qname) ||
	    name_of_public(&obj.publicArea, &obj_name) ||
	    name_qualified(TPM2_RH_NULL, &obj_name, &obj_qname))
		abort();
	for (i = 0; i < nonce.size; i++)
		nonce.buffer[i] = (uint8_t)i;
	bio = BIO_new_mem_buf(fixture_sign_key, -1);
	sign_key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!sign_key)
		abort();
	return 0;
}

/* ECDSA-SHA256 over the body with the fixed key, as a TPM would return it. */
static void sign(const TPM2B_ATTEST *a, TPMT_SIGNATURE *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[80];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, sign_key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, a->attestationData, a->size) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!es)
		abort();
	ECDSA_SIG_get0(es, &r, &s);
	sig->sigAlg = TPM2_ALG_ECDSA;
	sig->signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig->signature.ecdsa.signatureR.size = 32;
	sig->signature.ecdsa.signatureS.size = 32;
	if (BN_bn2binpad(r, sig->signature.ecdsa.signatureR.buffer, 32) != 32 ||
	    BN_bn2binpad(s, sig->signature.ecdsa.signatureS.buffer, 32) != 32)
		abort();
	ECDSA_SIG_free(es);
}

/* Raw R || S, halves capped at the TPM2B's capacity. */
static void raw_signature(const uint8_t *p, size_t len, TPMT_SIGNATURE *sig)
{
	TPMS_SIGNATURE_ECC *e = &sig->signature.ecdsa;
	size_t half = len / 2, rl = half, sl = len - half;

	if (rl > sizeof(e->signatureR.buffer))
		rl = sizeof(e->signatureR.buffer);
	if (sl > sizeof(e->signatureS.buffer))
		sl = sizeof(e->signatureS.buffer);
	sig->sigAlg = TPM2_ALG_ECDSA;
	e->hash = TPM2_ALG_SHA256;
	e->signatureR.size = (UINT16)rl;
	memcpy(e->signatureR.buffer, p, rl);
	e->signatureS.size = (UINT16)sl;
	memcpy(e->signatureS.buffer, p + half, sl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certify_expect want = { &nonce, &signer_qname, &obj_name, &obj_qname };
	struct failure f = { 0 };
	TPM2B_ATTEST attest;
	TPMT_SIGNATURE sig;
	TPMS_CLOCK_INFO clock;
	const uint8_t *rest;
	size_t alen, rlen, off = 0;
	uint8_t mode;
	int ret;

	if (size < 3)
		return 0;
	mode = data[0];
	alen = (size_t)data[1] << 8 | data[2];
	if (alen > size - 3)
		alen = size - 3;
	if (alen > sizeof(attest.attestationData))
		alen = sizeof(attest.attestationData);
	memset(&attest, 0, sizeof(attest));
	attest.size = (UINT16)alen;
	memcpy(attest.attestationData, data + 3, alen);
	rest = data + 3 + alen;
	rlen = size - 3 - alen;
	memset(&sig, 0, sizeof(sig));
	if (mode & 1)
		sign(&attest, &sig);
	else if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(rest, rlen, &off, &sig))
		raw_signature(rest, rlen, &sig);
	if (mode & 2)
		want.object_qname = NULL;
	memset(&clock, 0, sizeof(clock));
	ret = attest_check(&attest, &sig, mode & 1 ? sign_key : ek_key, &want, &clock, &f);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "attest_check: %d %s\n", ret, ret ? f.text : "verified");
	if (ret != STATUS_OK && (ret != STATUS_VERIFY || !f.text[0]))
		abort();
	return 0;
}
