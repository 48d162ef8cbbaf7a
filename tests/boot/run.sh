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
#   unenrolled  an image built on a machine not enrolled yet: nothing of
#            ours in it, and it boots as without the package, saying nothing
#   hang     the TPM never answers the check's first Certify (a bus
#            interposer withholds it): refused in bounded time, and, as the
#            cap cannot reach it either, powered off rather than a shell
#   rescue   good, with systemd.unit=rescue.target: the PCRs are capped
#            before switch-root, as that shell would run with the root open
#   hostonly (dracut) good, from a --hostonly image built on a host with no
#            TPM driver loaded: the test kernel's TPM drivers are modules, so
#            this unlocks only if the image carries and loads them (every
#            initramfs-tools image here is MODULES=list: the same proof)
# (these images use ATTEST_TPM2_ON_FAILURE=shell: every refusal caps PCR 7
# first, then ends at a recovery shell that can be judged), then the bypass
# cases, each passing only when nothing was unlocked and no switch-root
# happened:
#   hostile     ATTEST_TPM2_TIMEOUT=08 and DEVICE_WAIT=09 in a locked image
#               with ON_FAILURE=halt, foreign TPM: refused, capped, off
#   downgrade   the same image with rd.attest_tpm2=off: ignored and said so
#   killed      the check killed while it waits on the TPM
#   shell-edit  at the shell, policy off written to the config, shell left:
#               refused again with the first refusal's settings
#   unseal      a secret sealed to PCR 7 before the check (and unsealed
#               then), unsealed by hand from the shell after the refusal:
#               TPM_RC_POLICY_FAIL
#   race        unencrypted root, stalling TPM: no switch-root meanwhile
#   break       break=premount / rd.break=pre-trigger on the enrolled TPM:
#               PCRs capped before that shell, the secret sealed to PCR 7
#               before it does not unseal there
#   rootwait    a verified check, then a root device that never comes: the
#               same at the shell each generator offers then
#   jump        (systemd) rd.systemd.unit=initrd-switch-root.target, foreign
#               TPM, unencrypted root
#   notpm-passphrase  no TPM under the shipped ON_FAILURE=passphrase: no
#               power-off, the unlock goes on
#   late-tpm    the same, and then the TPM appears (a test script binds its
#               driver again between the check and the gate): capped before
#               the unlock
#   passphrase  (initramfs-tools) the shipped ON_FAILURE=passphrase: PCR 7
#               capped before the (key-file) unlock, no shell
# plus image-content checks, the refusal to build without enrollment, and the
# bytes the module adds to an image; and the booted system (a Debian 12 root
# with systemd, booted through dracut systemd images):
#   host-unenrolled  installed, not enrolled: every crypttab volume opens
#   host-old-image   enrolled, booted from an image without the check: the
#               key-file volume and the random-keyed swap open, the volume
#               with a TPM token does not
#
# Kernels are cached in ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}.
# ATTEST_TPM2_BOOT_TIMEOUT (150) bounds each boot; ATTEST_TPM2_KEEP=1 keeps
# the work folder with the serial logs. ATTEST_TPM2_MATRIX_FLAVOURS and
# ATTEST_TPM2_BYPASS_FLAVOURS (default: all three) pick the flavours booted
# in each part; empty skips it.
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
	if [ "${ATTEST_TPM2_KEEP:-0}" = 1 ] || [ "$REPORT_FAILED" -gt 0 ]; then
		log "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
# shellcheck source=SCRIPTDIR/../lib/report.sh
. "$repo/tests/lib/report.sh"
trap cleanup EXIT
trap 'exit 2' INT TERM
boot_timeout=${ATTEST_TPM2_BOOT_TIMEOUT:-150}
t0=$(date +%s)


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

# Modules trees as the generators expect them: the test kernel's (its TPM
# drivers are modules), and an empty one for the stock kernel, whose tree
# comes in through stock_tree.
kst=$work/kstage
mkdir -p "$kst/usr/lib/modules/$srel" "$work/boot"
stage_modules "$kdir" "$krel" "$kst/usr" || die "cannot stage the test kernel's modules"
cp "$kdir/config" "$work/boot/config-$krel"
cp "$sdir/root/boot/config-$srel" "$work/boot/"

stage=$work/stage
stage_install "$stage"

# ------------------------------------------------- enrollment and the disk
# TPM A has both keys persistent (the images built from etc-mod name the
# signing EK's handle, so their good boots derive nothing on a stock kernel);
# TPM B has none, so the foreign boots find nothing there and derive.
enroll "$work/tpm-a" "$work/name-a" 0 persist || die "enrollment of TPM A failed"
enroll "$work/tpm-b" "$work/name-b" 1 || die "enrollment of TPM B failed"
cmp -s "$work/name-a" "$work/name-b" && die "two swtpm instances gave the same signing-EK name"

