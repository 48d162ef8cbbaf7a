#!/bin/sh
# Which volumes the gates may refuse (policy/attest-tpm2-lib.sh.in), on real
# LUKS2 headers made and read by cryptsetup: a volume that the TPM cannot
# unlock (passphrase or key file, random-keyed swap, FIDO2-only, LUKS1,
# plain) is never refused; one with a TPM token, a tpm2- option, a foreign
# keyscript, or anything that cannot be read, follows the policy. Then the
# gates: the host's drop-in on a machine that is not enrolled, or booted
# from an image without the check; the initramfs gate after a check that
# left no verdict; a boot with no TPM under ON_FAILURE=passphrase, and a
# TPM (a real swtpm) that appears after that decision and is capped before
# any unlock.
# shellcheck disable=SC2016 # lib's code is expanded by the shell that runs it
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
. "$here/lib/policy_lib.sh"

require "volume gates" cryptsetup

suite_work

printf 'test-key' > "$WORK/key"
# luks NAME [TYPE]: a LUKS header on a plain file, key slot 0 from $WORK/key.
luks() {
	truncate -s 20M "$WORK/$1.img"
	cryptsetup luksFormat -q --type "${2:-luks2}" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$WORK/key" "$WORK/$1.img" > /dev/null 2>&1 || fail "luks $1" "luksFormat failed"
}
# token NAME JSON: import a token into NAME's header.
token() {
	printf '%s\n' "$2" | cryptsetup token import "$WORK/$1.img" > /dev/null 2>&1 ||
		fail "token $1" "token import failed: $2"
}
sd_tpm2='{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}'
fido2='{"type":"systemd-fido2","keyslots":["0"],"fido2-credential":"AA==","fido2-salt":"AA==","fido2-rp":"io.systemd.cryptsetup","fido2-clientPin-required":false}'

luks passphrase
luks keyfile
luks tpm
token tpm "$sd_tpm2"
luks clevis
token clevis '{"type":"clevis","keyslots":["0"],"jwe":{"ciphertext":"","encrypted_key":"","iv":"","protected":"e30","tag":""}}'
luks fido
token fido "$fido2"
# A FIDO2 token first, a TPM token behind it: the second one counts.
luks fidotpm
token fidotpm "$fido2"
token fidotpm "$sd_tpm2"
# The shape that once hid a token from a grep: a nested object in it.
luks nested
token nested '{"type":"systemd-tpm2","keyslots":["0"],"x":{},"tpm2-blob":"AA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}'
# A TPM unlock bound to no PCR: no cap stops it.
luks unbound
token unbound '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}'
luks unknown
token unknown '{"type":"vendor-secret","keyslots":["0"]}'
luks luks1 luks1
truncate -s 4M "$WORK/plain.img"
# A detached header with a TPM token, and one without, for a headerless disk.
luks hdrtpm
token hdrtpm "$sd_tpm2"
luks hdrnone
truncate -s 4M "$WORK/data.img"
: > "$WORK/unreadable.img"
chmod 000 "$WORK/unreadable.img"

cat > "$WORK/crypttab" << EOF
# name source key options
passphrase $WORK/passphrase.img none luks
keyfile $WORK/keyfile.img /etc/luks.key luks,discard
tpm $WORK/tpm.img none luks
clevis $WORK/clevis.img none luks,_netdev
fido $WORK/fido.img none luks
fidotpm $WORK/fidotpm.img none luks
nested $WORK/nested.img none luks
unbound $WORK/unbound.img none luks
unknown $WORK/unknown.img none luks
luks1 $WORK/luks1.img none luks
plain $WORK/plain.img none plain,cipher=aes-xts-plain64,size=256
swap $WORK/tpm.img /dev/urandom swap,cipher=aes-xts-plain64,size=256
optdevice $WORK/passphrase.img none luks,tpm2-device=auto
keyctl $WORK/passphrase.img none luks,keyscript=decrypt_keyctl
tpmscript $WORK/passphrase.img none luks,keyscript=/usr/lib/tpm2-initramfs-tool/unseal
detachedtpm $WORK/data.img none luks,header=$WORK/hdrtpm.img
detachednone $WORK/data.img none luks,header=$WORK/hdrnone.img
missing $WORK/no-such.img none luks
uuid UUID=00000000-0000-4000-8000-00000000dead none luks
EOF

