# Shell helpers for tests: a fresh Debian root (mmdebstrap, minbase) from the
# archive this machine's apt already uses, never a host name written down
# here. Sourced (POSIX sh); needs root.
#
#   debian_root_make DIR SUITE [PKG,PKG...]   build it, with those packages
#   debian_root_enter DIR                     mount /proc, /sys, /dev in it
#   debian_root_remove DIR                    unmount and delete it

# debian_root_sources SUITE: one "deb URI SUITE[-...] main" line for every
# archive apt resolved for the suite (main, updates, security); when apt
# knows none (the machine runs another release), the same archives as the
# machine's own release with its codename replaced by SUITE
# (bookworm-security at a URI becomes trixie-security at the same URI).
debian_root_sources() {
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax, not the shell's
	_dr_targets=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 'Identifier: Packages')
	_dr_out=$(printf '%s\n' "$_dr_targets" |
		awk -v s="$1" '$2 == s || index($2, s "-") == 1 { print "deb " $1 " " $2 " main" }' | sort -u)
	if [ -z "$_dr_out" ]; then
		_dr_own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
		[ -n "$_dr_own" ] || return 0
		_dr_out=$(printf '%s\n' "$_dr_targets" |
			awk -v o="$_dr_own" -v s="$1" '
				$2 == o { print "deb " $1 " " s " main" }
				index($2, o "-") == 1 { print "deb " $1 " " s substr($2, length(o) + 1) " main" }' |
			sort -u)
	fi
	printf '%s\n' "$_dr_out" | sed '/^$/d'
}

debian_root_make() {
	_dr_sources=$(debian_root_sources "$2")
	if [ -z "$_dr_sources" ]; then
		echo "no $2 archive in this machine's apt sources" >&2
		return 1
	fi
	printf '%s\n' "$_dr_sources" | mmdebstrap --quiet --variant=minbase \
		${3:+--include="$3"} "$2" "$1" - > "$1.log" 2>&1 || {
		tail -20 "$1.log" >&2
		rm -f "$1.log"
		return 1
	}
	rm -f "$1.log"
	cp /etc/resolv.conf "$1/etc/resolv.conf"
}

debian_root_enter() {
	for _dr_m in proc sys dev dev/pts; do
		mount --bind "/$_dr_m" "$1/$_dr_m" || return 1
	done
}

debian_root_remove() {
	[ -n "$1" ] && [ -d "$1" ] || return 0
	for _dr_m in dev/pts dev sys proc; do
		umount "$1/$_dr_m" 2>/dev/null
	done
	rm -rf --one-file-system "$1"
}
