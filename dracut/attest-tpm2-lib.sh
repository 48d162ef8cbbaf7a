# shellcheck shell=sh
# attest-tpm2-lib.sh: shell logic shared by the dracut module (91attest-tpm2)
# and the initramfs-tools hook and script. Installed as
# /usr/lib/attest-tpm2/attest-tpm2-lib.sh, on the host and in the initramfs.
#
# POSIX sh. Only defines functions and ATTEST_TPM2_* variables: it is sourced
# into dracut's init, where nothing may call "exit".
#
# Build time:  attest_tpm2_build_config; attest_tpm2_build_check
# Boot time:   attest_tpm2_check  (0: boot may go on; 1: stop, nothing unlocked)

ATTEST_TPM2_CONF=/etc/attest-tpm2.conf
# Where the binary lives inside the initramfs.
ATTEST_TPM2_BIN=/usr/bin/attest_tpm2_primary

attest_tpm2_defaults() {
	ATTEST_TPM2_POLICY=enforce
	ATTEST_TPM2_NAME_FILE=/etc/eksign.name
	ATTEST_TPM2_REQUIRE_NULL_NAME=no
	ATTEST_TPM2_DEVICE_WAIT=10
	ATTEST_TPM2_TIMEOUT=30
	ATTEST_TPM2_SRK_PEM=/run/attest-tpm2/srk.pem
	ATTEST_TPM2_BINARY=/usr/bin/attest_tpm2_primary
}

# attest_tpm2_say MESSAGE: one line on the console (stderr) and in the kernel
# log, so that it survives into the journal of the booted system.
attest_tpm2_say() {
	printf 'attest-tpm2: %s\n' "$*" >&2
	if [ -w /dev/kmsg ]; then
		printf '<5>attest-tpm2: %s\n' "$*" > /dev/kmsg 2> /dev/null || :
	fi
}

# attest_tpm2_read_config FILE: take KEY=value lines for the known keys.
# The file is parsed, never executed.
attest_tpm2_read_config() {
	[ -r "$1" ] || return 0
	while IFS= read -r _at_line || [ -n "$_at_line" ]; do
		case "$_at_line" in
		'' | '#'*) continue ;;
		esac
		_at_key=${_at_line%%=*}
		_at_val=${_at_line#*=}
		if [ "$_at_key" = "$_at_line" ]; then
			attest_tpm2_say "$1: ignoring line without '=': $_at_line"
			continue
		fi
		case "$_at_val" in
		\"*\")
			_at_val=${_at_val#\"}
			_at_val=${_at_val%\"}
			;;
		\'*\')
			_at_val=${_at_val#\'}
			_at_val=${_at_val%\'}
			;;
		esac
		case "$_at_key" in
		ATTEST_TPM2_POLICY | ATTEST_TPM2_NAME_FILE | ATTEST_TPM2_REQUIRE_NULL_NAME | \
			ATTEST_TPM2_DEVICE_WAIT | ATTEST_TPM2_TIMEOUT | ATTEST_TPM2_SRK_PEM | \
			ATTEST_TPM2_BINARY | ATTEST_TPM2_CA)
			eval "$_at_key=\$_at_val"
			;;
		*) attest_tpm2_say "$1: ignoring unknown key $_at_key" ;;
		esac
	done < "$1"
}

# attest_tpm2_cmdline: rd.attest_tpm2=enforce|warn|off and
# rd.attest_tpm2.require_null_name[=0|1] from the kernel command line.
attest_tpm2_cmdline() {
	[ -r /proc/cmdline ] || return 0
	read -r _at_cmdline < /proc/cmdline || :
	case $- in
	*f*) _at_noglob=1 ;;
	*) _at_noglob= ;;
	esac
	set -f
	for _at_arg in $_at_cmdline; do
		case "$_at_arg" in
		rd.attest_tpm2=*) ATTEST_TPM2_POLICY=${_at_arg#*=} ;;
		rd.attest_tpm2.require_null_name) ATTEST_TPM2_REQUIRE_NULL_NAME=yes ;;
		rd.attest_tpm2.require_null_name=*) ATTEST_TPM2_REQUIRE_NULL_NAME=${_at_arg#*=} ;;
		esac
	done
	[ -n "$_at_noglob" ] || set +f
}

