#!/bin/sh
# shellcheck disable=SC2034,SC2153,SC2154 # the suite's variables are read by tests/boot/harness.sh and the cases; TCTI, bin, work, kdir and the like are tests/lib/swtpm.sh's and the harness's
# Boot proofs that match real life: TPM-sealed disk keys unlocked by
# Debian's own unlock flows, with a bus interposer between QEMU and swtpm
# (tests/lib/qemu_tpm_interposer.py).
#
# Usage: [ATTEST_TPM2_SUITE=bookworm|trixie] sh tests/boot/unlock.sh [BINARY]
#        (root, on Debian 12); BINARY defaults to build/static/attest_tpm2_primary.
#
# Flows (every package from the suite, Debian 12 by default, in mmdebstrap
# roots cached under ${ATTEST_TPM2_CACHE:-~/.cache/attest-tpm2}, never on the
# host; the kernel is always the test kernel):
#   dracut-systemd   systemd-cryptenroll --tpm2-pcrs=7 token, unsealed by
#                    systemd-cryptsetup (rd.luks.options=tpm2-device=auto)
#   dracut-classic   the same token, unsealed by cryptsetup's
#                    libcryptsetup-token-systemd-tpm2 plugin in 90crypt's
#                    luksOpen (clevis-dracut 19 depends on the systemd module,
#                    so it cannot make a classic image)
#   initramfs-tools  cryptsetup-initramfs' cryptroot (crypttab "initramfs"
#                    option) with clevis-initramfs and a clevis tpm2 pin on
#                    PCR 7; and a passphrase-only volume typed on the serial
#                    console
# Enrollment happens on the host through the swtpm TCTI, after PCR 7 of the
# test's swtpm was extended with what SeaBIOS extends it with at boot (read
# from a probe boot's bus log).
#
# With ATTEST_TPM2_SUITE=trixie (Debian 13: systemd 257, dracut 106), the
# systemd-tpm2 token is made by attest-tpm2-enroll --luks instead: the TPM
# gets its persistent SRK from systemd-tpm2-setup, and the token is sealed
# offline to that SRK as the enrolled signing EK certified it, pinned in the
# token. One more case there:
#   srk         the persistent SRK substituted in every ReadPublic answer
#
# The boots: one job a case of tests/boot/cases/unlock/ and flavour, each
# through the interposer (tests/boot/harness.sh): good (unlocked by the
# TPM after our check), a NULL key, SRK or signing EK substituted, a
# stalled TPM, passphrases typed on the serial console (a passphrase-only
# volume, a refusal, no TPM at all), and the volume decision at every
# unlock path (a foreign pin, rd.luks.name=, a signed PCR 11 policy, a
# clevis pin bound to no PCR). Refused cases pass only when nothing was
# unlocked, no switch-root happened, no TPM2_Unseal was sent before the
# refusal capped PCR 7 and none succeeded (the default
# ATTEST_TPM2_ON_FAILURE=passphrase: clevis, which runs on after the
# refusal, may try one, and the TPM refuses it). Good cases pass only when
# the marker on the encrypted root was read, a TPM2_Unseal succeeded,
# nothing was typed, and the image holds no key file or passphrase.
#
# ATTEST_TPM2_BOOT_TIMEOUT (150) bounds each boot; ATTEST_TPM2_KEEP=1 keeps
# the work folder; ATTEST_TPM2_BOOT_ONLY="CASE:FLAVOUR ..." runs only those
# boots. Prints PASS/FAIL lines, the seconds of each boot and
# "N passed, M failed". Two boots at a time.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ulib=$here/unlock
# shellcheck source=SCRIPTDIR/harness.sh
. "$here/harness.sh"
# shellcheck source=SCRIPTDIR/unlock/lib.sh
. "$ulib/lib.sh"
# shellcheck source=SCRIPTDIR/../lib/debian_root.sh
. "$repo/tests/lib/debian_root.sh"
# shellcheck source=SCRIPTDIR/../lib/debian_root_cache.sh
. "$repo/tests/lib/debian_root_cache.sh"
# shellcheck source=SCRIPTDIR/../lib/install.sh
. "$repo/tests/lib/install.sh"
suite=${ATTEST_TPM2_SUITE:-bookworm}
case "$suite" in
bookworm | trixie) ;;
*) die "ATTEST_TPM2_SUITE=$suite: bookworm or trixie" ;;
esac
ATTEST_TPM2_SUITE=$suite
export ATTEST_TPM2_SUITE
# shellcheck source=SCRIPTDIR/unlock/packages.sh
. "$ulib/packages.sh"

