/*
 * The four modes. Each follows one order: read every input, talk to the TPM,
 * verify, and only then print. The verified key that --file and --public
 * write is only handed over (r->verified): main() writes the files last,
 * once standard output has been flushed, as the run's single commit point.
 */
#ifndef MODES_H
#define MODES_H

#include <time.h>

#include "options.h"
#include "tpm.h"

struct run {
	const struct options *opt;
	const char *program;
	struct tpm tpm;
	int kmsg_fd;    /* --boot only, else -1 */
	/* Authorize the endorsement and owner hierarchies: ESYS_TR_PASSWORD
	 * when their password is empty, else `session`, salted to `salt`. */
	ESYS_TR eauth, oauth;
	ESYS_TR session;
	/* With a password only: the NULL primary the session is salted to,
	 * made before the password's first use and certified once the signing
	 * EK is verified. ESYS_TR_NONE otherwise. */
	ESYS_TR salt;
	TPM2B_PUBLIC *salt_pub;
	TPM2B_PUBLIC verified;  /* the key --file and --public write */
	bool have_verified;
	char verdict[320];      /* --boot: for the kernel log, after the commit */
	struct timespec started;  /* when main() began: the verdict says how long */
};

/*
 * With a password (endorsement, owner, or both; NULL for none): set them,
 * make the NULL primary and start the session salted to it (r->session,
 * r->salt), which then authorizes each hierarchy that has a password
 * (r->eauth, r->oauth). Two commands before the first use.
 */
int modes_open_auth(struct run *r, const TPM2B_AUTH *endorsement,
		    const TPM2B_AUTH *owner, struct failure *f);

/* Flush what modes_open_auth loaded and overwrite ESYS's copies of the passwords. */
void modes_close_auth(struct run *r);

int mode_eksign(struct run *r, struct failure *f);
int mode_attest(struct run *r, struct failure *f);
int mode_certify(struct run *r, struct failure *f);
int mode_boot(struct run *r, struct failure *f);
int mode_cap(struct run *r, struct failure *f);

#endif
