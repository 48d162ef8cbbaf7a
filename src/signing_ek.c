#include <string.h>

#include "name.h"
#include "primary.h"
#include "pubkey.h"
#include "signing_ek.h"
#include "templates.h"

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
	if (ret)
		return ret;
	if (name_of_public(&ek->pub->publicArea, &ek->name) ||
	    name_qualified(TPM2_RH_ENDORSEMENT, &ek->name, &ek->qname))
		return fail(f, STATUS_VERIFY, "cannot compute the signing EK's name");
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

void signing_ek_release(struct tpm *tpm, struct signing_ek *ek)
{
	if (ek->handle != 0)
		primary_flush(tpm, &ek->handle);
	Esys_Free(ek->pub);
	EVP_PKEY_free(ek->key);
	ek->pub = NULL;
	ek->key = NULL;
}
