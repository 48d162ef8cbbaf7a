#include <string.h>

#include <openssl/rand.h>

#include "attest_check.h"
#include "certify.h"
#include "name.h"
#include "persistent_srk.h"
#include "primary.h"
#include "templates.h"

int certify_primary(struct tpm *tpm, const struct signing_ek *ek,
			  const struct hierarchy *h, ESYS_TR key, const TPM2B_PUBLIC *pub,
			  const TPM2B_NAME *expected, struct certified *out,
			  struct failure *f)
{
	/* cppcheck 2.10 misreads a designated initializer naming a member
	 * spelled like the variable as a read of the variable itself. */
	/* cppcheck-suppress legacyUninitvar */
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_NAME qname;
	TPM2B_DATA nonce = { .size = 32 };
	struct certify_expect want = { &nonce, &ek->qname, &out->name, &qname };
	TSS2_RC rc;
	int ret;

	if (name_of_public(&pub->publicArea, &out->name) ||
	    name_qualified(h->handle, &out->name, &qname)) {
		ret = fail(f, STATUS_VERIFY, "cannot compute the %s primary's name", h->name);
		goto out;
	}
	if (expected && !name_equal(&out->name, expected)) {
		ret = fail(f, STATUS_VERIFY, "the TPM's %s primary does not have the "
			   "name given in the name file", h->name);
		goto out;
	}
	if (RAND_bytes(nonce.buffer, nonce.size) != 1) {
		ret = fail(f, STATUS_VERIFY, "random number generator failed");
		goto out;
	}
	/* A persistent key takes a slot while it is used: see tpm_sweep_for_retry. */
	do
		rc = Esys_Certify(tpm->esys, key, ek->handle, ESYS_TR_PASSWORD,
				  ESYS_TR_PASSWORD, ESYS_TR_NONE, &nonce, &scheme, &attest,
				  &sig);
	while (rc && tpm_sweep_for_retry(tpm, rc));
	if (rc) {
		ret = fail_tss(f, "Certify", rc);
		goto out;
	}
	ret = attest_check(attest, sig, ek->key, &want, &out->clock, f);
	if (ret)
		goto out;
	out->pub = *pub;
out:
	Esys_Free(attest);
	Esys_Free(sig);
	return ret;
}

int certify_hierarchy(struct tpm *tpm, const struct signing_ek *ek,
		      const struct hierarchy *h, ESYS_TR auth, const TPM2B_NAME *expected,
		      struct certified *out, struct failure *f)
{
	TPM2B_PUBLIC tmpl, *pub = NULL;
	ESYS_TR key = ESYS_TR_NONE;
	int ret;

	template_storage(&tmpl);
	ret = primary_create(tpm, h->esys, auth, &tmpl, &key, &pub, f);
	if (ret)
		goto out;
	ret = certify_primary(tpm, ek, h, key, pub, expected, out, f);
out:
	tpm_flush(tpm, &key);
	Esys_Free(pub);
	return ret;
}

int certify_owner_srk(struct tpm *tpm, const struct signing_ek *ek,
		      const TPM2B_NAME *expected, struct certified *out,
		      bool *persistent, struct failure *f)
{
	const struct hierarchy *owner = hierarchy_find("owner");
	TPM2B_PUBLIC pub;
	ESYS_TR key = ESYS_TR_NONE;
	int ret;

	ret = persistent_srk_load(tpm, persistent, &key, &pub, f);
	if (ret)
		goto out;
	if (*persistent)
		ret = certify_primary(tpm, ek, owner, key, &pub, expected, out, f);
	else
		ret = certify_hierarchy(tpm, ek, owner, ESYS_TR_PASSWORD, expected, out, f);
out:
	persistent_srk_release(tpm, &key);
	return ret;
}
