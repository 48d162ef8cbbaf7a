/*
 * attest_tpm2_primary: certify TPM primary keys against an attested signing
 * EK, so that an interposer on the TPM bus cannot substitute its own keys.
 * main() owns argv, messages and exit statuses; everything below returns
 * a status and a sentence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "deadline.h"
#include "kmsg.h"
#include "modes.h"
#include "key_files.h"
#include "password.h"
#include "volumes.h"

#define PROGRAM "attest_tpm2_primary"

/* The passwords this run was given: wiped together, in one place. */
struct passwords {
	TPM2B_AUTH endorsement;   /* -a, -k */
	TPM2B_AUTH owner;         /* --persist-auth */
};

static int run_mode(struct run *r, const struct passwords *pw, struct failure *f)
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
	if (r->opt->auth || r->opt->owner_password) {
		ret = modes_open_auth(r, r->opt->auth ? &pw->endorsement : NULL,
				      r->opt->owner_password ? &pw->owner : NULL, f);
		if (ret)
			goto out;
	}
	ret = modes[r->opt->mode](r, f);
out:
	if (r->opt->auth || r->opt->owner_password)
		modes_close_auth(r);
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
			 .eauth = ESYS_TR_PASSWORD, .oauth = ESYS_TR_PASSWORD,
			 .session = ESYS_TR_NONE, .salt = ESYS_TR_NONE };
	struct passwords pw = { 0 };
	int ret;

	(void)clock_gettime(CLOCK_MONOTONIC, &r.started);
	/* The library logs to stderr by default; keep stderr to one line. */
	setenv("TSS2_LOG", "all+none", 0);
	/* Never read /etc/ssl/openssl.cnf: behaviour must not depend on it. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

	ret = options_parse(argc, argv, &opt, &f);
	if (ret) {
		fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n",
			PROGRAM, f.text, PROGRAM);
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
	/* Reads headers and files only: no TPM, no deadline, no files written. */
	if (opt.mode == MODE_VOLUMES) {
		ret = volumes_run(&opt, &f);
		if (fflush(stdout) || ferror(stdout))
			ret = ret ? ret : fail(&f, STATUS_USAGE, "cannot write to standard output");
		if (ret)
			fprintf(stderr, "%s: %s\n", PROGRAM, f.text);
		return ret;
	}
	if (opt.auth || opt.owner_password) {
		/*
		 * Debug logging in a shared tpm2-tss prints session secrets and
		 * the password; nothing the caller set may turn it on.
		 */
		setenv("TSS2_LOG", "all+none", 1);
		ret = password_guard_process(&f);
		if (ret)
			goto out;
	}
	/* A person typing is not an unresponsive TPM: ask before the clock starts. */
	if (opt.auth) {
		ret = password_get(opt.password, &pw.endorsement, &f);
		if (ret)
			goto out;
	}
	if (opt.owner_password) {
		ret = password_get(opt.owner_password, &pw.owner, &f);
		if (ret)
			goto out;
	}
	if (opt.mode == MODE_BOOT)
		r.kmsg_fd = kmsg_open();
	if (deadline_arm(opt.timeout, PROGRAM, r.kmsg_fd, &pw, sizeof(pw))) {
		ret = fail(&f, STATUS_TPM, "cannot start the --timeout watchdog: %s",
			   strerror(errno));
		goto out;
	}
	ret = run_mode(&r, &pw, &f);
out:
	/* The one wipe: every path, before the files are written. */
	password_wipe(&pw.endorsement);
	password_wipe(&pw.owner);
	if (!ret)
		ret = commit(&r, &f);
	if (ret) {
		fprintf(stderr, "%s: %s\n", PROGRAM, f.text);
		kmsg_line(r.kmsg_fd, 3, PROGRAM, f.text);
		return ret;
	}
	/* Logged only once everything, the files included, is done. */
	if (r.verdict[0])
		kmsg_line(r.kmsg_fd, 5, PROGRAM, r.verdict);
	/* On success only: a failure keeps to its one line. */
	if (opt.mode == MODE_ATTEST && !strncmp(opt.cert_file, "nv:", 3) && !opt.ca)
		fprintf(stderr, "%s: warning: without --ca, a certificate read from the "
			"TPM over the bus proves nothing against an interposer present "
			"now\n", PROGRAM);
	return STATUS_OK;
}
