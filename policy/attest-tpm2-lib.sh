# shellcheck shell=sh
# attest-tpm2-lib.sh: the boot policy, shared by every initramfs generator
# (dracut/91attest-tpm2, initramfs-tools/) and by the host-side unlock guard.
# Installed as /usr/lib/attest-tpm2/attest-tpm2-lib.sh, on the host and in
# the initramfs.
#
# POSIX sh (busybox ash, klibc sh, dash). Only defines functions and
# ATTEST_TPM2_* / _at_* variables: it is sourced into dracut's init, where
# nothing may call "exit", and a shell error would kill the boot.
#
# Build time:  attest_tpm2_build_config; attest_tpm2_build_check;
#              attest_tpm2_build_cap_pcrs; attest_tpm2_build_pinned
# Boot time:   attest_tpm2_check  the check; 0: boot may go on, 1: stop
#              attest_tpm2_gate [VOLUME|*]
#                                 before an unlock or switch-root; 0 only with
#                                 proof that this boot's check let it through
#                                 (and the tokens of VOLUME, or of every
#                                 crypttab volume, pin the certified SRK)
#              attest_tpm2_guard  the same, without acting on a refusal
#                                 (initrd, or host after switch-root)
#              attest_tpm2_host_gate VOLUME
#                                 the host's, before a volume opens after
#                                 switch-root
#              attest_tpm2_shell_cap
#                                 before every initramfs shell: PCRs capped,
#                                 or no TPM, or power off
#              attest_tpm2_switch_root_cap
#                                 the same before switch-root, when the
#                                 command line asks for a shell there
#
# The design, in one paragraph: the check leaves a flag, $ATTEST_TPM2_RUN/gate,
# only when the boot may unlock (verified, policy warn/off, or refused with
# the PCRs capped under ON_FAILURE=passphrase). Every unlock path asks the
# gate, so a check that was skipped, killed or died is a refusal. A refusal
# first extends ("caps") the PCRs that TPM-sealed disk keys are bound to, so
# nothing sealed to them can be unsealed again until the next reboot, and is
# sticky: later checks in the same boot ignore warn/off from any source.

ATTEST_TPM2_CONF=/etc/attest-tpm2.conf
# Where the binary lives inside the initramfs.
ATTEST_TPM2_BIN=/usr/bin/attest_tpm2_primary
# State of this boot. /run survives switch-root, so the host's guard sees it.
ATTEST_TPM2_RUN=/run/attest-tpm2
ATTEST_TPM2_CMDLINE=/proc/cmdline
ATTEST_TPM2_SYSRQ=/proc/sysrq-trigger
ATTEST_TPM2_KMSG=/dev/kmsg
# dracut's built-in command line, read before /proc/cmdline as dracut does.
ATTEST_TPM2_CMDLINE_D=/etc/cmdline.d
ATTEST_TPM2_DEVICES="/dev/tpmrm0 /dev/tpm0"
ATTEST_TPM2_SYS=/sys
# Where a boot that found no TPM blocks the TPM drivers (see
# attest_tpm2_block_tpm).
ATTEST_TPM2_MODPROBE_D=/etc/modprobe.d
ATTEST_TPM2_CRYPTTAB=/etc/crypttab
# What systemd-tpm2-setup(-early) read from the TPM as its SRK, if it ran.
ATTEST_TPM2_SYSTEMD_SRK=/run/systemd/tpm2-srk-public-key.tpm2b_public
# What a refusal extends into every PCR it caps: the hash, in each bank, of
# the string "attest-tpm2: boot refused".
ATTEST_TPM2_REFUSAL_SHA1=256fc556971b11dba189b4bde7b2d728531803c4
ATTEST_TPM2_REFUSAL_SHA256=8743322924609175c095e7517a5d6f84b86c64485293e9b4af8691e8049f2fe0
ATTEST_TPM2_REFUSAL_SHA384=df4bedc475497ae450789e08749982c9eb3b971aee5bbb1d048839e7b4b5bc297bbc93c10b324c2ec55dfaf64231688d
ATTEST_TPM2_REFUSAL_SHA512=475f7e8eb7aecb82c242c9c3044ebdcca0cfd6e026fdb7377a0d3153d9bebf400ee1200e80122ee79fa39b80f1ce227882f267be83e3d85c372f236b5503a7e5
# What an unusable ATTEST_TPM2_CAP_PCRS falls back to: every PCR that
# locality 0 may extend, since capping too many costs nothing in a refused
# boot and capping too few could leave a sealed key reachable.
ATTEST_TPM2_CAP_ALL=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23

attest_tpm2_defaults() {
	ATTEST_TPM2_POLICY=enforce
	ATTEST_TPM2_NAME_FILE=/etc/eksign.name
	ATTEST_TPM2_REQUIRE_NULL_NAME=no
	ATTEST_TPM2_DEVICE_WAIT=10
	ATTEST_TPM2_TIMEOUT=30
	ATTEST_TPM2_SRK_PEM=/run/attest-tpm2/srk.pem
	ATTEST_TPM2_BINARY=/usr/bin/attest_tpm2_primary
	ATTEST_TPM2_ON_FAILURE=passphrase
	ATTEST_TPM2_LOCK=no
	ATTEST_TPM2_CAP_PCRS=
	ATTEST_TPM2_HALT_DELAY=30
	ATTEST_TPM2_REQUIRE_PINNED=no
	# Command-line settings that ATTEST_TPM2_LOCK made us ignore.
	ATTEST_TPM2_IGNORED=
}

# attest_tpm2_say MESSAGE: one line on the console (stderr) and in the kernel
# log, so that it survives into the journal of the booted system.
attest_tpm2_say() {
	printf 'attest-tpm2: %s\n' "$*" >&2
	if [ -w "$ATTEST_TPM2_KMSG" ]; then
		# A refusal is an error for the journal and for loglevel= too.
		case "$*" in
		FATAL:*) _at_prio=3 ;;
		WARNING:*) _at_prio=4 ;;
		*) _at_prio=5 ;;
		esac
		printf '<%s>attest-tpm2: %s\n' "$_at_prio" "$*" > "$ATTEST_TPM2_KMSG" 2> /dev/null || :
	fi
}

# ------------------------------------------------------------------ parsing
# Every value is checked as a string before it reaches $((...)) or [ -lt ]:
# "08" is a fatal arithmetic error in ash, klibc sh and dash, and a fatal
# error in a boot script is a check that never ran.

# attest_tpm2_uint VALUE MAX: VALUE is a decimal integer from 0 to MAX in
# canonical form: digits only, no sign, no leading zero, at most 6 digits
# (so that no shell's arithmetic can overflow on it).
attest_tpm2_uint() {
	case "$1" in
	'' | *[!0-9]* | 0?*) return 1 ;;
	esac
	[ "${#1}" -le 6 ] && [ "$1" -le "$2" ]
}

# attest_tpm2_bool VALUE: prints yes or no; returns 1 (printing nothing) when
# VALUE is not one of the words below.
attest_tpm2_bool() {
	case "$1" in
	yes | 1 | true | on) echo yes ;;
	no | 0 | false | off) echo no ;;
	*) return 1 ;;
	esac
}

