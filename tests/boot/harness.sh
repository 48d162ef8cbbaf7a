# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034 # $work, $repo and the case's variables are the suite's; the suite's are set here
# The boot harness shared by tests/boot/run.sh (the gate matrix) and
# tests/boot/unlock.sh (real unlock flows): cases as data, one boot loop,
# one judge, one job runner. Sourced with $repo (the tree) and $here
# (tests/boot) set; brings in the setup helpers (tests/boot/lib.sh), the
# report, swtpm and QEMU helpers.
#
# A case is a folder, tests/boot/cases/SUITE/NAME/, like Debian cryptsetup's
# cryptroot-*.d:
#   boot    sourced with $fl (the flavour) and the suite's variables set:
#           flavours (the flavours it runs in; default all), part (a group
#           a variable can leave out), image, kernel, tpm, mode, args, disk,
#           disks, send, until, settle, timeout; see case_load
#   expect  the verdict on its first line (see judge_verdict), then one
#           further condition a line, "[FLAVOUR] " in front for one flavour
#           only: a regex (grep -E) that matches the serial log, or with
#           "!" in front does not; "bus:" and "!bus:" the same for the TPM
#           bus log; "order:A < B", A's first match comes before B's;
#           "within:N", the first refusal came at most N s after the
#           kernel started. "@shell" and "@prompt" stand for a shell's
#           and a passphrase prompt's regex.
# A job is NAME:FLAVOUR; its logs are $work/NAME-FLAVOUR.*.

# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/report.sh
. "$repo/tests/lib/report.sh"
# shellcheck source=SCRIPTDIR/../lib/swtpm.sh
. "$repo/tests/lib/swtpm.sh"
# shellcheck source=SCRIPTDIR/../lib/qemu.sh
. "$repo/tests/lib/qemu.sh"

# boot_suite_start NAME [BINARY]: how a boot suite starts, as root: the
# binary under test in $bin (default: the static build, made when missing),
# a work folder $work (kept with ATTEST_TPM2_KEEP=1 or after a failure;
# every swtpm in it stopped on exit), $boot_timeout, $t0, the packages, and
# the kernel with null_name ($kdir, $kbz, $krel).
boot_suite_start() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, chroot, mount namespaces, overlays)"
	bin=$(readlink -f "${2:-$repo/build/static/attest_tpm2_primary}")
	if [ ! -x "$bin" ] && [ $# -eq 1 ]; then
		make -C "$repo" static >&2 || die "make static failed"
	fi
	[ -x "$bin" ] || die "$bin: not an executable"
	work=$(mktemp -d "/tmp/attest-tpm2-$1.XXXXXX")
	trap boot_suite_cleanup EXIT
	trap 'exit 2' INT TERM
	boot_timeout=${ATTEST_TPM2_BOOT_TIMEOUT:-150}
	t0=$(date +%s)
	ensure_packages
	kdir=$(sh "$here/kernel.sh" hmac) || die "kernel build failed"
	kbz=$kdir/bzImage
	krel=$(cat "$kdir/release")
}

boot_suite_cleanup() {
	for _bc in "$work"/*/swtpm.pid; do
		[ ! -f "$_bc" ] || swtpm_stop "${_bc%/swtpm.pid}"
	done
	if [ "${ATTEST_TPM2_KEEP:-0}" = 1 ] || [ "$REPORT_FAILED" -gt 0 ]; then
		log "logs kept in $work"
	else
		rm -rf --one-file-system "$work"
	fi
}

# A recovery shell, in each generator's words; a passphrase prompt
# (systemd-cryptsetup, cryptroot's askpass, 90crypt's cryptroot-ask).
shell_re='Dropping to debug shell|Entering emergency mode|\(initramfs\) |You are in emergency mode'
prompt_re='Please enter passphrase for disk|Please unlock disk|Enter passphrase for'
# The warning at every boot about a TPM unlock that pins no SRK (systemd
# before 255 pins none): said, not a verdict.
pin_warning='attest-tpm2: WARNING: the TPM unlock of .* pins no SRK'

# case_load SUITE NAME FLAVOUR: the case's boot variables, defaults first.
case_load() {
	fl=$3
	flavours=$all_flavours part=main image='' kernel=test tpm=${default_tpm:-none} mode=${default_mode:-plain} args=$fargs
	disk=$fdisk disks='' send='' until='' settle=$default_settle timeout=$boot_timeout
	# shellcheck source=/dev/null
	. "$here/cases/$1/$2/boot"
	initrd=$work/$fl${image:+-$image}.img
}

# case_jobs SUITE PART [FLAVOURS]: the jobs of every case of PART, flavour
# by flavour, in FLAVOURS (default all).
case_jobs() {
	for _cj_fl in ${3-$all_flavours}; do
		for _cj_d in "$here/cases/$1"/*/; do
			_cj_n=${_cj_d%/}
			_cj_n=${_cj_n##*/}
			flavour_vars "$_cj_fl"
			# A case that cannot be read still makes a job, which fails.
			part=$2 flavours=$_cj_fl
			(case_load "$1" "$_cj_n" "$_cj_fl") > /dev/null 2>&1 && case_load "$1" "$_cj_n" "$_cj_fl"
			[ "$part" = "$2" ] || continue
			case " $flavours " in *" $_cj_fl "*) printf '%s ' "$_cj_n:$_cj_fl" ;; esac
		done
	done
}

