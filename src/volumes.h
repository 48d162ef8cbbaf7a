/*
 * The volume decision: for each volume an unlock may open (crypttab, and
 * the kernel command line's rd.luks.*), the device it opens, whether a TPM
 * unseals its key, the PCRs that sealing depends on and the SRK it pins;
 * and whether it may be opened now. Boot scripts ask this and act on it.
 */
#ifndef VOLUMES_H
#define VOLUMES_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "crypttab.h"
#include "failure.h"

enum volume_kind {
	VOLUME_NONE,        /* nothing a TPM unseals: passphrase, key file, FIDO2 */
	VOLUME_TPM,
	VOLUME_UNRESOLVED,  /* which device or which tokens is not known */
	VOLUME_ABSENT,      /* its device is not there (yet) */
};

enum volume_pin {
	VOLUME_PIN_NA,
	VOLUME_PINNED,      /* every TPM token pins the SRK asked about */
	VOLUME_UNPINNED,    /* one trusts the SRK the TPM reports (clevis, old systemd) */
	VOLUME_FOREIGN,     /* one pins another SRK, or a pin that cannot be read */
};

struct volume {
	const char *name;
	char device[PATH_MAX];
	enum volume_kind kind;
	uint32_t pcrs;
	bool unbound;           /* a TPM unseal that depends on no PCR */
	enum volume_pin pin;
	char why[320];          /* what decided its kind */
	char pin_why[160];      /* VOLUME_FOREIGN: which token, and why */
};

/*
 * Decide one entry. srk: the certified SRK's name, or NULL (then a pinned
 * token is VOLUME_PINNED whatever it pins).
 */
void volume_decide(const struct crypttab_entry *e, const TPM2B_NAME *srk, struct volume *v);

struct options;

/* --volumes CRYPTTAB [VOLUME]: print the decision; the status is the verdict. */
int volumes_run(const struct options *o, struct failure *f);

#endif