# attest_tpm2_pcr_list VALUE: VALUE is a comma-separated list of PCRs that
# locality 0 can extend (0-16 and 23), each canonical and once: the
# binary's grammar (src/pcr_list.c), so that every list accepted here can
# be capped.
attest_tpm2_pcr_list() {
	case "$1" in
	'' | ,* | *, | *,,*) return 1 ;;
	esac
	_at_rest=$1,
	_at_seen=,
	while [ -n "$_at_rest" ]; do
		_at_p=${_at_rest%%,*}
		attest_tpm2_uint "$_at_p" 23 || return 1
		case "$_at_p" in 17 | 18 | 19 | 20 | 21 | 22) return 1 ;; esac
		case "$_at_seen" in *,"$_at_p",*) return 1 ;; esac
		_at_seen="$_at_seen$_at_p,"
		_at_rest=${_at_rest#*,}
	done
	return 0
}

# attest_tpm2_path VALUE: an absolute path of plain characters (it ends up on
# a command line and in messages).
attest_tpm2_path() {
	case "$1" in
	/*) ;;
	*) return 1 ;;
	esac
	case "$1" in
	*[!A-Za-z0-9._/+-]* | */../* | */..) return 1 ;;
	esac
	return 0
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
			ATTEST_TPM2_BINARY | ATTEST_TPM2_CA | ATTEST_TPM2_ON_FAILURE | \
			ATTEST_TPM2_LOCK | ATTEST_TPM2_CAP_PCRS | ATTEST_TPM2_HALT_DELAY | \
			ATTEST_TPM2_REQUIRE_PINNED)
			# The key is one of the literal names above: eval only assigns.
			eval "$_at_key=\$_at_val"
			;;
		*) attest_tpm2_say "$1: ignoring unknown key $_at_key" ;;
		esac
	done < "$1"
}

