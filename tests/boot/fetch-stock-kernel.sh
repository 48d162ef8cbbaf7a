#!/bin/sh
# Fetch Debian's stock 6.12 kernel (no CONFIG_TCG_TPM2_HMAC, so no null_name)
# without installing it: "apt-get download" the versioned image package that
# linux-image-6.12-amd64 depends on and unpack it with "dpkg-deb -x" into the
# cache. Prints the unpacked tree's path; the kernel release is in its
# "release" file.
set -eu

cache="${ATTEST_TPM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-tpm2}"
log() { printf 'fetch-stock-kernel: %s\n' "$*" >&2; }

pkg=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-6\.12\.[^ ]*-amd64\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	log "cannot resolve linux-image-6.12-amd64; run apt-get update"
	exit 1
fi
version=$(apt-cache show "$pkg" | sed -n 's/^Version: //p' | head -n 1)
key=$(printf '%s_%s' "$pkg" "$version" | tr -c 'A-Za-z0-9.+_-' '_')
dest="$cache/stock-$key"
if [ -f "$dest/release" ]; then
	printf '%s\n' "$dest"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.stock-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# apt's _apt user downloads into the folder (else a harmless warning).
chown _apt "$tmp" 2>/dev/null || :
log "downloading $pkg $version"
(cd "$tmp" && apt-get download "$pkg=$version" >&2)
mkdir "$tmp/out"
dpkg-deb -x "$tmp"/*.deb "$tmp/out/root"
release=${pkg#linux-image-}
[ -f "$tmp/out/root/boot/vmlinuz-$release" ] || { log "no vmlinuz-$release in $pkg"; exit 1; }
# The package leaves depmod to its postinst; image generators need its output.
depmod -b "$tmp/out/root" "$release" || { log "depmod failed"; exit 1; }
printf '%s\n' "$release" > "$tmp/out/release"
if ! mv "$tmp/out" "$dest" 2>/dev/null; then
	[ -f "$dest/release" ] || { log "could not move the kernel into $dest"; exit 1; }
fi
log "stock kernel unpacked at $dest"
printf '%s\n' "$dest"
