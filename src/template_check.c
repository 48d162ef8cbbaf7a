#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "digest.h"
#include "pubkey.h"
#include "template_check.h"

/*
 * What an EK is (profile templates L-1 to H-7): a restricted decryption key
 * bound to this TPM, administered by policy. userWithAuth (high range) and
 * noDA change nothing this tool relies on; every other bit is refused.
 */
#define EK_REQUIRED_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
			   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY | \
			   TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define EK_ALLOWED_ATTRS (EK_REQUIRED_ATTRS | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA)

/*
 * A malformed or unsupported template is a verification failure, not a TPM
 * error: the TPM answered, and what it stored (or what an interposer says it
 * stored) is not an EK template we can trust to size buffers or keys.
 */
__attribute__((format(printf, 4, 5)))
static int refuse(struct failure *f, const char *what, TPM2_HANDLE index,
		  const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return fail(f, STATUS_VERIFY, "the EK %s at NV 0x%08x is refused: %s", what,
		    index, why);
}

static bool supported_name_alg(TPMI_ALG_HASH alg)
{
	return alg == TPM2_ALG_SHA256 || alg == TPM2_ALG_SHA384 || alg == TPM2_ALG_SHA512;
}

static int check_symmetric(const TPMT_SYM_DEF_OBJECT *sym, TPM2_HANDLE index,
			   struct failure *f)
{
	if (sym->algorithm != TPM2_ALG_AES || sym->mode.aes != TPM2_ALG_CFB)
		return refuse(f, "template", index, "its symmetric algorithm 0x%04x mode "
			      "0x%04x is not AES in CFB mode", sym->algorithm,
			      sym->algorithm == TPM2_ALG_AES ? sym->mode.aes : 0);
	if (sym->keyBits.aes != 128 && sym->keyBits.aes != 256)
		return refuse(f, "template", index, "its AES key is %u bits, not 128 or 256",
			      sym->keyBits.aes);
	return STATUS_OK;
}

static int check_rsa(const struct ek_template *t, const TPMT_PUBLIC *p,
		     TPM2_HANDLE index, struct failure *f)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;
	int ret = check_symmetric(&r->symmetric, index, f);

	if (ret)
		return ret;
	if (r->scheme.scheme != TPM2_ALG_NULL)
		return refuse(f, "template", index, "a restricted decryption key has no "
			      "scheme, but it names 0x%04x", r->scheme.scheme);
	if (r->keyBits != t->rsa_bits)
		return refuse(f, "template", index, "its RSA key is %u bits, but the "
			      "certificate is for %s", r->keyBits, t->label);
	if (r->exponent != 0 && r->exponent != 65537)
		return refuse(f, "template", index, "its RSA exponent %u is not 65537",
			      r->exponent);
	if (p->unique.rsa.size > r->keyBits / 8)
		return refuse(f, "template", index, "its unique field is %u bytes, longer "
			      "than the %u-byte modulus", p->unique.rsa.size,
			      (unsigned)r->keyBits / 8u);
	return STATUS_OK;
}

static int check_ecc(const struct ek_template *t, const TPMT_PUBLIC *p,
		     TPM2_HANDLE index, struct failure *f)
{
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;
	size_t field = 0;
	int ret = check_symmetric(&e->symmetric, index, f);

	if (ret)
		return ret;
	if (e->scheme.scheme != TPM2_ALG_NULL || e->kdf.scheme != TPM2_ALG_NULL)
		return refuse(f, "template", index, "a restricted decryption key has no "
			      "scheme or KDF, but it names 0x%04x and 0x%04x",
			      e->scheme.scheme, e->kdf.scheme);
	if (e->curveID != t->curve || !pubkey_curve(e->curveID, &field))
		return refuse(f, "template", index, "its curve 0x%04x is not that of %s",
			      e->curveID, t->label);
	if (p->unique.ecc.x.size > field || p->unique.ecc.y.size > field)
		return refuse(f, "template", index, "its unique point has coordinates of "
			      "%u and %u bytes, longer than the %zu-byte field",
			      p->unique.ecc.x.size, p->unique.ecc.y.size, field);
	return STATUS_OK;
}