# attest_tpm2_cmdline: rd.attest_tpm2=enforce|warn|off and
# rd.attest_tpm2.require_null_name[=0|1] from the kernel command line. With
# ATTEST_TPM2_LOCK=yes in the image's config, settings that weaken the check
# are ignored and remembered in ATTEST_TPM2_IGNORED; settings that strengthen
# it still apply. Call after the config is read and normalised.
attest_tpm2_cmdline() {
	_at_cmdline=
	for _at_f in "$ATTEST_TPM2_CMDLINE_D"/*.conf; do
		[ -r "$_at_f" ] || continue
		while IFS= read -r _at_l || [ -n "$_at_l" ]; do
			_at_cmdline="$_at_cmdline $_at_l"
		done < "$_at_f"
	done
	if [ -r "$ATTEST_TPM2_CMDLINE" ]; then
		_at_l=
		read -r _at_l < "$ATTEST_TPM2_CMDLINE" || :
		_at_cmdline="$_at_cmdline $_at_l"
	fi
	case $- in
	*f*) _at_noglob=1 ;;
	*) _at_noglob= ;;
	esac
	set -f
	for _at_arg in $_at_cmdline; do
		case "$_at_arg" in
		rd.attest_tpm2=*)
			_at_val=${_at_arg#*=}
			case "$_at_val" in
			enforce) ATTEST_TPM2_POLICY=enforce ;;
			warn | off)
				if [ "$ATTEST_TPM2_LOCK" = yes ] && [ "$ATTEST_TPM2_POLICY" != "$_at_val" ] &&
					{ [ "$ATTEST_TPM2_POLICY" = enforce ] || [ "$_at_val" = off ]; }; then
					ATTEST_TPM2_IGNORED="$ATTEST_TPM2_IGNORED $_at_arg"
				else
					ATTEST_TPM2_POLICY=$_at_val
				fi
				;;
			*)
				attest_tpm2_say "kernel command line: unknown policy '$_at_val', using enforce"
				ATTEST_TPM2_POLICY=enforce
				;;
			esac
			;;
		rd.attest_tpm2.require_null_name) ATTEST_TPM2_REQUIRE_NULL_NAME=yes ;;
		rd.attest_tpm2.require_null_name=*)
			if _at_val=$(attest_tpm2_bool "${_at_arg#*=}"); then
				if [ "$_at_val" = no ] && [ "$ATTEST_TPM2_LOCK" = yes ] &&
					[ "$ATTEST_TPM2_REQUIRE_NULL_NAME" = yes ]; then
					ATTEST_TPM2_IGNORED="$ATTEST_TPM2_IGNORED $_at_arg"
				else
					ATTEST_TPM2_REQUIRE_NULL_NAME=$_at_val
				fi
			else
				attest_tpm2_say "kernel command line: '$_at_arg' is not yes or no, requiring null_name"
				ATTEST_TPM2_REQUIRE_NULL_NAME=yes
			fi
			;;
		esac
	done
	[ -n "$_at_noglob" ] || set +f
	ATTEST_TPM2_IGNORED=${ATTEST_TPM2_IGNORED# }
}

# attest_tpm2_normalise: validate every value; anything unclear is replaced by
# the value that checks the most, with a message.
attest_tpm2_normalise() {
	case "$ATTEST_TPM2_POLICY" in
	enforce | warn | off) ;;
	*)
		attest_tpm2_say "unknown policy '$ATTEST_TPM2_POLICY', using enforce"
		ATTEST_TPM2_POLICY=enforce
		;;
	esac
	if ! ATTEST_TPM2_REQUIRE_NULL_NAME=$(attest_tpm2_bool "$ATTEST_TPM2_REQUIRE_NULL_NAME"); then
		attest_tpm2_say "ATTEST_TPM2_REQUIRE_NULL_NAME is not yes or no, using yes"
		ATTEST_TPM2_REQUIRE_NULL_NAME=yes
	fi
	if ! ATTEST_TPM2_REQUIRE_PINNED=$(attest_tpm2_bool "$ATTEST_TPM2_REQUIRE_PINNED"); then
		attest_tpm2_say "ATTEST_TPM2_REQUIRE_PINNED is not yes or no, using yes"
		ATTEST_TPM2_REQUIRE_PINNED=yes
	fi
	if ! ATTEST_TPM2_LOCK=$(attest_tpm2_bool "$ATTEST_TPM2_LOCK"); then
		attest_tpm2_say "ATTEST_TPM2_LOCK is not yes or no, using yes"
		ATTEST_TPM2_LOCK=yes
	fi
	# Both bounded so that the whole check (DEVICE_WAIT, TIMEOUT and 10 s
	# more for the binary, 10 s for the cap) ends within the 180 s that
	# attest-tpm2.service gives it: killed there, it would cap nothing.
	if ! attest_tpm2_uint "$ATTEST_TPM2_DEVICE_WAIT" 60; then
		attest_tpm2_say "ATTEST_TPM2_DEVICE_WAIT '$ATTEST_TPM2_DEVICE_WAIT' is not a number of seconds (0-60), using 10"
		ATTEST_TPM2_DEVICE_WAIT=10
	fi
	if ! attest_tpm2_uint "$ATTEST_TPM2_TIMEOUT" 90 || [ "$ATTEST_TPM2_TIMEOUT" = 0 ]; then
		attest_tpm2_say "ATTEST_TPM2_TIMEOUT '$ATTEST_TPM2_TIMEOUT' is not a number of seconds (1-90), using 30"
		ATTEST_TPM2_TIMEOUT=30
	fi
	if ! attest_tpm2_uint "$ATTEST_TPM2_HALT_DELAY" 600; then
		attest_tpm2_say "ATTEST_TPM2_HALT_DELAY '$ATTEST_TPM2_HALT_DELAY' is not a number of seconds (0-600), using 30"
		ATTEST_TPM2_HALT_DELAY=30
	fi
	case "$ATTEST_TPM2_ON_FAILURE" in
	passphrase | halt | shell) ;;
	*)
		attest_tpm2_say "unknown ATTEST_TPM2_ON_FAILURE '$ATTEST_TPM2_ON_FAILURE', using passphrase"
		ATTEST_TPM2_ON_FAILURE=passphrase
		;;
	esac
	# Empty: the build computed no set and the config names none.
	if [ -z "$ATTEST_TPM2_CAP_PCRS" ]; then
		ATTEST_TPM2_CAP_PCRS=7
	elif ! attest_tpm2_pcr_list "$ATTEST_TPM2_CAP_PCRS"; then
		attest_tpm2_say "ATTEST_TPM2_CAP_PCRS '$ATTEST_TPM2_CAP_PCRS' is not a list of PCRs (0-16 or 23, each once), capping $ATTEST_TPM2_CAP_ALL"
		ATTEST_TPM2_CAP_PCRS=$ATTEST_TPM2_CAP_ALL
	fi
	if ! attest_tpm2_path "$ATTEST_TPM2_NAME_FILE"; then
		attest_tpm2_say "ATTEST_TPM2_NAME_FILE '$ATTEST_TPM2_NAME_FILE' is not a plain absolute path, using /etc/eksign.name"
		ATTEST_TPM2_NAME_FILE=/etc/eksign.name
	fi
	if ! attest_tpm2_path "$ATTEST_TPM2_SRK_PEM"; then
		attest_tpm2_say "ATTEST_TPM2_SRK_PEM '$ATTEST_TPM2_SRK_PEM' is not a plain absolute path, using /run/attest-tpm2/srk.pem"
		ATTEST_TPM2_SRK_PEM=/run/attest-tpm2/srk.pem
	fi
	if ! attest_tpm2_path "$ATTEST_TPM2_BINARY"; then
		attest_tpm2_say "ATTEST_TPM2_BINARY '$ATTEST_TPM2_BINARY' is not a plain absolute path, using /usr/bin/attest_tpm2_primary"
		ATTEST_TPM2_BINARY=/usr/bin/attest_tpm2_primary
	fi
}

# attest_tpm2_load: the settings for this boot: defaults, the config, the
# kernel command line (honouring ATTEST_TPM2_LOCK), all validated. After a
# refusal in this boot, the settings it was refused with, and enforce: the
# config and the command line are not read again, so that editing the
# config from a recovery shell and retrying changes nothing.
attest_tpm2_load() {
	attest_tpm2_defaults
	if [ -e "$ATTEST_TPM2_RUN/refused" ]; then
		attest_tpm2_read_config "$ATTEST_TPM2_RUN/refused"
		attest_tpm2_normalise
		ATTEST_TPM2_POLICY=enforce
		attest_tpm2_say "this boot was refused earlier: the settings it was refused with hold until the next boot ($ATTEST_TPM2_CONF and the kernel command line are not read again)"
		return 0
	fi
	attest_tpm2_read_config "$ATTEST_TPM2_CONF"
	attest_tpm2_normalise
	attest_tpm2_cmdline
}

# ---------------------------------------------------------------- build time

# attest_tpm2_build_config [SYSROOT]: the host's settings, read from the
# image's future root (dracut's $dracutsysrootdir) when given.
attest_tpm2_build_config() {
	attest_tpm2_defaults
	attest_tpm2_read_config "${1:-}$ATTEST_TPM2_CONF"
	# Empty means "compute it": remember that before normalising to 7.
	_at_cap_configured=$ATTEST_TPM2_CAP_PCRS
	attest_tpm2_normalise
}

# attest_tpm2_build_check [SYSROOT]: may an image with the check be built?
# 0: yes. 2: this machine is not enrolled (no name file): the image is built
# without the check, after one warning line that says how to enroll, so that
# no kernel upgrade fails before enrollment. 1: enrolled, but the name file
# cannot be read or holds no name, or the binary is missing: the build must
# fail, since a silently missing check is worse than a failed build.
attest_tpm2_build_check() {
	_at_nf=${1:-}$ATTEST_TPM2_NAME_FILE
	if [ ! -e "$_at_nf" ] && [ ! -L "$_at_nf" ]; then
		printf '%s\n' "attest-tpm2: WARNING: this machine's TPM is not enrolled ($ATTEST_TPM2_NAME_FILE is missing), so this initramfs has no TPM check; enroll with: attest-tpm2-enroll, then rebuild the initramfs" >&2
		return 2
	fi
	_at_name=
	if [ ! -f "$_at_nf" ] || [ ! -r "$_at_nf" ] || ! read -r _at_name < "$_at_nf"; then
		printf '%s\n' "attest-tpm2: $ATTEST_TPM2_NAME_FILE cannot be read;" \
			"attest-tpm2: enroll again with: attest-tpm2-enroll" >&2
		return 1
	fi
	case "$_at_name" in
	*[!0-9a-f]*) _at_len=0 ;;
	*) _at_len=${#_at_name} ;;
	esac
	if [ "$_at_len" -ne 68 ]; then
		printf '%s\n' "attest-tpm2: $ATTEST_TPM2_NAME_FILE does not hold a signing-EK name (68 hex digits);" \
			"attest-tpm2: enroll again with: attest-tpm2-enroll" >&2
		return 1
	fi
	if [ ! -x "${1:-}$ATTEST_TPM2_BINARY" ]; then
		printf '%s\n' "attest-tpm2: $ATTEST_TPM2_BINARY is missing or not executable;" \
			"attest-tpm2: install attest_tpm2_primary or set ATTEST_TPM2_BINARY in $ATTEST_TPM2_CONF" >&2
		return 1
	fi
	return 0
}

# attest_tpm2_host_tpm_modules: the kernel modules of the drivers between
# this host's TPM and the CPU (tpm_tis_spi and its SPI controller, an I2C
# adapter, ...), read from sysfs when the image is built, so that the image
# can reach the chip even when hostonly keeps only loaded modules.
attest_tpm2_host_tpm_modules() {
	for _at_d in /sys/class/tpm/tpm*/device; do
		[ -e "$_at_d" ] || continue
		_at_p=$(readlink -f "$_at_d") || continue
		while [ -n "$_at_p" ] && [ "$_at_p" != /sys/devices ] && [ "$_at_p" != / ]; do
			if [ -e "$_at_p/driver/module" ]; then
				_at_m=$(readlink -f "$_at_p/driver/module")
				echo "${_at_m##*/}"
			fi
			_at_p=${_at_p%/*}
		done
	done | sort -u
}

# The volume decision is the binary's (attest_tpm2_primary --volumes): it
# reads the LUKS2 headers itself, resolves each volume's device the way the
# unlock does, and knows every token kind. What follows only asks it.

# attest_tpm2_volume_tpm CRYPTTAB [NAME]: 1 only when the volume NAME (or,
# without NAME, every volume of CRYPTTAB and of rd.luks.*, at least one)
# certainly has nothing a TPM unseals: a passphrase, key-file or FIDO2
# volume, swap keyed from /dev/urandom. 0 otherwise, a volume that cannot
# be resolved and a binary that cannot run included. Gates refuse only
# volumes for which this returns 0.
attest_tpm2_volume_tpm() {
	"$ATTEST_TPM2_BIN" --volumes "$1" ${2:+"$2"} > /dev/null 2>&1 && return 1
	return 0
}

# attest_tpm2_srk_consistent [VOLUME]: after a verified check, what else
# speaks for the SRK must name the one certified: systemd's SRK file, when
# systemd-tpm2-setup wrote one, and the pin of every TPM token of VOLUME
# (or of every volume whose device is there). Returns 1 with the reason in
# _at_why on a mismatch, or when a volume cannot be resolved. A TPM unlock
# that pins no SRK (clevis, systemd before 255) is let through with a
# warning, unless ATTEST_TPM2_REQUIRE_PINNED=yes: its unseal crosses the bus
# in clear and trusts the SRK the TPM reports then.
attest_tpm2_srk_consistent() {
	_at_why=
	_at_ours=$ATTEST_TPM2_RUN/srk.tpm2b_public
	if [ -e "$ATTEST_TPM2_SYSTEMD_SRK" ] && ! cmp -s "$ATTEST_TPM2_SYSTEMD_SRK" "$_at_ours"; then
		_at_why="the SRK systemd read from the TPM ($ATTEST_TPM2_SYSTEMD_SRK) is not the certified one (interposer?)"
		return 1
	fi
	set -- --volumes "$ATTEST_TPM2_CRYPTTAB" --srk "$_at_ours" ${1:+"$1"}
	[ "${ATTEST_TPM2_REQUIRE_PINNED:-no}" = no ] || set -- "$@" --require-pinned
	_at_vout=$("$ATTEST_TPM2_BIN" "$@" 2> "$ATTEST_TPM2_RUN/volumes.err")
	_at_vrc=$?
	while read -r _at_vn _at_vk _at_vp _at_vpin _at_vdev; do
		[ "$_at_vpin" = unpinned ] || continue
		attest_tpm2_say "WARNING: the TPM unlock of $_at_vn ($_at_vdev, PCRs $_at_vp) pins no SRK: its unseal trusts the TPM's answer then (re-enroll with attest-tpm2-enroll --luks, or set ATTEST_TPM2_REQUIRE_PINNED=yes to refuse it)"
	done << EOF
$_at_vout
EOF
	[ "$_at_vrc" = 0 ] && return 0
	_at_why=
	read -r _at_why < "$ATTEST_TPM2_RUN/volumes.err" 2> /dev/null || :
	_at_why=${_at_why#*: }
	[ -n "$_at_why" ] || _at_why="$ATTEST_TPM2_BIN --volumes could not decide (exit status $_at_vrc)"
	return 1
}

# attest_tpm2_volume_unbound [VOLUME]: 0 when the TPM unlock of VOLUME (or
# of any volume) depends on no PCR, or when that cannot be ruled out: no cap
# stops such an unseal.
attest_tpm2_volume_unbound() {
	# Pure shell: classic dracut images carry no grep. The table ends with
	# its cap line (two words: a volume may be called "cap" too); a binary
	# that died before it has ruled nothing out.
	while read -r _at_vn _at_vk _at_rest; do
		[ "$_at_vn" != cap ] || [ -n "$_at_rest" ] || return 1
		case "$_at_vk" in unbound | unresolved) return 0 ;; esac
	done << EOF
$("$ATTEST_TPM2_BIN" --volumes "$ATTEST_TPM2_CRYPTTAB" ${1:+"$1"} 2> /dev/null)
EOF
	return 0
}

# attest_tpm2_unbind_tpm: take every TPM chip from its driver for the rest
# of this boot and keep its drivers from loading again. For a refused boot
# that goes on to a volume whose TPM unlock no cap can stop. 0 when no TPM
# is left.
attest_tpm2_unbind_tpm() {
	for _at_d in "$ATTEST_TPM2_SYS"/class/tpm/tpm*/device; do
		[ -e "$_at_d/driver/unbind" ] || continue
		_at_dev=$(cd "$_at_d" 2> /dev/null && pwd -P)
		echo "${_at_dev##*/}" > "$_at_d/driver/unbind" 2> /dev/null || :
	done
	attest_tpm2_block_tpm
	[ -z "$(attest_tpm2_tpm_present)" ]
}

# attest_tpm2_capped_unbound VOLUME|*: in a refused boot that goes on for
# passphrases (gate "capped"), before VOLUME opens: an unlock of it bound
# to no PCR would still unseal, so the TPM is taken away first; a TPM that
# cannot be taken away powers off (never returns).
attest_tpm2_capped_unbound() {
	_at_u=$1
	[ "$_at_u" != "*" ] || _at_u=
	attest_tpm2_volume_unbound "$_at_u" || return 0
	if attest_tpm2_unbind_tpm; then
		attest_tpm2_say "a TPM unlock bound to no PCR${_at_u:+ ($_at_u)}: the TPM is taken from its driver until reboot; passphrases still unlock"
		return 0
	fi
	attest_tpm2_load
	attest_tpm2_halt "a TPM unlock bound to no PCR${_at_u:+ ($_at_u)}, and the TPM could not be taken away after a refused check"
}

# attest_tpm2_capped_volume VOLUME|*: in a refused boot that goes on for
# passphrases (gate "capped"), before VOLUME opens, now that its device is
# there: cap again, with what its tokens are sealed to read now (a volume
# the image build and the check could not see), then take the TPM away if
# an unlock of it is bound to no PCR. A TPM that takes neither powers off.
attest_tpm2_capped_volume() {
	attest_tpm2_load
	if [ -n "$(attest_tpm2_tpm_present)" ] && ! attest_tpm2_cap; then
		attest_tpm2_halt "the TPM could not be capped before $1 opens in a refused boot"
	fi
	attest_tpm2_capped_unbound "$1"
}

# attest_tpm2_build_cap_pcrs [CRYPTTAB]: after attest_tpm2_build_config,
# print the PCRs a refusal must cap, comma-separated: ATTEST_TPM2_CAP_PCRS
# when the config sets it, else what the binary works out from the volumes'
# tokens (the union of the PCRs their sealings depend on, every PCR for a
# token it cannot read, 7 when none is sealed yet), else every PCR.
attest_tpm2_build_cap_pcrs() {
	if [ -n "${_at_cap_configured:-}" ]; then
		echo "$ATTEST_TPM2_CAP_PCRS"
		return 0
	fi
	# Its status says whether TPM unlocks exist; only the cap line counts.
	_at_found=$("$ATTEST_TPM2_BINARY" --volumes "${1:-$ATTEST_TPM2_CRYPTTAB}" 2> /dev/null |
		sed -n 's/^cap //p')
	attest_tpm2_pcr_list "$_at_found" || _at_found=$ATTEST_TPM2_CAP_ALL
	echo "$_at_found"
}

# attest_tpm2_build_pinned [CRYPTTAB]: 0 unless ATTEST_TPM2_REQUIRE_PINNED
# is yes and a volume has a TPM unlock that pins no SRK; then 1, with the
# volumes named on stderr, and the image must not be built.
attest_tpm2_build_pinned() {
	[ "$ATTEST_TPM2_REQUIRE_PINNED" = yes ] || return 0
	# shellcheck disable=SC2034 # only the name and the pin are needed
	_at_bad=$("$ATTEST_TPM2_BINARY" --volumes "${1:-$ATTEST_TPM2_CRYPTTAB}" 2> /dev/null |
		while read -r _at_vn _at_vk _at_vp _at_vpin _at_vdev; do
			[ "$_at_vpin" != unpinned ] || printf ' %s' "$_at_vn"
		done)
	[ -n "$_at_bad" ] || return 0
	printf '%s\n' "attest-tpm2: ATTEST_TPM2_REQUIRE_PINNED=yes, and the TPM unlock of these volumes pins no SRK:$_at_bad;" \
		"attest-tpm2: re-enroll them with attest-tpm2-enroll --luks, or set ATTEST_TPM2_REQUIRE_PINNED=no" >&2
	return 1
}

# ----------------------------------------------------------------- boot time

attest_tpm2_find_device() {
	for _at_dev in $ATTEST_TPM2_DEVICES; do
		[ -c "$_at_dev" ] && return 0
	done
	return 1
}

# attest_tpm2_tick: wait and count the wait off _at_ticks, in hundredths of
# a second. The first _at_fast waits are a hundredth each, so that a device
# or a verdict that is there at once costs little more than its own time;
# then a tenth each, so that forking sleep does not stretch a long wait by
# much; a whole second where sleep only takes integers.
attest_tpm2_tick() {
	if [ "$_at_fast" -gt 0 ] && sleep 0.01 2> /dev/null; then
		_at_fast=$((_at_fast - 1))
		_at_ticks=$((_at_ticks - 1))
	elif sleep 0.1 2> /dev/null; then
		_at_ticks=$((_at_ticks - 10))
	else
		sleep 1
		_at_ticks=$((_at_ticks - 100))
	fi
}

# attest_tpm2_wait_device: load the usual TPM drivers if no device node is
# there yet, then wait up to ATTEST_TPM2_DEVICE_WAIT seconds for one.
attest_tpm2_wait_device() {
	attest_tpm2_find_device && return 0
	if command -v modprobe > /dev/null 2>&1; then
		# Every TPM driver in the image (TIS, CRB, SPI, I2C, firmware
		# TPMs): a chip that none of them claims is a refused boot. In the
		# background: a driver's probe waits on the chip, and a chip that
		# does not answer must not hold the boot past DEVICE_WAIT.
		_at_kv=
		read -r _at_kv < /proc/sys/kernel/osrelease 2> /dev/null || :
		(
			for _at_m in /lib/modules/"$_at_kv"/kernel/drivers/char/tpm/*.ko* \
				/lib/modules/"$_at_kv"/kernel/drivers/char/tpm/*/*.ko*; do
				[ -e "$_at_m" ] || continue
				_at_m=${_at_m##*/}
				modprobe -q "${_at_m%%.ko*}" || :
			done
			modprobe -q tpm_crb || :
			modprobe -q tpm_tis || :
		) < /dev/null > /dev/null 2>&1 &
	fi
	_at_ticks=$((ATTEST_TPM2_DEVICE_WAIT * 100))
	_at_fast=20
	while :; do
		attest_tpm2_find_device && return 0
		[ "$_at_ticks" -gt 0 ] || return 1
		attest_tpm2_tick
	done
}

# attest_tpm2_bounded SECONDS CMD ARGS...: run CMD, but stop waiting for it
# after SECONDS. Returns its exit status, or 124 when it was abandoned (a
# process stuck in a hung TPM driver cannot be killed before the driver
# gives up, so it is not waited for).
attest_tpm2_bounded() {
	_at_ticks=$(($1 * 100))
	_at_fast=50
	shift
	"$@" &
	_at_pid=$!
	while kill -0 "$_at_pid" 2> /dev/null; do
		if [ "$_at_ticks" -le 0 ]; then
			kill -KILL "$_at_pid" 2> /dev/null
			return 124
		fi
		attest_tpm2_tick
	done
	wait "$_at_pid"
}

# attest_tpm2_run ARGS...: run the binary. It bounds itself with --timeout;
# the 10 more seconds here keep the boot from waiting on one that does not.
attest_tpm2_run() {
	attest_tpm2_bounded $((ATTEST_TPM2_TIMEOUT + 10)) "$ATTEST_TPM2_BIN" "$@"
}

# attest_tpm2_pcrextend_args BANKS: tpm2_pcrextend's arguments that extend
# every PCR in ATTEST_TPM2_CAP_PCRS, in each of BANKS (space-separated), with
# the refusal digest.
attest_tpm2_pcrextend_args() {
	_at_digests=
	for _at_bank in $1; do
		case "$_at_bank" in
		sha1) _at_d=$ATTEST_TPM2_REFUSAL_SHA1 ;;
		sha256) _at_d=$ATTEST_TPM2_REFUSAL_SHA256 ;;
		sha384) _at_d=$ATTEST_TPM2_REFUSAL_SHA384 ;;
		sha512) _at_d=$ATTEST_TPM2_REFUSAL_SHA512 ;;
		esac
		_at_digests="$_at_digests,$_at_bank=$_at_d"
	done
	_at_digests=${_at_digests#,}
	_at_rest=$ATTEST_TPM2_CAP_PCRS,
	_at_args=
	while [ -n "$_at_rest" ]; do
		_at_args="$_at_args ${_at_rest%%,*}:$_at_digests"
		_at_rest=${_at_rest#*,}
	done
	echo "$_at_args"
}

# attest_tpm2_cap: extend every PCR in ATTEST_TPM2_CAP_PCRS, in every
# allocated bank, with the refusal digest. Returns 0 only when that was done.
# The binary does it itself (--cap-pcrs); an image without that feature but
# with tpm2-tools (clevis and tpm2-initramfs-tool images have them) uses
# tpm2_pcrextend. A digest for a bank the TPM has not allocated is ignored
# by the TPM; one for an algorithm it does not implement fails the command,
# hence the fallbacks from four banks down to SHA-256 alone.
attest_tpm2_cap() {
	attest_tpm2_find_device || return 1
	attest_tpm2_boot_cap_pcrs
	# A few PCR_Extend commands take milliseconds; a TPM that has not
	# answered in 10 s will not, and the boot is being refused anyway.
	_at_t=10
	[ "$ATTEST_TPM2_TIMEOUT" -ge 10 ] || _at_t=$ATTEST_TPM2_TIMEOUT
	attest_tpm2_bounded "$_at_t" "$ATTEST_TPM2_BIN" --cap-pcrs "$ATTEST_TPM2_CAP_PCRS" \
		--timeout "$_at_t" 2> /dev/null
	case $? in
	0) return 0 ;;
	# No TPM or no answer: tpm2_pcrextend would not get one either.
	3 | 124) return 1 ;;
	esac
	command -v tpm2_pcrextend > /dev/null 2>&1 || return 1
	for _at_dev in $ATTEST_TPM2_DEVICES; do
		[ -c "$_at_dev" ] && break
	done
	export TPM2TOOLS_TCTI="device:$_at_dev" TSS2_LOG=all+none
	for _at_banks in "sha1 sha256 sha384 sha512" "sha1 sha256" "sha256"; do
		# shellcheck disable=SC2046 # one argument per PCR
		attest_tpm2_bounded "$_at_t" tpm2_pcrextend \
			$(attest_tpm2_pcrextend_args "$_at_banks") > /dev/null 2>&1
		case $? in
		0) return 0 ;;
		# Abandoned: the TPM does not answer, trying smaller sets is useless.
		124) return 1 ;;
		esac
	done
	return 1
}

