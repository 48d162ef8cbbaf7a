#!/bin/sh
# Build (or reuse) a minimal kernel with CONFIG_TCG_TPM2_HMAC=y, so that
# /sys/class/tpm/tpm0/null_name exists, for the boot tests. Its TPM chip
# drivers (tpm_tis, tpm_crb) are modules, as on kernels that build them so:
# the TPM appears only when an image carries and loads its driver.
#
# The kernel comes from Debian's linux-source-6.12 package over
# "make tinyconfig" merged with tests/boot/tpm-hmac-min.config. The bzImage
# and the modules tree (modules/lib/modules/RELEASE) are cached outside the clone, keyed by the source package version and the
# fragment's hash, and built in a temporary folder renamed into place only
# when complete. Prints the path of the bzImage on stdout.
#
# Usage: sh tests/boot/build-kernel.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
fragment="$here/tpm-hmac-min.config"
cache="${ATTEST_TPM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-tpm2}"
src_tar=/usr/src/linux-source-6.12.tar.xz

log() { printf 'build-kernel: %s\n' "$*" >&2; }

if ! dpkg-query -W -f='${Status}' linux-source-6.12 2>/dev/null | grep -q 'ok installed'; then
	log "installing linux-source-6.12 and build dependencies"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		linux-source-6.12 bison flex libelf-dev bc libssl-dev make gcc xz-utils >&2
fi
for p in bison flex bc make gcc; do
	command -v "$p" >/dev/null 2>&1 || {
		log "installing missing build tools"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			bison flex libelf-dev bc libssl-dev make gcc >&2
		break
	}
done

version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
fraghash=$(sha256sum "$fragment" | cut -c1-16)
key="$(printf '%s' "$version" | tr -c 'A-Za-z0-9.+-' '_')-$fraghash"
dest="$cache/kernel-$key"

if [ -f "$dest/bzImage" ]; then
	printf '%s\n' "$dest/bzImage"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.kernel-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

log "unpacking $src_tar into $tmp"
tar -C "$tmp" -xf "$src_tar"
srcdir="$tmp/linux-source-6.12"
log "configuring: tinyconfig + $(basename "$fragment")"
make -C "$srcdir" -s tinyconfig >&2
(cd "$srcdir" && ./scripts/kconfig/merge_config.sh -m .config "$fragment" >&2)
make -C "$srcdir" -s olddefconfig >&2
for opt in CONFIG_TCG_TPM2_HMAC=y CONFIG_TCG_TIS=m CONFIG_TCG_CRB=m CONFIG_DM_CRYPT=y \
	CONFIG_VIRTIO_BLK=y CONFIG_EXT4_FS=y; do
	grep -q "^$opt\$" "$srcdir/.config" || { log "$opt did not survive olddefconfig"; exit 1; }
done
jobs=$(nproc 2>/dev/null || echo 2)
log "building bzImage and modules with $jobs jobs (about 11 minutes on 2 cores)"
make -C "$srcdir" -s -j"$jobs" bzImage modules >&2

mkdir -p "$tmp/out"
cp "$srcdir/arch/x86/boot/bzImage" "$tmp/out/bzImage"
cp "$srcdir/.config" "$tmp/out/config"
# What depmod and the image generators want to know about built-in drivers.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	if [ -f "$srcdir/$f" ]; then
		cp "$srcdir/$f" "$tmp/out/"
	fi
done
make -C "$srcdir" -s kernelrelease > "$tmp/out/release"
make -C "$srcdir" -s INSTALL_MOD_PATH="$tmp/out/modules" INSTALL_MOD_STRIP=1 modules_install >&2
[ -n "$(find "$tmp/out/modules" -name 'tpm_tis.ko*')" ] || { log "tpm_tis.ko was not installed"; exit 1; }
rm -rf "$srcdir"
if ! mv "$tmp/out" "$dest" 2>/dev/null; then
	# Another run finished first; use its result.
	[ -f "$dest/bzImage" ] || { log "could not move the kernel into $dest"; exit 1; }
fi
log "kernel cached at $dest"
printf '%s\n' "$dest/bzImage"
