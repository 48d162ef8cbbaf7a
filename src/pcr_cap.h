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
 * "7" or "0,7,14": PCR indexes 0-23 in plain decimal (no sign, no leading
 * zero), comma-separated, each once. Sets the bit of each in *mask.
 */
int pcr_cap_parse(const char *list, uint32_t *mask, struct failure *f);

/*
 * One GetCapability for the allocated banks, then one PCR_Extend per PCR in
 * mask carrying the event's digest for every allocated bank. A bank whose
 * hash this program cannot compute is an error: leaving it uncapped could
 * leave a key sealed to it reachable. *banks gets their names ("sha1,sha256").
 */
int pcr_cap(struct tpm *tpm, uint32_t mask, char *banks, size_t banks_len,
	    struct failure *f);

#endif