# attest_tpm2_boot_cap_pcrs: add to ATTEST_TPM2_CAP_PCRS (what the image
# build worked out) what the volumes there now are sealed to, as the binary
# reads them: a volume the build could not see (given by rd.luks.uuid=, a
# disk plugged in since) is capped too. Capping more costs a refused boot
# nothing.
attest_tpm2_boot_cap_pcrs() {
	_at_more=
	# shellcheck disable=SC2034 # only the cap line is needed
	while read -r _at_w _at_l _at_rest; do
		[ "$_at_w" != cap ] || _at_more=$_at_l
	done << EOF
$("$ATTEST_TPM2_BIN" --volumes "$ATTEST_TPM2_CRYPTTAB" 2> /dev/null)
EOF
	attest_tpm2_pcr_list "$_at_more" || return 0
	_at_all=
	for _at_p in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 23; do
		case ",$ATTEST_TPM2_CAP_PCRS,$_at_more," in
		*,"$_at_p",*) _at_all="$_at_all,$_at_p" ;;
		esac
	done
	ATTEST_TPM2_CAP_PCRS=${_at_all#,}
}

# attest_tpm2_gate_write WORD: record that this boot may unlock, and why
# (verified, warn, off or capped). Written to a temporary file and renamed,
# so that a killed writer leaves no partial flag.
attest_tpm2_gate_write() {
	mkdir -p "$ATTEST_TPM2_RUN" 2> /dev/null || :
	{ printf '%s\n' "$1" > "$ATTEST_TPM2_RUN/gate.new" &&
		mv -f "$ATTEST_TPM2_RUN/gate.new" "$ATTEST_TPM2_RUN/gate"; } 2> /dev/null
}