marker="marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
disk=$work/root.img
uuid=$(make_disk "$disk" "$work/luks.key" "$marker") || die "cannot make the LUKS disk"
mapname=luks-$uuid
# The same root, unencrypted: nothing to unlock, only switch-root to stop.
plain=$work/plain.img
rm -f "$plain"
truncate -s 16M "$plain"
mke2fs -q -t ext4 -L plainroot -d "$work/rootfs" "$plain" 8M || die "cannot make the plain disk"

# /etc as an enrolled host has it, and as a host without the module has it.
mkdir -p "$work/etc-mod" "$work/etc-base" "$work/etc-unenrolled" "$work/incl/etc"
cp "$stage/etc/attest-tpm2.conf" "$work/etc-mod/"
# The matrix below keeps the recovery shell on a refusal (after the PCRs are
# capped), so that each refused boot ends at a prompt that can be judged.
# A refusal the TPM does not let cap powers off even here: briefly.
printf '%s\n' ATTEST_TPM2_ON_FAILURE=shell ATTEST_TPM2_HALT_DELAY=3 >> "$work/etc-mod/attest-tpm2.conf"
cp "$work/name-a" "$work/etc-mod/eksign.name"
printf 'name=%s\nlevel=tofu\nhandle=0x81010100\n' "$(cat "$work/name-a")" > "$work/etc-mod/eksign.name.info"
cp "$stage/etc/attest-tpm2.conf" "$work/etc-unenrolled/"
# The shipped config as is (ON_FAILURE=passphrase), for one boot.
mkdir -p "$work/etc-default"
cp "$work/etc-mod/eksign.name" "$stage/etc/attest-tpm2.conf" "$work/etc-default/"
# A locked image that powers off on a refusal, and whose config has values
# that used to kill the check ($((08)) is a fatal shell error).
mkdir -p "$work/etc-locked"
cp "$work/etc-mod/eksign.name" "$work/etc-locked/"
{
	cat "$stage/etc/attest-tpm2.conf"
	printf '%s\n' ATTEST_TPM2_ON_FAILURE=halt ATTEST_TPM2_LOCK=yes ATTEST_TPM2_TIMEOUT=08 ATTEST_TPM2_DEVICE_WAIT=09 \
		ATTEST_TPM2_HALT_DELAY=3
} > "$work/etc-locked/attest-tpm2.conf"
# What the dracut images get besides the modules: crypttab and its key file.
printf '%s UUID=%s /etc/luks.key luks\n' "$mapname" "$uuid" > "$work/incl/etc/crypttab"
cp "$work/luks.key" "$work/incl/etc/luks.key"

# Test-only tools in every test image (with and without the module): the
# bypass cases seal, unseal and read PCRs by hand, and tpm2_pcrextend is
# there for the library's fallback cap.
tcti=$(readlink -f /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0)
test_tools="/usr/bin/tpm2 /usr/bin/tpm2_pcrextend /usr/bin/tpm2_pcrread /usr/bin/tpm2_unseal \
/usr/bin/tpm2_createprimary /usr/bin/tpm2_create /usr/bin/tpm2_load /usr/bin/tpm2_createpolicy \
$tcti /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 /usr/bin/attest-test-early"

# Test-only early script (every test image; idle unless the kernel command
# line asks), run before the check: by an init-top script (initramfs-tools)
# or a pre-udev hook (both dracut flavours).
#   attest_test_seal  seal a secret to PCR 7 as it is now (a stand-in for a
#                     TPM-sealed disk key), and prove it unseals;
#   attest_test_kill  in the background, kill the check (attest_tpm2_primary
#                     and the script that runs it, unless that is PID 1) as
#                     soon as it runs;
#   attest_test_ready say "ATTEST-TPM2-TEST TPM ready" once the TPM's driver
#                     is loaded and its device is there (boot() pauses the
#                     TPM then).
# The first and the last load the TPM driver themselves: the test kernel has
# it as a module, and this runs before udev.
early=$work/attest-test-early
cat > "$early" <<'EOF'
#!/bin/sh
read -r cmdline < /proc/cmdline
export TPM2TOOLS_TCTI=device:/dev/tpmrm0 TSS2_LOG=all+none
tpm_ready() {
	modprobe -q tpm_tis 2> /dev/null
	i=0
	while [ ! -c /dev/tpmrm0 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -c /dev/tpmrm0 ]
}
# Ready also means idle: the kernel reads the new chip as a hardware RNG
# right after it registers, and a TPM that stops in the middle of that
# holds the chip's lock until the kernel's own long timeout.
case " $cmdline " in
*" attest_test_ready "*)
	tpm_ready && sleep 2 && echo "ATTEST-TPM2-TEST TPM ready" > /dev/console
	;;