# boot NAME: one boot as the case's variables say, serial console in
# $work/NAME.log (bus log in $work/b-NAME/bus when an interposer is on the
# bus). Stops at a panic, or 2 s after the library's power-off line, or
# $settle s after a shell, a passphrase prompt or the power-off (nothing
# left to type), or $timeout s after the start. $send is typed, lines
# separated by "|", at the first shell (Enter first, for sulogin's "Press
# Enter") or passphrase prompt; then the boot stops 5 s after $until shows
# (a regex, or N:regex for N matching lines) if it is set. mode "pause":
# the TPM stops answering once the guest's early script says "TPM ready",
# and goes on once the log says "ATTEST-TPM2-TEST killed" (QEMU itself
# would freeze if the guest cancelled a command meanwhile). Writes the
# seconds taken to NAME.secs, and to the first refusal message to NAME.rsecs.
boot() {
	_bn=$1
	_b=$work/b-$1
	_log=$work/$1.log
	rm -rf "$_b" "$work/$1.rsecs"
	mkdir -p "$_b"
	: > "$_log"
	_pause=
	_kernel=$kbz
	[ "$kernel" = stock ] && _kernel=$skernel
	set -- -m 1024 -smp 1 -kernel "$_kernel" -initrd "$initrd" \
		-append "console=ttyS0 no_timer_check $args" -drive "file=$disk,format=raw,if=virtio,snapshot=on"
	for _d in $disks; do
		set -- "$@" -drive "file=$_d,format=raw,if=virtio,snapshot=on"
	done
	if [ -n "$send" ]; then
		# A pipe chardev: QEMU opens ser.in and ser.out read-write, so
		# neither side blocks on the other.
		mkfifo "$_b/ser.in" "$_b/ser.out"
		set -- "$@" -chardev "pipe,id=ser0,path=$_b/ser" -serial chardev:ser0
		cat "$_b/ser.out" > "$_log" &
		_cat=$!
	else
		set -- "$@" -serial "file:$_log"
		_cat=
	fi
	_sock=
	if [ "$tpm" != none ]; then
		cp -a "$tpm" "$_b/state"
		# shellcheck disable=SC2086 # the mode's words
		case "$mode" in
		pause) tpm_start "$_b" "$_b/state" plain && _pause=stop ;;
		*) tpm_start "$_b" "$_b/state" $mode ;;
		esac || echo "ATTEST-TPM2-TEST $(cat "$_b/tpm.err")" >> "$_log"
		_sock=$tpm_sock
	fi
	_until_n=1 _until_re=$until
	case "$until" in
	[1-9]:*) _until_n=${until%%:*} _until_re=${until#*:} ;;
	esac
	_t0=$(date +%s)
	qemu_start "$_b/qemu.log" "$_sock" "$@"
	_sent='' _seen='' _stop=''
	while kill -0 "$qemu_pid" 2> /dev/null; do
		_now=$(date +%s)
		if [ $((_now - _t0)) -ge "$timeout" ]; then
			echo "ATTEST-TPM2-TEST timeout after ${timeout}s" >> "$_log"
			break
		fi
		[ -f "$work/$_bn.rsecs" ] || ! grep -q 'attest-tpm2: FATAL' "$_log" ||
			echo $((_now - _t0)) > "$work/$_bn.rsecs"
		# A panicked kernel (no panic= to reboot it) never moves on; after
		# the library's power-off, a kernel waiting on a stalled TPM could
		# hold the guest until the timeout: nothing more will come.
		if grep -q 'Kernel panic - not syncing' "$_log"; then
			_stop=1
		elif grep -q "attest-tpm2: powering off$(printf '\r')\?\$" "$_log"; then
			_stop=2
		fi
		[ -z "$_stop" ] || {
			sleep "$_stop"
			break
		}
		if [ "$_pause" = stop ] && grep -q 'ATTEST-TPM2-TEST TPM ready' "$_log"; then
			kill -STOP "$tpm_pid"
			_pause=cont
		elif [ "$_pause" = cont ] && grep -q 'ATTEST-TPM2-TEST killed' "$_log"; then
			kill -CONT "$tpm_pid"
			_pause=
		fi
		if [ -n "$send" ] && [ -z "$_sent" ]; then
			if grep -Eq "$shell_re" "$_log"; then
				# Let the shell settle, wake sulogin's "Press Enter", type.
				sleep 3
				printf '\n' > "$_b/ser.in"
				sleep 2
				printf '%s\n' "$send" | tr '|' '\n' > "$_b/ser.in"
				_sent=$_now
			elif grep -Eq "$prompt_re" "$_log"; then
				sleep 2
				printf '%s\n' "$send" > "$_b/ser.in"
				_sent=$_now
			fi
		elif [ -n "$_sent" ] && [ -n "$until" ] && [ "$(grep -Ec "$_until_re" "$_log")" -ge "$_until_n" ]; then
			sleep 5
			break
		elif [ -z "$send" ] && [ -z "$_seen" ] && grep -Eq "$prompt_re|$shell_re" "$_log"; then
			# Stay a while: anything that would unseal behind the prompt
			# (a clevis loop, a token retry) has its chance.
			_seen=$_now
		fi
		if [ -n "$_seen" ] && [ $((_now - _seen)) -ge "$settle" ]; then
			break
		fi
		sleep 0.5
	done
	echo $(($(date +%s) - _t0)) > "$work/$_bn.secs"
	# swtpm first: QEMU cannot quit while its TPM backend waits for a
	# stopped swtpm.
	[ "$tpm" = none ] || tpm_stop
	qemu_stop quit
	if [ -n "$_cat" ]; then
		kill "$_cat" 2> /dev/null
		wait "$_cat" 2> /dev/null
	fi
	rm -rf "$_b/state"
}

