#!/bin/bash
# shellcheck disable=SC2154 # moddir, initdir, systemdsystemunitdir, srcmods, kernel: set by dracut
# dracut module: verify the TPM with attest_tpm2_primary before any
# encrypted volume is unlocked (interposer and TPM-swap protection).
#
# systemd initramfs: attest-tpm2.service, ordered before cryptsetup-pre.target
#   and required by every systemd-cryptsetup@ unit; failure isolates
#   emergency.target.
# classic initramfs: a pre-trigger hook, which runs before udev is triggered
#   and so before 90crypt's initqueue jobs can open anything; failure drops
#   to the emergency shell and never continues until the check passes.
#
# Shared logic and configuration: /usr/lib/attest-tpm2/attest-tpm2-lib.sh and
# /etc/attest-tpm2.conf (also used by the initramfs-tools hook).

attest_tpm2_lib=/usr/lib/attest-tpm2/attest-tpm2-lib.sh

# Included by default once configured (config or name file present);
# otherwise only when asked for ("add_dracutmodules+=" attest-tpm2 "").
check() {
    [[ -e /etc/attest-tpm2.conf ]] && return 0
    [[ -e /etc/eksign.name ]] && return 0
    return 255
}

depends() {
    return 0
}

# Every TPM chip driver (TIS, CRB, SPI, I2C, firmware TPMs); in hostonly mode
# dracut keeps the loaded ones. Nothing to add when the drivers are built in.
installkernel() {
    instmods '=drivers/char/tpm' && return 0
    grep -qs '/drivers/char/tpm/' "${srcmods:-/lib/modules/$kernel}/modules.builtin"
}

install() {
    if [[ ! -r $attest_tpm2_lib ]]; then
        dfatal "attest-tpm2: $attest_tpm2_lib is missing; reinstall attest_tpm2_primary"
        exit 1
    fi
    # shellcheck source=SCRIPTDIR/../attest-tpm2-lib.sh
    . "$attest_tpm2_lib"
    attest_tpm2_build_config
    if ! attest_tpm2_build_check; then
        # Never build an image that silently skips the check.
        dfatal "attest-tpm2: refusing to build an initramfs without the TPM check"
        exit 1
    fi

    inst_simple "$attest_tpm2_lib"
    [[ -e $ATTEST_TPM2_CONF ]] && inst_simple "$ATTEST_TPM2_CONF"
    [[ -s $ATTEST_TPM2_NAME_FILE ]] && inst_simple "$ATTEST_TPM2_NAME_FILE"
    inst_binary "$ATTEST_TPM2_BINARY" "$ATTEST_TPM2_BIN"
    inst_multiple -o modprobe sleep mkdir

    if dracut_module_included "systemd"; then
        inst_simple "$moddir/attest-tpm2.service" "$systemdsystemunitdir/attest-tpm2.service"
        inst_simple "$moddir/attest-tpm2-cryptsetup.conf" \
            "$systemdsystemunitdir/systemd-cryptsetup@.service.d/attest-tpm2.conf"
        $SYSTEMCTL -q --root "$initdir" enable attest-tpm2.service
    else
        inst_hook pre-trigger 10 "$moddir/attest-tpm2-hook.sh"
    fi
}