[ $# -le 1 ] || die "usage: sh tests/boot/unlock.sh [BINARY]"
boot_suite_start unlock "$@"

# ------------------------------------------------------ kernel and roots
# The image-building roots, never the host: dracut and initramfs-tools
# conflict, and either would change the host's own images.
# shellcheck disable=SC2154 # packages.sh
debian_root_dir "$suite" "$dracut_pkgs" > "$work/root-dr" &
p1=$!
# shellcheck disable=SC2154
debian_root_dir "$suite" "$itools_pkgs" > "$work/root-it" &
p2=$!
wait "$p1" || die "cannot build the dracut root"
wait "$p2" || die "cannot build the initramfs-tools root"
root_dr=$(cat "$work/root-dr")
# shellcheck disable=SC2034 # read by in_root through eval
root_dc=$root_dr
root_it=$(cat "$work/root-it")
# The roots mounted read-only below, as lower layers.
log "kernel $krel and roots ready after $(($(date +%s) - t0))s"

# ------------------------------------------- PCR 7 as SeaBIOS leaves it
# A probe boot through the interposer (pass, with frames): the kernel alone,
# no initrd (it panics and QEMU exits), is enough for SeaBIOS's measurements.
mkdir -p "$work/tpm-probe"
printf '%s\n' . | cpio -o -H newc > "$work/empty.cpio" 2> /dev/null
truncate -s 1M "$work/empty.img"
kernel=test initrd=$work/empty.cpio args=panic=-1 disk=$work/empty.img disks='' tpm=$work/tpm-probe
mode='pass --hexdump' send='' until='' settle=0 timeout=$boot_timeout
boot probe
/usr/bin/python3 "$repo/tests/lib/bus_log.py" extends "$work/b-probe/bus" | sed -n 's/^7 //p' > "$work/pcr7.digests"
[ -s "$work/pcr7.digests" ] || die "the probe boot shows no PCR_Extend into PCR 7 (see $work/b-probe/bus)"
log "SeaBIOS extends PCR 7 with: $(tr '\n' ' ' < "$work/pcr7.digests")"

# ------------------------------------------------------------ the disks
pass_sd="attest-sd-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
pass_cl="attest-cl-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
pass_pw="attest-pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
mark_sd="marker-sd-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mark_cl="marker-cl-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mark_pw="marker-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# newdisk IMAGE MARKER PASSPHRASE: a LUKS2 root (tests/boot/lib.sh) with a
# passphrase key slot (the key file used to make it stays on the host).
newdisk() {
	make_disk "$1" "$1.key" "$2" > "$1.uuid" || return 1
	printf '%s' "$3" > "$1.pass"
	cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$1.key" \
		"$1" "$1.pass" || return 1
	cat "$1.uuid"
}
uuid_sd=$(newdisk "$work/disk-sd.img" "$mark_sd" "$pass_sd") || die "cannot make the systemd-tpm2 disk"
uuid_cl=$(newdisk "$work/disk-cl.img" "$mark_cl" "$pass_cl") || die "cannot make the clevis disk"
newdisk "$work/disk-pw.img" "$mark_pw" "$pass_pw" > /dev/null || die "cannot make the passphrase disk"
# The passphrase-only volume stands where the clevis one does: same UUID,
# same image, no TPM binding.
cryptsetup luksUUID -q --uuid "$uuid_cl" "$work/disk-pw.img" || die "cannot set the UUID"
# The volume decision's cases: a clevis pin with no PCR (same UUID as the
# clevis disk, for the initramfs-tools image's crypttab) and a token sealed
# to a signed PCR 11 policy.
mark_sp="marker-sp-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
pass_sp="attest-sp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
newdisk "$work/disk-cln.img" "$mark_cl" "$pass_cl" > /dev/null || die "cannot make the clevis no-PCR disk"
cryptsetup luksUUID -q --uuid "$uuid_cl" "$work/disk-cln.img" || die "cannot set the UUID"
uuid_sp=$(newdisk "$work/disk-sp.img" "$mark_sp" "$pass_sp") || die "cannot make the signed-policy disk"

# ------------------------------------------------------------ enrollment
# On the host, as an administrator would with the machine's TPM: the signing
# EK's name, PCR 7 brought to its boot-time value, then the two bindings.
mkdir -p "$work/tpm/state"
swtpm_start "$work/tpm" || die "cannot start swtpm"
tcti=$TCTI
enroll_ok=yes
TSS2_LOG=all+none "$bin" -T "$tcti" --eksign > "$work/eksign.name" || enroll_ok="no (--eksign)"
while read -r d; do
	in_root it tpm2_pcrextend -T "$tcti" "7:sha256=$d" || enroll_ok="no (pcrextend)"
done < "$work/pcr7.digests"
in_root it tpm2_pcrread -T "$tcti" sha256:7 > "$work/pcr7.enrolled" 2>&1
if [ "$suite" = bookworm ]; then
	in_root dr env PASSWORD="$pass_sd" systemd-cryptenroll --tpm2-device="$tcti" --tpm2-pcrs=7 \
		"$work/disk-sd.img" > "$work/cryptenroll.log" 2>&1 || enroll_ok="no (systemd-cryptenroll: $(tail -n 3 "$work/cryptenroll.log" | tr '\n' ' '))"
else
	# systemd's own SRK, then a token sealed to it as certified.
	mkdir -p "$work/tools"
	cp "$bin" "$work/tools/attest_tpm2_primary"
	# attest-tpm2-enroll as installed, with the library it reads.
	enroll=$(BIN=$bin install_prefix "$work/tools/inst") || enroll_ok="no (make install)"
	printf 'ATTEST_TPM2_NAME_FILE=%s\n' "$work/eksign.name" > "$work/tools/enroll.conf"
	in_root dr env SYSTEMD_TPM2_DEVICE="$tcti" /usr/lib/systemd/systemd-tpm2-setup \
		> "$work/tpm2-setup.log" 2>&1 || enroll_ok="no (systemd-tpm2-setup: $(tail -n 3 "$work/tpm2-setup.log" | tr '\n' ' '))"
	in_root dr env ATTEST_TPM2_PRIMARY="$work/tools/attest_tpm2_primary" sh "$enroll" \
		--no-rebuild --config "$work/tools/enroll.conf" --keep-name --luks "$work/disk-sd.img" \
		--luks-key-file "$work/disk-sd.img.pass" -- -T "$tcti" > "$work/cryptenroll.log" 2>&1 ||
		enroll_ok="no (attest-tpm2-enroll --luks: $(tail -n 3 "$work/cryptenroll.log" | tr '\n' ' '))"
	cryptsetup token export --token-id 0 "$work/disk-sd.img" 2> /dev/null | grep -q '"tpm2_srk"' ||
		enroll_ok="no (the token pins no SRK)"
fi
in_root it env TPM2TOOLS_TCTI="$tcti" clevis luks bind -y -k "$work/disk-cl.img.pass" \
	-d "$work/disk-cl.img" tpm2 '{"pcr_bank":"sha256","pcr_ids":"7"}' > "$work/clevis-bind.log" 2>&1 ||
	enroll_ok="no (clevis luks bind: $(tail -n 3 "$work/clevis-bind.log" | tr '\n' ' '))"
# flush_tpm: what the tools above left loaded (swtpm over TCP has no
# resource manager): transient objects, loaded and saved sessions.
flush_tpm() {
	for f in -t -l -s; do
		in_root it tpm2_flushcontext -T "$tcti" "$f" > /dev/null 2>&1
	done
}
if [ "$suite" = bookworm ]; then
	flush_tpm
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/pcrsign.key" 2> /dev/null &&
		openssl pkey -in "$work/pcrsign.key" -pubout -out "$work/pcrsign.pem" 2> /dev/null ||
		enroll_ok="no (openssl cannot make the PCR signing key)"
	in_root dr env PASSWORD="$pass_sp" systemd-cryptenroll --tpm2-device="$tcti" \
		--tpm2-public-key="$work/pcrsign.pem" --tpm2-public-key-pcrs=11 --tpm2-pcrs= \
		"$work/disk-sp.img" > "$work/cryptenroll-sp.log" 2>&1 ||
		enroll_ok="no (systemd-cryptenroll --tpm2-public-key: $(tail -n 3 "$work/cryptenroll-sp.log" | tr '\n' ' '))"
	flush_tpm
	in_root it env TPM2TOOLS_TCTI="$tcti" clevis luks bind -y -k "$work/disk-cln.img.pass" \
		-d "$work/disk-cln.img" tpm2 '{"pcr_bank":"sha256"}' > "$work/clevis-bind-nopcr.log" 2>&1 ||
		enroll_ok="no (clevis luks bind without pcr_ids: $(tail -n 3 "$work/clevis-bind-nopcr.log" | tr '\n' ' '))"
	# A token pinned to another key than the SRK the check certifies:
	# disk-sd's token, with the serialized ESYS_TR of an RSA primary added
	# as its tpm2_srk (what systemd 255 and later pin); tpm2-tools serialize
	# persistent handles only, so it is made persistent for the while.
	cp "$work/disk-sd.img" "$work/disk-sdf.img"
	flush_tpm
	# shellcheck disable=SC2016 # the inner shell expands its own arguments
	in_root it sh -c 'T=$1 W=$2
		tpm2_createprimary -T "$T" -Q -C o -G rsa2048 -c "$W/foreign.ctx" &&
			tpm2_evictcontrol -T "$T" -Q -C o -c "$W/foreign.ctx" 0x81000101 &&
			tpm2_readpublic -T "$T" -Q -c 0x81000101 -t "$W/foreign.tr"
		rc=$?
		tpm2_evictcontrol -T "$T" -Q -C o -c 0x81000101 2> /dev/null
		tpm2_flushcontext -T "$T" -t
		exit $rc' sh "$tcti" "$work" > "$work/foreign.log" 2>&1 ||
		enroll_ok="no (a foreign SRK: $(tail -n 2 "$work/foreign.log" | tr '\n' ' '))"
	cryptsetup token export --token-id 0 "$work/disk-sdf.img" |
		python3 -c 'import json, sys, base64
t = json.load(sys.stdin)
t["tpm2_srk"] = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
print(json.dumps(t))' "$work/foreign.tr" > "$work/foreign.json" &&
		cryptsetup token remove --token-id 0 "$work/disk-sdf.img" &&
		cryptsetup token import --token-id 0 --json-file "$work/foreign.json" "$work/disk-sdf.img" ||
		enroll_ok="no (cannot pin the token to the foreign SRK)"
fi
swtpm_stop "$work/tpm"
if [ "$enroll_ok" = yes ] && cryptsetup luksDump "$work/disk-sd.img" | grep -q 'systemd-tpm2' &&
	cryptsetup luksDump "$work/disk-cl.img" | grep -q 'clevis'; then
	pass "enroll ($suite, host through the swtpm TCTI: signing EK; PCR 7 = $(sed -n 's/.*7 *: *0x//p' "$work/pcr7.enrolled" | cut -c1-16)...; systemd-tpm2 and clevis tpm2 tokens on PCR 7)"
else
	fail "enroll: $enroll_ok"
	exit 1
fi

# ------------------------------------------------------------ image builds
# Fill each overlay's upper layer: the project as "make install" puts it,
# the enrolled name, the test kernel's modules tree, and per-root
# configuration.
stage=$work/stage
stage_install "$stage"
kmods=$work/kmods/usr/lib/modules/$krel
stage_modules "$kdir" "$krel" "$work/kmods/usr" || die "cannot stage the test kernel's modules"
for r in dr dc it; do
	u=$work/ov-$r/upper
	mkdir -p "$u/boot" "$u/usr/lib/modules" "$u/etc"
	cp -a "$stage/." "$u/"
	cp "$work/eksign.name" "$u/etc/eksign.name"
	cp -a "$kmods" "$u/usr/lib/modules/"
	cp "$kdir/config" "$u/boot/config-$krel"
done
# dracut classic: bookworm has no module for a TPM unlock without systemd
# (clevis-dracut 19 and 91tpm2-tss both depend on systemd modules), but
# 90crypt's luksOpen is cryptsetup 2.6, which tries LUKS2 token plugins before
# it asks: the image gets systemd's token plugin, the TSS libraries it
# dlopens, and tpm2_pcrextend (what 91tpm2-tss installs in a systemd image,
# and what the refusal caps PCRs with), as an administrator would in
# dracut.conf.d.
mkdir -p "$work/ov-dc/upper/etc/dracut.conf.d"
lib=/usr/lib/x86_64-linux-gnu
printf 'install_items+=" %s "\n' "$lib/cryptsetup/libcryptsetup-token-systemd-tpm2.so $lib/libtss2-esys.so.0 \
$lib/libtss2-rc.so.0 $lib/libtss2-mu.so.0 $lib/libtss2-tcti-device.so.0 /usr/bin/tpm2_pcrextend" \
	> "$work/ov-dc/upper/etc/dracut.conf.d/50-tpm2-token.conf"
# initramfs-tools: cryptroot opens what crypttab lists with "initramfs";
# no key file: the key comes from clevis, or is typed.
printf 'cryptroot UUID=%s none luks,initramfs\n' "$uuid_cl" > "$work/ov-it/upper/etc/crypttab"
mkdir -p "$work/ov-it/upper/etc/initramfs-tools"
sed 's/^COMPRESS=.*/COMPRESS=gzip/' "$root_it/etc/initramfs-tools/initramfs.conf" \
	> "$work/ov-it/upper/etc/initramfs-tools/initramfs.conf"

# dracut 106 (Debian 13) has systemd-cryptsetup in a module of its own.
sd_crypt=
[ "$suite" = bookworm ] || sd_crypt=systemd-cryptsetup
build_image() {
	case "$1" in
	dracut-systemd)
		in_root dr dracut -f --no-hostonly --no-hostonly-cmdline --no-early-microcode --compress gzip \
			-m "systemd systemd-initrd $sd_crypt dracut-systemd base crypt rootfs-block tpm2-tss attest-tpm2" -o ifcfg \
			--kver "$krel" "$work/$1.img"
		;;
	dracut-classic)
		in_root dc dracut -f --no-hostonly --no-hostonly-cmdline --no-early-microcode --compress gzip \
			-m "base crypt rootfs-block attest-tpm2" -o "ifcfg systemd systemd-initrd dracut-systemd" \
			--kver "$krel" "$work/$1.img"
		;;
	initramfs-tools)
		in_root it mkinitramfs -o "$work/$1.img" "$krel"
		;;
	esac > "$work/$1.buildlog" 2>&1
}
flavours="dracut-systemd dracut-classic initramfs-tools"
s=$(date +%s)
build_image dracut-systemd &
b1=$!
build_image dracut-classic &
b2=$!
build_image initramfs-tools
b3=$?
wait "$b1"
b1=$?
wait "$b2"
b2=$?
set -- "$b1" "$b2" "$b3"
for fl in $flavours; do
	if [ "$1" -eq 0 ] && [ -s "$work/$fl.img" ]; then
		pass "build-$fl ($(($(date +%s) - s))s)"
	else
		fail "build-$fl (see $work/$fl.buildlog: $(tail -n 3 "$work/$fl.buildlog" | tr '\n' ' '))"
	fi
	shift
