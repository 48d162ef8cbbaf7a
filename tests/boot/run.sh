#!/bin/sh
# Boot tests for the dracut module and the initramfs-tools hooks.
#
# Usage: sh tests/boot/run.sh BINARY      (root; Debian 12)
#
# Builds real initramfs images (dracut classic, dracut systemd, mkinitramfs),
# then boots them under QEMU (TCG) with swtpm and a LUKS2 root disk:
#   good     enrolled TPM, kernel with null_name: unlocked, root reached
#   foreign  another TPM: nothing unlocked, failure message, recovery shell
#   warn     foreign TPM with rd.attest_tpm2=warn: logged, boot continues
#   stock    Debian kernel without null_name: SRK-only check, unlocked
#   strict   same with rd.attest_tpm2.require_null_name=1: refused
#   notpm    no TPM device at all: refused
#   hang     the TPM stops answering once /init runs: refused in bounded time
# plus image-content checks, the refusal to build without enrollment, and the
# bytes the module adds to an image.
#
# Kernels are cached in ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}.
# ATTEST_TPM2_BOOT_TIMEOUT (120) bounds each boot; ATTEST_TPM2_KEEP=1 keeps
# the work folder with the serial logs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

[ $# -eq 1 ] || die "usage: sh tests/boot/run.sh BINARY"
bin=$(readlink -f "$1")
[ -x "$bin" ] || die "$1: not an executable"
[ "$(id -u)" -eq 0 ] || die "must run as root (mount namespaces, overlays)"

work=$(mktemp -d /tmp/attest-tpm2-boot.XXXXXX)
cleanup() {
	if [ "${ATTEST_TPM2_KEEP:-0}" = 1 ] || [ "$failed" -gt 0 ]; then
		log "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
passed=0
failed=0
trap cleanup EXIT
trap 'exit 2' INT TERM
boot_timeout=${ATTEST_TPM2_BOOT_TIMEOUT:-120}
t0=$(date +%s)

pass() {
	passed=$((passed + 1))
	echo "PASS $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

ensure_packages

# ------------------------------------------------------------------ kernels
kbz=$(sh "$here/build-kernel.sh") || die "kernel build failed"
kdir=${kbz%/bzImage}
krel=$(cat "$kdir/release")
sdir=$(sh "$here/fetch-stock-kernel.sh") || die "cannot fetch the stock kernel"
srel=$(cat "$sdir/release")
skernel=$sdir/root/boot/vmlinuz-$srel
stock_tree=$sdir/root/lib/modules/$srel
export work srel stock_tree
log "kernels: $krel (null_name), $srel (stock); setup took $(($(date +%s) - t0))s"

# Modules trees as the generators expect them. The test kernel has all it
# needs built in: an empty tree with depmod's output is enough.
kst=$work/kstage
mkdir -p "$kst/usr/lib/modules/$krel" "$kst/usr/lib/modules/$srel" "$work/boot"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	if [ -f "$kdir/$f" ]; then
		cp "$kdir/$f" "$kst/usr/lib/modules/$krel/"
	else
		: > "$kst/usr/lib/modules/$krel/$f"
	fi
done
depmod -b "$kst/usr" "$krel" 2> /dev/null || die "depmod failed"
cp "$kdir/config" "$work/boot/config-$krel"
cp "$sdir/root/boot/config-$srel" "$work/boot/"

stage=$work/stage
stage_install "$stage"

# ------------------------------------------------- enrollment and the disk
enroll "$work/tpm-a" "$work/name-a" 0 || die "enrollment of TPM A failed"
enroll "$work/tpm-b" "$work/name-b" 1 || die "enrollment of TPM B failed"
cmp -s "$work/name-a" "$work/name-b" && die "two swtpm instances gave the same signing-EK name"

marker="marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
disk=$work/root.img
uuid=$(make_disk "$disk" "$work/luks.key" "$marker") || die "cannot make the LUKS disk"
mapname=luks-$uuid

# /etc as an enrolled host has it, and as a host without the module has it.
mkdir -p "$work/etc-mod" "$work/etc-base" "$work/etc-unenrolled" "$work/incl/etc"
cp "$stage/etc/attest-tpm2.conf" "$work/etc-mod/"
cp "$work/name-a" "$work/etc-mod/eksign.name"
cp "$stage/etc/attest-tpm2.conf" "$work/etc-unenrolled/"
# What the dracut images get besides the modules: crypttab and its key file.
printf '%s UUID=%s /etc/luks.key luks\n' "$mapname" "$uuid" > "$work/incl/etc/crypttab"
cp "$work/luks.key" "$work/incl/etc/luks.key"

# initramfs-tools configuration: only the drivers listed, plus a test-only
# local-top script that opens the disk with the key file (standing in for
# cryptsetup-initramfs' cryptroot, which also runs in local-top).
itconf=$work/itconf
mkdir -p "$itconf/hooks" "$itconf/scripts/local-top" "$itconf/conf.d"
printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=zstd\n' > "$itconf/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk dm_crypt xts ext4 > "$itconf/modules"
cp "$work/luks.key" "$itconf/luks.key"
cat > "$itconf/hooks/test-unlock" <<'EOF'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
copy_exec /usr/sbin/cryptsetup /usr/sbin/cryptsetup
copy_file key "$CONFDIR/luks.key" /etc/luks.key
EOF
cat > "$itconf/scripts/local-top/test-unlock" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
echo "TEST-UNLOCK luksOpen /dev/vda $mapname"
DM_DISABLE_UDEV=1 cryptsetup open --key-file /etc/luks.key /dev/vda $mapname
EOF
chmod 0755 "$itconf/hooks/test-unlock" "$itconf/scripts/local-top/test-unlock"

# ------------------------------------------------------------- image builds
# build FLAVOUR KREL OUT with|without ETCDIR
build() {
	fl=$1 kv=$2 out=$3 with=$4 etc=$5
	lower=$kst/usr
	[ "$with" = with ] && lower=$stage/usr:$kst/usr
	case "$fl" in
	dracut-*)
		mods="base crypt rootfs-block"
		[ "$fl" = dracut-systemd ] && mods="systemd systemd-initrd dracut-systemd $mods"
		[ "$with" = with ] && mods="$mods attest-tpm2"
		set -- dracut -f -q --no-hostonly --no-hostonly-cmdline --no-early-microcode \
			--compress zstd -m "$mods" --include "$work/incl" / --kver "$kv"
		[ "$kv" = "$srel" ] && set -- "$@" --add-drivers "virtio_pci virtio_blk ext4"
		set -- "$@" "$out"
		;;
	initramfs-tools)
		set -- mkinitramfs -d "$itconf" -o "$out" "$kv"
		;;
	esac
	in_namespace "$etc" "$lower" "$@" > "$out.buildlog" 2>&1
}

flavours="dracut-classic dracut-systemd initramfs-tools"
for fl in $flavours; do
	s=$(date +%s)
	build "$fl" "$krel" "$work/$fl.img" with "$work/etc-mod" &
	p1=$!
	build "$fl" "$srel" "$work/$fl-stock.img" with "$work/etc-mod" &
	p2=$!
	ok=yes
	build "$fl" "$krel" "$work/$fl-base.img" without "$work/etc-base" || ok=no
	wait "$p1" || ok=no
	wait "$p2" || ok=no
	if [ $ok = yes ]; then
		pass "build-$fl ($(($(date +%s) - s))s for 3 images)"
	else
		fail "build-$fl (see $work/$fl*.buildlog)"
	fi
done

# The build must stop, and say how to enroll, when the name file is missing.
for fl in dracut-classic initramfs-tools; do
	if build "$fl" "$krel" "$work/$fl-unenrolled.img" with "$work/etc-unenrolled"; then
		fail "refuse-unenrolled-$fl (image built without /etc/eksign.name)"
	elif grep -q 'attest_tpm2_primary --eksign > /etc/eksign.name' "$work/$fl-unenrolled.img.buildlog"; then
		pass "refuse-unenrolled-$fl"
	else
		fail "refuse-unenrolled-$fl (no enrollment hint in the build output)"
	fi
done

# ------------------------------------------------------------ image content
# unpack IMAGE DIR: unpack an image; prints the folder holding its main
# archive. list DIR: its file names, relative.
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	case "$1" in
	*initramfs-tools*)
		unmkinitramfs "$1" "$2" || return 1
		if [ -d "$2/main" ]; then echo "$2/main"; else echo "$2"; fi
		;;
	*)
		(cd "$2" && lsinitrd --unpack "$1" > /dev/null 2>&1) || return 1
		echo "$2"
		;;
	esac
}
list() {
	(cd "$1" && find . -mindepth 1 | sed 's|^\./||' | sort)
}
for fl in $flavours; do
	img=$work/$fl.img
	[ -f "$img" ] || {
		fail "image-$fl (no image)"
		continue
	}
	root=$(unpack "$img" "$work/x") || {
		fail "image-$fl (cannot unpack)"
		continue
	}
	broot=$(unpack "$work/$fl-base.img" "$work/xb") || {
		fail "image-$fl (cannot unpack the image without the module)"
		continue
	}
	list "$root" > "$work/$fl.list"
	list "$broot" > "$work/$fl-base.list"
	need="usr/bin/attest_tpm2_primary etc/eksign.name etc/attest-tpm2.conf usr/lib/attest-tpm2/attest-tpm2-lib.sh"
	case "$fl" in
	dracut-classic) need="$need usr/lib/dracut/hooks/pre-trigger/10-attest-tpm2-hook.sh" ;;
	dracut-systemd) need="$need usr/lib/systemd/system/attest-tpm2.service usr/lib/systemd/system/systemd-cryptsetup@.service.d/attest-tpm2.conf etc/systemd/system/initrd.target.wants/attest-tpm2.service" ;;
	initramfs-tools) need="$need scripts/init-premount/attest-tpm2" ;;
	esac
	why=
	for f in $need; do
		grep -qxF "$f" "$work/$fl.list" || why="$why missing:$f"
	done
	ib=$root/usr/bin/attest_tpm2_primary
	# dracut strips debug information: compare with stripped copies too.
	same=no
	for opt in none -g -s; do
		if [ $opt = none ]; then
			cp "$bin" "$work/bin.cmp"
		else
			strip "$opt" -o "$work/bin.cmp" "$bin" 2> /dev/null || continue
		fi
		cmp -s "$ib" "$work/bin.cmp" && same=yes
	done
	if [ $same = no ]; then
		why="$why binary-differs"
	fi
	if readelf -l "$ib" | grep -q 'program interpreter' || readelf -d "$ib" 2> /dev/null | grep -q NEEDED; then
		why="$why binary-not-static"
	fi
	# No shared library comes in with the module.
	extra=$(comm -13 "$work/$fl-base.list" "$work/$fl.list" | grep '\.so' | grep -v '^usr/lib/modules/' | tr '\n' ' ')
	[ -z "$extra" ] || why="$why extra-libraries:$extra"
	cmp -s "$root/etc/eksign.name" "$work/name-a" || why="$why name-differs"
	with=$(stat -c %s "$img")
	base=$(stat -c %s "$work/$fl-base.img")
	if [ -z "$why" ]; then
		pass "image-$fl (module adds $((with - base)) bytes: $base -> $with, zstd)"
	else
		fail "image-$fl ($why)"
	fi
