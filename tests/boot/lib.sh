# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034 # globals shared with run.sh
# Helpers for tests/boot/run.sh: package check, staging install, enrollment,
# encrypted root disk, initramfs builds in a private mount namespace, and
# QEMU (TCG) boots with swtpm. Expects $repo, $here and $work to be set.

log() { printf '%s\n' "$*" >&2; }
die() {
	log "run.sh: $*"
	exit 2
}

# ensure_packages: install what a fresh Debian 12 lacks (root only).
ensure_packages() {
	missing=
	for p in qemu-system-x86 swtpm swtpm-tools cryptsetup-bin dmsetup e2fsprogs \
		dracut-core initramfs-tools-core klibc-utils busybox dash tpm2-tools systemd udev kmod cpio zstd \
		util-linux binutils linux-source-6.12 bison flex libelf-dev bc libssl-dev make gcc; do
		dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing"
	log "installing:$missing"
	# shellcheck disable=SC2086 # word splitting intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 ||
		die "apt-get install failed"
}

# stage_install DESTDIR: what "make install" puts in place, with the binary
# under test as the program.
stage_install() {
	# Everything under /usr and /etc: the stage is copied over merged-/usr
	# roots, whose /lib must stay their link to usr/lib.
	make -s -C "$repo" install DESTDIR="$1" INSTALL_BIN="$bin" UNITDIR=/usr/lib/systemd/system \
		> "$work/stage-install.log" 2>&1 ||
		die "make install DESTDIR=$1 failed: $(tail -n 3 "$work/stage-install.log" | tr '\n' ' ')"
}

# stage_modules KDIR KREL USRDIR: the test kernel's modules tree (cached by
# build-kernel.sh) as USRDIR/lib/modules/KREL, with depmod's output.
stage_modules() {
	mkdir -p "$3/lib/modules"
	rm -rf "${3:?}/lib/modules/$2"
	cp -a "$1/modules/lib/modules/$2" "$3/lib/modules/$2" || return 1
	rm -f "$3/lib/modules/$2/build" "$3/lib/modules/$2/source"
	depmod -b "$3" "$2" 2> /dev/null
}

free_port() {
	p=$((20000 + ($$ % 2000) * 10 + ${1:-0} * 2))
	while ss -Hltn "sport = :$p" 2> /dev/null | grep -q . ||
		ss -Hltn "sport = :$((p + 1))" 2> /dev/null | grep -q .; do
		p=$((p + 2))
	done
	echo "$p"
}

# enroll STATEDIR NAMEFILE INDEX [persist]: create a TPM (fresh endorsement
# seed) in STATEDIR and write its signing-EK name, as an administrator would;
# with persist, also leave the signing EK and an SRK persistent.
enroll() {
	mkdir -p "$1"
	port=$(free_port "$3")
	swtpm socket --tpm2 --tpmstate dir="$1" --server type=tcp,port="$port" \
		--ctrl type=tcp,port=$((port + 1)) --flags not-need-init,startup-clear \
		--log file="$1.log" &
	spid=$!
	i=0
	while ! ss -Hltn "sport = :$port" | grep -q .; do
		i=$((i + 1))
		[ $i -lt 50 ] || break
		sleep 0.1
	done
	TSS2_LOG=all+none "$bin" -T "swtpm:host=127.0.0.1,port=$port" --eksign > "$2"
	rc=$?
	# persist: both keys persistent, as enrollment and systemd-tpm2-setup
	# leave them: the signing EK at 0x81010100 and an SRK at 0x81000001.
	if [ $rc -eq 0 ] && [ "${4:-}" = persist ]; then
		TSS2_LOG=all+none "$bin" -T "swtpm:host=127.0.0.1,port=$port" --eksign --persist > /dev/null &&
			TSS2_LOG=all+none tpm2_createprimary -Q -T "swtpm:host=127.0.0.1,port=$port" -C o \
				-g sha256 -G ecc256:aes128cfb -c "$1.srk.ctx" \
				-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' &&
			TSS2_LOG=all+none tpm2_evictcontrol -Q -T "swtpm:host=127.0.0.1,port=$port" -C o \
				-c "$1.srk.ctx" 0x81000001 > /dev/null &&
			TSS2_LOG=all+none tpm2_flushcontext -T "swtpm:host=127.0.0.1,port=$port" -t || rc=1
		rm -f "$1.srk.ctx"
	fi
	swtpm_ioctl --tcp "127.0.0.1:$((port + 1))" -s > /dev/null 2>&1 || kill "$spid" 2> /dev/null
	wait "$spid" 2> /dev/null
	[ $rc -eq 0 ] && [ -s "$2" ]
}