done

# dracut --sysroot (dracut 106; 059's own udev check refuses it here): an
# image built for another root carries that root's enrolled name, even when
# the build host itself is not enrolled (its name file is moved away for
# the build).
if [ "$suite" = trixie ]; then
	sr=$work/sysroot
	rm -rf "$sr"
	mkdir -p "$sr"
	printf '000b%064d\n' 2 > "$work/sysroot.name"
	# shellcheck disable=SC2016 # the inner script expands its own arguments
	if cp -a "$root_dr/." "$sr/" && cp -a "$stage/." "$sr/" && mkdir -p "$sr/usr/lib/modules" &&
		cp -a "$kmods" "$sr/usr/lib/modules/" && cp "$work/sysroot.name" "$sr/etc/eksign.name" &&
		in_root dr sh -c 'mv /etc/eksign.name /etc/eksign.name.away || exit
			dracut "$@"; rc=$?
			mv /etc/eksign.name.away /etc/eksign.name; exit $rc' sh \
			-q -f --no-hostonly --no-hostonly-cmdline --compress gzip --sysroot "$sr" \
			-m "base attest-tpm2" --kver "$krel" "$work/sysroot.img" > "$work/sysroot.buildlog" 2>&1 &&
		[ "$(lsinitrd -f etc/eksign.name "$work/sysroot.img" 2> /dev/null)" = "$(cat "$work/sysroot.name")" ] &&
		! cmp -s "$work/sysroot.name" "$work/eksign.name"; then
		pass "dracut --sysroot: the image carries the name of the root it is built for, from a build host that is not enrolled"
	else
		fail "dracut --sysroot (the image's name: $(lsinitrd -f etc/eksign.name "$work/sysroot.img" 2> /dev/null); see $work/sysroot.buildlog)"
	fi
	rm -rf "$sr"
