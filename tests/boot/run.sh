#!/bin/sh
# shellcheck disable=SC2034,SC2153,SC2154 # the suite's variables are read by tests/boot/harness.sh and the cases; TCTI, bin, work, kdir and the like are tests/lib/swtpm.sh's and the harness's
# Boot tests for the dracut module and the initramfs-tools hooks.
#
# Usage: sh tests/boot/run.sh BINARY      (root; Debian 12)
#
# Builds real initramfs images (dracut classic, dracut systemd, mkinitramfs)
# of a kernel with null_name and of Debian's own, checks what they hold, then
# boots them under QEMU (TCG) with swtpm and a LUKS2 root disk sealed to the
# enrolled TPM's PCR 7 (a systemd-cryptenroll token; the images open it with
# its key file, which stands for the unseal): one job a case of
# tests/boot/cases/gate/ and flavour, two at a time, each judged by its
# expect file (tests/boot/harness.sh). The images keep
# ATTEST_TPM2_ON_FAILURE=shell, so that a refused boot caps PCR 7 and ends
# at a prompt that can be judged; the "default" images ship the config as
# it is, the "locked" ones power off. Parts:
#   matrix  the check's verdict per TPM, kernel and image
#   bypass  each as an attacker at the console would try it: passes only
#           when nothing was unlocked and no switch-root happened, or, for
#           ON_FAILURE=passphrase, when the cap came before the unlock
#   host    the booted system (a Debian 12 root with systemd): the host's
#           systemd-cryptsetup drop-in
# plus image-content checks, the refusal to build without enrollment, and the
# bytes the module adds to an image.
#
# Kernels are cached in ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}.
# ATTEST_TPM2_BOOT_TIMEOUT (150) bounds each boot; ATTEST_TPM2_KEEP=1 keeps
# the work folder with the serial logs. ATTEST_TPM2_MATRIX_FLAVOURS,
# ATTEST_TPM2_BYPASS_FLAVOURS and ATTEST_TPM2_HOST_FLAVOURS (default: all)
# pick the flavours booted in each part, empty skips it;
# ATTEST_TPM2_BOOT_ONLY="CASE:FLAVOUR ..." boots only those.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/harness.sh
. "$here/harness.sh"

