# shellcheck shell=sh
# shellcheck disable=SC2154,SC2153 # here, WORK and BIN are the test's
# Run the boot policy library (policy/attest-tpm2-lib.sh.in, filled in as
# make install fills it in) against a test's own state: its paths under
# $WORK stand for /run, /etc, /sys and /proc, the program is $BIN (reaching
# a swtpm through TPM2TOOLS_TCTI), and nothing can power this machine off or
# write to its kernel log: poweroff and halt are stubs, sysrq and kmsg plain
# files.
# Expects $here (the tests folder), $WORK and $BIN. $DEVICES, when set, is
# what the library takes for the TPM's device nodes (default: a path that
# does not exist).

# shellcheck source=SCRIPTDIR/gen.sh
. "$here/lib/gen.sh"

# lib CODE: run CODE in a fresh shell that has sourced the library. Sets
# OUT (stdout, stderr, then ATTEST-TEST-RC= and ATTEST-TEST-WHY= lines) and
# RC.
# shellcheck disable=SC2016 # CODE is expanded by that shell, not this one
lib() {
	if [ ! -d "$WORK/stub" ]; then
		mkdir -p "$WORK/stub"
		for _c in poweroff halt; do
			printf '#!/bin/sh\necho "STUB %s $*"\n' "$_c" > "$WORK/stub/$_c"
			chmod +x "$WORK/stub/$_c"
		done
	fi
	if [ ! -r "$WORK/gen/policy/attest-tpm2-lib.sh" ]; then
		gen_templates "$WORK/gen" || return 1
	fi
	rm -f "$WORK/sysrq"
	OUT=$(L=$WORK/gen/policy/attest-tpm2-lib.sh W=$WORK B=$BIN timeout 60 sh -c '
		. "$L"
		PATH=$W/stub:$PATH
		ATTEST_TPM2_SYSRQ=$W/sysrq
		ATTEST_TPM2_KMSG=$W/kmsg
		ATTEST_TPM2_RUN=$W/run
		ATTEST_TPM2_CRYPTTAB=$W/crypttab
		ATTEST_TPM2_SYSTEMD_SRK=$W/systemd-srk
		ATTEST_TPM2_CONF=$W/attest-tpm2.conf
		ATTEST_TPM2_CMDLINE=$W/cmdline
		ATTEST_TPM2_CMDLINE_D=$W/cmdline.d
		ATTEST_TPM2_SYS=$W/sys
		ATTEST_TPM2_MODPROBE_D=$W/modprobe.d
		ATTEST_TPM2_DEVICES=${DEVICES:-$W/no-tpm}
		ATTEST_TPM2_BIN=$B
		eval "$1"
		rc=$?
		echo "ATTEST-TEST-RC=$rc"
		[ -z "${_at_why:-}" ] || echo "ATTEST-TEST-WHY=$_at_why"
	' lib "$1" 2>&1)
	RC=$(printf '%s\n' "$OUT" | sed -n 's/^ATTEST-TEST-RC=//p')
}

# case_rc NAME WANT [REGEX]: the last lib call returned WANT, and its output
# matches REGEX.
case_rc() {
	if [ "$RC" != "$2" ]; then
		fail "$1" "returned $RC, wanted $2: $OUT"
	elif [ -n "${3:-}" ] && ! printf '%s\n' "$OUT" | grep -Eq -e "$3"; then
		fail "$1" "no '$3' in: $OUT"
	else
		pass "$1"
	fi
}
