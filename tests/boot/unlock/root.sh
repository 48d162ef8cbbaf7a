#!/bin/sh
# Prints the path of a cached Debian 12 (bookworm) root holding PACKAGES,
# built with mmdebstrap from the archives this machine's apt already uses
# (no host name is written down here). The image generators that the boot
# tests need (dracut, cryptsetup-initramfs, clevis-*) conflict with or would
# change the host's own images, so they live in such roots, never on the host.
#
# Usage: sh tests/boot/unlock/root.sh PACKAGE...     (root)
# Cached as ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}/unlock-root-KEY, KEY
# being a hash of the sorted package list and the suite.
set -u
suite=bookworm
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
# shellcheck disable=SC2016 # apt's own $(FIELD) syntax, not the shell's
sources=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 'Identifier: Packages' |
	awk -v s="$suite" '$2 == s || index($2, s "-") == 1 { print "deb " $1 " " $2 " main" }' |
	sort -u)
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
