#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest.h"
#include "auth_session.h"
#include "certify.h"
#include "chain.h"
#include "ek_cert.h"
#include "ek_nv.h"
#include "modes.h"
#include "name.h"
#include "namefile.h"
#include "pcr_cap.h"
#include "pcr_list.h"
#include "primary.h"
#include "pubkey.h"
#include "templates.h"

#define SYSFS_NULL_NAME "/sys/class/tpm/tpm0/null_name"

/* Milliseconds since `since` (CLOCK_MONOTONIC). */
static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -1;
	return (long)(now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Hand the verified key to main(), which writes --file and --public last. */
static void verified(struct run *r, const TPM2B_PUBLIC *pub)
{
	r->verified = *pub;
	r->have_verified = true;
}

int modes_open_auth(struct run *r, const TPM2B_AUTH *endorsement,
		    const TPM2B_AUTH *owner, struct failure *f)
{
	TPM2B_PUBLIC tmpl;
	TSS2_RC rc = TSS2_RC_SUCCESS;
	int ret;

	if (endorsement)
		rc = Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, endorsement);
	if (!rc && owner)
		rc = Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_OWNER, owner);
	if (rc)
		return fail_tss(f, "setting a hierarchy password", rc);
	/*
	 * The NULL hierarchy needs no password, and its storage primary is the
	 * kernel's own salt key: salting to it from the first use leaves a
	 * passive listener nothing to guess against, and certifying it later
	 * catches an interposer that substituted it.
	 */
	template_storage(&tmpl);
	ret = primary_create(&r->tpm, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, &tmpl, &r->salt,
			     &r->salt_pub, f);
	if (ret)
		return ret;
	ret = auth_session_start(&r->tpm, r->salt, &r->session, f);
	if (ret)
		return ret;
	if (endorsement)
		r->eauth = r->session;
	if (owner)
		r->oauth = r->session;
	return STATUS_OK;
}

void modes_close_auth(struct run *r)
{
	TPM2B_AUTH empty = { 0 };

	tpm_flush(&r->tpm, &r->session);
	r->eauth = r->oauth = ESYS_TR_PASSWORD;
	tpm_flush(&r->tpm, &r->salt);
	Esys_Free(r->salt_pub);
	r->salt_pub = NULL;
	/* ESYS keeps its own copies of the passwords: overwrite them before teardown. */
	(void)Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, &empty);
	(void)Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_OWNER, &empty);
}

/* A name file when one was given: none is no error. */
static int read_name_if_given(const char *path, TPM2B_NAME *name, struct failure *f)
{
	if (!path)
		return STATUS_OK;
	return namefile_read(path, name, f);
}

/* The derived signing EK, checked against `enrolled` when that is given. */
static int derive_signing_ek(struct run *r, const TPM2B_NAME *enrolled,
			     struct signing_ek *ek, struct failure *f)
{
	int ret;

	ret = signing_ek_derive(&r->tpm, r->eauth, ek, f);
	if (ret || !enrolled)
		return ret;
	return signing_ek_check(ek, enrolled, f);
}

/*
 * The enrolled signing EK: the one persisted at --signing-ek when it is
 * there (no CreatePrimary), else derived; either way checked against the
 * enrolled name before anything trusts it.
 */
static int enrolled_signing_ek(struct run *r, const TPM2B_NAME *enrolled,
			       struct signing_ek *ek, struct failure *f)
{
	bool found = false;
	int ret;

	if (r->opt->ek_handle) {
		ret = signing_ek_load(&r->tpm, r->opt->ek_handle, enrolled, ek, &found, f);
		if (ret || found)
			return ret;
	}
	return derive_signing_ek(r, enrolled, ek, f);
}

/*
 * The NULL primary, certified by the verified signing EK (and compared to
 * `expected` when given). With a password it is the session's salt key,
 * already loaded: only the Certify is sent. Else it is made, certified and
 * flushed.
 */
static int certify_null(struct run *r, const struct signing_ek *ek,
			const TPM2B_NAME *expected, struct certified *out,
			struct failure *f)
{
	const struct hierarchy *null = hierarchy_find("null");

	if (r->salt != ESYS_TR_NONE)
		return certify_primary(&r->tpm, ek, null, r->salt, r->salt_pub, expected,
				       out, f);
	return certify_hierarchy(&r->tpm, ek, null, ESYS_TR_PASSWORD, expected, out, f);
}

/* With a password: prove the salt key was the TPM's own NULL primary. */
static int certify_salt(struct run *r, const struct signing_ek *ek, struct failure *f)
{
	struct certified ignored;

	if (r->salt == ESYS_TR_NONE)
		return STATUS_OK;
	return certify_null(r, ek, NULL, &ignored, f);
}

