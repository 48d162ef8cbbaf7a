#!/bin/sh
# dracut emergency hook: sourced before every shell dracut offers (rd.break,
# rd.shell after a failure, the emergency shell of a root that does not
# come, a refusal under ON_FAILURE=shell). No shell may have live PCRs,
# whatever the check said: the PCRs are capped first, and a TPM that is
# there but cannot be capped powers the machine off.
if [ -r /usr/lib/attest-tpm2/attest-tpm2-lib.sh ]; then
	# shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh.in
	. /usr/lib/attest-tpm2/attest-tpm2-lib.sh
	attest_tpm2_shell_cap
else
	echo "attest-tpm2: the library is missing from the initramfs; powering off instead of a shell" > /dev/console
	echo o > /proc/sysrq-trigger
	poweroff -f
fi