# attest_tpm2_gate_clear: no flag until a new verdict. Emptied rather than
# removed: a klibc-only initramfs has no rm.
attest_tpm2_gate_clear() {
	mkdir -p "$ATTEST_TPM2_RUN" 2> /dev/null || :
	if [ -e "$ATTEST_TPM2_RUN/gate" ]; then
		: > "$ATTEST_TPM2_RUN/gate"
	fi
}

# attest_tpm2_guard initrd|host: 0 when this boot's check left the flag that lets
# unlocking go on. With "host" (after switch-root, from the host's
# systemd-cryptsetup@ drop-in), the host's own config may also say warn or
# off: an initramfs without the check then does not lock the host out.
attest_tpm2_guard() {
	_at_gate=
	_at_why="no record of a passed TPM check in this boot ($ATTEST_TPM2_RUN/gate): it was skipped, killed or crashed"
	[ "$1" != host ] || _at_why="no record of a passed TPM check in this boot ($ATTEST_TPM2_RUN/gate): its initramfs had no check (built before enrollment? run attest-tpm2-enroll --rebuild), or the check was skipped, killed or crashed"
	[ -r "$ATTEST_TPM2_RUN/gate" ] && read -r _at_gate < "$ATTEST_TPM2_RUN/gate"
	case "$_at_gate" in
	verified | warn | off | capped) return 0 ;;
	notpm)
		attest_tpm2_late_tpm && return 0
		return 1
		;;
	esac
	if [ "$1" = host ] && [ ! -e "$ATTEST_TPM2_RUN/refused" ]; then
		attest_tpm2_defaults
		attest_tpm2_read_config "$ATTEST_TPM2_CONF"
		attest_tpm2_normalise
		case "$ATTEST_TPM2_POLICY" in
		warn | off) return 0 ;;
		esac
		# Not enrolled on this host: the package is installed but not in
		# use, and no initramfs of this machine checks anything.
		if [ ! -e "$ATTEST_TPM2_NAME_FILE" ] && [ ! -L "$ATTEST_TPM2_NAME_FILE" ]; then
			_at_gate=unenrolled
			return 0
		fi
	fi
	return 1
}