int mode_eksign(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	struct signing_ek ek = SIGNING_EK_NONE;
	TPM2B_NAME enrolled;
	char hex[NAME_HEX_MAX];
	int ret;

	ret = read_name_if_given(o->name_file, &enrolled, f);
	if (ret)
		return ret;
	ret = derive_signing_ek(r, o->name_file ? &enrolled : NULL, &ek, f);
	if (!ret && o->name_file)
		ret = certify_salt(r, &ek, f);
	if (ret)
		goto out;
	if (o->persist_handle) {
		ret = signing_ek_persist(&r->tpm, &ek, o->persist_handle, r->oauth, f);
		if (ret)
			goto out;
	}
	/* Nothing else needs the key loaded: flush before any output. */
	signing_ek_unload(&r->tpm, &ek);
	if (o->name_file) {
		verified(r, ek.pub);
		goto out;
	}
	name_to_hex(&ek.name, hex);
	printf("%s\n", hex);
out:
	signing_ek_release(&r->tpm, &ek);
	return ret;
}

/* "nv:" or "nv:0x01c00016": the certificate comes from the TPM's NV. */
static int parse_nv_spec(const char *spec, bool *from_nv, TPM2_HANDLE *index,
			 struct failure *f)
{
	char *end;
	unsigned long v;

	*from_nv = !strncmp(spec, "nv:", 3);
	*index = 0;
	if (!*from_nv || !spec[3])
		return STATUS_OK;
	v = strtoul(spec + 3, &end, 16);
	if (*end || v > 0xffffffffUL)
		return fail(f, STATUS_USAGE, "bad NV index in \"%s\": use nv: or nv:0x01c00002",
			    spec);
	*index = (TPM2_HANDLE)v;
	return STATUS_OK;
}

static int verify_chain(struct run *r, X509 *cert, bool from_nv, char *root,
			size_t root_len, struct failure *f)
{
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int ret;

	ret = chain_load_ca(r->opt->ca, &store, &untrusted, f);
	if (ret)
		return ret;
	if (from_nv)
		ret = ek_nv_intermediates(&r->tpm, untrusted, f);
	if (!ret)
		ret = chain_verify(cert, store, untrusted, root, root_len, f);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	return ret;
}

int mode_attest(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	struct signing_ek ek = SIGNING_EK_NONE;
	struct ek_nv nv = { 0 };
	struct found_ek found = { .handle = ESYS_TR_NONE };
	TPM2B_NAME enrolled;
	TPM2_HANDLE index;
	X509 *file_cert = NULL, *cert;
	EVP_PKEY *cert_key = NULL;
	char root[256] = "";
	bool from_nv;
	int ret;

	ret = parse_nv_spec(o->cert_file, &from_nv, &index, f);
	if (!ret && !from_nv)
		ret = ek_cert_read(o->cert_file, &file_cert, f);
	if (!ret)
		ret = read_name_if_given(o->name_file, &enrolled, f);
	if (!ret && from_nv)
		ret = ek_nv_read(&r->tpm, index, &nv, f);
	if (ret)
		goto out;
	cert = from_nv ? nv.cert : file_cert;
	cert_key = X509_get_pubkey(cert);
	if (!cert_key) {
		ret = fail(f, STATUS_USAGE, "the EK certificate has no usable public key");
		goto out;
	}
	/* The chain first: no TPM work for a certificate we would not trust. */
	if (o->ca) {
		ret = verify_chain(r, cert, from_nv, root, sizeof(root), f);
		if (ret)
			goto out;
	}
	ret = attest_find_ek(&r->tpm, r->eauth, cert_key, from_nv ? nv.tmpl : NULL,
			     nv.has_custom ? &nv.custom : NULL, &found, f);
	if (ret)
		goto out;
	ret = derive_signing_ek(r, o->name_file ? &enrolled : NULL, &ek, f);
	if (ret)
		goto out;
	ret = attest_activate(&r->tpm, r->eauth, &ek, cert_key, &found, f);
	if (ret)
		goto out;
	attest_release_ek(&r->tpm, &found);
	/* Only now is the signing EK known to be this TPM's. */
	ret = certify_salt(r, &ek, f);
	if (ret)
		goto out;
	signing_ek_unload(&r->tpm, &ek);
	verified(r, ek.pub);
	printf("Attestation of signing EK successful\n");
	if (from_nv)
		printf("EK certificate: NV 0x%08x, template %s%s\n", nv.index, found.used->label,
		       nv.has_custom ? " (with the TPM's stored template/nonce)" : "");
	else
		printf("EK template: %s\n", found.used->label);
	if (o->ca)
		printf("Chain verified to %s\n", root);
out:
	signing_ek_release(&r->tpm, &ek);
	attest_release_ek(&r->tpm, &found);
	EVP_PKEY_free(cert_key);
	X509_free(file_cert);
	ek_nv_release(&nv);
	return ret;
}

static void print_clock(const char *what, const TPMS_CLOCK_INFO *c)
{
	printf("Good certification %sfrom TPM at %lu.%04d reset count %u\n", what,
	       (unsigned long)(c->clock / 1000), (int)(c->clock % 1000), c->resetCount);
}

