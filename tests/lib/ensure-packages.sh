#!/bin/sh
# Install the Debian packages that building, testing and the demo need,
# when any is missing. Runs as root on Debian 12; a no-op when all are there.
set -eu

packages="build-essential pkg-config libtss2-dev libssl-dev libcmocka-dev
 swtpm swtpm-tools tpm2-tools openssl python3 musl-tools dpkg-dev xz-utils file
 clang libclang-rt-14-dev cppcheck shellcheck
 autoconf automake libtool autoconf-archive libltdl-dev binutils linux-libc-dev
 debian-archive-keyring time
 qemu-system-x86 cryptsetup-bin dmsetup e2fsprogs dracut-core initramfs-tools-core
 klibc-utils systemd udev kmod cpio zstd util-linux linux-source-6.12 bison flex
 libelf-dev bc"

missing=""
for p in $packages; do
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
