# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034 # globals shared with run.sh
# Setup helpers of the boot suites (tests/boot/run.sh, tests/boot/unlock.sh):
# packages, the staging install, enrollment, the encrypted root disk, image
# builds in a private mount namespace, the booted Debian root. The boots
# themselves are tests/boot/harness.sh's. Expects $repo, $here and $work.

log() { printf '%s\n' "$*" >&2; }
die() {
	log "${0##*/}: $*"
	exit 2
}

# ensure_packages: what the boot suites need (root installs it).
ensure_packages() {
	sh "$repo/tests/lib/ensure-packages.sh" boot >&2 || die "missing packages"
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
# kernel.sh hmac) as USRDIR/lib/modules/KREL, with depmod's output.
stage_modules() {
	mkdir -p "$3/lib/modules"
	rm -rf "${3:?}/lib/modules/$2"
	cp -a "$1/modules/lib/modules/$2" "$3/lib/modules/$2" || return 1
	rm -f "$3/lib/modules/$2/build" "$3/lib/modules/$2/source"
	depmod -b "$3" "$2" 2> /dev/null
}

# enroll DIR NAMEFILE [persist]: a TPM (fresh endorsement seed) in
# DIR/state and its signing-EK name in NAMEFILE, as an administrator would
# make it; with persist, also leave the signing EK and an SRK persistent.
# The TPM is left running (tests/lib/swtpm.sh: $TCTI); swtpm_stop DIR stops it.
enroll() {
	mkdir -p "$1/state"
	swtpm_start "$1" || return 1
	TSS2_LOG=all+none "$bin" -T "$TCTI" --eksign > "$2"
	rc=$?
	# persist: both keys persistent, as enrollment and systemd-tpm2-setup
	# leave them: the signing EK at 0x81010100 and an SRK at 0x81000001.
	if [ $rc -eq 0 ] && [ "${3:-}" = persist ]; then
		TSS2_LOG=all+none "$bin" -T "$TCTI" --eksign --persist > /dev/null &&
			TSS2_LOG=all+none tpm2_createprimary -Q -T "$TCTI" -C o \
				-g sha256 -G ecc256:aes128cfb -c "$1/srk.ctx" \
				-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' &&
			TSS2_LOG=all+none tpm2_evictcontrol -Q -T "$TCTI" -C o \
				-c "$1/srk.ctx" 0x81000001 > /dev/null &&
			TSS2_LOG=all+none tpm2_flushcontext -T "$TCTI" -t || rc=1
		rm -f "$1/srk.ctx"
	fi
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
	cp "$here/guest/test-root-init" "$r/sbin/init"
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