int mode_certify(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	const struct hierarchy *h = hierarchy_find(o->hierarchy);
	struct signing_ek ek = SIGNING_EK_NONE;
	struct certified cert;
	TPM2B_NAME enrolled, expected;
	char hex[NAME_HEX_MAX];
	bool persistent;
	int ret;

	if (!h)
		return fail(f, STATUS_USAGE, "unknown hierarchy \"%s\": use null, owner, "
			    "endorsement or platform", o->hierarchy);
	ret = namefile_read(o->name_file, &enrolled, f);
	if (!ret)
		ret = read_name_if_given(o->check_file, &expected, f);
	if (ret)
		return ret;
	ret = enrolled_signing_ek(r, &enrolled, &ek, f);
	if (ret)
		goto out;
	if (h->handle == TPM2_RH_NULL)
		ret = certify_null(r, &ek, o->check_file ? &expected : NULL, &cert, f);
	else if (h->handle == TPM2_RH_OWNER)
		ret = certify_owner_srk(&r->tpm, &ek, o->check_file ? &expected : NULL,
					&cert, &persistent, f);
	else
		ret = certify_hierarchy(&r->tpm, &ek, h,
					h->esys == ESYS_TR_RH_ENDORSEMENT ? r->eauth :
					ESYS_TR_PASSWORD, o->check_file ? &expected : NULL,
					&cert, f);
	if (!ret && h->handle != TPM2_RH_NULL)
		ret = certify_salt(r, &ek, f);
	if (ret)
		goto out;
	signing_ek_unload(&r->tpm, &ek);
	verified(r, &cert.pub);
	if (o->outname) {
		name_to_hex(&cert.name, hex);
		printf("%s\n", hex);
	} else {
		print_clock("", &cert.clock);
	}
out:
	signing_ek_release(&r->tpm, &ek);
	return ret;
}

/*
 * An absent sysfs null_name is a kernel without TPM HMAC sessions, not an
 * attack. A name file the caller named explicitly must exist: a typo must
 * not quietly turn the NULL-key check off.
 */
static int read_null_name(const char *path, bool explicit, TPM2B_NAME *name,
			  bool *present, struct failure *f)
{
	struct stat st;

	*present = false;
	if (!explicit && stat(path, &st) && errno == ENOENT)
		return STATUS_OK;
	*present = true;
	return namefile_read(path, name, f);
}

int mode_boot(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	const char *null_path = o->check_file ? o->check_file : SYSFS_NULL_NAME;
	struct signing_ek ek = SIGNING_EK_NONE;
	struct certified null_key, srk;
	TPM2B_NAME enrolled, null_name;
	bool have_null, persistent;
	char ek_at[32] = "";
	int ret;

	ret = namefile_read(o->name_file, &enrolled, f);
	if (ret)
		return ret;
	ret = read_null_name(null_path, o->check_file != NULL, &null_name, &have_null, f);
	if (ret)
		return ret;
	if (!have_null && o->require_null_name)
		return fail(f, STATUS_VERIFY, "%s is absent: the kernel's TPM sessions "
			    "cannot be verified, and a null_name is required", null_path);
	ret = enrolled_signing_ek(r, &enrolled, &ek, f);
	if (ret)
		goto out;
	if (have_null || r->salt != ESYS_TR_NONE) {
		ret = certify_null(r, &ek, have_null ? &null_name : NULL, &null_key, f);
		if (ret)
			goto out;
	}
	ret = certify_owner_srk(&r->tpm, &ek, NULL, &srk, &persistent, f);
	if (ret)
		goto out;
	if (ek.persistent)
		snprintf(ek_at, sizeof(ek_at), ", persistent at 0x%08x", o->ek_handle);
	signing_ek_unload(&r->tpm, &ek);
	verified(r, &srk.pub);
	snprintf(r->verdict, sizeof(r->verdict), "TPM verified: %s%s certified by the enrolled "
		 "signing EK%s (TPM clock %lu.%04d, reset count %u, %ld ms)%s",
		 have_null ? "NULL key and " : "",
		 persistent ? "persistent owner SRK 0x81000001" : "owner SRK",
		 ek_at,
		 (unsigned long)(srk.clock.clock / 1000), (int)(srk.clock.clock % 1000),
		 srk.clock.resetCount, elapsed_ms(&r->started),
		 have_null ? "" : "; no null_name, so the kernel's own TPM sessions "
		 "are unverified");
	printf("%s\n", r->verdict);
out:
	signing_ek_release(&r->tpm, &ek);
	return ret;
}

int mode_cap(struct run *r, struct failure *f)
{
	char banks[128], list[PCR_LIST_MAX];
	uint32_t capped;
	int ret;

	ret = pcr_cap(&r->tpm, r->opt->cap_pcrs, &capped, banks, sizeof(banks), f);
	if (ret)
		return ret;
	pcr_list_format(capped, list, sizeof(list));
	printf("PCRs %s capped with the refusal event in banks %s\n", list, banks);
	return STATUS_OK;
}
