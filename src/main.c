/*
 * attest_tpm2_primary: certify TPM primary keys against an attested signing
 * EK, so that an interposer on the TPM bus cannot substitute its own keys.
 * main() owns argv, messages and exit statuses; everything below returns
 * a status and a sentence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth_session.h"
#include "deadline.h"
#include "kmsg.h"
#include "modes.h"
#include "key_files.h"
#include "password.h"
#include "primary.h"

#define PROGRAM "attest_tpm2_primary"

/*
 * The password itself never goes to the TPM: ESYS keeps it to key a session
 * bound to the endorsement hierarchy, whose HMACs prove it.
 */
static int open_endorsement_auth(struct run *r, const TPM2B_AUTH *auth,
				 struct failure *f)
{
	TSS2_RC rc;
	int ret;

	rc = Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, auth);
	if (rc)
		return fail_tss(f, "setting the endorsement password", rc);
	/*
	 * This session is loaded before any object, so a run killed while it
	 * was the only thing loaded leaves nothing tpm_open's sweep looks for.
	 */
	ret = tpm_flush_stale_sessions(&r->tpm, f);
	if (ret)
		return ret;
	return auth_session_start(&r->tpm, ESYS_TR_NONE, &r->eauth, f);
}

static void close_endorsement_auth(struct run *r)
{
	TPM2B_AUTH empty = { 0 };

	if (r->eauth != ESYS_TR_PASSWORD)
		primary_flush(&r->tpm, &r->eauth);
	r->eauth = ESYS_TR_PASSWORD;
	/* ESYS keeps its own copy of the password: overwrite it before teardown. */
	(void)Esys_TR_SetAuth(r->tpm.esys, ESYS_TR_RH_ENDORSEMENT, &empty);
}

static int run_mode(struct run *r, const TPM2B_AUTH *auth, struct failure *f)
{
	static int (*const modes[])(struct run *, struct failure *) = {
		[MODE_EKSIGN] = mode_eksign,
		[MODE_ATTEST] = mode_attest,
		[MODE_CERTIFY] = mode_certify,
		[MODE_BOOT] = mode_boot,
		[MODE_CAP] = mode_cap,
	};
	int ret;

	ret = tpm_open(r->opt->tcti, &r->tpm, f);
	if (ret)
		return ret;
	if (r->opt->auth) {
		ret = open_endorsement_auth(r, auth, f);
		if (ret)
			goto out;
	}
	ret = modes[r->opt->mode](r, f);
out:
	if (r->opt->auth)
		close_endorsement_auth(r);
	tpm_close(&r->tpm);
	return ret;
}

/*
 * The run's single commit point: everything is verified and printed, and
 * standard output has been flushed. Only now are the files written, with
 * the deadline stood down so that it cannot kill the writes half-way.
 */
static int commit(struct run *r, struct failure *f)
{
	const struct key_paths paths = {
		.pem = r->opt->out_file,
		.public_ = r->opt->public_file,
		.token_pin = r->opt->token_pin_file,
	};

	if (fflush(stdout) || ferror(stdout))
		return fail(f, STATUS_USAGE, "cannot write the result to standard output");
	if (!r->have_verified || (!paths.pem && !paths.public_ && !paths.token_pin))
		return STATUS_OK;
	if (deadline_commit())
		return fail(f, STATUS_TPM, "internal error: the deadline's watchdog is gone");
	return key_files_write(&r->verified, &paths, f);
}

int main(int argc, char **argv)
{
	struct options opt;
	struct failure f = { 0 };
	struct run r = { .opt = &opt, .program = PROGRAM, .kmsg_fd = -1,
			 .eauth = ESYS_TR_PASSWORD };
	TPM2B_AUTH auth = { 0 };
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
	/* A person typing is not an unresponsive TPM: ask before the clock starts. */
	if (opt.auth) {
		ret = password_get(opt.password, &auth, &f);
		if (ret)
			goto out;
	}
	if (opt.mode == MODE_BOOT)
		r.kmsg_fd = kmsg_open();
	deadline_arm(opt.timeout, PROGRAM, r.kmsg_fd);
	ret = run_mode(&r, &auth, &f);
	password_wipe(&auth);
	if (!ret)
		ret = commit(&r, &f);
out:
	password_wipe(&auth);
	if (ret) {
		fprintf(stderr, "%s: %s\n", PROGRAM, f.text);
		kmsg_line(r.kmsg_fd, 3, PROGRAM, f.text);
		return ret;
	}
	/* On success only: a failure keeps to its one line. */
	if (opt.mode == MODE_ATTEST && !strncmp(opt.cert_file, "nv:", 3) && !opt.ca)
		fprintf(stderr, "%s: warning: without --ca, a certificate read from the "
			"TPM over the bus proves nothing against an interposer present "
			"now\n", PROGRAM);
	return STATUS_OK;
}
