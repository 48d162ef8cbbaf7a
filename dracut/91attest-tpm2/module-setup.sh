#!/bin/bash
# shellcheck disable=SC2154 # moddir, initdir, systemdsystemunitdir, srcmods, kernel: set by dracut
# dracut module: verify the TPM with attest_tpm2_primary before any
# encrypted volume is unlocked (interposer and TPM-swap protection).
#
# systemd initramfs: attest-tpm2.service, ordered before cryptsetup-pre.target
#   and the initrd targets, required by initrd.target and every
#   systemd-cryptsetup@ unit; those units and initrd-switch-root.service
#   also run the gate (attest-tpm2-gate.conf) before they start.
# classic initramfs: pre-trigger hooks, which run before udev is triggered
#   and so before 90crypt's initqueue jobs can open anything: the check (10)
#   and the gate (90).
# A refusal caps the PCRs, then follows ATTEST_TPM2_ON_FAILURE.
#
# The boot policy (generator-independent, from the source tree's policy/):
# /usr/lib/attest-tpm2/attest-tpm2-lib.sh and /etc/attest-tpm2.conf.

# Where the library is on the host (make install sets it from PREFIX); in
# the image it is always /usr/lib/attest-tpm2/attest-tpm2-lib.sh.
attest_tpm2_lib=/usr/lib/attest-tpm2/attest-tpm2-lib.sh

# Included once this machine is enrolled (the name file exists). Before
# that, every image builds without it and says once how to enroll.
check() {
    [[ -r $attest_tpm2_lib ]] || return 255
    # shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh
    . "$attest_tpm2_lib"
    attest_tpm2_build_config "${dracutsysrootdir-}"
    [[ -e ${dracutsysrootdir-}$ATTEST_TPM2_NAME_FILE ]] && return 0
    attest_tpm2_build_check "${dracutsysrootdir-}"
    return 255
}

depends() {
    return 0
}

# Every TPM chip driver (TIS, CRB, SPI, I2C, firmware TPMs); in hostonly mode
# dracut keeps the loaded ones. Nothing to add when the drivers are built in.
installkernel() {
    local mods
    # Whatever the host had loaded when the image is built (a chroot has
    # none): hostonly must not drop the drivers the check needs.
    if [[ -r $attest_tpm2_lib ]]; then
        # shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh
        . "$attest_tpm2_lib"
        mods=$(attest_tpm2_host_tpm_modules)
        # shellcheck disable=SC2086 # one word per module
        [[ -n $mods ]] && hostonly='' instmods $mods
    fi
    hostonly='' instmods '=drivers/char/tpm' && return 0
    grep -qs '/drivers/char/tpm/' "${srcmods:-/lib/modules/$kernel}/modules.builtin"
}

