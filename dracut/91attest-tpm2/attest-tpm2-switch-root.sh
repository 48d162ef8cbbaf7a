#!/bin/sh
# dracut (classic) pre-pivot hook, sourced right before switch_root: a
# command line that asks the root for a shell or another init
# (init=/bin/sh, single, systemd.unit=rescue.target, debug_shell) gets the
# PCRs capped first: that shell runs with the root unlocked.
if [ -r /usr/lib/attest-tpm2/attest-tpm2-lib.sh ]; then
	# shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh.in
	. /usr/lib/attest-tpm2/attest-tpm2-lib.sh
	attest_tpm2_switch_root_cap
fi