# attest_tpm2_late_tpm: this boot found no TPM and went on for passphrases
# (gate "notpm"). If a TPM has appeared since, cap it before anything can
# unseal from it; 0 when there is still none, or it is capped now.
attest_tpm2_late_tpm() {
	[ -n "$(attest_tpm2_tpm_present)" ] || return 0
	attest_tpm2_load
	if attest_tpm2_cap; then
		attest_tpm2_say "a TPM appeared after this boot found none: PCRs $ATTEST_TPM2_CAP_PCRS capped before any unlock"
		attest_tpm2_gate_write capped
		return 0
	fi
	_at_why="a TPM appeared after this boot found none, and its PCRs could not be capped"
	return 1
}

# attest_tpm2_tpm_present: prints something when the kernel has a TPM, with
# or without a device node for it.
attest_tpm2_tpm_present() {
	for _at_t in "$ATTEST_TPM2_SYS"/class/tpm/tpm* "$ATTEST_TPM2_SYS"/class/tpmrm/tpmrm* $ATTEST_TPM2_DEVICES; do
		[ -e "$_at_t" ] && echo "$_at_t"
	done
}

# attest_tpm2_block_tpm: no TPM driver may load for the rest of this boot
# (initramfs only): every module in the image's TPM driver folder, and the
# usual ones by name, are blacklisted for udev and refused by modprobe.
attest_tpm2_block_tpm() {
	_at_kv=
	read -r _at_kv < /proc/sys/kernel/osrelease 2> /dev/null || :
	mkdir -p "$ATTEST_TPM2_MODPROBE_D" 2> /dev/null || :
	{
		for _at_m in /lib/modules/"$_at_kv"/kernel/drivers/char/tpm/*.ko* \
			/lib/modules/"$_at_kv"/kernel/drivers/char/tpm/*/*.ko* \
			tpm_tis tpm_crb tpm_tis_core tpm_tis_spi tpm_tis_i2c tpm_tis_i2c_cr50 \
			tpm_i2c_infineon tpm_i2c_nuvoton tpm_i2c_atmel tpm_ftpm_tee tpm_vtpm_proxy; do
			case "$_at_m" in
			/*)
				[ -e "$_at_m" ] || continue
				_at_m=${_at_m##*/}
				_at_m=${_at_m%%.ko*}
				;;
			esac
			printf 'blacklist %s\ninstall %s /bin/false\n' "$_at_m" "$_at_m"
		done
	} > "$ATTEST_TPM2_MODPROBE_D/attest-tpm2-no-tpm.conf" 2> /dev/null
}

# attest_tpm2_host_gate VOLUME: on the booted system, before VOLUME (a name
# in the real root's /etc/crypttab) is opened: attest_tpm2_guard host, and a
# verified boot's SRK against the pins of VOLUME's tokens.
attest_tpm2_host_gate() {
	if ! attest_tpm2_guard host; then
		# Nothing TPM-sealed to protect: opened whatever the check said.
		if [ -n "${1:-}" ] && ! attest_tpm2_volume_tpm "$ATTEST_TPM2_CRYPTTAB" "$1"; then
			attest_tpm2_say "$1 has no TPM unlock: opening it although $_at_why"
			return 0
		fi
		attest_tpm2_say "FATAL: $_at_why: refusing to unlock ${1:-volumes}"
		return 1
	fi
	if [ "$_at_gate" = capped ] && [ -n "${1:-}" ]; then
		attest_tpm2_capped_volume "$1"
		return 0
	fi
	[ "$_at_gate" = verified ] && [ -n "${1:-}" ] || return 0
	attest_tpm2_srk_consistent "$1" && return 0
	attest_tpm2_say "FATAL: $_at_why: refusing to unlock $1"
	return 1
}

