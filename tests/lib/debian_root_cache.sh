# Shell helpers for tests: a Debian root of any suite (say trixie on a
# bookworm machine), built once with mmdebstrap from the archive this
# machine's apt already uses and cached as a tarball, so that later runs only
# unpack it. No host name is written down here. Sourced (POSIX sh); needs root.
#
#   debian_root_tarball SUITE PKG,PKG...   print the cached tarball's path,
#                                          building it first when missing
#   debian_root_unpack TARBALL DIR         a fresh root in DIR from it
#   debian_root_dir SUITE PKG,PKG...       print a cached unpacked copy
#
# The cache is ${ATTEST_TPM2_CACHE:-$HOME/.cache/attest-tpm2}/root-SUITE-KEY.tar,
# KEY a hash of the suite and the sorted package list. Set
# ATTEST_TPM2_NO_ROOT_BUILD=1 to use only a cached tarball (fail instead of
# building one). Needs debian_root.sh sourced first (debian_root_sources);
# enter and remove the unpacked root with its debian_root_enter and
# debian_root_remove.

# debian_root_key SUITE PKG,PKG...: sets _drc_entry, the cache entry's path
# without its ending, _drc_cache and _drc_pkgs (sorted, once each).
debian_root_key() {
	_drc_cache=${ATTEST_TPM2_CACHE:-$HOME/.cache/attest-tpm2}
	_drc_pkgs=$(printf '%s\n' "$2" | tr -s ', ' '\n' | sed '/^$/d' | sort -u | tr '\n' ',' | sed 's/,$//')
	_drc_entry=$_drc_cache/root-$1-$(printf '%s %s\n' "$1" "$_drc_pkgs" | sha256sum | cut -c1-16)
}

debian_root_tarball() {
	debian_root_key "$1" "$2"
	_drc_tar=$_drc_entry.tar
	if [ -s "$_drc_tar" ]; then
		echo "$_drc_tar"
		return 0
	fi
	if [ "${ATTEST_TPM2_NO_ROOT_BUILD:-0}" = 1 ]; then
		echo "no cached $1 root at $_drc_tar (ATTEST_TPM2_NO_ROOT_BUILD=1)" >&2
		return 1
	fi
	mkdir -p "$_drc_cache" || return 1
	# One build at a time; a second caller waits for it and reuses it.
	(
		flock 9 || exit 1
		[ -s "$_drc_tar" ] && exit 0
		_drc_src=$(debian_root_sources "$1")
		if [ -z "$_drc_src" ]; then
			echo "no archive for $1 derivable from this machine's apt sources" >&2
			exit 1
		fi
		echo "building a $1 root ($_drc_pkgs) into $_drc_tar" >&2
		rm -f "$_drc_tar.tmp.tar"
		printf '%s\n' "$_drc_src" | nice mmdebstrap --quiet --variant=minbase \
			--include="$_drc_pkgs" \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			"$1" "$_drc_tar.tmp.tar" - > "$_drc_tar.log" 2>&1 || {
			tail -20 "$_drc_tar.log" >&2
			rm -f "$_drc_tar.tmp.tar"
			exit 1
		}
		mv "$_drc_tar.tmp.tar" "$_drc_tar"
		rm -f "$_drc_tar.log"
	) 9> "$_drc_tar.lock" || return 1
	echo "$_drc_tar"
}

debian_root_unpack() {
	mkdir -p "$2" || return 1
	tar -C "$2" -xf "$1" || return 1
	cp /etc/resolv.conf "$2/etc/resolv.conf" 2>/dev/null || true
}

# debian_root_dir SUITE PKG,PKG...: print the path of that root unpacked
# once beside its tarball (root-SUITE-KEY.d), to be used read-only, as an
# overlay's lower layer; unpacked (and the tarball built) when missing.
debian_root_dir() {
	debian_root_key "$1" "$2"
	_drd_dir=$_drc_entry.d
	if [ ! -f "$_drd_dir/.complete" ]; then
		_drd_tar=$(debian_root_tarball "$1" "$2") || return 1
		# One unpacking at a time; a second caller waits and reuses it.
		# shellcheck disable=SC2016 # expanded by the inner shell
		flock "$_drd_tar.lock" sh -c '[ -f "$2/.complete" ] && exit 0
			rm -rf --one-file-system "$2.tmp" && mkdir -p "$2.tmp" && tar -C "$2.tmp" -xf "$1" &&
				touch "$2.tmp/.complete" && mv "$2.tmp" "$2"' sh "$_drd_tar" "$_drd_dir" || return 1
	fi
	echo "$_drd_dir"
}
