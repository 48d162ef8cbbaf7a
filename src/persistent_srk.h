/*
 * The owner SRK that others actually use: the persistent storage key at the
 * TCG's SRK handle, 0x81000001 (systemd-tpm2-setup creates it, and
 * systemd-cryptsetup salts its sessions to it).
 */
#ifndef PERSISTENT_SRK_H
#define PERSISTENT_SRK_H

#include <stdbool.h>

#include "tpm.h"

#define PERSISTENT_SRK_HANDLE 0x81000001

/*
 * One ReadPublic. *present is false when nothing is persisted there. Else
 * *pub is its public area, checked to be a storage key of the SRK kind
 * (restricted, decrypt, fixedTPM, fixedParent, sensitiveDataOrigin; RSA or
 * ECC; not a signing key), and *handle an ESYS_TR for it, released with
 * persistent_srk_release (never flushed: it stays in the TPM).
 */
int persistent_srk_load(struct tpm *tpm, bool *present, ESYS_TR *handle,
			TPM2B_PUBLIC *pub, struct failure *f);

void persistent_srk_release(struct tpm *tpm, ESYS_TR *handle);

#endif
