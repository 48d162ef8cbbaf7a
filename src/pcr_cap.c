#include <stdio.h>
#include <string.h>

#include "pcr_cap.h"
#include "pcr_list.h"

/* A bank's name as tpm2-tools spells it, or its algorithm number. */
static void bank_name(TPMI_ALG_HASH alg, char *out, size_t len)
{
	static const struct {
		TPMI_ALG_HASH alg;
		const char *name;
	} known[] = {
		{ TPM2_ALG_SHA1, "sha1" }, { TPM2_ALG_SHA256, "sha256" },
		{ TPM2_ALG_SHA384, "sha384" }, { TPM2_ALG_SHA512, "sha512" },
		{ TPM2_ALG_SM3_256, "sm3_256" }, { TPM2_ALG_SHA3_256, "sha3_256" },
		{ TPM2_ALG_SHA3_384, "sha3_384" }, { TPM2_ALG_SHA3_512, "sha3_512" },
	};
	size_t k;

	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (known[k].alg == alg) {
			snprintf(out, len, "%s", known[k].name);
			return;
		}
	snprintf(out, len, "0x%04x", alg);
}

static void list_banks(const TPML_DIGEST_VALUES *d, char *banks, size_t banks_len)
{
	char name[16];
	size_t used = 0;
	UINT32 i;

	banks[0] = '\0';
	for (i = 0; i < d->count && i < TPM2_NUM_PCR_BANKS; i++) {
		bank_name(d->digests[i].hashAlg, name, sizeof(name));
		used += (size_t)snprintf(banks + used, used < banks_len ? banks_len - used : 0,
					 "%s%s", used ? "," : "", name);
	}
}

/*
 * PCR_Event, not PCR_Extend: the TPM hashes the event into every bank it
 * has allocated, those whose hash this program could not compute (SM3,
 * SHA-3) included, and nothing has to ask which banks there are.
 */
int pcr_cap(struct tpm *tpm, uint32_t mask, uint32_t *capped, char *banks,
	    size_t banks_len, struct failure *f)
{
	TPM2B_EVENT event = { .size = sizeof(PCR_CAP_EVENT) - 1 };
	TPML_DIGEST_VALUES *digests = NULL;
	uint32_t failed = 0;
	char list[PCR_LIST_MAX], done[PCR_LIST_MAX];
	unsigned int pcr;
	TSS2_RC rc;

	memcpy(event.buffer, PCR_CAP_EVENT, event.size);
	*capped = 0;
	banks[0] = '\0';
	for (pcr = 0; pcr < 32; pcr++) {
		if (!(mask & (1u << pcr)))
			continue;
		rc = Esys_PCR_Event(tpm->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
				    ESYS_TR_NONE, ESYS_TR_NONE, &event, &digests);
		if (!rc && digests && digests->count) {
			*capped |= 1u << pcr;
			if (!banks[0])
				list_banks(digests, banks, banks_len);
		} else if (!failed++) {
			/* The first failure says why; every PCR after it is still tried. */
			if (rc)
				fail_tss(f, "PCR_Event", rc);
			else
				fail(f, STATUS_TPM, "the TPM extended no bank");
		}
		Esys_Free(digests);
		digests = NULL;
	}
	if (!failed)
		return STATUS_OK;
	pcr_list_format(mask & ~*capped, list, sizeof(list));
	pcr_list_format(*capped, done, sizeof(done));
	return fail_prefix(f, "PCR %s not capped (capped: %s):", list,
			   *capped ? done : "none");
}
