#!/bin/sh
# dracut pre-trigger hook (classic, non-systemd initramfs): verify the TPM
# before udev is triggered, so before 90crypt can unlock anything.
# Sourced by /init: never "exit" here.

# shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh.in
. /usr/lib/attest-tpm2/attest-tpm2-lib.sh

# attest_tpm2_check returns 1 only under ON_FAILURE=shell (after capping the
# PCRs); halt never returns, passphrase goes on with TPM unlocking dead.
# Leaving the shell runs the check again; a refusal earlier in this boot
# keeps warn and off ignored. With rd.shell=0, emergency_shell halts instead.
while ! attest_tpm2_check; do
    emergency_shell -n attest-tpm2 "attest-tpm2: TPM not verified; no encrypted volume unlocked. Run: $ATTEST_TPM2_RERUN ; leave the shell to check again."
done
