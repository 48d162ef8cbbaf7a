/*
 * The one grammar of PCR lists, for --cap-pcrs, the boot policy's
 * ATTEST_TPM2_CAP_PCRS and the PCRs a LUKS2 token is sealed to.
 */
#ifndef PCR_LIST_H
#define PCR_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "failure.h"

/*
 * The PCRs that software at locality 0 can extend: 0-16 and 23 (17-22
 * belong to the dynamic root of trust, localities 2-4). Only these can
 * be capped, so only these are accepted; "all of them" is the fallback
 * wherever the PCRs a sealing depends on are not known.
 */
#define PCR_LOCALITY0 (0x1ffffu | (1u << 23))

/* Room for "0,1,...,23". */
#define PCR_LIST_MAX (3 * 24 + 1)

/*
 * "7" or "0,7,14": PCRs of PCR_LOCALITY0 in plain decimal (no sign, no
 * leading zero), comma-separated, each once. Sets the bit of each in *mask.
 */
int pcr_list_parse(const char *list, uint32_t *mask, struct failure *f);

/* The PCRs of mask as "7,14". */
void pcr_list_format(uint32_t mask, char *out, size_t len);

#endif
