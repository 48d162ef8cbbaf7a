# shellcheck shell=sh
# The tests' one QEMU launch, and the swtpm behind its TPM (POSIX sh,
# sourced, with $repo the top of the tree). Used by the boot harness
# (tests/boot/harness.sh) and by the bus interposer's own test.

# tpm_start DIR STATE MODE [OPTION...]: a swtpm on the TPM state folder STATE
# (used in place: copy it first to keep it), its control socket, pid file
# and log in DIR. MODE "plain": QEMU talks to swtpm itself. Any other MODE
# puts tests/lib/qemu_tpm_interposer.py between them, run with
# "--mode MODE OPTION...", its bus log in DIR/bus. Sets tpm_sock (what QEMU
# connects to), tpm_ctrl (swtpm's own socket), tpm_pid and tpm_proxy_pid
# (empty for plain). Returns 1, the reason in DIR/tpm.err, when either is
# not up within 10 s.
tpm_start() {
	_ts_dir=$1 _ts_state=$2 _ts_mode=$3
	shift 3
	tpm_ctrl=$_ts_dir/swtpm-ctrl.sock tpm_sock=$_ts_dir/swtpm-ctrl.sock tpm_pid='' tpm_proxy_pid=''
	rm -f "$tpm_ctrl" "$_ts_dir/swtpm.pid" "$_ts_dir/proxy.ready"
	if ! swtpm socket --tpm2 --tpmstate dir="$_ts_state" --ctrl type=unixio,path="$tpm_ctrl" \
		--pid file="$_ts_dir/swtpm.pid" --log file="$_ts_dir/swtpm.log" -d 2> "$_ts_dir/tpm.err"; then
		echo "swtpm did not start: $(cat "$_ts_dir/tpm.err" "$_ts_dir/swtpm.log" 2> /dev/null)" > "$_ts_dir/tpm.err"
		return 1
	fi
	tpm_pid=$(cat "$_ts_dir/swtpm.pid")
	[ "$_ts_mode" = plain ] && return 0
	tpm_sock=$_ts_dir/tpm.sock
	/usr/bin/python3 "${repo:?}/tests/lib/qemu_tpm_interposer.py" \
		--listen "$tpm_sock" --upstream "$tpm_ctrl" --log "$_ts_dir/bus" --mode "$_ts_mode" "$@" \
		> "$_ts_dir/proxy.ready" 2> "$_ts_dir/proxy.err" &
	tpm_proxy_pid=$!
	_ts_i=0
	until grep -q ready "$_ts_dir/proxy.ready" 2> /dev/null; do
		_ts_i=$((_ts_i + 1))
		if [ $_ts_i -gt 200 ] || ! kill -0 "$tpm_proxy_pid" 2> /dev/null; then
			echo "the interposer did not start: $(cat "$_ts_dir/proxy.err")" > "$_ts_dir/tpm.err"
			tpm_stop
			return 1
		fi
		sleep 0.05
	done
}

# tpm_stop: the interposer, then swtpm (continued first, if it was
# stopped), each waited for up to 5 s.
tpm_stop() {
	for _tp in ${tpm_proxy_pid:-} ${tpm_pid:-}; do
		kill -CONT "$_tp" 2> /dev/null
		kill "$_tp" 2> /dev/null
		_tp_i=0
		while kill -0 "$_tp" 2> /dev/null && [ $_tp_i -lt 50 ]; do
			_tp_i=$((_tp_i + 1))
			sleep 0.1
		done
		kill -KILL "$_tp" 2> /dev/null
		wait "$_tp" 2> /dev/null
	done
	tpm_pid='' tpm_proxy_pid=''
}

# qemu_start ERRLOG TPMSOCK [OPTION...]: QEMU (x86_64, TCG: no KVM here)
# with no default devices, no reboot (a reboot ends it) and no display, a
# TIS TPM on TPMSOCK unless that is empty, and the further OPTIONs; in the
# background, its own output in ERRLOG. Sets qemu_pid.
qemu_start() {
	_qs_err=$1 _qs_tpm=$2
	shift 2
	[ -z "$_qs_tpm" ] || set -- "$@" -chardev "socket,id=chrtpm,path=$_qs_tpm" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
	qemu-system-x86_64 -accel tcg -nodefaults -no-reboot -display none "$@" > "$_qs_err" 2>&1 &
	qemu_pid=$!
}

# qemu_stop quit|now: quit, ask QEMU to quit, and kill it after 5 s; now,
# kill it at once: QEMU quitting by itself shuts its swtpm down
# (CMD_SHUTDOWN), and a test may still want to read that TPM.
qemu_stop() {
	[ -n "${qemu_pid:-}" ] || return 0
	[ "$1" = now ] || kill "$qemu_pid" 2> /dev/null
	_qs_i=0
	while [ "$1" != now ] && kill -0 "$qemu_pid" 2> /dev/null && [ $_qs_i -lt 50 ]; do
		_qs_i=$((_qs_i + 1))
		sleep 0.1
	done
	kill -KILL "$qemu_pid" 2> /dev/null
	wait "$qemu_pid" 2> /dev/null
	qemu_pid=''
}
