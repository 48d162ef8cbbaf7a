# shellcheck shell=sh
# shellcheck disable=SC2154 # globals set by tests/boot/unlock.sh
# Helpers for tests/boot/unlock.sh: the image-building roots (an overlay of a
# cached mmdebstrap root per run), a swtpm reachable over TCP for host-side
# enrollment, and QEMU boots whose TPM bus goes through
# tests/lib/qemu_tpm_interposer.py. Expects $repo, $work and $ulib set.

# in_root NAME CMD...: run CMD chrooted in the per-run overlay NAME (lower:
# the cached root $root_NAME; upper: $work/ov-NAME/upper, which the caller
# may fill beforehand), in a private mount namespace with /proc, /sys, /dev
# and $work bound in.
in_root() {
	_r=$1
	shift
	eval "_lower=\$root_$_r"
	[ -n "$_lower" ] || return 2
	_ov=$work/ov-$_r
	mkdir -p "$_ov/upper" "$_ov/work" "$_ov/mnt"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c '
		set -e
		lower=$1 ov=$2 w=$3
		shift 3
		mount --make-rprivate /
		mount -t overlay overlay -o "lowerdir=$lower,upperdir=$ov/upper,workdir=$ov/work" "$ov/mnt"
		for m in proc sys dev dev/pts; do
			mount --bind "/$m" "$ov/mnt/$m"
		done
		mkdir -p "$ov/mnt$w"
		mount --bind "$w" "$ov/mnt$w"
		exec chroot "$ov/mnt" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
			TSS2_LOG=all+none "$@"
	' sh "$_lower" "$_ov" "$work" "$@"
}

