#!/bin/sh
# The Debian package as a distribution engineer meets it, with a real
# software TPM (swtpm on this host, reached over TCP from the root):
#   lintian reports no error;
#   in a fresh Debian 12 root with initramfs-tools and dracut, installing,
#   upgrading, removing and purging work whether or not the TPM is enrolled;
#   image builds with mkinitramfs and dracut succeed without the module (and
#   one warning) while not enrolled, carry it once enrolled, and fail on an
#   unreadable or malformed name file;
#   enrolling rebuilds every installed kernel's image, --status shows where
#   the machine stands, a second TPM does not replace the enrollment without
#   --force, --unenroll takes the check back out of the images, and purge
#   removes the enrollment too, and says so.
# Prints "N passed, M failed".
#
# Usage: sh tests/package/run.sh PACKAGE.deb      (root)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/debian_root.sh
. "$here/../lib/debian_root.sh"
# shellcheck source=SCRIPTDIR/../lib/swtpm.sh
. "$here/../lib/swtpm.sh"
suite=bookworm
kver=6.12.0-pkgtest
# shellcheck source=SCRIPTDIR/../lib/report.sh
. "$here/../lib/report.sh"
root=
die() {
	echo "package: $*" >&2
	exit 1
}
tpms=
cleanup() {
	for t in $tpms; do swtpm_stop "$t"; done
	debian_root_remove "$root"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
{ [ $# -eq 1 ] && [ -f "$1" ]; } || die "usage: sh tests/package/run.sh PACKAGE.deb"
deb=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || die "must run as root (chroot)"

# --- the package itself ---------------------------------------------------
lintian --tag-display-limit 0 "$deb" > "${TMPDIR:-/tmp}/lintian.$$" 2>&1
if grep -q '^E: ' "${TMPDIR:-/tmp}/lintian.$$"; then
	fail "lintian reports no error: $(grep '^E: ' "${TMPDIR:-/tmp}/lintian.$$" | tr '\n' ' ')"
else
	pass "lintian reports no error ($(grep -c '^W: ' "${TMPDIR:-/tmp}/lintian.$$") warnings)"
fi
sed 's/^/  lintian: /' "${TMPDIR:-/tmp}/lintian.$$"
rm -f "${TMPDIR:-/tmp}/lintian.$$"
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for f in ./usr/bin/attest_tpm2_primary ./usr/bin/attest-tpm2-enroll \
	./usr/lib/attest-tpm2/attest-tpm2-lib.sh ./usr/lib/dracut/modules.d/91attest-tpm2/module-setup.sh \
	./usr/share/initramfs-tools/hooks/attest-tpm2 ./etc/attest-tpm2.conf \
	./usr/share/man/man1/attest_tpm2_primary.1.gz ./usr/share/man/man5/attest-tpm2.conf.5.gz \
	./usr/share/man/man8/attest-tpm2-enroll.8.gz; do
	case "
$contents
" in
	*"
$f
"*) pass "the package holds ${f#.}" ;;
	*) fail "the package holds ${f#.}" ;;
	esac
done
if dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx /etc/attest-tpm2.conf; then
	pass "/etc/attest-tpm2.conf is a conffile"
else
	fail "/etc/attest-tpm2.conf is a conffile"
fi
dpkg-deb -x "$deb" "${TMPDIR:-/tmp}/deb.$$"
if file "${TMPDIR:-/tmp}/deb.$$/usr/bin/attest_tpm2_primary" | grep -q 'statically linked'; then
	pass "the packaged binary is static"
else
	fail "the packaged binary is static"
fi
rm -rf "${TMPDIR:-/tmp}/deb.$$"

# --- a fresh root with both generators ------------------------------------
root=$(mktemp -d /tmp/attest-tpm2-package.XXXXXX)
echo "package: building a $suite root with initramfs-tools and dracut-core"
debian_root_make "$root" "$suite" \
	initramfs-tools,dracut-core,kmod,cpio,zstd,busybox,klibc-utils,udev || die "mmdebstrap failed"
debian_root_enter "$root" || die "cannot mount /proc, /sys and /dev in the root"
cp "$deb" "$root/tmp/attest-tpm2.deb"
# A kernel as the generators see one: an empty module tree and a config.
mkdir -p "$root/lib/modules/$kver"
for f in modules.order modules.builtin modules.builtin.modinfo; do : > "$root/lib/modules/$kver/$f"; done
chroot "$root" depmod "$kver" || die "depmod failed"
printf 'CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_ZSTD=y\nCONFIG_RD_GZIP=y\n' > "$root/boot/config-$kver"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# expect 0|1 NAME CMD...: the command, run in the root, succeeds (0) or
# fails (1); its output in $out, and its exit status returned.
expect() {
	_want=$1 _name=$2
	shift 2
	out=$(in_root "$@" 2>&1)
	_rc=$?
	if [ $((_rc != 0)) -eq "$_want" ]; then pass "$_name"; else fail "$_name (exit $_rc): $out"; fi
	return $_rc
}
# ok NAME CMD...: the command, run in the root, succeeds.
ok() { expect 0 "$@"; }
# refused NAME CMD...: the command, run in the root, fails.
refused() { expect 1 "$@"; }
# builds FLAVOUR: build an image with mkinitramfs or dracut; sets $out.
mkimage() {
	case $1 in
	initramfs-tools) in_root mkinitramfs -o /tmp/initrd.img "$kver" ;;
	dracut) in_root dracut -q -f -N --no-kernel /tmp/initrd.img "$kver" ;;
	esac
}
has_check() {
	in_root sh -c 'lsinitramfs /tmp/initrd.img 2>/dev/null || lsinitrd /tmp/initrd.img' |
		grep -q 'usr/bin/attest_tpm2_primary$'
}
# ours: the image's files of this package, any of them (the scripts too).
ours() {
	in_root sh -c 'lsinitramfs /tmp/initrd.img 2>/dev/null || lsinitrd /tmp/initrd.img' |
		grep -E 'attest[-_]tpm2|eksign' | tr '\n' ' '
}
# image_states: the three enrollment states, for both generators.
image_states() {
	for g in initramfs-tools dracut; do
		rm -f "$root/etc/eksign.name" "$root/tmp/initrd.img"
		out=$(mkimage "$g" 2>&1)
		rc=$?
		warn=$(printf '%s\n' "$out" | grep -c 'attest-tpm2-enroll')
		left=$(ours)
		if [ $rc -eq 0 ] && [ "$warn" -eq 1 ] && [ -z "$left" ]; then
			pass "$g, not enrolled: image built with nothing of the package, one warning line"
		else
			fail "$g, not enrolled: exit $rc, $warn warning lines, in the image: '$left': $out"
		fi
		printf '000b%064d\n' 0 | tr 0 a > "$root/etc/eksign.name"
		out=$(mkimage "$g" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && has_check; then
			pass "$g, enrolled: the check is in the image"
		else
			fail "$g, enrolled: exit $rc, check $(has_check && echo in || echo out): $out"
		fi
		echo 'not a name' > "$root/etc/eksign.name"
		out=$(mkimage "$g" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then pass "$g, malformed name file: the build fails"
		else fail "$g, malformed name file: the build succeeded"; fi
		# Root reads any file: a folder in its place is what root cannot read.
		rm -f "$root/etc/eksign.name"
		mkdir "$root/etc/eksign.name"
		out=$(mkimage "$g" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then pass "$g, unreadable name file: the build fails"
		else fail "$g, unreadable name file: the build succeeded"; fi
		rmdir "$root/etc/eksign.name"
	done
}

# --- install, not enrolled ------------------------------------------------
ok "install on a machine that is not enrolled" dpkg -i /tmp/attest-tpm2.deb &&
	case $out in
	*"Processing triggers for initramfs-tools"* | *"update-initramfs"*)
		fail "no image rebuilt for a machine that is not enrolled: $out" ;;
	*) pass "no image rebuilt for a machine that is not enrolled" ;;
	esac
ok "the host-side systemd-cryptsetup guard is installed" \
	test -f /lib/systemd/system/systemd-cryptsetup@.service.d/attest-tpm2.conf
image_states

# --- enrollment with a real TPM ---------------------------------------------
# The installed kernel's image, made while not enrolled: nothing of ours.
ok "update-initramfs -c on a machine that is not enrolled" update-initramfs -c -k "$kver" &&
	if ! in_root lsinitramfs "/boot/initrd.img-$kver" | grep -Eq 'attest[-_]tpm2|eksign'; then
		pass "the installed kernel's image has nothing of ours"
	else
		fail "the installed kernel's image has nothing of ours"
	fi
image_has_check() {
	in_root lsinitramfs "/boot/initrd.img-$kver" | grep -q 'usr/bin/attest_tpm2_primary$'
}
for t in a b; do
	swtpm_provision "$root.tpm-$t" nocert > /dev/null 2>&1 || die "swtpm_setup failed"
	swtpm_start "$root.tpm-$t"
	tpms="$tpms $root.tpm-$t"
	eval "tcti_$t=\$TCTI"
done
# shellcheck disable=SC2154 # tcti_a and tcti_b are set by the eval above
{
	# No EK certificate in these TPMs, and the shipped vendor roots would
	# want one: trust on first use, said so.
	ok "attest-tpm2-enroll (TPM A)" attest-tpm2-enroll --allow-tofu -- -T "$tcti_a"
	case $out in
	*"Enrolled signing EK 000b"*"/boot/initrd.img-$kver: rebuilt"*"Rebuilt 1 initramfs image(s) with update-initramfs; 0 failed."*)
		pass "enrolling rebuilds every image, a line each and a summary" ;;
	*) fail "enrolling rebuilds every image, a line each and a summary: $out" ;;
	esac
	if image_has_check; then pass "the rebuilt image checks the TPM"; else fail "the rebuilt image checks the TPM"; fi
	# The signing EK persisted by default, and the image told where.
	if grep -qx 'handle=0x81010100' "$root/etc/eksign.name.info" &&
		in_root lsinitramfs "/boot/initrd.img-$kver" | grep -q 'etc/eksign.name.info$'; then
		pass "enrolling persists the signing EK, and the image carries its handle"
	else
		fail "enrolling persists the signing EK, and the image carries its handle: $(cat "$root/etc/eksign.name.info")"
	fi
	ok "attest-tpm2-enroll --status" attest-tpm2-enroll --status -- -T "$tcti_a"
	status_text=$out
	case $out in
	*"This TPM: matches the enrollment"*"/boot/initrd.img-$kver: checks the TPM, with the enrolled name"*"This boot: none"*)
		pass "--status: the enrollment, the TPM, the image, this boot" ;;
	*) fail "--status: the enrollment, the TPM, the image, this boot: $out" ;;
	esac
	ok "attest-tpm2-enroll --status --json" attest-tpm2-enroll --status --json -- -T "$tcti_a" &&
		if printf '%s\n' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["images"][0]["check"] == "yes" and d["images"][0]["name_matches"]'; then
			pass "--status --json lists the image with the check"
		else
			fail "--status --json lists the image with the check: $out"
		fi
	refused "re-enrollment with another TPM is refused without --force" attest-tpm2-enroll --allow-tofu -- -T "$tcti_b"
	case $out in
	*"--force"*) pass "the refusal says --force" ;;
	*) fail "the refusal says --force: $out" ;;
	esac
	ok "attest-tpm2-enroll --unenroll" attest-tpm2-enroll --unenroll &&
		if image_has_check || [ -e "$root/etc/eksign.name" ]; then
			fail "--unenroll removes the name and the check from the image"
		else
			pass "--unenroll removes the name and the check from the image"
		fi
	ok "enroll again (TPM B)" attest-tpm2-enroll --allow-tofu -- -T "$tcti_b"
}
echo "package: a real --status, enrolled:"
printf '%s\n' "$status_text" | sed 's/^/  /'

