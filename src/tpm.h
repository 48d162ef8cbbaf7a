/* Opening the TPM through an explicitly chosen TCTI: no dlopen, so it links statically. */
#ifndef TPM_H
#define TPM_H

#include <stdbool.h>

#include <tss2/tss2_esys.h>

#include "failure.h"

/* More than any mode holds loaded at once (three objects, two sessions). */
#define TPM_OURS_MAX 8

struct tpm {
	ESYS_CONTEXT *esys;
	TSS2_TCTI_CONTEXT *tcti;
	bool resource_manager;    /* /dev/tpmrmN: nothing we load outlives us */
	bool swept;               /* the one sweep for stale handles is spent */
	TPM2_HANDLE ours[TPM_OURS_MAX];  /* what this run loaded: never swept */
	size_t n_ours;
};

/*
 * conf uses tpm2-tools syntax: "device[:PATH]", "swtpm[:host=H,port=P]",
 * "mssim[:host=H,port=P]". NULL means /dev/tpmrm0, then /dev/tpm0.
 * Sends no command.
 */
int tpm_open(const char *conf, struct tpm *tpm, struct failure *f);

/*
 * For a command that loads an object or starts a session and failed with
 * rc: true when the TPM was full (OBJECT_MEMORY, SESSION_MEMORY), has no
 * resource manager, and flushing the transients and sessions this run did
 * not load freed something, so the command is worth one retry. Once a run.
 */
bool tpm_sweep_for_retry(struct tpm *tpm, TSS2_RC rc);

/* Record a transient object or session this run loaded (never swept). */
void tpm_own(struct tpm *tpm, ESYS_TR handle);

/* Flush a transient object or session if set, and clear the handle. */
void tpm_flush(struct tpm *tpm, ESYS_TR *handle);

/*
 * Before a command that ends a session itself (continueSession clear): its
 * TPM handle may be reused, so it is no longer recorded as this run's.
 */
void tpm_disown(struct tpm *tpm, ESYS_TR handle);

void tpm_close(struct tpm *tpm);

#endif
