#!/bin/sh
# "make demo" as the very first command on a brand-new Debian 12: a fresh
# minbase root from this machine's own archive (mmdebstrap), holding nothing
# but make and the project's files, where make demo must install what it
# needs and pass on the first run. Prints "N passed, M failed".
#
# Usage: sh tests/fresh/run.sh      (root)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/debian_root.sh
. "$here/../lib/debian_root.sh"
# shellcheck source=SCRIPTDIR/../lib/report.sh
. "$here/../lib/report.sh"
suite=bookworm
root=
die() {
	echo "fresh: $*" >&2
	exit 1
}
cleanup() {
	debian_root_remove "$root"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
[ "$(id -u)" -eq 0 ] || die "must run as root (chroot)"

root=$(mktemp -d /tmp/attest-tpm2-fresh.XXXXXX)
echo "fresh: building a minbase $suite root (make only)"
debian_root_make "$root" "$suite" make || die "mmdebstrap failed"

# The project as checked out here (tracked and new files, no build output).
mkdir -p "$root/src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$root/src" ||
	die "cannot copy the project into the root"
debian_root_enter "$root" || die "cannot mount /proc, /sys and /dev in the root"

check() {
	if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1"; fi
}

if chroot "$root" sh -c 'command -v pkg-config || dpkg-query -W libtss2-dev' >/dev/null 2>&1; then
	check "the fresh root has no build dependency" 1
else
	check "the fresh root has no build dependency" 0
fi

start=$(date +%s)
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	sh -c 'cd /src && make demo' >"$root/demo.log" 2>&1
rc=$?
tail -25 "$root/demo.log"
check "make demo, the first command on a brand-new machine ($(($(date +%s) - start)) s)" $rc
grep -q 'Enroll' "$root/demo.log"
check "the demo ran its steps" $?

report_end
