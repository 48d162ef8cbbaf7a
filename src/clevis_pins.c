/*
 * A clevis token keeps a JWE whose protected header names its pin: "tpm2"
 * (with the PCRs in "pcr_ids", none when absent), "tang", or "sss", whose
 * header holds further JWEs, each with a pin of its own. clevis' tpm2 pin
 * never pins an SRK: its unseal trusts whatever the TPM reports.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "luks2_json.h"
#include "luks2_tokens.h"
#include "pcr_list.h"

/* sss inside sss inside sss... clevis itself stops nowhere; we do, here. */
#define SSS_DEPTH 4

static int walk(json_object *clevis, int depth, struct token_facts *t, struct failure *f);

/* The clevis member of a JWE protected header, base64url in len chars. */
static int header(const char *b64, size_t len, int depth, struct token_facts *t,
		  struct failure *f)
{
	json_object *root = NULL, *clevis;
	uint8_t *buf;
	size_t n;
	int ret;

	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return fail(f, STATUS_VERIFY, "out of memory");
	if (base64_decode(BASE64_URL, b64, len, buf, len / 4 * 3 + 3, &n) ||
	    memchr(buf, '\0', n)) {
		ret = fail(f, STATUS_VERIFY, "token %u: a clevis header that is not base64url "
			   "JSON", t->id);
		goto out;
	}
	ret = luks2_json_parse((const char *)buf, n, LUKS2_JSON_DEPTH, &root, f);
	if (ret) {
		fail_prefix(f, "token %u: clevis header", t->id);
		goto out;
	}
	if (!json_object_object_get_ex(root, "clevis", &clevis)) {
		/* Not clevis' own: nothing is known of how it unlocks. */
		t->tpm = true;
		t->pcrs = PCR_LOCALITY0;
		goto out;
	}
	ret = walk(clevis, depth, t, f);
out:
	json_object_put(root);
	free(buf);
	return ret;
}

static void tpm2_pin(json_object *clevis, struct token_facts *t)
{
	json_object *cfg, *ids;
	struct failure ignored;
	uint32_t mask;

	t->tpm = true;
	if (!json_object_object_get_ex(clevis, "tpm2", &cfg) ||
	    !json_object_is_type(cfg, json_type_object)) {
		t->pcrs = PCR_LOCALITY0;
		return;
	}
	/* No pcr_ids: clevis seals with no PCR policy at all. */
	if (!json_object_object_get_ex(cfg, "pcr_ids", &ids)) {
		t->unbound = true;
		return;
	}
	if (json_object_is_type(ids, json_type_string)) {
		if (pcr_list_parse(json_object_get_string(ids), &mask, &ignored))
			mask = PCR_LOCALITY0;
		t->pcrs |= mask;
		return;
	}
	t->pcrs |= token_pcr_array(ids);
}

static int sss_pin(json_object *clevis, int depth, struct token_facts *t, struct failure *f)
{
	json_object *sss, *jwes, *jwe;
	const char *s, *dot;
	size_t i;
	int ret;

	if (depth >= SSS_DEPTH || !json_object_object_get_ex(clevis, "sss", &sss) ||
	    !json_object_object_get_ex(sss, "jwe", &jwes) ||
	    !json_object_is_type(jwes, json_type_array)) {
		t->tpm = true;
		t->pcrs = PCR_LOCALITY0;
		return STATUS_OK;
	}
	for (i = 0; i < json_object_array_length(jwes); i++) {
		jwe = json_object_array_get_idx(jwes, i);
		if (!json_object_is_type(jwe, json_type_string))
			return fail(f, STATUS_VERIFY, "token %u: an sss share that is not a "
				    "compact JWE", t->id);
		/* Compact serialization: the protected header comes first. */
		s = json_object_get_string(jwe);
		dot = strchr(s, '.');
		ret = header(s, dot ? (size_t)(dot - s) : strlen(s), depth + 1, t, f);
		if (ret)
			return ret;
	}
	return STATUS_OK;
}

static int walk(json_object *clevis, int depth, struct token_facts *t, struct failure *f)
{
	json_object *pin;
	const char *s = "";

	if (json_object_object_get_ex(clevis, "pin", &pin) &&
	    json_object_is_type(pin, json_type_string))
		s = json_object_get_string(pin);
	if (!strcmp(s, "tpm2")) {
		tpm2_pin(clevis, t);
		return STATUS_OK;
	}
	if (!strcmp(s, "sss"))
		return sss_pin(clevis, depth, t, f);
	/* Tang asks a server over the network; every other pin is unknown. */
	if (strcmp(s, "tang") != 0) {
		t->tpm = true;
		t->pcrs = PCR_LOCALITY0;
	}
	return STATUS_OK;
}

int clevis_token(json_object *jwe, struct token_facts *t, struct failure *f)
{
	json_object *prot;

	if (!json_object_object_get_ex(jwe, "protected", &prot) ||
	    !json_object_is_type(prot, json_type_string))
		return fail(f, STATUS_VERIFY, "token %u: a clevis token without a protected "
			    "header", t->id);
	return header(json_object_get_string(prot), (size_t)json_object_get_string_len(prot),
		      0, t, f);
}