# make_disk IMAGE KEYFILE MARKER: LUKS2 volume holding a tiny ext4 root whose
# /sbin/init prints MARKER (read from the encrypted disk) and powers off.
# Encrypted offline in userspace by cryptsetup: no device-mapper needed.
make_disk() {
	r=$work/rootfs
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/sbin" "$r/lib" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/etc"
	# systemd only switches into an OS tree, which has an os-release file.
	printf 'ID=attest-tpm2-test\nNAME="attest-tpm2 boot test root"\n' > "$r/etc/os-release"
	ksh=/usr/lib/klibc/bin/sh
	interp=$(readelf -l "$ksh" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	[ -n "$interp" ] || die "cannot find klibc's interpreter"
	cp "$ksh" "$r/bin/sh"
	cp "$interp" "$r/lib/"
	cat > "$r/sbin/init" <<-'EOF'
		#!/bin/sh
		exec > /dev/console 2>&1
		echo "ATTEST-TPM2-TEST root reached"
		read -r m < /marker
		echo "ATTEST-TPM2-TEST MARKER $m"
		if read -r s < /run/attest-tpm2/srk.pem; then
			echo "ATTEST-TPM2-TEST SRK $s"
		fi
		echo o > /proc/sysrq-trigger
		# Power-off is asynchronous: do not exit (and panic) meanwhile.
		read -r m < /dev/console
	EOF
	chmod 0755 "$r/sbin/init"
	printf '%s\n' "$3" > "$r/marker"
	rm -f "$1"
	truncate -s 24M "$1"
	mke2fs -q -t ext4 -L testroot -d "$r" "$1" 8M || die "mke2fs failed"
	head -c 64 /dev/urandom > "$2"
	# From the work folder: reencrypt leaves a LUKS2-temp-*.new file where it runs.
	(cd "$work" && cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 16M \
		--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$2" -q "$1" > /dev/null) ||
		die "cryptsetup failed"
	cryptsetup luksUUID "$1"
}

# in_namespace ETCDIR USRLOWER CMD...: run CMD in a private mount namespace
# where ETCDIR is layered over /etc, USRLOWER (colon separated) over /usr,
# $work/boot over /boot and the unpacked stock modules tree is bound in, so
# that image generators see "installed" kernels without touching the host.
in_namespace() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c '
		set -e
		etc=$1 usrlower=$2
		shift 2
		mount -t overlay overlay -o "lowerdir=$usrlower:/usr" /usr
		mount --bind "$stock_tree" "/usr/lib/modules/$srel"
		mount -t overlay overlay -o "lowerdir=$work/boot:/boot" /boot
		mount -t overlay overlay -o "lowerdir=$etc:/etc" /etc
		exec "$@"
	' sh "$@"
}

# interposer_start LISTEN UPSTREAM BUSLOG PREFIX MODE...: the bus
# interposer (tests/lib/qemu_tpm_interposer.py) between QEMU (LISTEN) and
# swtpm's control socket (UPSTREAM), in MODE; its output in PREFIX.ready and
# PREFIX.err. Sets interposer_pid; returns 1, with the interposer's error in
# PREFIX.err, when it is not ready within 10 s.
interposer_start() {
	_is_listen=$1 _is_up=$2 _is_bus=$3 _is_pre=$4
	shift 4
	/usr/bin/python3 "$repo/tests/lib/qemu_tpm_interposer.py" --listen "$_is_listen" \
		--upstream "$_is_up" --log "$_is_bus" --mode "$@" > "$_is_pre.ready" 2> "$_is_pre.err" &
	interposer_pid=$!
	_is_i=0
	until grep -q ready "$_is_pre.ready" 2> /dev/null; do
		_is_i=$((_is_i + 1))
		if [ $_is_i -gt 200 ] || ! kill -0 "$interposer_pid" 2> /dev/null; then
			kill "$interposer_pid" 2> /dev/null
			return 1
		fi
		sleep 0.05
	done
}

# qemu_stop PID: ask QEMU to quit, and kill it after 5 s.
qemu_stop() {
	kill "$1" 2> /dev/null
	_qs_i=0
	while kill -0 "$1" 2> /dev/null && [ $_qs_i -lt 50 ]; do
		_qs_i=$((_qs_i + 1))
		sleep 0.1
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

shell_re='Dropping to debug shell|Entering emergency mode|\(initramfs\) |You are in emergency mode'

# no_timer_check: under TCG on a loaded host, the kernel's IO-APIC timer
# check can fail and panic before anything runs.
# boot NAME KERNEL INITRD TPMSTATE|none APPEND [SEND UNTIL [DISK]]: boot under
# QEMU TCG, serial console to $work/NAME.log. Stops at poweroff, when a shell
# prompt shows, or after $boot_timeout seconds. With SEND, types SEND (lines
# separated by "|") at the first shell prompt, as someone at the console
# would, and stops 5 s after UNTIL shows in the log instead: a regex, or
# N:regex for N matching lines.
# TPMSTATE+stall: the TPM never answers the check's first Certify (a bus
# interposer, tests/lib/qemu_tpm_interposer.py, withholds it and answers
# QEMU's control channel itself; bus log in NAME.bus). TPMSTATE+pause: the
# TPM stops answering once its driver is up (the test image's early script
# says so when the command line has attest_test_ready), until the log says
# "ATTEST-TPM2-TEST killed" (swtpm is stopped and continued: QEMU itself
# would freeze if the guest cancelled a command meanwhile).
# Writes the seconds taken to $work/NAME.secs.
# boot NAME KERNEL INITRD TPM APPEND [SEND [UNTIL [DISK]]]: one QEMU boot;
# $boot_disks, when set, names more disks (vdb, vdc, ...) in order.
boot() {
	name=$1 kernel=$2 initrd=$3 tpm=$4 append=$5 send=${6:-} until=${7:-} bdisk=${8:-$disk}
	blog=$work/$name.log
	: > "$blog"
	hang=
	resume=
	stall=
	case "$tpm" in
	*+stall)
		stall=yes
		tpm=${tpm%+stall}
		;;
	*+pause)
		hang=yes
		resume=yes
		tpm=${tpm%+pause}
		;;
	esac
	[ -z "$hang" ] || append="$append attest_test_ready"
	set -- -accel tcg -m 1024 -smp 1 -nodefaults -no-reboot -display none \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 no_timer_check $append" \
		-drive "file=$bdisk,format=raw,if=virtio,snapshot=on"
	for d in ${boot_disks:-}; do
		set -- "$@" -drive "file=$d,format=raw,if=virtio,snapshot=on"
	done
	until_n=1
	until_re=$until
	case "$until" in
	[1-9]:*)
		until_n=${until%%:*}
		until_re=${until#*:}
		;;
	esac
	catpid=
	if [ -n "$send" ]; then
		# A pipe chardev: QEMU opens NAME.ser.in and NAME.ser.out read-write,
		# so neither side blocks on the other.
		rm -f "$work/$name.ser.in" "$work/$name.ser.out"
		mkfifo "$work/$name.ser.in" "$work/$name.ser.out"
		set -- "$@" -chardev "pipe,id=ser0,path=$work/$name.ser" -serial chardev:ser0
		cat "$work/$name.ser.out" > "$blog" &
		catpid=$!
	else
		set -- "$@" -serial "file:$blog"
	fi
	tpid=
	prxpid=
	if [ "$tpm" != none ]; then
		st=$work/tpm-$name
		rm -rf "$st"
		cp -a "$tpm" "$st"
		sock=$work/$name.sock
		swtpm socket --tpm2 --tpmstate dir="$st" --ctrl type=unixio,path="$sock" --terminate \
			--log file="$work/$name.swtpm.log" &
		tpid=$!
		i=0
		while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		if [ -n "$stall" ]; then
			interposer_start "$work/$name.tpm.sock" "$sock" "$work/$name.bus" "$work/$name.proxy" \
				stall --stall-at Certify --nth 1 ||
				echo "ATTEST-TPM2-TEST interposer failed: $(cat "$work/$name.proxy.err")" >> "$blog"
			prxpid=$interposer_pid
			sock=$work/$name.tpm.sock
		fi
		set -- "$@" -chardev "socket,id=chrtpm,path=$sock" \
			-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
	fi
	limit=$boot_timeout
	cr=$(printf '\r')
	start=$(date +%s)
	qemu-system-x86_64 "$@" > "$work/$name.qemu.log" 2>&1 &
	qpid=$!
	sent=
	while kill -0 "$qpid" 2> /dev/null; do
		now=$(date +%s)
		if [ $((now - start)) -ge "$limit" ]; then
			echo "ATTEST-TPM2-TEST timeout after ${limit}s" >> "$blog"
			break
		fi
		# A panicked kernel (with no panic= to reboot it) never moves on.
		if grep -q 'Kernel panic - not syncing' "$blog"; then
			sleep 1
			break
		fi
		if [ -n "$hang" ] && grep -q 'ATTEST-TPM2-TEST TPM ready' "$blog"; then
			kill -STOP "$tpid"
			hang=
		fi
		if [ -n "$resume" ] && [ -z "$hang" ] && grep -q 'ATTEST-TPM2-TEST killed' "$blog"; then
			kill -CONT "$tpid"
			resume=
		fi
		if [ -z "$send" ] && grep -Eq "$shell_re" "$blog"; then
			sleep 2
			break
		fi
		# A power-off by the library: the kernel's own shutdown may then
		# wait on a stalled TPM until the timeout; nothing more will come.
		if grep -q "attest-tpm2: powering off$cr\?\$" "$blog"; then
			sleep 2
			break
		fi
		if [ -n "$send" ] && [ -z "$sent" ] && grep -Eq "$shell_re" "$blog"; then
			# Let the shell settle, wake sulogin's "Press Enter", then type.
			sleep 3
			printf '\n' > "$work/$name.ser.in"
			sleep 2
			printf '%s\n' "$send" | tr '|' '\n' > "$work/$name.ser.in"
			sent=$now
		fi
		if [ -n "$sent" ] && [ "$(grep -Ec "$until_re" "$blog")" -ge "$until_n" ]; then
			sleep 5
			break
		fi
		sleep 0.5
	done
	echo $(($(date +%s) - start)) > "$work/$name.secs"
	# swtpm first: QEMU cannot quit while its TPM backend waits for a
	# stopped swtpm.
	if [ -n "$tpid" ]; then
		kill -CONT "$tpid" 2> /dev/null
		kill "$tpid" 2> /dev/null
	fi
	qemu_stop "$qpid"
	[ -z "$tpid" ] || wait "$tpid" 2> /dev/null
	if [ -n "$prxpid" ]; then
		kill "$prxpid" 2> /dev/null
		wait "$prxpid" 2> /dev/null
	fi
	if [ -n "$catpid" ]; then
		kill "$catpid" 2> /dev/null
		wait "$catpid" 2> /dev/null
	fi
	return 0
}

