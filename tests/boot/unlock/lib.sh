# shellcheck shell=sh
# shellcheck disable=SC2154 # globals set by tests/boot/unlock.sh
# Helpers for tests/boot/unlock.sh: the image-building roots (an overlay of a
# cached mmdebstrap root per run). Expects $repo, $work and $ulib set.

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