# attest_tpm2_normalise: validate values; anything unclear fails closed.
attest_tpm2_normalise() {
	case "$ATTEST_TPM2_POLICY" in
	enforce | warn | off) ;;
	*)
		attest_tpm2_say "unknown policy '$ATTEST_TPM2_POLICY', using enforce"
		ATTEST_TPM2_POLICY=enforce
		;;
	esac
	case "$ATTEST_TPM2_REQUIRE_NULL_NAME" in
	no | 0 | false | off | n | '') ATTEST_TPM2_REQUIRE_NULL_NAME=no ;;
	*) ATTEST_TPM2_REQUIRE_NULL_NAME=yes ;;
	esac
	case "$ATTEST_TPM2_DEVICE_WAIT" in
	'' | *[!0-9]*) ATTEST_TPM2_DEVICE_WAIT=10 ;;
	esac
	case "$ATTEST_TPM2_TIMEOUT" in
	'' | *[!0-9]* | 0) ATTEST_TPM2_TIMEOUT=30 ;;
	esac
}

# ---------------------------------------------------------------- build time

attest_tpm2_build_config() {
	attest_tpm2_defaults
	attest_tpm2_read_config "$ATTEST_TPM2_CONF"
	attest_tpm2_normalise
}

# attest_tpm2_build_check: may an image with the check be built? Prints why
# not and returns 1 when the binary or the enrolled name is missing.
attest_tpm2_build_check() {
	if [ ! -x "$ATTEST_TPM2_BINARY" ]; then
		printf '%s\n' "attest-tpm2: $ATTEST_TPM2_BINARY is missing or not executable;" \
			"attest-tpm2: install attest_tpm2_primary or set ATTEST_TPM2_BINARY in $ATTEST_TPM2_CONF" >&2
		return 1
	fi
	if [ -s "$ATTEST_TPM2_NAME_FILE" ]; then
		_at_name=
		read -r _at_name < "$ATTEST_TPM2_NAME_FILE" || :
		case "$_at_name" in
		*[!0-9a-f]*) _at_len=0 ;;
		*) _at_len=${#_at_name} ;;
		esac
		if [ "$_at_len" -ne 68 ]; then
			printf '%s\n' "attest-tpm2: $ATTEST_TPM2_NAME_FILE does not hold a signing-EK name (68 hex digits);" \
				"attest-tpm2: enroll again with: attest_tpm2_primary --eksign > $ATTEST_TPM2_NAME_FILE" >&2
			return 1
		fi
	elif [ "$ATTEST_TPM2_POLICY" != off ]; then
		printf '%s\n' "attest-tpm2: $ATTEST_TPM2_NAME_FILE is missing: this machine's TPM is not enrolled." \
			"attest-tpm2: enroll it once, on this machine, with:" \
			"attest-tpm2:     attest_tpm2_primary --eksign > $ATTEST_TPM2_NAME_FILE" \
			"attest-tpm2: then build the initramfs again (or set ATTEST_TPM2_POLICY=off in $ATTEST_TPM2_CONF)." >&2
		return 1
	fi
	return 0
}

# ----------------------------------------------------------------- boot time

attest_tpm2_find_device() {
	for _at_dev in /dev/tpmrm0 /dev/tpm0; do
		[ -c "$_at_dev" ] && return 0
	done
	return 1
}

# attest_tpm2_tick: wait a tenth of a second (a whole one where sleep only
# takes integers) and count it off _at_ticks, in tenths.
attest_tpm2_tick() {
	if sleep 0.1 2> /dev/null; then
		_at_ticks=$((_at_ticks - 1))
	else
		sleep 1
		_at_ticks=$((_at_ticks - 10))
	fi
}