# lineno FILE REGEX: the line number of REGEX's first match, or 0.
lineno() {
	_ln=$(grep -nE -m 1 "$2" "$1" 2> /dev/null | cut -d: -f1)
	echo "${_ln:-0}"
}

# judge_verdict VERDICT LOG BUS: the reasons VERDICT does not hold, in $why.
#   unlocked   the check passed, the root opened (marker read), the SRK
#              handed over, nothing refused or warned (but the unpinned
#              token's warning)
#   warned     opened, with the warning of a check that failed
#   opened     the root opened, whatever was said before
#   untouched  opened, and nothing of ours said anything
#   refused    a refusal that names the command to rerun, then a shell;
#              nothing unlocked
#   halted     refused and powered off: no shell, nothing unlocked
#   shell      a shell came
#   stopped    nothing unlocked, no root, no switch-root
#   host       the booted system reported, with no shell
#   unsealed   (bus) opened by the TPM: a successful Unseal after the
#              kernel's NULL key, our check and its last Certify; nothing
#              tampered, nothing refused
#   typed      opened by what was typed
#   sealed-refused  (bus) a refusal; nothing unlocked, no root; no Unseal
#              before the cap that followed the tamper, none succeeded
judge_verdict() {
	_l=$2 _bus=$3
	case "$1" in
	unlocked | warned | opened | untouched | unsealed | typed)
		grep -q "ATTEST-TPM2-TEST MARKER $marker" "$_l" || why="$why no-marker"
		;;
	esac
	case "$1" in
	unlocked | warned | opened | untouched)
		grep -Eq "$unlock_re" "$_l" || why="$why no-unlock-seen"
		;;
	refused | halted | stopped | sealed-refused)
		grep -Eq "$unlock_re" "$_l" && why="$why UNLOCK-ATTEMPTED"
		grep -q "ATTEST-TPM2-TEST root reached" "$_l" && why="$why ROOT-REACHED"
		;;
	esac
	case "$1" in
	unlocked | warned | unsealed)
		grep -q 'attest-tpm2: FATAL' "$_l" && why="$why fatal-message"
		;;
	refused | halted | sealed-refused)
		grep -q 'attest-tpm2: FATAL' "$_l" || why="$why no-fatal-message"
		;;
	esac
	case "$1" in
	unlocked)
		grep -q 'ATTEST-TPM2-TEST SRK -----BEGIN PUBLIC KEY-----' "$_l" || why="$why no-srk-pem"
		grep 'attest-tpm2: WARNING' "$_l" | grep -qv "$pin_warning" && why="$why warning"
		;;
	warned)
		grep 'attest-tpm2: WARNING' "$_l" | grep -qv "$pin_warning" || why="$why no-warning"
		;;
	untouched) grep -q 'attest-tpm2:' "$_l" && why="$why attest-tpm2-spoke" ;;
	refused)
		grep -q 'to check again by hand: /usr/bin/attest_tpm2_primary --boot --name /etc/eksign.name' "$_l" ||
			why="$why no-rerun-command"
		grep -Eq "$shell_re" "$_l" || why="$why no-shell"
		;;
	halted)
		grep -q 'attest-tpm2: powering off' "$_l" || why="$why no-power-off"
		grep -Eq "$shell_re" "$_l" && why="$why SHELL"
		;;
	shell) grep -Eq "$shell_re" "$_l" || why="$why no-shell" ;;
	stopped)
		grep -Eq 'Switching root|switch_root|run-init' "$_l" && why="$why SWITCH-ROOT"
		;;
	host)
		grep -q 'ATTEST-HOST done' "$_l" || why="$why no-report"
		grep -Eq "$shell_re" "$_l" && why="$why SHELL"
		;;
	unsealed)
		grep -q '^tamper' "$_bus" && why="$why tampered"
		grep '^rsp Certify' "$_bus" | grep -qv 'rc=0x0$' && why="$why certify-failed"
		_k=$(lineno "$_bus" '^cmd CreatePrimary hierarchy=0x40000007$')
		_e=$(lineno "$_bus" '^cmd CreatePrimary hierarchy=0x4000000b$')
		_ce=$(grep -n '^rsp Certify' "$_bus" | tail -n 1 | cut -d: -f1)
		_u=$(lineno "$_bus" '^rsp Unseal rc=0x0$')
		[ "$_k" -gt 0 ] && [ "$_e" -gt "$_k" ] && [ "${_ce:-0}" -gt "$_e" ] && [ "$_u" -gt "${_ce:-0}" ] ||
			why="$why order(kernel-null=$_k,check-ek=$_e,check-certify-end=${_ce:-0},unseal=$_u)"
		;;
	sealed-refused)
		grep -Eq 'Switching root|switch_root|run-init' "$_l" && why="$why SWITCH-ROOT"
		grep -q "ATTEST-TPM2-TEST MARKER" "$_l" && why="$why ROOT-REACHED"
		_r=$(lineno "$_bus" '^tamper')
		# The refusal's cap: the first extend of PCR 7 after the tamper
		# (PCR_Event from attest_tpm2_primary, PCR_Extend from tpm2-tools).
		_cap=$(sed -n "$((_r + 1)),\$ {/^cmd PCR_\(Extend\|Event\) handles=0x00000007/=}" "$_bus" | head -n 1)
		_u=$(lineno "$_bus" '^cmd Unseal')
		if grep -q '^rsp Unseal rc=0x0$' "$_bus"; then
			why="$why UNSEAL-SUCCEEDED(after the tamper at line $_r)"
		elif [ "$_u" -gt 0 ] && { [ -z "$_cap" ] || [ "$_u" -lt "$_cap" ]; }; then
			why="$why UNSEAL-SENT-BEFORE-THE-CAP(line $_u, cap ${_cap:-none})"
		elif [ "$_u" -gt 0 ]; then
			# A TPM unlock that runs on after the refusal (clevis) may
			# still try: PCR 7 is capped, so the TPM refuses it.
			note="an Unseal after the cap failed"
		fi
		;;
	opened | typed) ;;
	*) why="$why unknown-verdict:$1" ;;
	esac
}

