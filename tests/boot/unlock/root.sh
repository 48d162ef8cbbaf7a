#!/bin/sh
# Prints the path of a cached Debian root of suite ${ATTEST_TPM2_SUITE:-bookworm}
# holding PACKAGES, built with mmdebstrap from the archive this machine's apt
# already uses (tests/lib/debian_root.sh; no host name is written down here). The image generators that the boot
# tests need (dracut, cryptsetup-initramfs, clevis-*) conflict with or would
# change the host's own images, so they live in such roots, never on the host.
#
# Usage: sh tests/boot/unlock/root.sh PACKAGE...     (root)
# Cached as ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}/unlock-root-KEY, KEY
# being a hash of the sorted package list and the suite.
set -u
suite=${ATTEST_TPM2_SUITE:-bookworm}
# shellcheck source=SCRIPTDIR/../../lib/debian_root.sh
. "$(cd "$(dirname "$0")/../../lib" && pwd)/debian_root.sh"
die() {
	echo "root.sh: $*" >&2
	exit 1
}
[ $# -gt 0 ] || die "usage: sh tests/boot/unlock/root.sh PACKAGE..."
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, chroot)"
cache=${ATTEST_TPM2_CACHE:-$HOME/.cache/attest-tpm2}
pkgs=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
key=$(printf '%s %s\n' "$suite" "$pkgs" | sha256sum | cut -c1-16)
dir=$cache/unlock-root-$key
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$cache"
sources=$(debian_root_sources "$suite")
[ -n "$sources" ] || die "no $suite archive in this machine's apt sources"
rm -rf --one-file-system "$dir" "$dir.tmp"
echo "root.sh: building a $suite root with: $pkgs" >&2
# shellcheck disable=SC2086 # word splitting intended
printf '%s\n' "$sources" | mmdebstrap --quiet --variant=minbase \
	--include="$(echo $pkgs | tr ' ' ',')" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	"$suite" "$dir.tmp" - > "$dir.log" 2>&1 || {
	tail -20 "$dir.log" >&2
	rm -rf --one-file-system "$dir.tmp"
	die "mmdebstrap failed (log: $dir.log)"
}
printf '%s\n' "$pkgs" > "$dir.tmp/.packages"
touch "$dir.tmp/.complete"
mv "$dir.tmp" "$dir"
echo "$dir"