esac
case " $cmdline " in
*" attest_test_seal "*)
	tpm_ready
	mkdir -p /run/test-seal
	cd /run/test-seal || exit 1
	echo attest-test-secret > secret
	if tpm2_createprimary -Q -C o -G ecc -c prim.ctx &&
		tpm2_pcrread -Q sha256:7 -o pcr7.bin &&
		tpm2_createpolicy -Q --policy-pcr -l sha256:7 -f pcr7.bin -L pol.bin &&
		tpm2_create -Q -C prim.ctx -L pol.bin -i secret -u seal.pub -r seal.priv -a 'fixedtpm|fixedparent' &&
		tpm2_load -Q -C prim.ctx -u seal.pub -r seal.priv -c seal.ctx &&
		tpm2_unseal -c seal.ctx -p pcr:sha256:7 > unsealed; then
		read -r u < unsealed
		echo "ATTEST-TPM2-TEST sealed to PCR 7; before the check it unseals to: $u" > /dev/console
	else
		echo "ATTEST-TPM2-TEST could not seal" > /dev/console
	fi
	;;
esac
case " $cmdline " in
*" attest_test_kill "*)
	(
		i=0
		while [ $i -lt 3000 ]; do
			for d in /proc/[0-9]*; do
				c=
				read -r c < "$d/comm" 2> /dev/null
				[ "$c" = attest_tpm2_pri ] || continue
				read -r _ _ _ pp _ < "$d/stat"
				[ "$pp" -gt 1 ] && kill -9 "$pp"
				kill -9 "${d#/proc/}"
				echo "ATTEST-TPM2-TEST killed the check: pid ${d#/proc/}, parent $pp" > /dev/console
				exit 0
			done
			i=$((i + 1))
			sleep 0.01
		done
	) < /dev/null > /dev/null 2>&1 &
	;;
esac
exit 0
EOF
chmod 0755 "$early"
mkdir -p "$work/incl/usr/bin" "$work/incl/usr/lib/dracut/hooks/pre-udev" "$work/incl/usr/lib/dracut/hooks/pre-trigger"
cp "$early" "$work/incl/usr/bin/attest-test-early"
printf '/usr/bin/attest-test-early\n' > "$work/incl/usr/lib/dracut/hooks/pre-udev/05-attest-test.sh"
# A TPM that appears after the check found none (guest/attest-test-late-tpm,
# idle unless the command line asks): hidden before the check (pre-udev),
# shown again between the check (pre-trigger 10) and the gate (90).
cp "$here/guest/attest-test-late-tpm" "$work/incl/usr/bin/"
printf '/usr/bin/attest-test-late-tpm hide\n' > "$work/incl/usr/lib/dracut/hooks/pre-udev/06-attest-test-late.sh"
printf '/usr/bin/attest-test-late-tpm show\n' > "$work/incl/usr/lib/dracut/hooks/pre-trigger/50-attest-test-late.sh"
# In the systemd initrd: a unit between attest-tpm2.service and the unlocks.
mkdir -p "$work/incl/etc/systemd/system/initrd.target.wants"
cp "$here/guest/attest-test-late.service" "$work/incl/etc/systemd/system/"
ln -sf ../attest-test-late.service "$work/incl/etc/systemd/system/initrd.target.wants/attest-test-late.service"

# initramfs-tools configuration: only the drivers listed, plus a test-only
# local-top script that opens the disk with the key file (standing in for
# cryptsetup-initramfs' cryptroot, which also runs in local-top).
itconf=$work/itconf
mkdir -p "$itconf/hooks" "$itconf/scripts/local-top" "$itconf/conf.d"
printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=zstd\n' > "$itconf/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk dm_crypt xts ext4 > "$itconf/modules"
cp "$work/luks.key" "$itconf/luks.key"
cat > "$itconf/hooks/test-unlock" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
copy_exec /usr/sbin/cryptsetup /usr/sbin/cryptsetup
copy_file key "\$CONFDIR/luks.key" /etc/luks.key
copy_file script "$early" /usr/bin/attest-test-early
copy_file script "$here/guest/attest-test-late-tpm" /usr/bin/attest-test-late-tpm
for t in $test_tools; do
	[ "\$t" = /usr/bin/attest-test-early ] || copy_exec "\$t"
done
EOF
mkdir -p "$itconf/scripts/init-top"
cat > "$itconf/scripts/init-top/attest-test" <<'EOF'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
/usr/bin/attest-test-early
/usr/bin/attest-test-late-tpm hide
EOF
# After the check in init-premount, so before local-top's gate. (mkinitramfs
# asks a script in the -d folder for its prerequisites there, so the
# "every other script" trick that cryptroot uses would find none.)
mkdir -p "$itconf/scripts/init-premount"
cat > "$itconf/scripts/init-premount/attest-test-late" <<'EOF'
#!/bin/sh
if [ "$1" = prereqs ]; then
	echo attest-tpm2
	exit 0