# --- the decision: 0 may be a TPM unlock, 1 certainly is not --------------
for v in passphrase keyfile fido luks1 plain swap keyctl detachednone; do
	lib "attest_tpm2_volume_tpm \$ATTEST_TPM2_CRYPTTAB $v"
	case_rc "no TPM unlock: $v" 1
done
for v in tpm clevis fidotpm nested unknown optdevice tpmscript detachedtpm missing uuid no-such-volume; do
	lib "attest_tpm2_volume_tpm \$ATTEST_TPM2_CRYPTTAB $v"
	case_rc "a TPM unlock, or one that cannot be ruled out: $v" 0
done
# Root reads a mode-000 file: only a non-root run can show this case.
if [ "$(id -u)" -ne 0 ]; then
	lib "attest_tpm2_volume_tpm \$ATTEST_TPM2_CRYPTTAB unreadable"
	case_rc "an unreadable header counts as TPM" 0
fi
lib 'ATTEST_TPM2_BIN=/nonexistent; attest_tpm2_volume_tpm "$W/crypttab" passphrase'
case_rc "without the binary, a volume counts as TPM" 0

printf 'a %s none luks\nb %s /dev/urandom swap\n' "$WORK/passphrase.img" "$WORK/tpm.img" > "$WORK/crypttab-none"
lib 'attest_tpm2_volume_tpm $W/crypttab-none'
case_rc "every volume: none with a TPM unlock" 1
lib 'attest_tpm2_volume_tpm $W/crypttab'
case_rc "every volume: one with a TPM unlock" 0
: > "$WORK/crypttab-empty"
lib 'attest_tpm2_volume_tpm $W/crypttab-empty'
case_rc "every volume of an empty crypttab: not known, so TPM" 0

# Bound to no PCR: nothing a cap stops. A table that did not come to its
# end rules nothing out; a volume called "cap" is not the cap line.
lib 'attest_tpm2_volume_unbound unbound'
case_rc "a TPM unlock bound to no PCR is unbound" 0
lib 'attest_tpm2_volume_unbound tpm'
case_rc "a TPM unlock bound to PCR 7 is not" 1
lib 'ATTEST_TPM2_BIN=/nonexistent; attest_tpm2_volume_unbound tpm'
case_rc "without the binary, a volume may be unbound" 0
printf 'cap %s none luks\n' "$WORK/unbound.img" > "$WORK/crypttab-cap"
lib 'ATTEST_TPM2_CRYPTTAB=$W/crypttab-cap; attest_tpm2_volume_unbound cap'
case_rc "a volume called cap, bound to no PCR, is unbound" 0

# --- the host's drop-in -----------------------------------------------------
reset_state() {
	rm -rf "$WORK/run" "$WORK/modprobe.d" "$WORK/sys"
	mkdir -p "$WORK/run" "$WORK/sys/class/tpm"
	: > "$WORK/cmdline"
	printf 'ATTEST_TPM2_%s\n' "NAME_FILE=$WORK/eksign.name" CAP_PCRS=7 "$@" > "$WORK/attest-tpm2.conf"
}
reset_state
rm -f "$WORK/eksign.name"
for v in tpm passphrase; do
	lib "attest_tpm2_host_gate $v"
	case_rc "host, not enrolled, no verdict in this boot: $v opens" 0
done
printf '000b%064d\n' 0 > "$WORK/eksign.name"
lib 'attest_tpm2_host_gate tpm'
case_rc "host, enrolled, image without the check: a TPM volume is refused" 1 'FATAL: no record of a passed TPM check'
for v in passphrase keyfile swap; do
	lib "attest_tpm2_host_gate $v"
	case_rc "host, enrolled, image without the check: $v opens" 0 "$v has no TPM unlock"
done
echo refused > "$WORK/run/refused"
lib 'attest_tpm2_host_gate passphrase'
case_rc "host, after a refusal: a passphrase volume still opens" 0
lib 'attest_tpm2_host_gate tpm'
case_rc "host, after a refusal: a TPM volume is refused" 1

# --- the initramfs gate with no verdict --------------------------------------
reset_state ON_FAILURE=shell
lib 'attest_tpm2_gate keyfile'
case_rc "initramfs, no verdict: a key-file volume opens" 0 'no TPM unlock in keyfile'
lib 'attest_tpm2_gate tpm'
case_rc "initramfs, no verdict: a TPM volume is refused" 1 'FATAL: no record of a passed TPM check'
reset_state ON_FAILURE=shell
lib 'ATTEST_TPM2_CRYPTTAB=$W/crypttab-none; attest_tpm2_gate "*"'
case_rc "initramfs, no verdict, every volume without a TPM unlock: goes on" 0
lib 'attest_tpm2_gate "*"'
case_rc "initramfs, no verdict, one TPM volume among them: refused" 1 'FATAL'