done

# ------------------------------------------------------------------- boots
unlock_re='luksOpen|Starting.*systemd-cryptsetu|TEST-UNLOCK'
# expect NAME KIND: judge $work/NAME.log; KIND is unlocked, warned or refused.
expect() {
	l=$work/$1.log
	secs=$(cat "$work/$1.secs" 2> /dev/null)
	why=
	case "$2" in
	unlocked | warned)
		grep -q "ATTEST-TPM2-TEST MARKER $marker" "$l" || why="$why no-marker"
		if [ "$2" = unlocked ]; then
			grep -q 'ATTEST-TPM2-TEST SRK -----BEGIN PUBLIC KEY-----' "$l" || why="$why no-srk-pem"
		fi
		grep -Eq "$unlock_re" "$l" || why="$why no-unlock-seen"
		grep -q 'attest-tpm2: FATAL' "$l" && why="$why fatal-message"
		if [ "$2" = warned ]; then
			grep -q 'attest-tpm2: WARNING' "$l" || why="$why no-warning"
		else
			grep -q 'attest-tpm2: WARNING' "$l" && why="$why warning"
		fi
		;;
	refused)
		grep -q 'attest-tpm2: FATAL' "$l" || why="$why no-fatal-message"
		grep -q 'to check again by hand: /usr/bin/attest_tpm2_primary --boot --name /etc/eksign.name' "$l" ||
			why="$why no-rerun-command"
		grep -Eq 'Dropping to debug shell|Entering emergency mode|\(initramfs\) |You are in emergency mode' "$l" ||
			why="$why no-shell"
		grep -Eq "$unlock_re" "$l" && why="$why UNLOCK-ATTEMPTED"
		grep -q "ATTEST-TPM2-TEST MARKER" "$l" && why="$why ROOT-REACHED"
		;;
	esac
	if [ -n "$3" ] && ! grep -Eq "$3" "$l"; then
		why="$why no:'$3'"
	fi
	if [ -z "$why" ]; then
		pass "$1 (${secs}s)"
	else
		fail "$1 (${secs}s:$why; log $l)"
	fi
}