fi
/usr/bin/attest-test-late-tpm show
EOF
chmod 0755 "$itconf/scripts/init-top/attest-test" "$itconf/scripts/init-premount/attest-test-late"
# Runs after the gate in local-top, as cryptroot does (which names every
# other script of /usr/share/initramfs-tools/scripts/local-top).
cat > "$itconf/scripts/local-top/test-unlock" <<EOF
#!/bin/sh
if [ "\$1" = prereqs ]; then
	echo attest-tpm2
	exit 0
fi
i=0
while [ ! -b /dev/vda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
echo "TEST-UNLOCK luksOpen /dev/vda $mapname"
DM_DISABLE_UDEV=1 cryptsetup open --key-file /etc/luks.key /dev/vda $mapname
EOF
chmod 0755 "$itconf/hooks/test-unlock" "$itconf/scripts/local-top/test-unlock"

# ------------------------------------------------------------- image builds
# build FLAVOUR KREL OUT with|without ETCDIR [hostonly]: hostonly builds as
# distributions do, for this host only (dracut --hostonly). This host has no
# TPM driver loaded (nor a TPM), so only the module's own "every TPM driver"
# rule can put one in. (initramfs-tools images here are all MODULES=list,
# narrower than the host-only MODULES=dep, which cannot find the root device
# inside the build's mount namespace.)
build() {
	fl=$1 kv=$2 out=$3 with=$4 etc=$5 ho=${6:-}
	lower=$kst/usr
	[ "$with" = with ] && lower=$stage/usr:$kst/usr
	case "$fl" in
	dracut-*)
		mods="base crypt rootfs-block"
		[ "$fl" = dracut-systemd ] && mods="systemd systemd-initrd dracut-systemd $mods"
		[ "$with" = with ] && mods="$mods attest-tpm2"
		hostonly=--no-hostonly
		[ -z "$ho" ] || hostonly=--hostonly
		set -- dracut -f -q "$hostonly" --no-hostonly-cmdline --no-early-microcode \
			--compress zstd -m "$mods" --include "$work/incl" / --install "${test_tools%/usr/bin/attest-test-early}" --kver "$kv"
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
	build "$fl" "$krel" "$work/$fl-locked.img" with "$work/etc-locked" &
	p3=$!
	ok=yes
	build "$fl" "$krel" "$work/$fl-base.img" without "$work/etc-base" || ok=no
	wait "$p1" || ok=no
	wait "$p2" || ok=no
	wait "$p3" || ok=no
	build "$fl" "$krel" "$work/$fl-default.img" with "$work/etc-default" || ok=no
	n=5
	if [ "$fl" != initramfs-tools ]; then
		build "$fl" "$krel" "$work/$fl-hostonly.img" with "$work/etc-mod" hostonly || ok=no
		n=6
	fi
	if [ $ok = yes ]; then
		pass "build-$fl ($(($(date +%s) - s))s for $n images)"
	else
		fail "build-$fl (see $work/$fl*.buildlog)"
	fi
done

# The hostonly (dracut) and MODULES=list (initramfs-tools) images carry the
# TPM chip drivers, though this host has none loaded.
for fl in $flavours; do
	case $fl in
	initramfs-tools) lsinitramfs "$work/$fl.img" > "$work/$fl-drivers.list" 2> /dev/null ;;
	*) lsinitrd "$work/$fl-hostonly.img" > "$work/$fl-drivers.list" 2> /dev/null ;;
	esac
	why=
	for m in tpm_tis tpm_crb; do
		grep -q "lib/modules/$krel/kernel/drivers/char/tpm/$m\.ko" "$work/$fl-drivers.list" || why="$why missing:$m"
	done
	if [ -z "$why" ]; then
		pass "drivers-image-$fl (tpm_tis and tpm_crb in, none loaded on the build host)"
	else
		fail "drivers-image-$fl ($why)"
	fi
done

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

# Not enrolled yet (no name file): the build succeeds with nothing of ours in
# the image (initramfs-tools copies every script it finds: the hook takes
# ours back out) and says how to enroll, so that no kernel upgrade fails
# before enrollment. These images are booted below: unchanged boots.
for fl in $flavours; do
	if ! build "$fl" "$krel" "$work/$fl-unenrolled.img" with "$work/etc-unenrolled"; then
		fail "unenrolled-$fl (the build failed: see $work/$fl-unenrolled.img.buildlog)"
	elif ! grep -q 'not enrolled.*attest-tpm2-enroll' "$work/$fl-unenrolled.img.buildlog"; then
		fail "unenrolled-$fl (no enrollment hint in the build output)"
	else
		# Paths inside the image, relative: lsinitrd's header names the
		# work folder and repeats the command line, which asked for the
		# module by name.
		root=$(unpack "$work/$fl-unenrolled.img" "$work/xu") && list "$root" > "$work/$fl-unenrolled.list"
		if ! grep -q '^init$\|^usr/bin' "$work/$fl-unenrolled.list"; then
			fail "unenrolled-$fl (cannot list the image)"
		elif grep -E 'attest[-_]tpm2|eksign' "$work/$fl-unenrolled.list" > "$work/$fl-unenrolled.ours"; then
			fail "unenrolled-$fl (the image has files of ours without an enrolled name: $(tr '\n' ' ' < "$work/$fl-unenrolled.ours"))"
		else
			pass "unenrolled-$fl (built with nothing of ours, with the enrollment hint)"
		fi
	fi
