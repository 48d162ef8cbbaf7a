# shellcheck shell=sh
# Package lists of the two image-building roots (tests/boot/unlock/root.sh).
# dracut and initramfs-tools conflict, hence two roots.
# shellcheck disable=SC2034 # used by unlock.sh
dracut_pkgs="dracut dracut-core systemd udev cryptsetup-bin cryptsetup clevis clevis-luks clevis-tpm2 \
clevis-dracut tpm2-tools libtss2-tcti-swtpm0 libtss2-tcti-device0 libtss2-rc0 e2fsprogs kmod"
# shellcheck disable=SC2034
itools_pkgs="initramfs-tools cryptsetup-initramfs cryptsetup-bin clevis clevis-luks clevis-tpm2 \
clevis-initramfs tpm2-tools libtss2-tcti-swtpm0 libtss2-tcti-device0 e2fsprogs kmod busybox klibc-utils"