# attest_tpm2_halt WHY: say WHY on the console and through plymouth when it
# runs, leave it there for ATTEST_TPM2_HALT_DELAY seconds so that a person
# can read it, then power off and never return. The PCRs were capped, or
# could not be, before this is called: the wait opens nothing.
attest_tpm2_halt() {
	_at_hd=${ATTEST_TPM2_HALT_DELAY:-30}
	attest_tpm2_say "powering off in ${_at_hd}s: $1"
	if command -v plymouth > /dev/null 2>&1 && plymouth --ping 2> /dev/null; then
		plymouth display-message --text="attest-tpm2: $1; powering off in ${_at_hd}s" 2> /dev/null || :
	fi
	[ "$_at_hd" = 0 ] || sleep "$_at_hd"
	attest_tpm2_say "powering off"
	sync 2> /dev/null
	# sysrq needs no init system and works in every initramfs; the others
	# are there for kernels without CONFIG_MAGIC_SYSRQ.
	echo o > "$ATTEST_TPM2_SYSRQ" 2> /dev/null
	poweroff -f 2> /dev/null
	halt -f 2> /dev/null
	while :; do
		sleep 60
	done
}

# attest_tpm2_refuse WHY: the boot is refused. Cap the PCRs first, before
# anything that could run or unseal, then act on ATTEST_TPM2_ON_FAILURE:
# returns 0 (passphrase, PCRs capped: the boot goes on with TPM unlocking
# dead) or 1 (shell: stop here, the caller opens the recovery shell); halt,
# and passphrase with the cap failed, power off and never return.
attest_tpm2_refuse() {
	attest_tpm2_gate_clear
	# The settings this boot was refused with (see attest_tpm2_load).
	{
		printf '# %s\n' "$1"
		for _at_key in NAME_FILE REQUIRE_NULL_NAME DEVICE_WAIT TIMEOUT SRK_PEM ON_FAILURE LOCK CAP_PCRS HALT_DELAY REQUIRE_PINNED; do
			eval "_at_val=\$ATTEST_TPM2_$_at_key"
			printf 'ATTEST_TPM2_%s=%s\n' "$_at_key" "$_at_val"
		done
	} > "$ATTEST_TPM2_RUN/refused" 2> /dev/null
	if attest_tpm2_cap; then
		_at_capped=yes
	else
		_at_capped=no
	fi
	attest_tpm2_say "FATAL: $1"
	if [ -n "$ATTEST_TPM2_IGNORED" ]; then
		attest_tpm2_say "ignored on the kernel command line because the image is locked (ATTEST_TPM2_LOCK=yes): $ATTEST_TPM2_IGNORED"
	fi
	if [ "$_at_capped" = yes ]; then
		attest_tpm2_say "PCRs $ATTEST_TPM2_CAP_PCRS capped with a refusal event: nothing sealed to them can be unsealed until reboot"
	else
		attest_tpm2_say "could NOT cap PCRs $ATTEST_TPM2_CAP_PCRS (no TPM, or it did not answer)"
	fi
	attest_tpm2_say "to check again by hand: ${ATTEST_TPM2_RERUN:-$ATTEST_TPM2_BIN --boot --name $ATTEST_TPM2_NAME_FILE --file $ATTEST_TPM2_SRK_PEM --timeout $ATTEST_TPM2_TIMEOUT}"
	case "$ATTEST_TPM2_ON_FAILURE" in
	passphrase)
		if [ "$_at_capped" = yes ]; then
			attest_tpm2_say "TPM unlocking is off for this boot; passphrases still unlock"
			attest_tpm2_gate_write capped
			# No cap stops an unlock bound to no PCR (clevis without
			# pcr_ids): the TPM goes away before any unlock runs.
			attest_tpm2_capped_unbound "*"
			return 0
		fi
		# No TPM at all (switched off in the firmware, replaced): nothing
		# TPM-sealed can be unsealed, so the passphrase is offered. A TPM
		# that turns up later in this boot gets no driver, and every gate
		# caps one that appears anyway before it lets an unlock go on.
		if [ -z "$(attest_tpm2_tpm_present)" ]; then
			attest_tpm2_block_tpm
			if [ -z "$(attest_tpm2_tpm_present)" ]; then
				attest_tpm2_say "no TPM in this machine now: nothing TPM-sealed can be unsealed in this boot, TPM drivers are blocked until reboot; passphrases still unlock"
				attest_tpm2_gate_write notpm
				return 0
			fi
			if attest_tpm2_cap; then
				attest_tpm2_say "a TPM appeared after all: PCRs $ATTEST_TPM2_CAP_PCRS capped; passphrases still unlock"
				attest_tpm2_gate_write capped
				return 0
			fi
		fi
		attest_tpm2_say "TPM-sealed keys may still be reachable: no volume will be unlocked"
		attest_tpm2_halt "the TPM could not be capped after a refused check ($1)"
		;;
	halt)
		attest_tpm2_halt "$1"
		;;
	esac
	# shell: no shell with live PCRs. With no TPM at all there is nothing
	# to cap, and its drivers are blocked; a TPM that did not take the cap
	# (an interposer stalling it now, to answer again at the shell) powers
	# the machine off instead.
	if [ "$ATTEST_TPM2_ON_FAILURE" = shell ] && [ "$_at_capped" = no ]; then
		[ -n "$(attest_tpm2_tpm_present)" ] || attest_tpm2_block_tpm
		if [ -n "$(attest_tpm2_tpm_present)" ]; then
			attest_tpm2_halt "the TPM could not be capped after a refused check ($1): no shell with live PCRs"
		fi
	fi
	attest_tpm2_say "policy enforce: no encrypted volume will be unlocked"
	return 1
}

# attest_tpm2_shell_cap: before a shell the initramfs offers (a refusal
# under ON_FAILURE=shell, break=, rd.break, the emergency shell of a root
# that does not come), whatever the check said: no shell may have live
# PCRs. Cap them; with no TPM at all, block its drivers for the rest of
# the boot; a TPM that is there but cannot be capped powers off (never
# returns). Policy off asks for no protection, and gets none here either.
attest_tpm2_shell_cap() {
	attest_tpm2_load
	[ "$ATTEST_TPM2_POLICY" != off ] || return 0
	if attest_tpm2_wait_device && attest_tpm2_cap; then
		attest_tpm2_say "PCRs $ATTEST_TPM2_CAP_PCRS capped before this shell: nothing sealed to them can be unsealed from it"
		attest_tpm2_capped_unbound "*"
		return 0
	fi
	if [ -z "$(attest_tpm2_tpm_present)" ]; then
		attest_tpm2_block_tpm
		if [ -z "$(attest_tpm2_tpm_present)" ]; then
			attest_tpm2_say "no TPM before this shell: TPM drivers are blocked until reboot"
			return 0
		fi
	fi
	attest_tpm2_halt "the TPM could not be capped before a shell"
}

# attest_tpm2_cmdline_shell: the first word of the kernel command line that
# asks the booted system for a shell or for another init than its own, or
# nothing: that shell, once the root is unlocked, is as good as one in the
# initramfs. (rdinit= replaces the initramfs itself: see the README.)
attest_tpm2_cmdline_shell() {
	_at_l=
	[ -r "$ATTEST_TPM2_CMDLINE" ] && read -r _at_l < "$ATTEST_TPM2_CMDLINE"
	case $- in
	*f*) _at_noglob=1 ;;
	*) _at_noglob= ;;
	esac
	set -f
	_at_w=
	for _at_a in $_at_l; do
		case "$_at_a" in
		init=/sbin/init | init=/usr/sbin/init | init=/lib/systemd/systemd | init=/usr/lib/systemd/systemd) ;;
		init=* | single | s | S | 1 | -s | emergency | -b | systemd.unit=rescue* | \
			systemd.unit=emergency* | *debug_shell*)
			_at_w=$_at_a
			break
			;;
		esac
	done
	[ -n "$_at_noglob" ] || set +f
	printf '%s' "$_at_w"
}