fi

# ------------------------------------------------------------ image content
# Each image has the unlock flow it claims, and no key: no file holding a
# disk's key file or passphrase, and no key file named in crypttab.
for fl in $flavours; do
	x=$work/x-$fl
	rm -rf "$x"
	mkdir -p "$x"
	case "$fl" in
	initramfs-tools)
		in_root it unmkinitramfs "$work/$fl.img" "$x" > /dev/null 2>&1
		[ -d "$x/main" ] && x=$x/main
		;;
	dracut-classic) (cd "$x" && in_root dc sh -c "cd $x && lsinitrd --unpack $work/$fl.img") > /dev/null 2>&1 ;;
	dracut-systemd) (cd "$x" && in_root dr sh -c "cd $x && lsinitrd --unpack $work/$fl.img") > /dev/null 2>&1 ;;
	esac
	why=
	case "$fl" in
	dracut-systemd)
		# systemd 256 moved it to /usr/bin.
		need="usr/lib/systemd/system/attest-tpm2.service"
		[ -e "$x/usr/lib/systemd/systemd-cryptsetup" ] || need="$need usr/bin/systemd-cryptsetup"
		;;
	dracut-classic) need="usr/lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-systemd-tpm2.so usr/sbin/cryptsetup" ;;
	initramfs-tools) need="scripts/local-top/cryptroot scripts/local-top/clevis cryptroot/crypttab usr/bin/clevis-decrypt-tpm2 scripts/init-premount/attest-tpm2" ;;
	esac
	for f in $need usr/bin/attest_tpm2_primary etc/eksign.name; do
		[ -e "$x/$f" ] || [ -L "$x/$f" ] || why="$why missing:$f"
	done
	for k in "$work"/disk-*.img.key; do
		sz=$(stat -c %s "$k")
		if find "$x" -type f -size "${sz}c" -exec cmp -s "$k" {} \; -print | grep -q .; then
			why="$why KEY-FILE:${k##*/}"
		fi
	done
	for p in "$pass_sd" "$pass_cl" "$pass_pw"; do
		grep -rqF "$p" "$x" && why="$why PASSPHRASE-IN-IMAGE"
	done
	if [ -f "$x/cryptroot/crypttab" ] && awk '$3 != "none"' "$x/cryptroot/crypttab" | grep -q .; then
		why="$why crypttab-key:$(cat "$x/cryptroot/crypttab")"
	fi
	if [ -z "$why" ]; then
		pass "image-$fl (unlock flow present, no key file or passphrase in the image)"
	else
		fail "image-$fl ($why)"
	fi