# --- upgrade, enrolled ----------------------------------------------------
ok "reinstall (upgrade) on an enrolled machine" dpkg -i /tmp/attest-tpm2.deb &&
	case $out in
	*"/boot/initrd.img-$kver: rebuilt"*"Rebuilt 1 initramfs image(s)"*) pass "images rebuilt on an enrolled machine" ;;
	*) fail "images rebuilt on an enrolled machine: $out" ;;
	esac
echo 'ATTEST_TPM2_TIMEOUT=45' >> "$root/etc/attest-tpm2.conf"
ok "upgrade keeps an edited configuration" sh -c 'yes N | dpkg -i --force-confold /tmp/attest-tpm2.deb' &&
	if grep -q '^ATTEST_TPM2_TIMEOUT=45' "$root/etc/attest-tpm2.conf"; then pass "the edit survives"
	else fail "the edit survives"; fi

# --- remove and purge -----------------------------------------------------
ok "remove" dpkg -r attest-tpm2
for f in /usr/bin/attest_tpm2_primary /usr/bin/attest-tpm2-enroll /usr/lib/attest-tpm2 \
	/usr/lib/dracut/modules.d/91attest-tpm2 /usr/share/initramfs-tools/hooks/attest-tpm2; do
	if [ -e "$root$f" ]; then fail "remove takes $f"; else pass "remove takes $f"; fi
done
if [ -e "$root/etc/attest-tpm2.conf" ]; then pass "remove keeps the configuration"
else fail "remove keeps the configuration"; fi
ok "an image builds after removal" mkinitramfs -o /tmp/initrd.img "$kver"
ok "purge" dpkg -P attest-tpm2
if [ -e "$root/etc/attest-tpm2.conf" ]; then fail "purge takes the configuration"
else pass "purge takes the configuration"; fi
if [ -e "$root/etc/eksign.name" ]; then fail "purge takes the enrollment"
else pass "purge takes the enrollment"; fi
case $out in
*"purge removed the enrollment /etc/eksign.name (signing EK 000b"*) pass "purge says it removed the enrollment, and which" ;;
*) fail "purge says it removed the enrollment, and which: $out" ;;
esac
left=$(cd "$root" && find etc usr lib -path '*attest*' -o -name 'eksign*' 2>/dev/null)
# The images were rebuilt without the check on removal.
if image_has_check; then fail "removal rebuilt the image without the check"
else pass "removal rebuilt the image without the check"; fi
if [ -z "$left" ]; then pass "nothing else of the package is left"
else fail "nothing else of the package is left: $left"; fi

report_end
