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
suite=bookworm
passed=0
failed=0
root=
die() {
	echo "fresh: $*" >&2
	exit 1
}
cleanup() {
	[ -n "$root" ] || return 0
	for m in dev/pts dev sys proc; do
		umount "$root/$m" 2>/dev/null
	done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
[ "$(id -u)" -eq 0 ] || die "must run as root (chroot)"

# Every archive this machine uses for the suite (main, updates, security),
# as apt itself resolved them: the host is never written down here.
# shellcheck disable=SC2016 # apt's own $(FIELD) syntax, not the shell's
sources=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 'Identifier: Packages' |
	awk -v s="$suite" '$2 == s || index($2, s "-") == 1 { print "deb " $1 " " $2 " main" }' |
	sort -u)
[ -n "$sources" ] || die "no $suite archive in this machine's apt sources"

root=$(mktemp -d /tmp/attest-tpm2-fresh.XXXXXX)
echo "fresh: building a minbase $suite root (make only)"
printf '%s\n' "$sources" | mmdebstrap --quiet --variant=minbase --include=make \
	"$suite" "$root" - >"$root.log" 2>&1 || {
	tail -20 "$root.log" >&2
	rm -f "$root.log"
	die "mmdebstrap failed"
}
rm -f "$root.log"

# The project as checked out here (tracked and new files, no build output).
mkdir -p "$root/src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$root/src" ||
	die "cannot copy the project into the root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$root/$m" || die "cannot mount /$m in the root"
done

check() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1"
	fi
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
