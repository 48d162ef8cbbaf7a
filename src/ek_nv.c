#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ek_cert.h"
#include "ek_nv.h"
#include "nv.h"
#include "template_check.h"

#define EK_NV_FIRST 0x01c00000
#define EK_NV_COUNT 0x40

/* Template and nonce indices the profile defines for the low range. */
static const struct {
	TPM2_HANDLE cert, nonce, tmpl;
} low_range_overrides[] = {
	{ 0x01c00002, 0x01c00003, 0x01c00004 },
	{ 0x01c0000a, 0x01c0000b, 0x01c0000c },
};

X509 *ek_nv_parse(const uint8_t *data, size_t len)
{
	struct failure ignored;
	X509 *cert = NULL;
	size_t i;

	/* d2i stops at the end of the DER, so trailing padding is harmless. */
	if (!ek_cert_parse(data, len, &cert, &ignored))
		return cert;
	/* Some vendors put a header first: try each plausible DER SEQUENCE start. */
	for (i = 1; i + 4 < len && !cert; i++) {
		const unsigned char *p = data + i;

		if (data[i] != 0x30 || data[i + 1] != 0x82)
			continue;
		cert = d2i_X509(NULL, &p, (long)(len - i));
	}
	ERR_clear_error();
	return cert;
}

static const struct ek_template *template_for(TPM2_HANDLE index)
{
	size_t i;

	for (i = 0; i < ek_template_count; i++)
		if (ek_templates[i].cert_index == index)
			return &ek_templates[i];
	return NULL;
}

/*
 * Honour a TPM-stored template and nonce (profile 2.x, section 2.2.1.5).
 * Their bytes are the TPM's word: template_from_nv checks every field
 * before anything is sized or derived from them.
 */
static int read_overrides(struct tpm *tpm, const TPML_HANDLE *present,
			  struct ek_nv *out, struct failure *f)
{
	struct ek_override o = { 0 };
	uint8_t *tmpl = NULL, *nonce = NULL;
	size_t i;
	int ret = STATUS_OK;

	for (i = 0; i < sizeof(low_range_overrides) / sizeof(low_range_overrides[0]); i++) {
		if (low_range_overrides[i].cert != out->index)
			continue;
		o.tmpl_index = low_range_overrides[i].tmpl;
		o.nonce_index = low_range_overrides[i].nonce;
		if (nv_listed(present, o.tmpl_index)) {
			ret = nv_read(tpm, o.tmpl_index, &tmpl, &o.tmpl_len, f);
			if (ret)
				goto out;
			o.tmpl = tmpl;
		}
		if (nv_listed(present, o.nonce_index)) {
			ret = nv_read(tpm, o.nonce_index, &nonce, &o.nonce_len, f);
			if (ret)
				goto out;
			o.nonce = nonce;
		}
		if (!o.tmpl && !o.nonce)
			break;
		ret = template_from_nv(out->tmpl, &o, &out->custom, f);
		if (ret)
			goto out;
		out->has_custom = true;
		break;
	}
out:
	free(tmpl);
	free(nonce);
	return ret;
}

int ek_nv_read(struct tpm *tpm, TPM2_HANDLE index, struct ek_nv *out,
	       struct failure *f)
{
	/* ECC first: an RSA EK takes seconds to derive on real TPMs. */
	static const TPM2_HANDLE order[] = { 0x01c0000a, 0x01c00014, 0x01c00016, 0x01c00018,
					     0x01c00002, 0x01c00012, 0x01c0001c, 0x01c0001e };
	TPML_HANDLE present;
	uint8_t *data = NULL;
	size_t i, len;
	int ret;

	memset(out, 0, sizeof(*out));
	if (index && !template_for(index))
		return fail(f, STATUS_USAGE, "0x%08x is not an EK certificate index of a "
			    "supported template", index);
	ret = nv_list(tpm, EK_NV_FIRST, EK_NV_COUNT, &present, f);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		TPM2_HANDLE h = index ? index : order[i];

		if (!nv_listed(&present, h)) {
			if (index)
				return fail(f, STATUS_NO_EK_CERT, "the TPM holds no EK certificate "
					    "at NV 0x%08x", index);
			continue;
		}
		ret = nv_read(tpm, h, &data, &len, f);
		if (ret)
			return ret;
		out->cert = ek_nv_parse(data, len);
		free(data);
		data = NULL;
		if (!out->cert)
			return fail(f, STATUS_VERIFY, "NV 0x%08x holds no parsable X.509 "
				    "certificate", h);
		out->index = h;
		out->tmpl = template_for(h);
		return read_overrides(tpm, &present, out, f);
	}
	return fail(f, STATUS_NO_EK_CERT, "the TPM holds no EK certificate in any "
		    "supported NV index");
}

void ek_nv_release(struct ek_nv *ek)
{
	X509_free(ek->cert);
	ek->cert = NULL;
}

int ek_nv_intermediates(struct tpm *tpm, STACK_OF(X509) *untrusted,
			struct failure *f)
{
	TPML_HANDLE present;
	uint8_t *data = NULL;
	size_t len;
	UINT32 i;
	int ret;

	/* Where Intel keeps its on-die CA chain: zero or more DER certificates each. */
	ret = nv_list(tpm, 0x01c00100, 0x100, &present, f);
	for (i = 0; !ret && i < present.count; i++) {
		const unsigned char *p, *end;
		X509 *x;

		ret = nv_read(tpm, present.handle[i], &data, &len, f);
		if (ret)
			break;
		p = data;
		end = data + len;
		while (p < end && (x = d2i_X509(NULL, &p, (long)(end - p)))) {
			if (!sk_X509_push(untrusted, x)) {
				X509_free(x);
				ret = fail(f, STATUS_VERIFY, "out of memory reading NV intermediates");
				break;
			}
		}
		ERR_clear_error();
		free(data);
		data = NULL;
	}
	free(data);
	return ret;
}