int template_check_ek(const struct ek_template *t, const TPMT_PUBLIC *p,
		      TPM2_HANDLE index, struct failure *f)
{
	TPM2B_DIGEST policy;

	if (p->type != t->type)
		return refuse(f, "template", index, "its key type 0x%04x is not that of %s",
			      p->type, t->label);
	if (!supported_name_alg(p->nameAlg))
		return refuse(f, "template", index, "its name algorithm 0x%04x is not "
			      "SHA-256, SHA-384 or SHA-512", p->nameAlg);
	if ((p->objectAttributes & EK_REQUIRED_ATTRS) != EK_REQUIRED_ATTRS ||
	    (p->objectAttributes & ~(TPMA_OBJECT)EK_ALLOWED_ATTRS))
		return refuse(f, "template", index, "its attributes 0x%08x are not those "
			      "of an EK (a restricted decryption key, fixedTPM, "
			      "adminWithPolicy)", p->objectAttributes);
	if (p->authPolicy.size != digest_size(p->nameAlg))
		return refuse(f, "template", index, "its authPolicy is %u bytes, not the "
			      "%zu of its name algorithm", p->authPolicy.size,
			      digest_size(p->nameAlg));
	/* ActivateCredential is authorized by the profile's policy, nothing else. */
	if (!ek_template_policy(t, p->nameAlg, &policy) ||
	    memcmp(policy.buffer, p->authPolicy.buffer, policy.size) != 0)
		return refuse(f, "template", index, "its authPolicy is not the EK "
			      "Credential Profile's %s, the only one this tool satisfies",
			      t->high ? "PolicyB" : "PolicyA");
	return t->type == TPM2_ALG_RSA ? check_rsa(t, p, index, f) : check_ecc(t, p, index, f);
}

/* NV indices are often larger than what is written to them: allow blank padding. */
static bool blank(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0x00 && p[i] != 0xff)
			return false;
	return true;
}

/* Profile 2.x, 2.2.1.5: the nonce fills the start of a zero unique field. */
static int apply_nonce(const struct ek_template *t, const struct ek_override *o,
		       TPMT_PUBLIC *p, struct failure *f)
{
	size_t field = 0;

	if (o->nonce_len < 1 || o->nonce_len > EK_NONCE_MAX)
		return refuse(f, "nonce", o->nonce_index, "it is %zu bytes, not 1 to %d",
			      o->nonce_len, EK_NONCE_MAX);
	if (t->type == TPM2_ALG_RSA) {
		field = t->rsa_bits / 8u;
		if (field > sizeof(p->unique.rsa.buffer) || o->nonce_len > field)
			return refuse(f, "nonce", o->nonce_index, "it does not fit %s",
				      t->label);
		memset(&p->unique.rsa, 0, sizeof(p->unique.rsa));
		memcpy(p->unique.rsa.buffer, o->nonce, o->nonce_len);
		p->unique.rsa.size = (UINT16)field;
	} else {
		if (!pubkey_curve(t->curve, &field) || field > sizeof(p->unique.ecc.x.buffer) ||
		    o->nonce_len > field)
			return refuse(f, "nonce", o->nonce_index, "it does not fit %s",
				      t->label);
		memset(&p->unique.ecc, 0, sizeof(p->unique.ecc));
		memcpy(p->unique.ecc.x.buffer, o->nonce, o->nonce_len);
		p->unique.ecc.x.size = p->unique.ecc.y.size = (UINT16)field;
	}
	return STATUS_OK;
}

int template_from_nv(const struct ek_template *t, const struct ek_override *o,
		     TPM2B_PUBLIC *out, struct failure *f)
{
	size_t off = 0;
	int ret;

	ek_template_public(t, out);
	if (o->tmpl) {
		memset(out, 0, sizeof(*out));
		if (Tss2_MU_TPMT_PUBLIC_Unmarshal(o->tmpl, o->tmpl_len, &off, &out->publicArea)) {
			ret = refuse(f, "template", o->tmpl_index, "it is not a TPMT_PUBLIC");
			goto out;
		}
		if (!blank(o->tmpl + off, o->tmpl_len - off)) {
			ret = refuse(f, "template", o->tmpl_index, "%zu bytes follow the "
				     "TPMT_PUBLIC", o->tmpl_len - off);
			goto out;
		}
		ret = template_check_ek(t, &out->publicArea, o->tmpl_index, f);
		if (ret)
			goto out;
	}
	if (o->nonce) {
		ret = apply_nonce(t, o, &out->publicArea, f);
		if (ret)
			goto out;
	}
	/* Also the profile's own template with a nonce in it: check what is used. */
	ret = template_check_ek(t, &out->publicArea, o->tmpl ? o->tmpl_index :
				o->nonce_index, f);
out:
	return ret;
}
