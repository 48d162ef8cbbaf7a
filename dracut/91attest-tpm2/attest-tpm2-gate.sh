#!/bin/sh
# dracut pre-trigger hook, after attest-tpm2-hook.sh (classic initramfs): the
# gate. 90crypt unlocks from initqueue jobs, and /init runs none before every
# pre-trigger hook has returned and udev is triggered, so this is the last
# point before any unlock. It lets the boot go on only with the flag that a
# finished check leaves in /run; a check that did not finish is a refusal.
# Sourced by /init: never "exit" here.

# shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh.in
. /usr/lib/attest-tpm2/attest-tpm2-lib.sh

# Before udev is triggered most volumes' devices are not there yet: the
# check compared the tokens of those that were.
while ! attest_tpm2_gate ''; do
    emergency_shell -n attest-tpm2 "attest-tpm2: no passed TPM check in this boot; no encrypted volume unlocked."
done
