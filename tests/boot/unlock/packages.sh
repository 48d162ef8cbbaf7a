# shellcheck shell=sh
# Package lists of the two image-building roots (debian_root_dir,
# tests/lib/debian_root_cache.sh),
# by suite ($suite). dracut and initramfs-tools conflict, hence two roots.
# Debian 13 renamed the TSS libraries (64-bit time_t: "t64") and split
# systemd-cryptsetup out of systemd.
# shellcheck disable=SC2034,SC2154 # used by unlock.sh, which sets $suite
case "$suite" in
bookworm)
	dracut_pkgs="dracut dracut-core systemd udev cryptsetup-bin cryptsetup clevis clevis-luks clevis-tpm2 \
clevis-dracut tpm2-tools libtss2-tcti-swtpm0 libtss2-tcti-device0 libtss2-rc0 e2fsprogs kmod"
	itools_pkgs="initramfs-tools cryptsetup-initramfs cryptsetup-bin clevis clevis-luks clevis-tpm2 \
clevis-initramfs tpm2-tools libtss2-tcti-swtpm0 libtss2-tcti-device0 e2fsprogs kmod busybox klibc-utils"
	;;
trixie)
	dracut_pkgs="dracut dracut-core systemd systemd-cryptsetup udev cryptsetup-bin cryptsetup tpm2-tools \
libtss2-tcti-swtpm0t64 libtss2-tcti-device0t64 libtss2-rc0t64 libtss2-esys-3.0.2-0t64 libtss2-mu-4.0.1-0t64 \
e2fsprogs kmod"
	itools_pkgs="initramfs-tools cryptsetup-initramfs cryptsetup-bin clevis clevis-luks clevis-tpm2 \
clevis-initramfs tpm2-tools libtss2-tcti-swtpm0t64 libtss2-tcti-device0t64 e2fsprogs kmod busybox klibc-utils"
	;;
esac
