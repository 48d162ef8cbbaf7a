#!/bin/sh
# The boot tests' two kernels, cached outside the clone and made in a
# temporary folder renamed into place only when complete. Prints the cached
# folder; its "release" file holds the kernel release.
#
#   sh tests/boot/kernel.sh hmac    a minimal kernel with CONFIG_TCG_TPM2_HMAC=y,
#                                   so that /sys/class/tpm/tpm0/null_name
#                                   exists: bzImage, config and the modules
#                                   tree (modules/lib/modules/RELEASE)
#   sh tests/boot/kernel.sh stock   Debian's 6.12 kernel (no null_name),
#                                   unpacked, not installed: root/boot and
#                                   root/lib/modules
#
# hmac: built from Debian's linux-source-6.12 over "make tinyconfig" merged
# with tests/boot/tpm-hmac-min.config, keyed by the source package version
# and the fragment's hash. Its TPM chip drivers (tpm_tis, tpm_crb) are
# modules, as on kernels that build them so: the TPM appears only when an
# image carries and loads its driver. stock: "apt-get download" of the
# versioned image package that linux-image-6.12-amd64 depends on, keyed by
# its name and version. The packages both need are the boot group of
# tests/lib/ensure-packages.sh, which the suites install before they ask.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache="${ATTEST_TPM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-tpm2}"
log() { printf 'kernel.sh: %s\n' "$*" >&2; }

# cached NAME: the cached folder NAME, printed, ends the script when it is
# complete; else $dest is where it goes and $tmp a temporary folder beside it.
cached() {
	dest=$cache/$1
	if [ -f "$dest/release" ]; then
		printf '%s\n' "$dest"
		exit 0
	fi
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.$1.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT INT TERM
}

# publish: $tmp/out becomes $dest (or another run's, when it finished first).
publish() {
	if ! mv "$tmp/out" "$dest" 2> /dev/null; then
		[ -f "$dest/release" ] || {
			log "could not move the kernel into $dest"
			exit 1
		}
	fi
	log "kernel cached at $dest"
	printf '%s\n' "$dest"
}

hmac() {
	fragment="$here/tpm-hmac-min.config"
	src_tar=/usr/src/linux-source-6.12.tar.xz
	version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	cached "kernel-$(printf '%s' "$version" | tr -c 'A-Za-z0-9.+-' '_')-$(sha256sum "$fragment" | cut -c1-16)"
	log "unpacking $src_tar into $tmp"
	tar -C "$tmp" -xf "$src_tar"
	srcdir="$tmp/linux-source-6.12"
	log "configuring: tinyconfig + $(basename "$fragment")"
	make -C "$srcdir" -s tinyconfig >&2
	(cd "$srcdir" && ./scripts/kconfig/merge_config.sh -m .config "$fragment" >&2)
	make -C "$srcdir" -s olddefconfig >&2
	for opt in CONFIG_TCG_TPM2_HMAC=y CONFIG_TCG_TIS=m CONFIG_TCG_CRB=m CONFIG_DM_CRYPT=y \
		CONFIG_VIRTIO_BLK=y CONFIG_EXT4_FS=y; do
		grep -q "^$opt\$" "$srcdir/.config" || {
			log "$opt did not survive olddefconfig"
			exit 1
		}
	done
	jobs=$(nproc 2> /dev/null || echo 2)
	log "building bzImage and modules with $jobs jobs (about 11 minutes on 2 cores)"
	make -C "$srcdir" -s -j"$jobs" bzImage modules >&2
	mkdir -p "$tmp/out"
	cp "$srcdir/arch/x86/boot/bzImage" "$tmp/out/bzImage"
	cp "$srcdir/.config" "$tmp/out/config"
	# What depmod and the image generators want to know about built-in drivers.
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ ! -f "$srcdir/$f" ] || cp "$srcdir/$f" "$tmp/out/"
	done
	make -C "$srcdir" -s INSTALL_MOD_PATH="$tmp/out/modules" INSTALL_MOD_STRIP=1 modules_install >&2
	[ -n "$(find "$tmp/out/modules" -name 'tpm_tis.ko*')" ] || {
		log "tpm_tis.ko was not installed"
		exit 1
	}
	# The release file last: it marks the folder complete.
	make -C "$srcdir" -s kernelrelease > "$tmp/out/release"
	rm -rf "$srcdir"
	publish
}

stock() {
	pkg=$(apt-cache depends linux-image-6.12-amd64 2> /dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.12\.[^ ]*-amd64\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || {
		log "cannot resolve linux-image-6.12-amd64; run apt-get update"
		exit 1
	}
	version=$(apt-cache show "$pkg" | sed -n 's/^Version: //p' | head -n 1)
	cached "stock-$(printf '%s_%s' "$pkg" "$version" | tr -c 'A-Za-z0-9.+_-' '_')"
	# apt's _apt user downloads into the folder (else a harmless warning).
	chown _apt "$tmp" 2> /dev/null || :
	log "downloading $pkg $version"
	(cd "$tmp" && apt-get download "$pkg=$version" >&2)
	mkdir "$tmp/out"
	dpkg-deb -x "$tmp"/*.deb "$tmp/out/root"
	release=${pkg#linux-image-}
	[ -f "$tmp/out/root/boot/vmlinuz-$release" ] || {
		log "no vmlinuz-$release in $pkg"
		exit 1
	}
	# The package leaves depmod to its postinst; image generators need its output.
	depmod -b "$tmp/out/root" "$release" || {
		log "depmod failed"
		exit 1
	}
	printf '%s\n' "$release" > "$tmp/out/release"
	publish
}

case "${1:-}" in
hmac) hmac ;;
stock) stock ;;
*)
	log "usage: sh tests/boot/kernel.sh hmac|stock"
	exit 2
	;;
esac
