/*
 * The four modes. Each follows one order: read every input, talk to the TPM,
 * verify, and only then print or write anything.
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
};

int mode_eksign(struct run *r, struct failure *f);
int mode_attest(struct run *r, struct failure *f);
int mode_certify(struct run *r, struct failure *f);
int mode_boot(struct run *r, struct failure *f);

#endif