# judge SUITE JOB: PASS or FAIL for the job, by its case's expect file.
judge() {
	_n=${2%%:*} _fl=${2#*:}
	_name=$_n-$_fl
	_l=$work/$_name.log _bus=$work/b-$_name/bus
	[ -f "$_bus" ] || _bus=/dev/null
	flavour_vars "$_fl"
	# A case that cannot be read fails, rather than ending the suite.
	if ! (case_load "$1" "$_n" "$_fl") > /dev/null 2>&1 || [ ! -r "$here/cases/$1/$_n/expect" ]; then
		fail "$_name (its case cannot be read: $here/cases/$1/$_n)"
		return 0
	fi
	case_load "$1" "$_n" "$_fl"
	why='' note=''
	# Every verdict is about a kernel that ran.
	grep -q 'Command line:' "$_l" 2> /dev/null || why=" NO-BOOT"
	_secs=$(cat "$work/$_name.secs" 2> /dev/null || echo '?')
	# The refusal's time: the kernel's clock at the first refusal message
	# (the serial log's own timestamps: a power-off can beat any polling).
	_rsecs=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] attest-tpm2: FATAL.*/\1/p' "$_l" | head -n 1)
	[ -n "$_rsecs" ] || _rsecs=$(cat "$work/$_name.rsecs" 2> /dev/null)
	_verdict=
	while IFS= read -r _e || [ -n "$_e" ]; do
		case "$_e" in
		'' | '#'*) continue ;;
		"[$_fl] "*) _e=${_e#"[$_fl] "} ;;
		'['*) continue ;;
		esac
		case "$_e" in
		*@shell*) _e="${_e%%@shell*}($shell_re)${_e#*@shell}" ;;
		*@prompt*) _e="${_e%%@prompt*}($prompt_re)${_e#*@prompt}" ;;
		esac
		if [ -z "$_verdict" ]; then
			_verdict=$_e
			judge_verdict "$_e" "$_l" "$_bus"
			continue
		fi
		case "$_e" in
		'order:'*)
			_a=${_e#order:} _z=${_a#* < }
			_a=${_a%% < *}
			_ia=$(lineno "$_l" "${_a# }") _iz=$(lineno "$_l" "$_z")
			[ "$_ia" -gt 0 ] && [ "$_iz" -gt "$_ia" ] || why="$why order:'$_a'($_ia)<'$_z'($_iz)"
			;;
		'within:'*)
			[ -n "$_rsecs" ] && [ "$_rsecs" -le "${_e#within:}" ] ||
				why="$why not-refused-within-${_e#within:}s(${_rsecs:--})"
			;;
		'!bus:'*) ! grep -Eq "${_e#!bus:}" "$_bus" || why="$why present-on-bus:'${_e#!bus:}'" ;;
		'bus:'*) grep -Eq "${_e#bus:}" "$_bus" || why="$why not-on-bus:'${_e#bus:}'" ;;
		'!'*) ! grep -Eq "${_e#!}" "$_l" || why="$why present:'${_e#!}'" ;;
		*) grep -Eq "$_e" "$_l" || why="$why no:'$_e'" ;;
		esac
	done < "$here/cases/$1/$_n/expect"
	[ -n "$_verdict" ] || why="$why no-verdict-in-expect"
	echo "$_name ${_secs} ${_rsecs:--}" >> "$work/matrix"
	if [ -z "$why" ]; then
		pass "$_name (${_secs}s${_rsecs:+, refused ${_rsecs}s after the kernel started}${note:+; $note})"
	else
		fail "$_name (${_secs}s:$why; logs $_l${_bus#/dev/null})"
	fi
}