# --- no TPM under ON_FAILURE=passphrase ----------------------------------------
reset_state ON_FAILURE=passphrase HALT_DELAY=0
lib 'attest_tpm2_load; attest_tpm2_refuse "no TPM device appeared"'
case_rc "no TPM, passphrase: the boot goes on for passphrases" 0 'no TPM in this machine now'
same "no TPM: the verdict is notpm" "$(cat "$WORK/run/gate" 2> /dev/null)" notpm
if grep -qx 'install tpm_tis /bin/false' "$WORK/modprobe.d/attest-tpm2-no-tpm.conf" 2> /dev/null &&
	grep -qx 'blacklist tpm_crb' "$WORK/modprobe.d/attest-tpm2-no-tpm.conf"; then
	pass "no TPM: the TPM drivers are blocked for the rest of the boot"
else
	fail "no TPM: the TPM drivers are blocked for the rest of the boot" \
		"$(cat "$WORK/modprobe.d/attest-tpm2-no-tpm.conf" 2> /dev/null)"
fi
lib 'attest_tpm2_gate tpm'
case_rc "no TPM, still none at the unlock: the gate lets it go on" 0
# A TPM that shows up in sysfs without a device node cannot be capped: halt
# is the only safe answer, so only its decision is checked here.
mkdir -p "$WORK/sys/class/tpm/tpm0"
lib 'attest_tpm2_late_tpm'
case_rc "a TPM without a device node after a no-TPM decision is not let through" 1 'could not be capped'
rmdir "$WORK/sys/class/tpm/tpm0"

# The TPM appears: a real swtpm behind the device path the gate looks for.
swtpm_provision "$WORK/tpm" nocert || { fail "provision" "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/tpm"
export TPM2TOOLS_TCTI="$TCTI"
before=$(TSS2_LOG=all+none tpm2_pcrread -T "$TCTI" sha256:7 2> /dev/null | sed -n 's/.*0x//p')
DEVICES=/dev/null lib 'attest_tpm2_gate tpm'
# The cap is the image's PCR 7 and, asked at boot, what the volumes there
# now are sealed to: this crypttab has some that cannot be read, so all.
case_rc "a TPM that appears after a no-TPM decision: capped before the unlock" 0 'a TPM appeared after this boot found none: PCRs 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 capped'
after=$(TSS2_LOG=all+none tpm2_pcrread -T "$TCTI" sha256:7 2> /dev/null | sed -n 's/.*0x//p')
if [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ]; then
	pass "PCR 7 moved ($before -> $after)"
else
	fail "PCR 7 moved" "before '$before', after '$after'"
fi
same "the verdict is now capped" "$(cat "$WORK/run/gate" 2> /dev/null)" capped

# A refused boot going on for passphrases (gate "capped"): before a volume
# whose TPM unlock is bound to no PCR opens, the TPM is taken from its
# driver (sysfs unbind); here the chip stays in the fake sysfs, as if the
# unbind had not taken, so the boot must power off. Every volume's gate
# caps again first (the swtpm above, through the TCTI).
reset_state ON_FAILURE=passphrase HALT_DELAY=0
mkdir -p "$WORK/sys/devices/MSFT0101:00/driver" "$WORK/sys/class/tpm/tpm0"
: > "$WORK/sys/devices/MSFT0101:00/driver/unbind"
ln -s "../../../devices/MSFT0101:00" "$WORK/sys/class/tpm/tpm0/device"
echo capped > "$WORK/run/gate"
DEVICES=/dev/null lib 'attest_tpm2_gate tpm'
case_rc "capped boot, a volume bound to PCRs: opens, TPM left alone" 0
if [ -s "$WORK/sys/devices/MSFT0101:00/driver/unbind" ]; then
	fail "the TPM was not unbound for it" "$(cat "$WORK/sys/devices/MSFT0101:00/driver/unbind")"
else
	pass "the TPM was not unbound for it"
fi
# halt never returns: it is stopped once it has powered off (a stub).
DEVICES=/dev/null lib 'attest_tpm2_gate unbound > "$W/u.out" 2>&1 & sleep 3; kill $! 2> /dev/null; cat "$W/u.out"'
if [ "$(cat "$WORK/sys/devices/MSFT0101:00/driver/unbind")" = "MSFT0101:00" ]; then
	pass "capped boot, a volume bound to no PCR: the TPM device is unbound from its driver"
else
	fail "capped boot, a volume bound to no PCR: the TPM device is unbound from its driver" \
		"unbind holds '$(cat "$WORK/sys/devices/MSFT0101:00/driver/unbind")'"
fi
case $OUT in
*"could not be taken away"*"STUB poweroff"*) pass "a TPM still there after the unbind: power off" ;;
*) fail "a TPM still there after the unbind: power off" "$OUT" ;;
esac
rm -rf "$WORK/sys/devices" "$WORK/sys/class/tpm/tpm0"
lib 'attest_tpm2_gate "*"'
case_rc "capped boot, every volume, no TPM left: goes on" 0 'taken from its driver until reboot'


