#!/bin/sh
# shellcheck disable=SC2034 # the variables a suite sets for tests/boot/harness.sh
# The boot harness's judge (tests/boot/harness.sh) over serial and bus logs
# written here: every verdict and every kind of expect line passes the log
# it describes and fails the log that breaks it, so that no boot case can
# pass by a judge that cannot fail. No root, no QEMU; a second.
#
# Usage: sh tests/policy/judge.sh
# Prints PASS/FAIL lines and "N passed, M failed"; exit 1 on any failure.
set -u

here=$(cd "$(dirname "$0")/../boot" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../boot/harness.sh
. "$here/harness.sh"
work=$(mktemp -d /tmp/attest-tpm2-judge.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 2' INT TERM
cases=$work/cases/t
here=$work
# What a suite sets for its cases and the judge.
flavour_vars() {
	fargs=args fdisk=disk marker=marker-1
}
all_flavours="fa fb"
boot_timeout=10
default_settle=2
unlock_re='luksOpen'

boot_line='[    0.000000] Command line: console=ttyS0'
rerun='attest-tpm2: to check again by hand: /usr/bin/attest_tpm2_primary --boot --name /etc/eksign.name'

# verdict NAME WANT EXPECT LOG [BUS] [FLAVOUR]: a case NAME whose expect file
# is EXPECT (lines), judged over LOG (and BUS), in FLAVOUR (fa); PASS when
# the judge says WANT (PASS or FAIL).
verdict() {
	mkdir -p "$cases/$1"
	: > "$cases/$1/boot"
	printf '%s\n' "$3" > "$cases/$1/expect"
	_fl=${6:-fa}
	printf '%s\n' "$4" > "$work/$1-$_fl.log"
	rm -rf "$work/b-$1-$_fl"
	if [ -n "${5:-}" ]; then
		mkdir -p "$work/b-$1-$_fl"
		printf '%s\n' "$5" > "$work/b-$1-$_fl/bus"
	fi
	_got=$(judge t "$1:$_fl" | cut -d' ' -f1)
	report_same "$1 $_fl: $2" "$2" "$_got"
}

ok_unlock=$(printf '%s\n' "$boot_line" 'luksOpen /dev/vda' 'ATTEST-TPM2-TEST MARKER marker-1' \
	'ATTEST-TPM2-TEST SRK -----BEGIN PUBLIC KEY-----' \
	'attest-tpm2: WARNING: the TPM unlock of luks-1 (/dev/vda, PCRs 7) pins no SRK: re-enroll')
verdict unlocked PASS unlocked "$ok_unlock"
verdict unlocked-no-boot FAIL unlocked "${ok_unlock#"$boot_line"}"
verdict unlocked-no-marker FAIL unlocked "$(printf '%s\n' "$ok_unlock" | grep -v MARKER)"
verdict unlocked-other-marker FAIL unlocked "$(printf '%s\n' "$ok_unlock" | sed 's/marker-1/marker-2/')"
verdict unlocked-warned FAIL unlocked "$ok_unlock
attest-tpm2: WARNING: TPM verification FAILED"
verdict warned PASS warned "$ok_unlock
attest-tpm2: WARNING: TPM verification FAILED"
# The unpinned token's warning is no verdict's warning.
verdict warned-pin-only FAIL warned "$ok_unlock"

ok_refused=$(printf '%s\n' "$boot_line" 'attest-tpm2: FATAL: TPM verification FAILED' "$rerun" \
	'You are in emergency mode.')
verdict refused PASS refused "$ok_refused"
verdict refused-unlocked FAIL refused "$ok_refused
luksOpen /dev/vda"
verdict refused-root FAIL refused "$ok_refused
ATTEST-TPM2-TEST root reached"
verdict refused-no-shell FAIL refused "$(printf '%s\n' "$ok_refused" | grep -v emergency)"
verdict refused-no-rerun FAIL refused "$(printf '%s\n' "$ok_refused" | grep -v 'check again')"
ok_halted=$(printf '%s\n' "$boot_line" 'attest-tpm2: FATAL: no' 'attest-tpm2: powering off')
verdict halted PASS halted "$ok_halted"
verdict halted-shell FAIL halted "$ok_halted
Dropping to debug shell"
verdict stopped PASS stopped "$boot_line"
verdict stopped-switch-root FAIL stopped "$boot_line
Switching root."
verdict untouched FAIL untouched "$ok_unlock"
verdict untouched-quiet PASS untouched "$(printf '%s\n' "$ok_unlock" | grep -v attest-tpm2)"
verdict unknown FAIL "no-such-verdict" "$boot_line"
verdict no-verdict FAIL "# only a comment" "$boot_line"

# Expect lines: present, absent, one flavour's, order, @shell.
verdict regex PASS "stopped
Command line
!luksOpen
@shell" "$boot_line
(initramfs) "
verdict regex-absent FAIL "stopped
!Command" "$boot_line"
verdict regex-missing FAIL "stopped
nothing like this" "$boot_line"
verdict flavour FAIL "stopped
[fa] only-in-fa" "$boot_line"
verdict flavour PASS "stopped
[fa] only-in-fa" "$boot_line" '' fb
verdict order PASS "stopped
order:first < second" "$boot_line
first
second"
verdict order-reversed FAIL "stopped
order:first < second" "$boot_line
second
first"
verdict order-missing FAIL "stopped
order:first < second" "$boot_line
first"
verdict within PASS "stopped
within:30" "$boot_line
[   20.000000] attest-tpm2: FATAL: stalled"
verdict within-late FAIL "stopped
within:30" "$boot_line
[   31.000000] attest-tpm2: FATAL: stalled"

# The bus log: the good unseal's order, and no Unseal before the cap.
ok_bus=$(printf '%s\n' 'cmd CreatePrimary hierarchy=0x40000007' 'cmd CreatePrimary hierarchy=0x4000000b' \
	'rsp Certify rc=0x0' 'rsp Certify rc=0x0' 'cmd Unseal' 'rsp Unseal rc=0x0')
ok_typed=$(printf '%s\n' "$boot_line" 'ATTEST-TPM2-TEST MARKER marker-1')
verdict unsealed PASS unsealed "$ok_typed" "$ok_bus"
verdict unsealed-early FAIL unsealed "$ok_typed" "$(printf '%s\n' "$ok_bus" | sed '3,4d')"
verdict unsealed-tampered FAIL unsealed "$ok_typed" "$ok_bus
tamper replace-pubkey CreatePrimary"
verdict unsealed-no-bus FAIL unsealed "$ok_typed"
ok_sealed=$(printf '%s\n' "$boot_line" 'attest-tpm2: FATAL: TPM verification FAILED')
tamper_bus=$(printf '%s\n' 'cmd CreatePrimary hierarchy=0x40000001' 'tamper replace-pubkey CreatePrimary' \
	'cmd PCR_Event handles=0x00000007' 'cmd Unseal' 'rsp Unseal rc=0x99d')
verdict sealed-refused PASS "sealed-refused
bus:^tamper" "$ok_sealed" "$tamper_bus"
verdict sealed-refused-unsealed FAIL sealed-refused "$ok_sealed" "$tamper_bus
rsp Unseal rc=0x0"
verdict sealed-refused-before-cap FAIL sealed-refused "$ok_sealed" \
	"$(printf '%s\n' "$tamper_bus" | sed '3d')"
verdict sealed-refused-no-tamper FAIL "sealed-refused
bus:^tamper" "$ok_sealed" "$(printf '%s\n' "$tamper_bus" | grep -v tamper)"
verdict bus-absent FAIL "sealed-refused
!bus:^tamper" "$ok_sealed" "$tamper_bus"

# A case that cannot be read fails rather than stopping the suite.
mkdir -p "$cases/broken"
# shellcheck disable=SC2016 # a variable the case reads and nobody sets
echo 'args=$no_such_variable' > "$cases/broken/boot"
echo stopped > "$cases/broken/expect"
printf '%s\n' "$boot_line" > "$work/broken-fa.log"
report_same "broken: FAIL" FAIL "$(judge t broken:fa | cut -d' ' -f1)"
report_same "broken: still a job" "broken:fa" "$(case_jobs t main fa | tr ' ' '\n' | grep broken)"

report_end
