# Shell helpers for tests: a fresh Debian root (mmdebstrap, minbase) from the
# archive this machine's apt already uses, never a host name written down
# here. Sourced (POSIX sh); needs root.
#
#   debian_root_make DIR SUITE [PKG,PKG...]   build it, with those packages
#   debian_root_enter DIR                     mount /proc, /sys, /dev in it
#   debian_root_remove DIR                    unmount and delete it

# debian_root_sources SUITE: one "deb URI SUITE[-...] main" line for every
# archive apt resolved for the suite (main, updates, security).
debian_root_sources() {
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax, not the shell's
	apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 'Identifier: Packages' |
		awk -v s="$1" '$2 == s || index($2, s "-") == 1 { print "deb " $1 " " $2 " main" }' |
		sort -u
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
