/*
 * An EK template and nonce as a TPM stores them in NV (the EK Credential
 * Profile's overrides, read by `--attest nv:`), parsed and checked by
 * template_from_nv, then used the way attest.c uses them: MakeCredential in
 * libcrypto (credential_make) for an EK of the certificate's key type.
 *
 * Input layout:
 *   [0]      flags: bit 0 the ECC L-2 certificate (else RSA L-1); bit 1 a
 *            template is stored; bit 2 a nonce is stored; bit 3 "raw": skip
 *            template_from_nv and hand the unmarshalled template straight to
 *            credential_make, whose own bounds must then hold
 *   [1..2]   template length, big-endian (cut to what the input has)
 *   [3..]    the template bytes, then the nonce bytes (the rest)
 *
 * Oracles: ASan/UBSan; every failure is STATUS_VERIFY with a sentence; and a
 * template that template_from_nv accepts is one credential_make can honour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "credential.h"
#include "ek_templates.h"
#include "template_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define F_ECC   0x01
#define F_TMPL  0x02
#define F_NONCE 0x04
#define F_RAW   0x08

static EVP_PKEY *rsa_ek, *ecc_ek;
static const struct ek_template *l1, *l2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	/* Any key of the right type: the blob's correctness is test_credential's job. */
	rsa_ek = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ecc_ek = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	for (i = 0; i < ek_template_count; i++) {
		if (ek_templates[i].cert_index == 0x01c00002)
			l1 = &ek_templates[i];
		if (ek_templates[i].cert_index == 0x01c0000a)
			l2 = &ek_templates[i];
	}
	if (!rsa_ek || !ecc_ek || !l1 || !l2)
		abort();
	return 0;
}

static void check_failure(int ret, const struct failure *f)
{
	if (ret != STATUS_OK && (ret != STATUS_VERIFY || !f->text[0]))
		abort();
}

static int make(EVP_PKEY *ek, const TPMT_PUBLIC *tmpl, struct failure *f)
{
	TPM2B_NAME name = { .size = 34, .name = { 0x00, 0x0b, 0x5a } };
	TPM2B_DIGEST secret = { .size = 32, .buffer = { 0x42 } };
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET seed;

	return credential_make(ek, tmpl, &name, &secret, &blob, &seed, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ek_template *t;
	struct ek_override o = { 0 };
	struct failure f = { 0 };
	TPM2B_PUBLIC pub;
	uint8_t *tbuf = NULL, *nbuf = NULL;
	size_t tlen, off = 0;
	uint8_t flags;
	int ret;

	if (size < 3)
		return -1;
	flags = data[0];
	t = flags & F_ECC ? l2 : l1;
	tlen = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (tlen > size)
		tlen = size;
	o.tmpl_index = flags & F_ECC ? 0x01c0000c : 0x01c00004;
	o.nonce_index = flags & F_ECC ? 0x01c0000b : 0x01c00003;
	/* Copies, so ASan sees a read past what NV returned. */
	if (flags & F_TMPL) {
		tbuf = malloc(tlen ? tlen : 1);
		if (!tbuf)
			abort();
		memcpy(tbuf, data, tlen);
		o.tmpl = tbuf;
		o.tmpl_len = tlen;
	}
	if (flags & F_NONCE) {
		o.nonce_len = size - tlen;
		nbuf = malloc(o.nonce_len ? o.nonce_len : 1);
		if (!nbuf)
			abort();
		memcpy(nbuf, data + tlen, o.nonce_len);
		o.nonce = nbuf;
	}

	if (flags & F_RAW) {
		memset(&pub, 0, sizeof(pub));
		if (o.tmpl && !Tss2_MU_TPMT_PUBLIC_Unmarshal(o.tmpl, o.tmpl_len, &off,
							    &pub.publicArea)) {
			ret = make(flags & F_ECC ? ecc_ek : rsa_ek, &pub.publicArea, &f);
			check_failure(ret, &f);
		}
	} else {
		ret = template_from_nv(t, &o, &pub, &f);
		check_failure(ret, &f);
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "template: %d %s\n", ret, ret ? f.text : "accepted");
		/* Accepted means usable: the credential must then be made. */
		if (ret == STATUS_OK &&
		    make(t->type == TPM2_ALG_ECC ? ecc_ek : rsa_ek, &pub.publicArea, &f))
			abort();
	}
	free(tbuf);
	free(nbuf);
	return 0;
}
