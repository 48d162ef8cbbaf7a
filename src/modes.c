#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "attest.h"
#include "certify.h"
#include "ek_cert.h"
#include "kmsg.h"
#include "modes.h"
#include "name.h"
#include "namefile.h"
#include "primary.h"
#include "pubkey.h"

#define SYSFS_NULL_NAME "/sys/class/tpm/tpm0/null_name"

int mode_eksign(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	struct signing_ek ek = { 0 };
	TPM2B_NAME enrolled;
	char hex[NAME_HEX_MAX];
	int ret;

	if (o->name_file) {
		ret = namefile_read(o->name_file, &enrolled, f);
		if (ret)
			return ret;
	}
	ret = signing_ek_derive(&r->tpm, &ek, f);
	if (ret)
		goto out;
	/* Nothing else needs the key loaded: flush before any output. */
	primary_flush(&r->tpm, &ek.handle);
	if (o->name_file) {
		ret = signing_ek_check(&ek, &enrolled, f);
		if (ret)
			goto out;
		if (o->out_file)
			ret = pubkey_write_pem(&ek.pub->publicArea, o->out_file, f);
		goto out;
	}
	name_to_hex(&ek.name, hex);
	printf("%s\n", hex);
out:
	signing_ek_release(&r->tpm, &ek);
	return ret;
}

int mode_attest(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	struct signing_ek ek = { 0 };
	const struct ek_template *used = NULL;
	TPM2B_NAME enrolled;
	X509 *cert = NULL;
	EVP_PKEY *cert_key = NULL;
	int ret;

	ret = ek_cert_read(o->cert_file, &cert, f);
	if (ret)
		goto out;
	cert_key = X509_get_pubkey(cert);
	if (!cert_key) {
		ret = fail(f, STATUS_USAGE, "EK certificate %s has no usable public key",
			   o->cert_file);
		goto out;
	}
	if (o->name_file) {
		ret = namefile_read(o->name_file, &enrolled, f);
		if (ret)
			goto out;
	}
	ret = signing_ek_derive(&r->tpm, &ek, f);
	if (ret)
		goto out;
	if (o->name_file) {
		ret = signing_ek_check(&ek, &enrolled, f);
		if (ret)
			goto out;
	}
	ret = attest_signing_ek(&r->tpm, &ek, cert_key, &used, f);
	if (ret)
		goto out;
	primary_flush(&r->tpm, &ek.handle);
	if (o->out_file) {
		ret = pubkey_write_pem(&ek.pub->publicArea, o->out_file, f);
		if (ret)
			goto out;
	}
	printf("Attestation of signing EK successful\n");
out:
	signing_ek_release(&r->tpm, &ek);
	EVP_PKEY_free(cert_key);
	X509_free(cert);
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
	struct signing_ek ek = { 0 };
	struct certified cert;
	TPM2B_NAME enrolled, expected;
	char hex[NAME_HEX_MAX];
	int ret;

	if (!h)
		return fail(f, STATUS_USAGE, "unknown hierarchy \"%s\": use null, owner, "
			    "endorsement or platform", o->hierarchy);
	ret = namefile_read(o->name_file, &enrolled, f);
	if (ret)
		return ret;
	if (o->check_file) {
		ret = namefile_read(o->check_file, &expected, f);
		if (ret)
			return ret;
	}
	ret = signing_ek_derive(&r->tpm, &ek, f);
	if (ret)
		goto out;
	ret = signing_ek_check(&ek, &enrolled, f);
	if (ret)
		goto out;
	ret = certify_hierarchy(&r->tpm, &ek, h, o->check_file ? &expected : NULL,
				&cert, f);
	if (ret)
		goto out;
	primary_flush(&r->tpm, &ek.handle);
	if (o->out_file) {
		ret = pubkey_write_pem(&cert.pub.publicArea, o->out_file, f);
		if (ret)
			goto out;
	}
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

/* An absent null_name is a kernel without TPM HMAC sessions, not an attack. */
static int read_null_name(const char *path, TPM2B_NAME *name, bool *present,
			  struct failure *f)
{
	struct stat st;

	*present = false;
	if (stat(path, &st) && errno == ENOENT)
		return STATUS_OK;
	*present = true;
	return namefile_read(path, name, f);
}

int mode_boot(struct run *r, struct failure *f)
{
	const struct options *o = r->opt;
	const char *null_path = o->check_file ? o->check_file : SYSFS_NULL_NAME;
	struct signing_ek ek = { 0 };
	struct certified null_key, srk;
	TPM2B_NAME enrolled, null_name;
	bool have_null;
	char line[256];
	int ret;

	ret = namefile_read(o->name_file, &enrolled, f);
	if (ret)
		return ret;
	ret = read_null_name(null_path, &null_name, &have_null, f);
	if (ret)
		return ret;
	if (!have_null && o->require_null_name)
		return fail(f, STATUS_VERIFY, "%s is absent: the kernel's TPM sessions "
			    "cannot be verified, and a null_name is required", null_path);
	ret = signing_ek_derive(&r->tpm, &ek, f);
	if (ret)
		goto out;
	ret = signing_ek_check(&ek, &enrolled, f);
	if (ret)
		goto out;
	if (have_null) {
		ret = certify_hierarchy(&r->tpm, &ek, hierarchy_find("null"), &null_name,
					&null_key, f);
		if (ret)
			goto out;
	}
	ret = certify_hierarchy(&r->tpm, &ek, hierarchy_find("owner"), NULL, &srk, f);
	if (ret)
		goto out;
	primary_flush(&r->tpm, &ek.handle);
	if (o->out_file) {
		ret = pubkey_write_pem(&srk.pub.publicArea, o->out_file, f);
		if (ret)
			goto out;
	}
	snprintf(line, sizeof(line), "TPM verified: %s certified by the enrolled "
		 "signing EK (TPM clock %lu.%04d, reset count %u)%s",
		 have_null ? "NULL key and owner SRK" : "owner SRK",
		 (unsigned long)(srk.clock.clock / 1000), (int)(srk.clock.clock % 1000),
		 srk.clock.resetCount,
		 have_null ? "" : "; no null_name, so the kernel's own TPM sessions "
		 "are unverified");
	printf("%s\n", line);
	kmsg_line(r->kmsg_fd, 5, r->program, line);
out:
	signing_ek_release(&r->tpm, &ek);
	return ret;
}