done
# Enrolled, but the name file is not a name: the build must fail.
mkdir -p "$work/etc-badname"
cp "$stage/etc/attest-tpm2.conf" "$work/etc-badname/"
echo 'not a name' > "$work/etc-badname/eksign.name"
for fl in dracut-classic initramfs-tools; do
	if build "$fl" "$krel" "$work/$fl-badname.img" with "$work/etc-badname"; then
		fail "badname-$fl (image built with a malformed name file)"
	else
		pass "badname-$fl (a malformed name file fails the build)"
	fi
done

# ------------------------------------------------------------ image content
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
	need="usr/bin/attest_tpm2_primary etc/eksign.name etc/eksign.name.info etc/attest-tpm2.conf usr/lib/attest-tpm2/attest-tpm2-lib.sh"
	case "$fl" in
	dracut-classic) need="$need usr/lib/dracut/hooks/pre-trigger/10-attest-tpm2-hook.sh usr/lib/dracut/hooks/pre-trigger/90-attest-tpm2-gate.sh" ;;
	dracut-systemd) need="$need usr/lib/systemd/system/attest-tpm2.service usr/lib/systemd/system/systemd-cryptsetup@.service.d/attest-tpm2.conf usr/lib/systemd/system/initrd-switch-root.service.d/attest-tpm2.conf etc/systemd/system/initrd.target.requires/attest-tpm2.service" ;;
	initramfs-tools) need="$need scripts/init-premount/attest-tpm2 scripts/local-top/attest-tpm2" ;;
	esac
	why=
	# No crypttab volume has a TPM token: the build falls back to PCR 7.
	grep -qx 'ATTEST_TPM2_CAP_PCRS=7' "$root/etc/attest-tpm2.conf" || why="$why no-cap-pcrs-in-config"
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
	# Of the enrollment record, the image carries the handle alone.
	[ "$(cat "$root/etc/eksign.name.info" 2> /dev/null)" = handle=0x81010100 ] || why="$why info-not-handle-only"
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
# expect NAME KIND: judge $work/NAME.log; KIND is one of the cases below.
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
	# Unlocked and root reached, whatever was said before.
	opened)
		grep -q "ATTEST-TPM2-TEST MARKER $marker" "$l" || why="$why no-marker"
		grep -Eq "$unlock_re" "$l" || why="$why no-unlock-seen"
		;;
	# The booted system reported which volumes opened, without an
	# emergency shell.
	host)
		grep -q 'ATTEST-HOST done' "$l" || why="$why no-report"
		grep -Eq "$shell_re" "$l" && why="$why SHELL"
		;;
	# Not enrolled: unlocked and booted as without the package, which
	# said nothing and capped nothing.
	untouched)
		grep -q "ATTEST-TPM2-TEST MARKER $marker" "$l" || why="$why no-marker"
		grep -Eq "$unlock_re" "$l" || why="$why no-unlock-seen"
		grep -q 'attest-tpm2:' "$l" && why="$why attest-tpm2-spoke"
		;;
	# Refused and powered off: no shell at all.
	halted)
		grep -q 'attest-tpm2: FATAL' "$l" || why="$why no-fatal-message"
		grep -q 'attest-tpm2: powering off' "$l" || why="$why no-power-off"
		grep -Eq "$shell_re" "$l" && why="$why SHELL"
		grep -Eq "$unlock_re" "$l" && why="$why UNLOCK-ATTEMPTED"
		grep -q "ATTEST-TPM2-TEST MARKER" "$l" && why="$why ROOT-REACHED"
		;;
	# A shell came, whatever was opened before it.
	shell)
		grep -Eq "$shell_re" "$l" || why="$why no-shell"
		;;
	# Whatever stopped it: nothing unlocked and no switch-root.
	stopped)
		grep -Eq "$unlock_re" "$l" && why="$why UNLOCK-ATTEMPTED"
		grep -q "ATTEST-TPM2-TEST root reached" "$l" && why="$why ROOT-REACHED"
		grep -Eq 'Switching root|switch_root|run-init' "$l" && why="$why SWITCH-ROOT"
		;;
	esac
	n=$1
	shift 2
	# Further arguments: regexes that must match the log, or with a leading
	# "!", must not.
	for re in "$@"; do
		case "$re" in
		'') ;;
		!*) grep -Eq "${re#!}" "$l" && why="$why present:'${re#!}'" ;;
		*) grep -Eq "$re" "$l" || why="$why no:'$re'" ;;
		esac
	done
	set -- "$n"
	if [ -z "$why" ]; then
		pass "$1 (${secs}s)"
	else
		fail "$1 (${secs}s:$why; log $l)"
	fi
}