# make_host_root DIR: the booted system of the host boots, as disks in DIR: a
# Debian 12 root with systemd (root.img, ext4) with this package installed
# by "make install" and an /etc/crypttab of three volumes on the next disks:
# home (vdb: LUKS2, a key file, no token), cswap (vdc: swap keyed from
# /dev/urandom) and tpmvol (vdd: LUKS2 with a systemd-tpm2 token, and a key
# file that would open it if the gate let it). A test-only unit reports
# which opened, then powers off. enrolled.img is the same root with a name
# file: an enrolled machine.
make_host_root() {
	hr=$1
	mkdir -p "$hr"
	# shellcheck source=SCRIPTDIR/../lib/debian_root.sh
	. "$repo/tests/lib/debian_root.sh"
	# shellcheck source=SCRIPTDIR/../lib/debian_root_cache.sh
	. "$repo/tests/lib/debian_root_cache.sh"
	tarball=$(debian_root_tarball bookworm "systemd,systemd-sysv,udev,kmod,cryptsetup-bin,util-linux,e2fsprogs" \
		2> "$hr/root.err") || return 1
	r=$hr/root
	rm -rf "$r"
	mkdir -p "$r"
	tar -C "$r" -xf "$tarball" || return 1
	make -s -C "$repo" install DESTDIR="$r" INSTALL_BIN="$bin" > "$hr/install.log" 2>&1 || return 1
	printf 'home-key' > "$r/etc/home.key"
	printf 'tpm-key' > "$r/etc/tpm.key"
	chmod 0600 "$r/etc/home.key" "$r/etc/tpm.key"
	for v in home tpm swap; do
		rm -f "$hr/$v.img"
		truncate -s 24M "$hr/$v.img"
	done
	for v in home tpm; do
		cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
			--key-file "$r/etc/$v.key" "$hr/$v.img" > /dev/null 2>&1 || return 1
	done
	printf '%s' '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}' |
		cryptsetup token import "$hr/tpm.img" || return 1
	printf '%s\n' 'home /dev/vdb /etc/home.key luks,nofail' \
		'cswap /dev/vdc /dev/urandom swap,cipher=aes-xts-plain64,size=256,nofail' \
		'tpmvol /dev/vdd /etc/tpm.key luks,nofail' > "$r/etc/crypttab"
	mkdir -p "$r/usr/local/sbin" "$r/etc/systemd/system/multi-user.target.wants"
	install -m 0755 "$here/guest/attest-test-report" "$r/usr/local/sbin/"
	install -m 0644 "$here/guest/attest-test-report.service" "$r/etc/systemd/system/"
	ln -sf /etc/systemd/system/attest-test-report.service \
		"$r/etc/systemd/system/multi-user.target.wants/attest-test-report.service"
	for img in root enrolled; do
		[ "$img" = root ] || cp "$work/name-a" "$r/etc/eksign.name"
		rm -f "$hr/$img.img"
		truncate -s 600M "$hr/$img.img"
		mke2fs -q -t ext4 -d "$r" "$hr/$img.img" || return 1
	done
	rm -rf "$r"
}