# Two boots at a time (TCG uses one host core per guest CPU).
for fl in $flavours; do
	img=$work/$fl.img
	simg=$work/$fl-stock.img
	if [ ! -f "$img" ] || [ ! -f "$simg" ]; then
		fail "boots-$fl (no image)"
		continue
	fi
	args="root=/dev/mapper/$mapname ro"
	case "$fl" in
	# dracut: show info messages (luksOpen); a dying /init reboots, and
	# -no-reboot turns that into an exit.
	dracut-*) args="$args rd.luks.uuid=$uuid rd.info panic=1" ;;
	# initramfs-tools: no panic=, which would reboot instead of giving a shell.
	esac
	boot "good-$fl" "$kbz" "$img" "$work/tpm-a" "$args" &
	boot "foreign-$fl" "$kbz" "$img" "$work/tpm-b" "$args" &
	wait
	boot "warn-$fl" "$kbz" "$img" "$work/tpm-b" "$args rd.attest_tpm2=warn" &
	boot "notpm-$fl" "$kbz" "$img" none "$args" &
	wait
	boot "stock-$fl" "$skernel" "$simg" "$work/tpm-a" "$args" &
	boot "strict-$fl" "$skernel" "$simg" "$work/tpm-a" "$args rd.attest_tpm2.require_null_name=1" &
	wait
	boot "hang-$fl" "$kbz" "$img" "$work/tpm-a+hang" "$args"
	expect "good-$fl" unlocked ''
	expect "foreign-$fl" refused 'TPM verification FAILED'
	expect "warn-$fl" warned ''
	expect "notpm-$fl" refused 'no TPM device'
	expect "stock-$fl" unlocked '[Uu]nverified'
	expect "strict-$fl" refused 'attest_tpm2_primary: .*null_name'
	expect "hang-$fl" refused 'did not finish within|TPM is unreachable'
done

echo "$passed passed, $failed failed ($(($(date +%s) - t0))s)"
[ "$failed" -eq 0 ]