# run_jobs SUITE JOB...: boots the jobs two at a time (TCG takes one host
# core per guest CPU), starting the next as soon as one ends, and judges
# each in this shell as it ends.
run_jobs() {
	_rj_suite=$1
	shift
	_rj_slots=''
	while [ $# -gt 0 ] || [ -n "$_rj_slots" ]; do
		_rj_keep='' _rj_busy=0
		for _rj_s in $_rj_slots; do
			if [ -f "$work/${_rj_s#*=}.done" ]; then
				wait "${_rj_s%%=*}" 2> /dev/null
				judge "$_rj_suite" "${_rj_s#*=}"
			else
				_rj_keep="$_rj_keep $_rj_s"
				_rj_busy=$((_rj_busy + 1))
			fi
		done
		_rj_slots=$_rj_keep
		if [ $# -gt 0 ] && [ "$_rj_busy" -lt "${ATTEST_TPM2_BOOT_JOBS:-2}" ]; then
			(
				(
					flavour_vars "${1#*:}"
					case_load "$_rj_suite" "${1%%:*}" "${1#*:}"
					boot "${1%%:*}-${1#*:}"
				) > /dev/null 2>&1
				: > "$work/$1.done"
			) &
			_rj_slots="$_rj_slots $!=$1"
			shift
			continue
		fi
		[ -z "$_rj_slots" ] || sleep 1
	done
}