done
rm -rf "$work"/x-*

# ------------------------------------------------------------------ boots
# One job a case of tests/boot/cases/unlock/ and flavour (tests/boot/harness.sh).
# flavour_vars FLAVOUR: the disk, command line, marker and passphrase its
# boots share.
flavour_vars() {
	case "$1" in
	dracut-systemd)
		fdisk=$work/disk-sd.img marker=$mark_sd fpass=$pass_sd
		fargs="root=/dev/mapper/luks-$uuid_sd ro rd.luks.uuid=$uuid_sd rd.luks.options=tpm2-device=auto rd.info panic=1"
		;;
	dracut-classic)
		fdisk=$work/disk-sd.img marker=$mark_sd fpass=$pass_sd
		fargs="root=/dev/mapper/luks-$uuid_sd ro rd.luks.uuid=$uuid_sd rd.info panic=1"
		;;
	initramfs-tools)
		fdisk=$work/disk-cl.img marker=$mark_cl fpass=$pass_cl
		fargs="root=/dev/mapper/cryptroot ro"
		;;
	esac
}
all_flavours=$flavours
default_settle=10
default_tpm=$work/tpm/state
default_mode=pass
unlock_re='Finished.*Cryptography Setup for|cryptsetup: .* set up successfully|clevis: .* unlocked|Unlocked .* with clevis|luksOpen.*succe'
jobs=$(case_jobs unlock main)
[ -z "${ATTEST_TPM2_BOOT_ONLY:-}" ] || jobs=$ATTEST_TPM2_BOOT_ONLY
# shellcheck disable=SC2086 # one word a job
run_jobs unlock $jobs

echo "seconds per boot (boot, refusal message at kernel time):"
column -t "$work/matrix" 2> /dev/null || cat "$work/matrix"
# shellcheck disable=SC2034 # read by report_end (tests/lib/report.sh)
REPORT_NOTE="$(($(date +%s) - t0))s"
report_end