# timing NAME: what the check cost the boot in $work/NAME.log, from the
# kernel log's timestamps: from the gate's first line to its verdict, the
# binary's own time (its verdict line says it), and the rest (waiting for
# the device, the shell library). Said, not judged: TCG makes it slow.
timing() {
	awk -v name="$1" '
		function ts(line) { sub(/^[^[]*\[ */, "", line); sub(/\].*/, "", line); return line * 1000 }
		/\] attest-tpm2: checking the TPM/ && !start { start = ts($0) }
		/\] attest_tpm2_primary: TPM verified/ && !bin { b = $0; sub(/.* reset count [0-9]+, /, "", b); sub(/ ms\).*/, "", b); bin = b + 0 }
		/\] attest-tpm2: TPM verified: encrypted volumes/ && !end { end = ts($0) }
		END {
			if (start && end)
				printf "TIME %s: gate %.0f ms (binary %d ms, the rest %.0f ms)\n", name, end - start, bin, end - start - bin
			else
				printf "TIME %s: no timestamps in the log\n", name
		}' "$work/$1.log" | tee -a "$work/timings"
}

# Two boots at a time (TCG uses one host core per guest CPU).
for fl in ${ATTEST_TPM2_MATRIX_FLAVOURS-$flavours}; do
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
	boot "hang-$fl" "$kbz" "$img" "$work/tpm-a+stall" "$args" &
	boot "unenrolled-$fl" "$kbz" "$work/$fl-unenrolled.img" "$work/tpm-a" "$args" &
	wait
	[ "$fl" = initramfs-tools ] || boot "hostonly-$fl" "$kbz" "$work/$fl-hostonly.img" "$work/tpm-a" "$args" &
	# The root asked for its rescue shell: capped before switch-root (the
	# test root's init ignores the word, prints its marker and powers off).
	boot "rescue-$fl" "$kbz" "$img" "$work/tpm-a" "$args systemd.unit=rescue.target"
	wait
	expect "unenrolled-$fl" untouched ''
	expect "good-$fl" unlocked 'signing EK, persistent at 0x81010100'
	timing "good-$fl"
	expect "foreign-$fl" refused 'TPM verification FAILED' 'PCRs 7 capped'
	expect "warn-$fl" warned ''
	expect "notpm-$fl" refused 'no TPM device' 'could NOT cap PCRs 7'
	# No null_name, both keys persistent: no CreatePrimary at all.
	expect "stock-$fl" unlocked '[Uu]nverified' 'persistent owner SRK 0x81000001 certified by the enrolled signing EK, persistent at 0x81010100'
	timing "stock-$fl"
	expect "strict-$fl" refused 'attest_tpm2_primary: .*null_name' 'PCRs 7 capped'
	# The stalled TPM takes no cap either: no shell with live PCRs, off.
	expect "hang-$fl" halted 'did not finish within|TPM is unreachable' 'could NOT cap PCRs 7' \
		'no shell with live PCRs'
	[ "$fl" = initramfs-tools ] || expect "hostonly-$fl" unlocked ''
	expect "rescue-$fl" opened 'TPM verified' \
		'PCRs 7 capped before switch-root: the kernel command line asks for systemd.unit=rescue.target'
done

