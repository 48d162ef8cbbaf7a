#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "base64.h"
#include "luks2_tokens.h"
#include "name.h"
#include "pcr_list.h"
#include "tr_blob.h"
#include "word_list.h"

/* Token types whose unlock asks no TPM. */
static const char *const not_tpm[] = { "systemd-fido2", "systemd-pkcs11", "luks2-keyring" };

/* The members of a systemd-tpm2 token that this reading understands. */
static const char *const systemd_known[] = {
	"type", "keyslots", "tpm2-blob", "tpm2-pcrs", "tpm2-pcr-bank", "tpm2-primary-alg",
	"tpm2-policy-hash", "tpm2-pin", "tpm2_pubkey_pcrs", "tpm2_pubkey", "tpm2_salt",
	"tpm2_srk", "tpm2_pcrlock",
};

uint32_t token_pcr_array(json_object *a)
{
	uint32_t mask = 0;
	size_t i;

	if (!json_object_is_type(a, json_type_array))
		return PCR_LOCALITY0;
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);
		int64_t pcr;

		if (!json_object_is_type(v, json_type_int))
			return PCR_LOCALITY0;
		pcr = json_object_get_int64(v);
		if (pcr < 0 || pcr > 23 || !(PCR_LOCALITY0 & (1u << pcr)))
			return PCR_LOCALITY0;
		mask |= 1u << pcr;
	}
	return mask;
}

/*
 * "tpm2_srk": base64 of a serialized ESYS_TR. Its public area is what the
 * unseal's session is salted to; the name is computed from it here, and a
 * name field that disagrees makes the pin unreadable.
 */
static void srk_pin(json_object *v, struct token_facts *t)
{
	uint8_t blob[TR_BLOB_MAX];
	TPM2B_NAME stored = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	TPM2_HANDLE handle;
	uint32_t type;
	size_t len, off = 0;
	const char *s;

	t->pin = TOKEN_PIN_BAD;
	if (!json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	if (base64_decode(BASE64_STD, s, (size_t)json_object_get_string_len(v), blob,
			  sizeof(blob), &len) ||
	    Tss2_MU_TPM2_HANDLE_Unmarshal(blob, len, &off, &handle) ||
	    Tss2_MU_TPM2B_NAME_Unmarshal(blob, len, &off, &stored) ||
	    Tss2_MU_UINT32_Unmarshal(blob, len, &off, &type) ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, len, &off, &pub) || off != len ||
	    name_of_public(&pub.publicArea, &t->srk) || !name_equal(&stored, &t->srk))
		return;
	t->pin = TOKEN_PINNED;
}

static void systemd_tpm2(json_object *tok, struct token_facts *t)
{
	json_object *v;

	t->tpm = true;
	t->pcrs = 0;
	json_object_object_foreach(tok, key, val) {
		(void)val;
		/* A member added by a newer systemd may change what the sealing
		 * depends on (as tpm2_pcrlock did): assume the worst. */
		if (!word_listed(key, systemd_known, WORD_LIST_LEN(systemd_known)))
			t->pcrs = PCR_LOCALITY0;
	}
	if (json_object_object_get_ex(tok, "tpm2-pcrs", &v))
		t->pcrs |= token_pcr_array(v);
	if (json_object_object_get_ex(tok, "tpm2_pubkey_pcrs", &v))
		t->pcrs |= token_pcr_array(v);
	/* pcrlock: a policy kept in an NV index, any PCR may be in it. */
	if (json_object_object_get_ex(tok, "tpm2_pcrlock", &v) &&
	    (!json_object_is_type(v, json_type_boolean) || json_object_get_boolean(v)))
		t->pcrs = PCR_LOCALITY0;
	t->unbound = !t->pcrs;
	if (json_object_object_get_ex(tok, "tpm2_srk", &v))
		srk_pin(v, t);
}

static void printable(char *out, size_t size, const char *in)
{
	size_t i;

	for (i = 0; i + 1 < size && in[i]; i++)
		if (in[i] > ' ' && in[i] < 0x7f)
			out[i] = in[i];
		else
			out[i] = '?';
	out[i] = '\0';
}

static int one_token(const char *id, json_object *tok, struct token_facts *t,
		     struct failure *f)
{
	json_object *type, *jwe;
	const char *s;
	char *end;
	unsigned long n;

	memset(t, 0, sizeof(*t));
	n = strtoul(id, &end, 10);
	if (*id < '0' || *id > '9' || *end || n >= LUKS2_TOKENS_MAX || (id[0] == '0' && id[1]))
		return fail(f, STATUS_VERIFY, "a token with a bad id");
	t->id = (unsigned int)n;
	if (!json_object_is_type(tok, json_type_object) ||
	    !json_object_object_get_ex(tok, "type", &type) ||
	    !json_object_is_type(type, json_type_string))
		return fail(f, STATUS_VERIFY, "token %lu has no type", n);
	s = json_object_get_string(type);
	printable(t->type, sizeof(t->type), s);
	if (word_listed(s, not_tpm, WORD_LIST_LEN(not_tpm)))
		return STATUS_OK;
	if (!strcmp(s, "systemd-tpm2")) {
		systemd_tpm2(tok, t);
		return STATUS_OK;
	}
	if (!strcmp(s, "clevis") && json_object_object_get_ex(tok, "jwe", &jwe))
		return clevis_token(jwe, t, f);
	t->tpm = true;
	t->pcrs = PCR_LOCALITY0;
	return STATUS_OK;
}

int luks2_tokens_read(json_object *root, struct luks2_tokens *out, struct failure *f)
{
	json_object *tokens;
	int ret;

	out->count = 0;
	if (!json_object_object_get_ex(root, "tokens", &tokens))
		return STATUS_OK;
	if (!json_object_is_type(tokens, json_type_object))
		return fail(f, STATUS_VERIFY, "\"tokens\" is not an object");
	json_object_object_foreach(tokens, id, tok) {
		if (out->count == LUKS2_TOKENS_MAX)
			return fail(f, STATUS_VERIFY, "more than %d tokens", LUKS2_TOKENS_MAX);
		ret = one_token(id, tok, &out->token[out->count], f);
		if (ret)
			return ret;
		out->count++;
	}
	return STATUS_OK;
}
