/*
 * After a refused boot: extend PCRs with a refusal event, so that nothing
 * sealed to their boot-time values can be unsealed until the next boot.
 */
#ifndef PCR_CAP_H
#define PCR_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

/* The event whose hash, in each bank, every capped PCR is extended with. */
#define PCR_CAP_EVENT "attest-tpm2: boot refused"

/*
 * One PCR_Event per PCR in mask: the TPM extends the event's digest into
 * every allocated bank. A PCR that cannot be extended (17-22 from locality
 * 0, say) does not stop the others: every one is tried, *capped gets those
 * that were, and any failure is the result. *banks gets the banks the TPM
 * reported ("sha1,sha256").
 */
int pcr_cap(struct tpm *tpm, uint32_t mask, uint32_t *capped, char *banks,
	    size_t banks_len, struct failure *f);

#endif
