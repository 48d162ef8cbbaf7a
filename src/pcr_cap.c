#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "pcr_cap.h"

#define PCR_MAX 23

int pcr_cap_parse(const char *list, uint32_t *mask, struct failure *f)
{
	const char *p = list;
	unsigned int v;

	*mask = 0;
	for (;;) {
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
			break;
		for (v = 0; *p >= '0' && *p <= '9' && v <= PCR_MAX; p++)
			v = v * 10 + (unsigned int)(*p - '0');
		if (v > PCR_MAX || (*mask & (1u << v)))
			break;
		*mask |= 1u << v;
		if (!*p)
			return STATUS_OK;
		if (*p++ != ',')
			break;
	}
	*mask = 0;
	return fail(f, STATUS_USAGE, "bad PCR list \"%s\": give indexes 0-%d, "
		    "comma-separated, each once (e.g. 7 or 7,14)", list, PCR_MAX);
}

/* The allocated banks (those with any PCR selected) and the event's digest in each. */
static int refusal_digests(struct tpm *tpm, TPML_DIGEST_VALUES *d, char *banks,
			   size_t banks_len, struct failure *f)
{
	static const struct {
		TPMI_ALG_HASH alg;
		const char *name;
	} known[] = {
		{ TPM2_ALG_SHA1, "sha1" }, { TPM2_ALG_SHA256, "sha256" },
		{ TPM2_ALG_SHA384, "sha384" }, { TPM2_ALG_SHA512, "sha512" },
	};
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	TPML_PCR_SELECTION *sel;
	size_t i, k, used = 0;
	const char *name;
	TSS2_RC rc;
	int ret = STATUS_OK;

	memset(d, 0, sizeof(*d));
	banks[0] = '\0';
	rc = Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_PCRS, 0, TPM2_NUM_PCR_BANKS, &more, &cap);
	if (rc)
		return fail_tss(f, "GetCapability (PCR banks)", rc);
	sel = &cap->data.assignedPCR;
	if (cap->capability != TPM2_CAP_PCRS || sel->count > TPM2_NUM_PCR_BANKS) {
		ret = fail(f, STATUS_TPM, "the TPM's list of PCR banks is malformed");
		goto out;
	}
	for (i = 0; i < sel->count; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		bool allocated = false;

		for (k = 0; k < s->sizeofSelect && k < sizeof(s->pcrSelect); k++)
			allocated |= s->pcrSelect[k] != 0;
		if (!allocated)
			continue;
		name = NULL;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (known[k].alg == s->hash)
				name = known[k].name;
		if (!name) {
			ret = fail(f, STATUS_TPM, "the TPM has a PCR bank for hash "
				   "algorithm 0x%04x, which cannot be capped here", s->hash);
			goto out;
		}
		if (d->count >= TPM2_NUM_PCR_BANKS ||
		    digest_two(s->hash, PCR_CAP_EVENT, strlen(PCR_CAP_EVENT), NULL, 0,
			       (uint8_t *)&d->digests[d->count].digest)) {
			ret = fail(f, STATUS_TPM, "cannot hash the refusal event for %s", name);
			goto out;
		}
		d->digests[d->count++].hashAlg = s->hash;
		used += (size_t)snprintf(banks + used, used < banks_len ? banks_len - used : 0,
					 "%s%s", used ? "," : "", name);
	}
	if (!d->count)
		ret = fail(f, STATUS_TPM, "the TPM reports no allocated PCR bank");
out:
	Esys_Free(cap);
	return ret;
}

int pcr_cap(struct tpm *tpm, uint32_t mask, char *banks, size_t banks_len,
	    struct failure *f)
{
	TPML_DIGEST_VALUES digests;
	unsigned int pcr;
	TSS2_RC rc;
	int ret;

	ret = refusal_digests(tpm, &digests, banks, banks_len, f);
	if (ret)
		return ret;
	for (pcr = 0; pcr <= PCR_MAX; pcr++) {
		if (!(mask & (1u << pcr)))
			continue;
		rc = Esys_PCR_Extend(tpm->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
				     ESYS_TR_NONE, ESYS_TR_NONE, &digests);
		if (rc)
			return fail_tss(f, "PCR_Extend", rc);
	}
	return STATUS_OK;
}
