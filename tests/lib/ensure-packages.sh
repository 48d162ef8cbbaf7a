#!/bin/sh
# Install the Debian packages a make target needs, when any is missing.
# Runs as root on Debian 12; a no-op when all are there.
#
#   sh tests/lib/ensure-packages.sh GROUP...
#
# demo   build the program and run it against swtpm (make, make demo, make bench)
# check  demo, plus the unit tests, the static musl build, the fuzzers, QEMU
#        for the bus interposer's own test, and a Debian 13 root (mmdebstrap)
#        for systemd-cryptenroll --tpm2-device-key
# lint   the static analysers
# boot   initramfs images booted under QEMU, and the kernel built for them
# fresh  a brand-new Debian root to run "make demo" in (make check-fresh)
# deb    building and checking the Debian package (make deb)
set -eu

group_packages() {
	case $1 in
	demo) echo "build-essential pkg-config libtss2-dev libssl-dev libjson-c-dev
		swtpm swtpm-tools tpm2-tools openssl python3" ;;
	check) group_packages demo
		echo "libcmocka-dev musl-tools cmake dpkg-dev xz-utils file clang libclang-rt-14-dev
		qemu-system-x86 mmdebstrap systemd cryptsetup-bin
		autoconf automake libtool autoconf-archive libltdl-dev binutils linux-libc-dev
		debian-archive-keyring time" ;;
	lint) group_packages demo
		echo "clang cppcheck shellcheck" ;;
	boot) group_packages check
		echo "qemu-system-x86 cryptsetup-bin dmsetup e2fsprogs dracut-core
		initramfs-tools-core klibc-utils busybox systemd udev kmod cpio zstd util-linux
		linux-source-6.12 bison flex libelf-dev bc mmdebstrap iproute2" ;;
	fresh) echo "mmdebstrap debian-archive-keyring git" ;;
	deb) group_packages check
		echo "debhelper fakeroot lintian" ;;
	*) echo "ensure-packages: unknown group $1" >&2; return 1 ;;
	esac
}

[ $# -gt 0 ] || set -- check
packages=
for g in "$@"; do
	packages="$packages $(group_packages "$g")"
done

missing=""
for p in $packages; do
	case " $missing " in *" $p "*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "ensure-packages: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "ensure-packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
