/* Opening the TPM through an explicitly chosen TCTI: no dlopen, so it links statically. */
#ifndef TPM_H
#define TPM_H

#include <tss2/tss2_esys.h>

#include "failure.h"

struct tpm {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
};

/*
 * conf uses tpm2-tools syntax: "device[:PATH]", "swtpm[:host=H,port=P]",
 * "mssim[:host=H,port=P]". NULL means /dev/tpmrm0, then /dev/tpm0.
 */
int tpm_open(const char *conf, struct tpm *tpm, struct failure *f);

void tpm_close(struct tpm *tpm);

#endif