# attest_tpm2_wait_device: load the usual TPM drivers if no device node is
# there yet, then wait up to ATTEST_TPM2_DEVICE_WAIT seconds for one.
attest_tpm2_wait_device() {
	attest_tpm2_find_device && return 0
	if command -v modprobe > /dev/null 2>&1; then
		modprobe -q tpm_crb 2> /dev/null || :
		modprobe -q tpm_tis 2> /dev/null || :
	fi
	_at_ticks=$((ATTEST_TPM2_DEVICE_WAIT * 10))
	while :; do
		attest_tpm2_find_device && return 0
		[ "$_at_ticks" -gt 0 ] || return 1
		attest_tpm2_tick
	done
}

# attest_tpm2_run ARGS...: run the binary, but stop waiting for it
# ATTEST_TPM2_TIMEOUT + 10 seconds on. The binary bounds itself with
# --timeout; this second bound keeps the boot from waiting on a binary that
# somehow does not. Returns the binary's exit status, or 124 when it was
# abandoned.
attest_tpm2_run() {
	"$ATTEST_TPM2_BIN" "$@" &
	_at_pid=$!
	_at_ticks=$(((ATTEST_TPM2_TIMEOUT + 10) * 10))
	while kill -0 "$_at_pid" 2> /dev/null; do
		if [ "$_at_ticks" -le 0 ]; then
			kill -KILL "$_at_pid" 2> /dev/null
			return 124
		fi
		attest_tpm2_tick
	done
	wait "$_at_pid"
}

# attest_tpm2_check: verify the TPM according to the configuration and the
# kernel command line. Returns 0 when the boot may continue (verified, or the
# policy says so) and 1 when it must stop before any encrypted volume is
# unlocked. Sets ATTEST_TPM2_RERUN to the command for a manual run.
attest_tpm2_check() {
	attest_tpm2_defaults
	attest_tpm2_read_config "$ATTEST_TPM2_CONF"
	attest_tpm2_cmdline
	attest_tpm2_normalise

	if [ "$ATTEST_TPM2_POLICY" = off ]; then
		attest_tpm2_say "policy off: the TPM is not verified"
		return 0
	fi

	set -- --boot --name "$ATTEST_TPM2_NAME_FILE" --file "$ATTEST_TPM2_SRK_PEM" \
		--timeout "$ATTEST_TPM2_TIMEOUT"
	[ "$ATTEST_TPM2_REQUIRE_NULL_NAME" = yes ] && set -- "$@" --require-null-name
	ATTEST_TPM2_RERUN="$ATTEST_TPM2_BIN $*"
	mkdir -p "${ATTEST_TPM2_SRK_PEM%/*}" 2> /dev/null || :

	if attest_tpm2_wait_device; then
		attest_tpm2_run "$@"
		_at_rc=$?
	else
		_at_rc=none
	fi

	case "$_at_rc" in
	0) return 0 ;;
	none) _at_why="no TPM device (/dev/tpmrm0 or /dev/tpm0) appeared within ${ATTEST_TPM2_DEVICE_WAIT}s" ;;
	1) _at_why="TPM verification FAILED: this is not the enrolled TPM, or its answers were altered (interposer?)" ;;
	2) _at_why="cannot read the enrolled name $ATTEST_TPM2_NAME_FILE (missing or malformed)" ;;
	3) _at_why="the TPM is unreachable, failing, or did not answer within ${ATTEST_TPM2_TIMEOUT}s" ;;
	124) _at_why="the TPM stopped answering: $ATTEST_TPM2_BIN did not finish within $((ATTEST_TPM2_TIMEOUT + 10))s" ;;
	*) _at_why="$ATTEST_TPM2_BIN could not run (exit status $_at_rc)" ;;
	esac

	if [ "$ATTEST_TPM2_POLICY" = warn ]; then
		attest_tpm2_say "WARNING: $_at_why"
		attest_tpm2_say "policy warn: continuing the boot with an unverified TPM"
		return 0
	fi
	attest_tpm2_say "FATAL: $_at_why"
	attest_tpm2_say "policy enforce: no encrypted volume will be unlocked"
	attest_tpm2_say "to check again by hand: $ATTEST_TPM2_RERUN"
	return 1
}
