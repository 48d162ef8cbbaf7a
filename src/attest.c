#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attest.h"
#include "credential.h"
#include "primary.h"
#include "pubkey.h"

/* Each candidate costs a CreatePrimary (seconds for RSA): try only fitting ones. */
int attest_find_ek(struct tpm *tpm, ESYS_TR auth, EVP_PKEY *cert_key,
		   const struct ek_template *only, const TPM2B_PUBLIC *custom,
		   struct found_ek *ek, struct failure *f)
{
	TPM2B_PUBLIC *pub = NULL;
	EVP_PKEY *key = NULL;
	size_t i;
	int ret, tried = 0;

	ek->handle = ESYS_TR_NONE;
	ek->used = NULL;
	for (i = 0; i < ek_template_count; i++) {
		const struct ek_template *t = &ek_templates[i];

		if ((only && t != only) || !ek_template_fits(t, cert_key))
			continue;
		tried++;
		if (custom)
			ek->tmpl = *custom;
		else
			ek_template_public(t, &ek->tmpl);
		ret = primary_create(tpm, ESYS_TR_RH_ENDORSEMENT, auth, &ek->tmpl,
				     &ek->handle, &pub, f);
		if (ret)
			return ret;
		ret = pubkey_from_tpm(&pub->publicArea, &key, f);
		Esys_Free(pub);
		pub = NULL;
		if (ret) {
			tpm_flush(tpm, &ek->handle);
			return ret;
		}
		/* The whole key: modulus and exponent, or both coordinates. */
		if (EVP_PKEY_eq(key, cert_key) == 1) {
			EVP_PKEY_free(key);
			ek->used = t;
			return STATUS_OK;
		}
		EVP_PKEY_free(key);
		key = NULL;
		tpm_flush(tpm, &ek->handle);
	}
	if (!tried)
		return fail(f, STATUS_VERIFY, "the EK certificate's key type matches no "
			    "supported EK template");
	return fail(f, STATUS_VERIFY, "the EK certificate's key is not this TPM's EK "
		    "under any matching template");
}

void attest_release_ek(struct tpm *tpm, struct found_ek *ek)
{
	tpm_flush(tpm, &ek->handle);
}

static int satisfy_policy(struct tpm *tpm, ESYS_TR auth, const struct ek_template *t,
			  ESYS_TR session, struct failure *f)
{
	TPM2B_NONCE empty_nonce = { 0 };
	TPM2B_DIGEST empty_digest = { 0 };
	TPML_DIGEST branches = { .count = 2 };
	TPM2B_TIMEOUT *timeout = NULL;
	TPMT_TK_AUTH *ticket = NULL;
	TSS2_RC rc;

	rc = Esys_PolicySecret(tpm->esys, ESYS_TR_RH_ENDORSEMENT, session,
			       auth, ESYS_TR_NONE, ESYS_TR_NONE,
			       &empty_nonce, &empty_digest, &empty_nonce, 0,
			       &timeout, &ticket);
	Esys_Free(timeout);
	Esys_Free(ticket);
	if (rc)
		return fail_tss(f, "PolicySecret", rc);
	if (!t->high)
		return STATUS_OK;
	/* PolicyB is PolicyOR(A, C); PolicySecret just gave us branch A. */
	ek_template_or_branches(t, &branches.digests[0], &branches.digests[1]);
	rc = Esys_PolicyOR(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
			   ESYS_TR_NONE, &branches);
	if (rc)
		return fail_tss(f, "PolicyOR", rc);
	return STATUS_OK;
}

/*
 * The TPM's answers when the blob was not made for this EK and object: a
 * verification failure, not a broken TPM.
 */
static bool credential_refused(TSS2_RC rc)
{
	TSS2_RC code = rc & TPM2_RC_FMT1 ? rc & (TPM2_RC_FMT1 | 0x3f) : rc;

	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return false;
	return code == TPM2_RC_INTEGRITY || code == TPM2_RC_VALUE ||
	       code == TPM2_RC_ECC_POINT || code == TPM2_RC_SIZE ||
	       code == TPM2_RC_SCHEME || code == TPM2_RC_KEY_SIZE;
}

int attest_activate(struct tpm *tpm, ESYS_TR auth, const struct signing_ek *sek,
		    EVP_PKEY *cert_key, const struct found_ek *ek, struct failure *f)
{
	TPMT_SYM_DEF no_sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR session = ESYS_TR_NONE;
	TPM2B_DIGEST challenge = { .size = 32 };
	TPM2B_DIGEST *answer = NULL;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET seed;
	TSS2_RC rc;
	int ret;

	if (RAND_bytes(challenge.buffer, challenge.size) != 1) {
		ret = fail(f, STATUS_VERIFY, "random number generator failed");
		goto out;
	}
	ret = credential_make(cert_key, &ek->tmpl.publicArea, &sek->name, &challenge,
			      &blob, &seed, f);
	if (ret)
		goto out;
	do
		rc = Esys_StartAuthSession(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
					   TPM2_SE_POLICY, &no_sym,
					   ek->tmpl.publicArea.nameAlg, &session);
	while (rc && tpm_sweep_for_retry(tpm, rc));
	if (rc) {
		ret = fail_tss(f, "StartAuthSession", rc);
		goto out;
	}
	tpm_own(tpm, session);
	/* Let ActivateCredential end the session: saves a FlushContext. */
	rc = Esys_TRSess_SetAttributes(tpm->esys, session, 0,
				       TPMA_SESSION_CONTINUESESSION);
	if (rc) {
		ret = fail_tss(f, "setting session attributes", rc);
		goto out;
	}
	ret = satisfy_policy(tpm, auth, ek->used, session, f);
	if (ret)
		goto out;
	tpm_disown(tpm, session);
	rc = Esys_ActivateCredential(tpm->esys, sek->handle, ek->handle, ESYS_TR_PASSWORD,
				     session, ESYS_TR_NONE, &blob, &seed, &answer);
	if (rc && credential_refused(rc)) {
		ret = fail(f, STATUS_VERIFY, "the TPM could not recover the credential "
			   "(TPM error 0x%x): the signing EK and the certified EK are not "
			   "in the same TPM", rc);
		goto out;
	}
	if (rc) {
		ret = fail_tss(f, "ActivateCredential", rc);
		goto out;
	}
	session = ESYS_TR_NONE;
	if (answer->size != challenge.size ||
	    CRYPTO_memcmp(answer->buffer, challenge.buffer, challenge.size)) {
		ret = fail(f, STATUS_VERIFY, "the TPM could not recover the credential: "
			   "the signing EK and the certified EK are not in the same TPM");
		goto out;
	}
	ret = STATUS_OK;
out:
	if (answer)
		OPENSSL_cleanse(answer->buffer, answer->size);
	Esys_Free(answer);
	OPENSSL_cleanse(challenge.buffer, sizeof(challenge.buffer));
	tpm_flush(tpm, &session);
	return ret;
}
