#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "persistent.h"
#include "primary.h"
#include "pubkey.h"
#include "signing_ek.h"
#include "templates.h"

/* Its name and qualified name, computed from its public area ek->pub. */
static int name_ek(struct signing_ek *ek, struct failure *f)
{
	if (name_of_public(&ek->pub->publicArea, &ek->name) ||
	    name_qualified(TPM2_RH_ENDORSEMENT, &ek->name, &ek->qname))
		return fail(f, STATUS_VERIFY, "cannot compute the signing EK's name");
	return STATUS_OK;
}

int signing_ek_derive(struct tpm *tpm, ESYS_TR auth, struct signing_ek *ek,
		      struct failure *f)
{
	TPM2B_PUBLIC tmpl;
	int ret;

	memset(ek, 0, sizeof(*ek));
	ek->handle = ESYS_TR_NONE;
	template_signing_ek(&tmpl);
	ret = primary_create(tpm, ESYS_TR_RH_ENDORSEMENT, auth, &tmpl, &ek->handle,
			     &ek->pub, f);
	if (!ret)
		ret = name_ek(ek, f);
	if (ret)
		return ret;
	return pubkey_from_tpm(&ek->pub->publicArea, &ek->key, f);
}

int signing_ek_check(const struct signing_ek *ek, const TPM2B_NAME *enrolled,
		     struct failure *f)
{
	char have[NAME_HEX_MAX];

	if (name_equal(&ek->name, enrolled))
		return STATUS_OK;
	name_to_hex(&ek->name, have);
	return fail(f, STATUS_VERIFY, "signing EK name %s does not match the "
		    "enrolled name: this is not the enrolled TPM", have);
}

/* What kind of object a public area describes, for a message. */
static const char *object_kind(const TPMT_PUBLIC *p)
{
	TPMA_OBJECT a = p->objectAttributes;

	if ((a & TPMA_OBJECT_RESTRICTED) && (a & TPMA_OBJECT_SIGN_ENCRYPT))
		return "a restricted signing key";
	if ((a & TPMA_OBJECT_RESTRICTED) && (a & TPMA_OBJECT_DECRYPT))
		return "a storage key";
	if (p->type == TPM2_ALG_KEYEDHASH)
		return "a sealed object or HMAC key";
	return "a key";
}

int signing_ek_load(struct tpm *tpm, TPM2_HANDLE handle, const TPM2B_NAME *enrolled,
		    struct signing_ek *ek, bool *found, struct failure *f)
{
	TPM2B_PUBLIC pub, tmpl;
	char hex[NAME_HEX_MAX];
	bool present;
	int ret;

	memset(ek, 0, sizeof(*ek));
	ek->handle = ESYS_TR_NONE;
	*found = false;
	ret = persistent_read(tpm, handle, &present, &pub, f);
	if (ret || !present)
		return ret;
	ek->pub = malloc(sizeof(*ek->pub));
	if (!ek->pub)
		return fail(f, STATUS_TPM, "out of memory");
	*ek->pub = pub;
	ret = name_ek(ek, f);
	if (ret)
		return ret;
	if (!name_equal(&ek->name, enrolled)) {
		name_to_hex(&ek->name, hex);
		return fail(f, STATUS_VERIFY, "persistent handle 0x%08x holds %s that is not "
			    "the enrolled signing EK (name %s): the TPM's persistent objects "
			    "changed since enrollment, or an interposer answered", handle,
			    object_kind(&pub.publicArea), hex);
	}
	/* The enrolled name is of our template, so this cannot fail but by a bug. */
	template_signing_ek(&tmpl);
	if (!primary_fits_template(&pub.publicArea, &tmpl.publicArea))
		return fail(f, STATUS_VERIFY, "the enrolled key at 0x%08x is not a signing "
			    "EK of this program's template", handle);
	ret = pubkey_from_tpm(&ek->pub->publicArea, &ek->key, f);
	if (!ret)
		ret = persistent_esys_tr(tpm, handle, ek->pub, &ek->handle, f);
	if (ret)
		return ret;
	ek->persistent = true;
	*found = true;
	return STATUS_OK;
}

int signing_ek_persist(struct tpm *tpm, const struct signing_ek *ek, TPM2_HANDLE handle,
		       ESYS_TR owner_auth, struct failure *f)
{
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	ESYS_TR persisted = ESYS_TR_NONE;
	char hex[NAME_HEX_MAX];
	bool present;
	TSS2_RC rc;
	int ret;

	ret = persistent_read(tpm, handle, &present, &pub, f);
	if (ret)
		return ret;
	if (present) {
		if (name_of_public(&pub.publicArea, &name))
			return fail(f, STATUS_VERIFY, "cannot compute the name of the object "
				    "at 0x%08x", handle);
		if (name_equal(&name, &ek->name))
			return STATUS_OK;
		name_to_hex(&name, hex);
		return fail(f, STATUS_USAGE, "persistent handle 0x%08x already holds %s "
			    "(name %s): evict it, or choose another handle with "
			    "--persist=HANDLE", handle, object_kind(&pub.publicArea), hex);
	}
	rc = Esys_EvictControl(tpm->esys, ESYS_TR_RH_OWNER, ek->handle, owner_auth,
			       ESYS_TR_NONE, ESYS_TR_NONE, handle, &persisted);
	if (rc)
		return fail_tss(f, "EvictControl (persisting the signing EK; the owner "
				"hierarchy's password goes with --persist-auth)", rc);
	(void)Esys_TR_Close(tpm->esys, &persisted);
	return STATUS_OK;
}

void signing_ek_unload(struct tpm *tpm, struct signing_ek *ek)
{
	if (ek->persistent && ek->handle != ESYS_TR_NONE)
		(void)Esys_TR_Close(tpm->esys, &ek->handle);
	tpm_flush(tpm, &ek->handle);
	ek->handle = ESYS_TR_NONE;
}

void signing_ek_release(struct tpm *tpm, struct signing_ek *ek)
{
	signing_ek_unload(tpm, ek);
	Esys_Free(ek->pub);
	EVP_PKEY_free(ek->key);
	ek->pub = NULL;
	ek->key = NULL;
}