install() {
    if [[ ! -r $attest_tpm2_lib ]]; then
        dfatal "attest-tpm2: $attest_tpm2_lib is missing; reinstall attest_tpm2_primary"
        exit 1
    fi
    # shellcheck source=SCRIPTDIR/../../policy/attest-tpm2-lib.sh
    . "$attest_tpm2_lib"
    attest_tpm2_build_config "${dracutsysrootdir-}"
    attest_tpm2_build_check "${dracutsysrootdir-}"
    case $? in
    0) ;;
    # Asked for by name on a machine not enrolled yet: nothing to check with.
    2) return 0 ;;
    *)
        # Never build an image that silently skips the check.
        dfatal "attest-tpm2: refusing to build an initramfs without the TPM check"
        exit 1
        ;;
    esac

    if ! attest_tpm2_build_pinned "${dracutsysrootdir-}/etc/crypttab"; then
        dfatal "attest-tpm2: refusing to build an initramfs that would unseal over the bus in clear"
        exit 1
    fi
    inst_simple "$attest_tpm2_lib" /usr/lib/attest-tpm2/attest-tpm2-lib.sh
    # The image's config: the host's, plus the PCRs a refusal caps, worked out
    # now from the LUKS2 tokens of the crypttab volumes. Written afresh (not
    # appended to a copy that could be a link to the host's file).
    local cap
    cap=$(attest_tpm2_build_cap_pcrs "${dracutsysrootdir-}/etc/crypttab")
    mkdir -p "$initdir${ATTEST_TPM2_CONF%/*}"
    rm -f "$initdir$ATTEST_TPM2_CONF"
    {
        [[ -r ${dracutsysrootdir-}$ATTEST_TPM2_CONF ]] && cat "${dracutsysrootdir-}$ATTEST_TPM2_CONF"
        printf '\n# Added by dracut (91attest-tpm2) when this image was built.\n'
        printf 'ATTEST_TPM2_CAP_PCRS=%s\n' "$cap"
    } > "$initdir$ATTEST_TPM2_CONF"
    dinfo "attest-tpm2: a refused boot caps PCRs $cap"
    # The name of the root the image is built for (--sysroot), not the
    # build host's; copied by hand because inst_simple tests its source
    # outside the sysroot.
    if [[ -s ${dracutsysrootdir-}$ATTEST_TPM2_NAME_FILE ]]; then
        mkdir -p "$initdir${ATTEST_TPM2_NAME_FILE%/*}"
        cat "${dracutsysrootdir-}$ATTEST_TPM2_NAME_FILE" > "$initdir$ATTEST_TPM2_NAME_FILE"
        # Where enrollment persisted the signing EK, if it did: the boot
        # then skips deriving it.
        attest_tpm2_ek_handle "${dracutsysrootdir-}$ATTEST_TPM2_NAME_FILE"
        if [[ $ATTEST_TPM2_EK_HANDLE ]]; then
            printf 'handle=%s\n' "$ATTEST_TPM2_EK_HANDLE" > "$initdir$ATTEST_TPM2_NAME_FILE.info"
        fi
    fi
    inst_binary "$ATTEST_TPM2_BINARY" "$ATTEST_TPM2_BIN"
    # cmp: the certified SRK against the one systemd read (the tokens'
    # pins are the binary's to compare).
    inst_multiple -o modprobe sleep mkdir mv sync poweroff halt cmp

    if dracut_module_included "systemd"; then
        inst_simple "$moddir/attest-tpm2.service" "$systemdsystemunitdir/attest-tpm2.service"
        inst_simple "$moddir/attest-tpm2-gate.conf" \
            "$systemdsystemunitdir/systemd-cryptsetup@.service.d/attest-tpm2.conf"
        inst_simple "$moddir/attest-tpm2-gate.conf" \
            "$systemdsystemunitdir/initrd-switch-root.service.d/attest-tpm2.conf"
        # dracut's emergency and rescue units run the emergency hook too;
        # these hold for any other way into them.
        inst_simple "$moddir/attest-tpm2-shell.conf" \
            "$systemdsystemunitdir/emergency.service.d/attest-tpm2.conf"
        inst_simple "$moddir/attest-tpm2-shell.conf" \
            "$systemdsystemunitdir/rescue.service.d/attest-tpm2.conf"
        inst_simple "$moddir/attest-tpm2-shell.conf" \
            "$systemdsystemunitdir/debug-shell.service.d/attest-tpm2.conf"
        inst_simple "$moddir/attest-tpm2-switch-root.conf" \
            "$systemdsystemunitdir/initrd-switch-root.service.d/attest-tpm2-shell.conf"
        $SYSTEMCTL -q --root "$initdir" enable attest-tpm2.service
    else
        inst_hook pre-trigger 10 "$moddir/attest-tpm2-hook.sh"
        inst_hook pre-trigger 90 "$moddir/attest-tpm2-gate.sh"
        inst_hook pre-pivot 95 "$moddir/attest-tpm2-switch-root.sh"
        # Every unlock path asks, right before it opens a volume: 90crypt
        # (installed before this module) runs cryptroot-ask for each LUKS
        # device; ours asks the gate for that volume, then runs the real one.
        if [[ -e $initdir/sbin/cryptroot-ask ]]; then
            mv "$initdir/sbin/cryptroot-ask" "$initdir/usr/lib/attest-tpm2/cryptroot-ask"
            inst_script "$moddir/attest-tpm2-cryptroot-ask.sh" /sbin/cryptroot-ask
        fi
    fi
    # Before every shell dracut offers (rd.break, rd.shell, a failed root).
    inst_hook emergency 05 "$moddir/attest-tpm2-shell.sh"
}
