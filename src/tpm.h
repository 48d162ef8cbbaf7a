/* Opening the TPM through an explicitly chosen TCTI: no dlopen, so it links statically. */
#ifndef TPM_H
#define TPM_H

#include <stdbool.h>

#include <tss2/tss2_esys.h>

#include "failure.h"

struct tpm {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
	bool resource_manager;    /* /dev/tpmrmN: nothing we load outlives us */
};

/*
 * conf uses tpm2-tools syntax: "device[:PATH]", "swtpm[:host=H,port=P]",
 * "mssim[:host=H,port=P]". NULL means /dev/tpmrm0, then /dev/tpm0.
 * Without a resource manager, transient objects (and then sessions) that
 * an earlier, killed run left loaded are flushed first: one GetCapability
 * when there are none.
 */
int tpm_open(const char *conf, struct tpm *tpm, struct failure *f);

/*
 * Flush every loaded session when there is no resource manager; for a
 * caller about to start its first session before any object is loaded.
 */
int tpm_flush_stale_sessions(struct tpm *tpm, struct failure *f);

void tpm_close(struct tpm *tpm);

#endif
