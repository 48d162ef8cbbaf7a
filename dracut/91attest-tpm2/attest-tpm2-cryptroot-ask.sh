#!/bin/sh
# dracut (classic) /sbin/cryptroot-ask, wrapped: 90crypt's initqueue jobs
# run it for every LUKS device they open (DEVICE luks-UUID ...), and its
# retries run it again. Each time, the gate decides for that volume, now
# that its device is there, before the real one (moved aside when the
# image was built) may use a token or ask for a passphrase.
if [ ! -r /usr/lib/attest-tpm2/attest-tpm2-lib.sh ]; then
	echo "attest-tpm2: the library is missing from the initramfs; not unlocking $2" > /dev/console
	exit 1
fi
# shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh.in
. /usr/lib/attest-tpm2/attest-tpm2-lib.sh
attest_tpm2_gate "$2" || exit 1
exec /usr/lib/attest-tpm2/cryptroot-ask "$@"
