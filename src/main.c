/*
 * attest_tpm2_primary: certify TPM primary keys against an attested signing
 * EK, so that an interposer on the TPM bus cannot substitute its own keys.
 * main() owns argv, messages and exit statuses; everything below returns
 * a status and a sentence.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "deadline.h"
#include "kmsg.h"
#include "modes.h"
#include "password.h"

#define PROGRAM "attest_tpm2_primary"

static int set_endorsement_auth(struct run *r, struct failure *f)
{
	TPM2B_AUTH auth;
	TSS2_RC rc;
	int ret;

	ret = password_get(r->opt->password, &auth, f);
	if (ret)
		goto out;
	/* Authorizes CreatePrimary and PolicySecret, never the new keys themselves. */
	rc = Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, &auth);
	if (rc)
		ret = fail_tss(f, "setting the endorsement password", rc);
out:
	password_wipe(&auth);
	return ret;
}

static int run_mode(struct run *r, struct failure *f)
{
	static int (*const modes[])(struct run *, struct failure *) = {
		[MODE_EKSIGN] = mode_eksign,
		[MODE_ATTEST] = mode_attest,
		[MODE_CERTIFY] = mode_certify,
		[MODE_BOOT] = mode_boot,
	};
	int ret;

	ret = tpm_open(r->opt->tcti, &r->tpm, f);
	if (ret)
		return ret;
	if (r->opt->auth) {
		ret = set_endorsement_auth(r, f);
		if (ret)
			goto out;
	}
	ret = modes[r->opt->mode](r, f);
out:
	if (r->opt->auth) {
		TPM2B_AUTH empty = { 0 };

		/* ESYS keeps its own copy of the password: overwrite it before teardown. */
		(void)Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, &empty);
	}
	tpm_close(&r->tpm);
	return ret;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct failure f = { 0 };
	struct run r = { .opt = &opt, .program = PROGRAM, .kmsg_fd = -1 };
	int ret;

	/* The library logs to stderr by default; keep stderr to one line. */
	setenv("TSS2_LOG", "all+none", 0);
	/* Never read /etc/ssl/openssl.cnf: behaviour must not depend on it. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

	ret = options_parse(argc, argv, &opt, &f);
	if (ret) {
		fprintf(stderr, "%s: %s\n", PROGRAM, f.text);
		options_usage(PROGRAM);
		return ret;
	}
	if (opt.help) {
		options_usage(PROGRAM);
		return STATUS_OK;
	}
	if (opt.version) {
		printf("%s %s\n", PROGRAM, VERSION);
		return STATUS_OK;
	}
	if (opt.mode == MODE_BOOT)
		r.kmsg_fd = kmsg_open();
	deadline_arm(opt.timeout, PROGRAM, r.kmsg_fd);
	ret = run_mode(&r, &f);
	if (ret) {
		fprintf(stderr, "%s: %s\n", PROGRAM, f.text);
		kmsg_line(r.kmsg_fd, 3, PROGRAM, f.text);
	}
	if (fflush(stdout) && !ret) {
		fprintf(stderr, "%s: cannot write the result to standard output\n", PROGRAM);
		ret = STATUS_USAGE;
	}
	return ret;
}