[ $# -le 1 ] || die "usage: sh tests/boot/run.sh [BINARY]"
boot_suite_start boot "$@"

# ------------------------------------------------------------------ kernels
sdir=$(sh "$here/kernel.sh" stock) || die "cannot fetch the stock kernel"
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

# ------------------------------------------------- the disks and enrollment
marker="marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
rootdisk=$work/root.img
uuid=$(make_disk "$rootdisk" "$work/luks.key" "$marker") || die "cannot make the LUKS disk"
mapname=luks-$uuid
# The same volume with its key file alone, no TPM token: what a gate leaves
# alone whatever the check says.
cp "$rootdisk" "$work/keyonly.img"
keyonly=$work/keyonly.img
# The same root, unencrypted: nothing to unlock, only switch-root to stop.
plain=$work/plain.img
rm -f "$plain"
truncate -s 16M "$plain"
mke2fs -q -t ext4 -L plainroot -d "$work/rootfs" "$plain" 8M || die "cannot make the plain disk"

# TPM A has both keys persistent (the images built from etc-mod name the
# signing EK's handle, so their good boots derive nothing on a stock kernel);
# TPM B has none, so the foreign boots find nothing there and derive. The
# root is sealed to TPM A's PCR 7 by systemd-cryptenroll, so that every gate
# guards a TPM-sealed volume; the images open it with its key file, which
# stands for the unseal (the real unseals are tests/boot/unlock.sh's).
enroll "$work/tpm-a" "$work/name-a" persist || die "enrollment of TPM A failed"
TSS2_LOG=all+none systemd-cryptenroll --unlock-key-file="$work/luks.key" --tpm2-device="$TCTI" \
	--tpm2-pcrs=7 "$rootdisk" > "$work/cryptenroll.log" 2>&1 ||
	die "systemd-cryptenroll failed: $(tail -n 3 "$work/cryptenroll.log" | tr '\n' ' ')"
swtpm_stop "$work/tpm-a"
cryptsetup luksDump "$rootdisk" | grep -q 'systemd-tpm2' || die "the root has no systemd-tpm2 token"
enroll "$work/tpm-b" "$work/name-b" || die "enrollment of TPM B failed"
swtpm_stop "$work/tpm-b"
cmp -s "$work/name-a" "$work/name-b" && die "two swtpm instances gave the same signing-EK name"

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
$tcti /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0"

# The test-only guest scripts (tests/boot/guest/), in every test image:
# attest-test-early before the check, attest-test-late-tpm around it.
mkdir -p "$work/incl/usr/bin" "$work/incl/usr/lib/dracut/hooks"
cp "$here/guest/attest-test-early" "$here/guest/attest-test-late-tpm" "$work/incl/usr/bin/"
cp -r "$here/guest/dracut/." "$work/incl/usr/lib/dracut/hooks/"
# In the systemd initrd: a unit between attest-tpm2.service and the unlocks.
mkdir -p "$work/incl/etc/systemd/system/initrd.target.wants"
cp "$here/guest/attest-test-late.service" "$work/incl/etc/systemd/system/"
ln -sf ../attest-test-late.service "$work/incl/etc/systemd/system/initrd.target.wants/attest-test-late.service"

# initramfs-tools configuration: only the drivers listed, plus the test's
# hooks and scripts (tests/boot/guest/initramfs-tools/: a local-top script
# opens the disk with the key file, standing in for cryptsetup-initramfs'
# cryptroot, which also runs in local-top, and the hook writes the
# /cryptroot/crypttab that cryptroot would have).
itconf=$work/itconf
mkdir -p "$itconf/conf.d"
cp -r "$here/guest/initramfs-tools/." "$itconf/"
printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=zstd\n' > "$itconf/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk dm_crypt xts ext4 > "$itconf/modules"
cp "$work/luks.key" "$work/incl/etc/crypttab" "$here/guest/attest-test-early" "$here/guest/attest-test-late-tpm" \
	"$itconf/"
# shellcheck disable=SC2086 # one path a word
printf '%s\n' $test_tools > "$itconf/test-tools"

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
			--compress zstd -m "$mods" --include "$work/incl" / --install "$test_tools" --kver "$kv"
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
# What each flavour's boots share: the kernel command line of the encrypted
# root (dracut: info messages, and a dying /init reboots, which -no-reboot
# turns into an exit; initramfs-tools: no panic=, which would reboot
# instead of giving a shell), the same for the unencrypted root, the disk
# and its marker.
flavour_vars() {
	fargs="root=/dev/mapper/$mapname ro"
	pargs="root=/dev/vda ro"
	case "$1" in
	dracut-*)
		fargs="$fargs rd.luks.uuid=$uuid rd.info panic=1"
		pargs="$pargs rd.luks=0 rd.info panic=1"
		;;
	esac
	fdisk=$rootdisk
}
all_flavours=$flavours
default_settle=2
unlock_re='luksOpen|Starting.*systemd-cryptsetu|TEST-UNLOCK'
tpm_a=$work/tpm-a/state
tpm_b=$work/tpm-b/state
# A root no disk carries; the booted system's command line and disks.
nouuid=00000000-0000-4000-8000-0000000000ad
hargs="root=/dev/vda rw rd.luks=0 rd.info panic=1"
host=$work/host
# Typed at the recovery shell: the secret sealed before the check, unsealed
# by hand (the TPM's own answer is logged: 0x99d is TPM_RC_POLICY_FAIL).
unseal_cmd='cd /run/test-seal|export TPM2TOOLS_TCTI=device:/dev/tpmrm0 TSS2_LOG=esys+error|tpm2_unseal -c seal.ctx -p pcr:sha256:7|echo ATTEST-TPM2-TEST UNSEAL-RC=$?'

jobs=
if [ -n "${ATTEST_TPM2_HOST_FLAVOURS-$flavours}" ]; then
	if make_host_root "$host"; then
		jobs=$(case_jobs gate host "${ATTEST_TPM2_HOST_FLAVOURS-$flavours}")
	else
		fail "host-root (cannot build the Debian 12 root: $(tail -n 3 "$host/root.err" "$host/install.log" 2> /dev/null | tr '\n' ' '))"
	fi
fi
jobs="$jobs $(case_jobs gate matrix "${ATTEST_TPM2_MATRIX_FLAVOURS-$flavours}")"
jobs="$jobs $(case_jobs gate bypass "${ATTEST_TPM2_BYPASS_FLAVOURS-$flavours}")"
[ -z "${ATTEST_TPM2_BOOT_ONLY:-}" ] || jobs=$ATTEST_TPM2_BOOT_ONLY
# shellcheck disable=SC2086 # one word a job
run_jobs gate $jobs

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
		}' "$work/$1.log"
}
for l in "$work"/good-*.log "$work"/stock-*.log; do
	[ ! -f "$l" ] || timing "$(basename "$l" .log)"
done

# shellcheck disable=SC2034 # read by report_end (tests/lib/report.sh)
REPORT_NOTE="$(($(date +%s) - t0))s"
report_end