# ------------------------------------------------------------ bypass cases
# Each as an attacker would try it; each passes only when nothing was
# unlocked and no switch-root happened.
# The TPM's own answer is logged: 0x99d is TPM_RC_POLICY_FAIL (PCR 7 moved).
# A root no disk carries.
nouuid=00000000-0000-4000-8000-0000000000ad
unseal_cmd='cd /run/test-seal|export TPM2TOOLS_TCTI=device:/dev/tpmrm0 TSS2_LOG=esys+error|tpm2_unseal -c seal.ctx -p pcr:sha256:7|echo ATTEST-TPM2-TEST UNSEAL-RC=$?'
edit_cmd='echo ATTEST_TPM2_POLICY=off > /etc/attest-tpm2.conf|exit'
for fl in ${ATTEST_TPM2_BYPASS_FLAVOURS-$flavours}; do
	img=$work/$fl.img
	limg=$work/$fl-locked.img
	args="root=/dev/mapper/$mapname ro"
	pargs="root=/dev/vda ro"
	case "$fl" in
	dracut-*)
		args="$args rd.luks.uuid=$uuid rd.info panic=1"
		pargs="$pargs rd.luks=0 rd.info panic=1"
		;;
	esac
	# Once per recovery shell.
	case "$fl" in
	dracut-classic) banner='Dropping to debug shell' ;;
	dracut-systemd) banner='Entering emergency mode' ;;
	initramfs-tools) banner='TPM not verified; no encrypted volume unlocked' ;;
	esac
	# A config value that used to kill the check, on a foreign TPM; and a
	# command-line downgrade against a locked image.
	boot "hostile-$fl" "$kbz" "$limg" "$work/tpm-b" "$args" &
	boot "downgrade-$fl" "$kbz" "$limg" "$work/tpm-b" "$args rd.attest_tpm2=off rd.attest_tpm2.require_null_name=0" &
	wait
	# The check killed while it waits on the TPM; leaving the shell after
	# editing the config.
	boot "killed-$fl" "$kbz" "$img" "$work/tpm-a+pause" "$args attest_test_kill" &
	boot "shell-edit-$fl" "$kbz" "$img" "$work/tpm-b" "$args" "$edit_cmd" "2:$banner" &
	wait
	# A secret sealed to PCR 7 before the check, unsealed by hand from the
	# shell after the refusal; a stalling TPM with an unencrypted root.
	boot "unseal-$fl" "$kbz" "$img" "$work/tpm-b" "$args attest_test_seal" "$unseal_cmd" 'UNSEAL-RC=[0-9]' &
	boot "race-$fl" "$kbz" "$img" "$work/tpm-a+stall" "$pargs" '' '' "$plain" &
	wait
	# A shell asked for on the command line, before any check, on the
	# enrolled TPM: the PCRs are capped before it, so the secret sealed to
	# PCR 7 no longer unseals there.
	case "$fl" in
	initramfs-tools) brk=break=premount ;;
	*) brk=rd.break=pre-trigger ;;
	esac
	boot "break-$fl" "$kbz" "$img" "$work/tpm-a" "$args attest_test_seal $brk" "$unseal_cmd" 'UNSEAL-RC=[0-9]' &
	# A root device that never comes, after a verified check: the shell
	# each generator then offers has capped PCRs too.
	case "$fl" in
	initramfs-tools) wargs="root=/dev/disk/by-uuid/$nouuid ro rootdelay=5" ;;
	dracut-classic) wargs="root=UUID=$nouuid ro rd.luks=0 rd.retry=10 rd.info" ;;
	dracut-systemd) wargs="root=UUID=$nouuid ro rd.luks=0 rd.timeout=10 rd.info" ;;
	esac
	boot "rootwait-$fl" "$kbz" "$img" "$work/tpm-a" "$wargs attest_test_seal" "$unseal_cmd" 'UNSEAL-RC=[0-9]' "$plain" &
	wait
	# The default ON_FAILURE=passphrase, on a foreign TPM: PCR 7 capped
	# first, then the boot goes on and only a passphrase can unlock (the
	# test's key file stands for the owner typing it).
	# With no TPM at all, the same: nothing can be unsealed, so the boot
	# goes on for passphrases instead of powering off; and a TPM that
	# appears after that decision is capped before any unlock.
	boot "notpm-passphrase-$fl" "$kbz" "$work/$fl-default.img" none "$args" &
	boot "late-tpm-$fl" "$kbz" "$work/$fl-default.img" "$work/tpm-a" "$args attest_test_late_tpm" &
	wait
	l=$work/late-tpm-$fl.log
	c=$(grep -n -m1 'a TPM appeared after this boot found none: PCRs 7 capped before any unlock' "$l" | cut -d: -f1)
	# The volume opened: after its gate (systemd says "Starting" before).
	u=$(grep -En -m1 'Finished.*systemd-cryptsetu|luksOpen|TEST-UNLOCK' "$l" | cut -d: -f1)
	expect "late-tpm-$fl" opened 'TPM hidden' 'no TPM in this machine now' 'TPM shown again: /dev/tpm' \
		'a TPM appeared after this boot found none: PCRs 7 capped before any unlock' '!powering off' \
		"!$shell_re"
	if [ -n "$c" ] && [ -n "$u" ] && [ "$c" -lt "$u" ]; then
		pass "late-tpm-$fl: the cap (line $c) comes before the unlock (line $u)"
	else
		fail "late-tpm-$fl: the cap (line ${c:-none}) comes before the unlock (line ${u:-none})"
	fi
	expect "notpm-passphrase-$fl" opened 'FATAL: no TPM device' \
		'no TPM in this machine now: nothing TPM-sealed can be unsealed in this boot' \
		'!powering off' "!$shell_re"
	if [ "$fl" = initramfs-tools ]; then
		boot "passphrase-$fl" "$kbz" "$work/$fl-default.img" "$work/tpm-b" "$args"
		if grep -q 'attest-tpm2: PCRs 7 capped' "$work/passphrase-$fl.log" &&
			grep -q 'TEST-UNLOCK' "$work/passphrase-$fl.log" &&
			[ "$(grep -n -m1 'attest-tpm2: PCRs 7 capped' "$work/passphrase-$fl.log" | cut -d: -f1)" -lt \
				"$(grep -n -m1 'TEST-UNLOCK' "$work/passphrase-$fl.log" | cut -d: -f1)" ] &&
			grep -q 'TPM unlocking is off for this boot; passphrases still unlock' "$work/passphrase-$fl.log" &&
			! grep -Eq "$shell_re" "$work/passphrase-$fl.log"; then
			pass "passphrase-$fl ($(cat "$work/passphrase-$fl.secs")s: capped, then unlocked by the key that stands for a passphrase)"
		else
			fail "passphrase-$fl (no cap before the unlock, or a shell; log $work/passphrase-$fl.log)"
		fi
	fi
	# systemd: straight to switch-root from the command line, skipping
	# initrd.target (which requires the check), foreign TPM, unencrypted
	# root: the switch-root service's own dependency and gate still hold.
	# (systemd.mask= is no way round: dracut's initrd has no
	# systemd-debug-generator.)
	if [ "$fl" = dracut-systemd ]; then
		boot "jump-$fl" "$kbz" "$img" "$work/tpm-b" "$pargs rd.systemd.unit=initrd-switch-root.target" '' '' "$plain"
		expect "jump-$fl" stopped 'attest-tpm2: FATAL'
	fi
	expect "hostile-$fl" halted 'ATTEST_TPM2_TIMEOUT .08. is not a number' 'ATTEST_TPM2_DEVICE_WAIT .09. is not a number' \
		'powering off in 3s: TPM verification FAILED' \
		'TPM verification FAILED' 'PCRs 7 capped'
	expect "downgrade-$fl" halted 'ignored on the kernel command line because the image is locked.*rd.attest_tpm2=off' \
		'TPM verification FAILED' 'PCRs 7 capped' '!policy off'
	# What stops it: the refusal of a killed binary (classic: the check
	# runs in PID 1, which cannot be killed), the failed unit (systemd), the
	# local-top gate (initramfs-tools, whose init-premount script died).
	case "$fl" in
	dracut-classic) stopper='exit status 137' ;;
	dracut-systemd) stopper='Failed to start .*attest-tpm' ;;
	initramfs-tools) stopper='no record of a passed TPM check in this boot' ;;
	esac
	expect "killed-$fl" stopped 'ATTEST-TPM2-TEST killed the check' "$stopper"
	expect "shell-edit-$fl" stopped 'this boot was refused earlier: the settings it was refused with hold' 'PCRs 7 capped' \
		'!policy off: the TPM is not verified' '!TPM unlocking is off for this boot'
	expect "unseal-$fl" stopped 'before the check it unseals to: attest-test-secret' 'PCRs 7 capped' \
		'UNSEAL-RC=[1-9]' '!UNSEAL-RC=0' '0x0*99d'
	expect "race-$fl" stopped 'attest-tpm2: FATAL'
	expect "break-$fl" stopped 'before the check it unseals to: attest-test-secret' \
		'PCRs 7 capped before this shell' 'UNSEAL-RC=[1-9]' '!UNSEAL-RC=0' '0x0*99d'
	expect "rootwait-$fl" shell 'before the check it unseals to: attest-test-secret' 'TPM verified' \
		'PCRs 7 capped before this shell' 'UNSEAL-RC=[1-9]' '!UNSEAL-RC=0' '0x0*99d'