# swtpm_tcp_start STATEDIR PORT / swtpm_tcp_stop PORT: a swtpm serving the
# TPM at 127.0.0.1:PORT (control PORT+1), powered on and started, as the
# host-side enrollment tools reach it through the swtpm TCTI.
swtpm_tcp_start() {
	mkdir -p "$1"
	swtpm socket --tpm2 --tpmstate dir="$1" --server type=tcp,port="$2",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$(($2 + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
		--pid file="$1.pid" --log file="$1.log" -d || return 1
	_i=0
	while ! ss -Hltn "sport = :$2" | grep -q .; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || return 1
		sleep 0.1
	done
}
swtpm_tcp_stop() {
	# -s: shut down cleanly, saving the state.
	swtpm_ioctl --tcp "127.0.0.1:$(($1 + 1))" -s > /dev/null 2>&1
	sleep 0.5
}

# pcr7_digests BUSLOG: the SHA-256 digests that the logged (--hexdump)
# PCR_Extend frames into PCR 7, answered with success, extended; one a line.
pcr7_digests() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
pending = None
for line in open(sys.argv[1]):
    if line.startswith('cmd '):
        pending = 'cmd' if line.startswith('cmd PCR_Extend') else None
    elif line.startswith('> ') and pending == 'cmd':
        pending = bytes.fromhex(line[2:].strip())
    elif line.startswith('rsp PCR_Extend') and isinstance(pending, bytes):
        if line.split()[-1] == 'rc=0x0':
            c = pending
            idx = struct.unpack_from('>I', c, 10)[0]
            off = 18 + struct.unpack_from('>I', c, 14)[0]
            count = struct.unpack_from('>I', c, off)[0]
            off += 4
            for _ in range(count):
                alg = struct.unpack_from('>H', c, off)[0]
                size = {4: 20, 0xB: 32, 0xC: 48, 0xD: 64, 0x12: 32}[alg]
                if alg == 0xB and idx == 7:
                    print(c[off + 2:off + 2 + size].hex())
                off += 2 + size
        pending = None
PY
}

# Regexes over the serial log.
# A passphrase prompt: systemd-cryptsetup (through the ask-password agent),
# cryptroot's askpass, dracut classic's cryptroot-ask.
prompt_re='Please enter passphrase for disk|Please unlock disk|Enter passphrase for'
# A recovery shell.
ushell_re='Dropping to debug shell|Entering emergency mode|\(initramfs\) |You are in emergency mode'
# A volume was opened.
# shellcheck disable=SC2034 # used by unlock.sh
opened_re='Finished.*Cryptography Setup for|cryptsetup: .* set up successfully|clevis: .* unlocked|Unlocked .* with clevis|luksOpen.*succe'

# uboot NAME KERNEL INITRD STATEDIR DISK APPEND SEND MODE [OPTION...]: boot
# under QEMU TCG with the TPM in STATEDIR (a copy) behind the interposer in
# MODE; serial console in $work/NAME.log, bus log in $work/NAME.bus. Stops at
# power-off, $settle seconds after a passphrase prompt, a shell or the
# refusal's "powering off" (a stalled TPM can keep the guest from it; with SEND
# non-empty: types SEND at the first prompt instead and goes on), or after
# $boot_timeout seconds. Writes the seconds to the end in NAME.secs and
# those to the first refusal message ("attest-tpm2: FATAL") in NAME.rsecs.
uboot() {
	_n=$1 _k=$2 _i=$3 _st=$4 _d=$5 _a=$6 _send=$7
	shift 7
	_w=$work/b-$_n
	rm -rf "$_w"
	mkdir -p "$_w"
	_log=$work/$_n.log
	_bus=$work/$_n.bus
	: > "$_log"
	: > "$_bus"
	_ppid=
	# STATE "none": a machine without a TPM.
	if [ "$_st" != none ]; then
		cp -a "$_st" "$_w/state"
		swtpm socket --tpm2 --tpmstate dir="$_w/state" --ctrl type=unixio,path="$_w/swtpm-ctrl.sock" \
			--pid file="$_w/swtpm.pid" --log file="$_w/swtpm.log" -d || {
			echo "swtpm failed to start" >> "$_log"
			return 1
		}
		if ! interposer_start "$_w/tpm.sock" "$_w/swtpm-ctrl.sock" "$_bus" "$_w/proxy" "$@"; then
			echo "interposer failed to start: $(cat "$_w/proxy.err")" >> "$_log"
			kill "$(cat "$_w/swtpm.pid")" 2> /dev/null
			return 1
		fi
		_ppid=$interposer_pid
	fi
	set -- -accel tcg -m 1024 -smp 1 -nodefaults -no-reboot -display none \
		-kernel "$_k" -initrd "$_i" -append "console=ttyS0 $_a" \
		-drive "file=$_d,format=raw,if=virtio,snapshot=on"
	[ -z "$_ppid" ] || set -- "$@" -chardev "socket,id=chrtpm,path=$_w/tpm.sock" \
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
	_cat=
	if [ -n "$_send" ]; then
		mkfifo "$_w/ser.in" "$_w/ser.out"
		set -- "$@" -chardev "pipe,id=ser0,path=$_w/ser" -serial chardev:ser0
		cat "$_w/ser.out" > "$_log" &
		_cat=$!
	else
		set -- "$@" -serial "file:$_log"
	fi
	_t0=$(date +%s)
	qemu-system-x86_64 "$@" > "$_w/qemu.log" 2>&1 &
	_q=$!
	_sent='' _seen=''
	rm -f "$work/$_n.rsecs"
	while kill -0 "$_q" 2> /dev/null; do
		_now=$(date +%s)
		if [ $((_now - _t0)) -ge "$boot_timeout" ]; then
			echo "ATTEST-TPM2-TEST timeout after ${boot_timeout}s" >> "$_log"
			break
		fi
		if [ ! -f "$work/$_n.rsecs" ] && grep -q 'attest-tpm2: FATAL' "$_log"; then
			echo $((_now - _t0)) > "$work/$_n.rsecs"
		fi
		if [ -n "$_send" ] && [ -z "$_sent" ] && grep -Eq "$prompt_re" "$_log"; then
			sleep 2
			printf '%s\n' "$_send" > "$_w/ser.in"
			_sent=$_now
		elif [ -z "$_send" ] && [ -z "$_seen" ] && grep -Eq "$prompt_re|$ushell_re|attest-tpm2: powering off" "$_log"; then
			# Stay a while: anything that would unseal behind the
			# prompt (a clevis loop, a token retry) has its chance.
			_seen=$_now
		fi
		if [ -n "$_seen" ] && [ $((_now - _seen)) -ge "$settle" ]; then
			break
		fi
		sleep 0.5
	done
	echo $(($(date +%s) - _t0)) > "$work/$_n.secs"
	qemu_stop "$_q"
	if [ -n "$_ppid" ]; then
		kill "$_ppid" 2> /dev/null
		wait "$_ppid" 2> /dev/null
		kill "$(cat "$_w/swtpm.pid" 2> /dev/null)" 2> /dev/null
	fi
	if [ -n "$_cat" ]; then
		kill "$_cat" 2> /dev/null
		wait "$_cat" 2> /dev/null
	fi
	rm -rf "$_w/state"
	return 0
}