# attest_tpm2_switch_root_cap: right before switch-root. When the command
# line asks the booted system for a shell or another init, the PCRs are
# capped first; a TPM that is there but cannot be capped powers off.
attest_tpm2_switch_root_cap() {
	_at_sw=$(attest_tpm2_cmdline_shell)
	[ -n "$_at_sw" ] || return 0
	attest_tpm2_load
	[ "$ATTEST_TPM2_POLICY" != off ] || return 0
	[ -n "$(attest_tpm2_tpm_present)" ] || return 0
	if attest_tpm2_cap; then
		attest_tpm2_say "PCRs $ATTEST_TPM2_CAP_PCRS capped before switch-root: the kernel command line asks for $_at_sw"
		return 0
	fi
	attest_tpm2_halt "the TPM could not be capped before switch-root, and the kernel command line asks for $_at_sw"
}

# attest_tpm2_ek_handle NAMEFILE: set ATTEST_TPM2_EK_HANDLE to the persistent
# handle enrollment put the signing EK at (a "handle=0x81xxxxxx" line of
# NAMEFILE.info), or to nothing. Anything else there is ignored: the boot
# then derives the key, which is the full check, only slower. Pure shell, no
# fork: the images have no head, and the boot is counted in milliseconds.
attest_tpm2_ek_handle() {
	ATTEST_TPM2_EK_HANDLE=
	_at_h=
	[ -r "$1.info" ] || return 0
	while IFS= read -r _at_l; do
		case $_at_l in handle=*) _at_h=${_at_l#handle=}; break ;; esac
	done < "$1.info"
	case $_at_h in
	0x81[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ATTEST_TPM2_EK_HANDLE=$_at_h ;;
	esac
	return 0
}

# attest_tpm2_check: verify the TPM according to the configuration and the
# kernel command line. Returns 0 when the boot may continue (verified, the
# policy says so, or refused under ON_FAILURE=passphrase with the PCRs
# capped) and 1 when it must stop before any encrypted volume is unlocked.
# Sets ATTEST_TPM2_RERUN to the command for a manual run.
attest_tpm2_check() {
	attest_tpm2_load
	# A new verdict replaces the old one; until then, no flag.
	attest_tpm2_gate_clear

	if [ "$ATTEST_TPM2_POLICY" = off ]; then
		attest_tpm2_say "policy off: the TPM is not verified"
		attest_tpm2_gate_write off
		return 0
	fi

	set -- --boot --name "$ATTEST_TPM2_NAME_FILE" --file "$ATTEST_TPM2_SRK_PEM" \
		--public "$ATTEST_TPM2_RUN/srk.tpm2b_public" --token-pin "$ATTEST_TPM2_RUN/srk.pin" \
		--timeout "$ATTEST_TPM2_TIMEOUT"
	[ "$ATTEST_TPM2_REQUIRE_NULL_NAME" = yes ] && set -- "$@" --require-null-name
	attest_tpm2_ek_handle "$ATTEST_TPM2_NAME_FILE"
	[ -z "$ATTEST_TPM2_EK_HANDLE" ] || set -- "$@" --signing-ek "$ATTEST_TPM2_EK_HANDLE"
	ATTEST_TPM2_RERUN="$ATTEST_TPM2_BIN $*"
	mkdir -p "${ATTEST_TPM2_SRK_PEM%/*}" "$ATTEST_TPM2_RUN" 2> /dev/null || :
	# What speaks for the SRK comes from this run, or from none.
	rm -f "$ATTEST_TPM2_SRK_PEM" "$ATTEST_TPM2_RUN/srk.tpm2b_public" "$ATTEST_TPM2_RUN/srk.pin" 2> /dev/null

	# With the binary's verdict and the line below, the kernel log's
	# timestamps show what the check costs the boot.
	attest_tpm2_say "checking the TPM against the enrolled signing EK"
	if attest_tpm2_wait_device; then
		attest_tpm2_run "$@"
		_at_rc=$?
	else
		_at_rc=none
	fi

	if [ "$_at_rc" = 0 ] && ! attest_tpm2_srk_consistent; then
		_at_rc=srk
	fi
	case "$_at_rc" in
	0)
		attest_tpm2_gate_write verified
		attest_tpm2_say "TPM verified: encrypted volumes may be unlocked"
		return 0
		;;
	srk) ;;
	none) _at_why="no TPM device ($ATTEST_TPM2_DEVICES) appeared within ${ATTEST_TPM2_DEVICE_WAIT}s" ;;
	1) _at_why="TPM verification FAILED: this is not the enrolled TPM, or its answers were altered (interposer?)" ;;
	2) _at_why="cannot read the enrolled name $ATTEST_TPM2_NAME_FILE (missing or malformed)" ;;
	3) _at_why="the TPM is unreachable, failing, or did not answer within ${ATTEST_TPM2_TIMEOUT}s" ;;
	124) _at_why="the TPM stopped answering: $ATTEST_TPM2_BIN did not finish within $((ATTEST_TPM2_TIMEOUT + 10))s" ;;
	*) _at_why="$ATTEST_TPM2_BIN could not run (exit status $_at_rc)" ;;
	esac

	if [ "$ATTEST_TPM2_POLICY" = warn ]; then
		attest_tpm2_say "WARNING: $_at_why"
		attest_tpm2_say "policy warn: continuing the boot with an unverified TPM"
		attest_tpm2_gate_write warn
		return 0
	fi
	attest_tpm2_refuse "$_at_why"
}

# attest_tpm2_gate [VOLUME|*]: what every initramfs unlock path and
# switch-root runs first. 0 when the flag is there; else the check did not
# run, died or was killed, and that is a refusal (PCRs capped, then
# ON_FAILURE), unless what is about to be opened (VOLUME, a crypttab name;
# "*": every crypttab volume, at least one) has no TPM unlock: that opens
# whatever the check said, after the cap. After a verified check, the
# tokens of VOLUME (or every volume) must pin the certified SRK, or that is
# a refusal.
attest_tpm2_gate() {
	# The binary's name for "every volume" is none.
	_at_vol=${1:-}
	[ "$_at_vol" != "*" ] || _at_vol=
	if attest_tpm2_guard initrd; then
		if [ "$_at_gate" = capped ] && [ -n "${1:-}" ]; then
			attest_tpm2_capped_volume "$1"
			return 0
		fi
		# The volume's device is there now, if it was not at the check.
		[ "$_at_gate" = verified ] && [ -n "${1:-}" ] || return 0
		attest_tpm2_srk_consistent "$_at_vol" && return 0
		attest_tpm2_load
		attest_tpm2_refuse "$_at_why"
		return
	fi
	_at_w=$_at_why
	if [ "$_at_gate" != notpm ] && [ -n "${1:-}" ]; then
		_at_what=${_at_vol:-any volume of $ATTEST_TPM2_CRYPTTAB}
		if ! attest_tpm2_volume_tpm "$ATTEST_TPM2_CRYPTTAB" "$_at_vol"; then
			attest_tpm2_load
			attest_tpm2_cap || :
			attest_tpm2_say "no TPM unlock in $_at_what: opening it although $_at_w"
			return 0
		fi
	fi
	attest_tpm2_load
	attest_tpm2_refuse "$_at_w"
}