done

# ------------------------------------------------------- the booted system
# A Debian 12 root with systemd, this package installed, and three crypttab
# volumes that systemd-cryptsetup@ opens after switch-root through the
# host's drop-in: not enrolled, everything opens; enrolled but booted from
# an image built before enrollment (no check, so no verdict), the passphrase
# (key-file) volume and the random-keyed swap open, the TPM volume does not.
if make_host_root "$work/host"; then
	hargs="root=/dev/vda rw rd.luks=0 rd.info panic=1"
	boot_disks="$work/host/home.img $work/host/swap.img $work/host/tpm.img"
	# A whole systemd boot: more time than an initramfs alone.
	initrd_timeout=$boot_timeout
	boot_timeout=$((boot_timeout + 120))
	boot host-unenrolled "$kbz" "$work/dracut-systemd-unenrolled.img" none "$hargs" '' '' "$work/host/root.img" &
	boot host-old-image "$kbz" "$work/dracut-systemd-base.img" none "$hargs" '' '' "$work/host/enrolled.img" &
	wait
	boot_timeout=$initrd_timeout
	boot_disks=
	expect host-unenrolled host 'ATTEST-HOST home open' 'ATTEST-HOST cswap open' 'ATTEST-HOST tpmvol open' \
		'!attest-tpm2: FATAL'
	expect host-old-image host 'ATTEST-HOST home open' 'ATTEST-HOST cswap open' 'ATTEST-HOST tpmvol closed' \
		'FATAL: no record of a passed TPM check in this boot.*refusing to unlock tpmvol' \
		'home has no TPM unlock: opening it'
else
	fail "host-root (cannot build the Debian 12 root: $(tail -n 3 "$work/host/root.err" "$work/host/install.log" 2> /dev/null | tr '\n' ' '))"
fi

# shellcheck disable=SC2034 # read by report_end (tests/lib/report.sh)
REPORT_NOTE="$(($(date +%s) - t0))s"
report_end