# Before switch-root: a command line that asks the root for a shell or
# another init caps the PCRs (the swtpm above); the usual inits do not.
for c in "root=/dev/vda init=/bin/sh|init=/bin/sh" "ro single quiet|single" \
	"systemd.unit=rescue.target|systemd.unit=rescue.target" "rd.systemd.debug_shell|rd.systemd.debug_shell" \
	"ro init=/lib/systemd/systemd quiet|" "ro quiet splash|" "rd.break=pre-mount|"; do
	printf '%s\n' "${c%%|*}" > "$WORK/cmdline"
	lib 'printf "[%s]\n" "$(attest_tpm2_cmdline_shell)"'
	case $OUT in
	"[${c#*|}]"*) pass "command line '${c%%|*}': asks the root for '${c#*|}'" ;;
	*) fail "command line '${c%%|*}': asks the root for '${c#*|}'" "$OUT" ;;
	esac
done
reset_state
printf 'ro init=/bin/sh\n' > "$WORK/cmdline"
before=$(TSS2_LOG=all+none tpm2_pcrread -T "$TCTI" sha256:7 2> /dev/null | sed -n 's/.*0x//p')
DEVICES=/dev/null lib 'attest_tpm2_switch_root_cap'
case_rc "init=/bin/sh: capped before switch-root" 0 'PCRs [0-9,]*7[0-9,]* capped before switch-root: the kernel command line asks for init=/bin/sh'
after=$(TSS2_LOG=all+none tpm2_pcrread -T "$TCTI" sha256:7 2> /dev/null | sed -n 's/.*0x//p')
if [ -n "$after" ] && [ "$before" != "$after" ]; then pass "init=/bin/sh: PCR 7 moved"
else fail "init=/bin/sh: PCR 7 moved" "before '$before', after '$after'"; fi
printf 'ro quiet\n' > "$WORK/cmdline"
DEVICES=/dev/null lib 'attest_tpm2_switch_root_cap'
if [ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -q capped; then pass "a plain command line: nothing capped before switch-root"
else fail "a plain command line: nothing capped before switch-root" "$OUT"; fi

# halt says why, and waits ATTEST_TPM2_HALT_DELAY before it powers off
# (the power-off commands are stubs here, and sysrq a plain file).
reset_state ON_FAILURE=halt HALT_DELAY=1
lib 'attest_tpm2_load; attest_tpm2_halt "the reason" > "$W/halt.out" 2>&1 & sleep 3; kill $! 2> /dev/null; cat "$W/halt.out" "$W/sysrq"'
if printf '%s\n' "$OUT" | grep -q 'powering off in 1s: the reason' &&
	printf '%s\n' "$OUT" | grep -q 'STUB poweroff' &&
	printf '%s\n' "$OUT" | grep -qx o; then
	pass "halt says why, waits, then powers off"
else
	fail "halt says why, waits, then powers off" "$OUT"
fi
reset_state ON_FAILURE=halt HALT_DELAY=5
lib 'attest_tpm2_load; attest_tpm2_halt "the reason" > "$W/halt.out" 2>&1 & sleep 2; kill $! 2> /dev/null; cat "$W/halt.out"; cat "$W/sysrq" 2> /dev/null'
if printf '%s\n' "$OUT" | grep -q 'powering off in 5s' && ! printf '%s\n' "$OUT" | grep -q 'STUB poweroff'; then
	pass "halt does not power off before its delay"
else
	fail "halt does not power off before its delay" "$OUT"
fi

finish
