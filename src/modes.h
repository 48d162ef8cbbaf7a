/*
 * The four modes. Each follows one order: read every input, talk to the TPM,
 * verify, and only then print. The verified key that --file and --public
 * write is only handed over (r->verified): main() writes the files last,
 * once standard output has been flushed, as the run's single commit point.
 */
#ifndef MODES_H
#define MODES_H

#include "options.h"
#include "tpm.h"

struct run {
	const struct options *opt;
	const char *program;
	struct tpm tpm;
	int kmsg_fd;    /* --boot only, else -1 */
	/* Authorizes the endorsement hierarchy: ESYS_TR_PASSWORD when its
	 * password is empty, else a bound (and, where possible, salted) session. */
	ESYS_TR eauth;
	TPM2B_PUBLIC verified;  /* the key --file and --public write */
	bool have_verified;
};

int mode_eksign(struct run *r, struct failure *f);
int mode_attest(struct run *r, struct failure *f);
int mode_certify(struct run *r, struct failure *f);
int mode_boot(struct run *r, struct failure *f);
int mode_cap(struct run *r, struct failure *f);

#endif
