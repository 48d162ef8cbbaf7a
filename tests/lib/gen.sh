# shellcheck shell=sh
# gen_templates DIR: every template of the tree (NAME.in) filled in as
# "make install" fills it in with the default paths, under DIR, so that a
# test reads the shipped text: DIR/policy/attest-tpm2-lib.sh is the boot
# policy library. Prints nothing; 1 with a FAIL line when make fails.
gen_templates() {
	make -s -C "$(cd "$(dirname "$0")/../.." && pwd)" gen GEN="$1" > "$1.log" 2>&1 || {
		echo "FAIL make gen into $1: $(tail -n 3 "$1.log" | tr '\n' ' ')" >&2
		return 1
	}
}

# policy_suite_start NAME: how a test of the library starts: $work (removed
# on exit), the templates filled in under it, $lib the boot policy library
# as installed, and the report helpers.
policy_suite_start() {
	work=$(mktemp -d "/tmp/attest-tpm2-$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	trap 'exit 2' INT TERM
	gen_templates "$work/gen" || exit 1
	# shellcheck disable=SC2034 # the suite's
	lib=$work/gen/policy/attest-tpm2-lib.sh
	# shellcheck source=SCRIPTDIR/report.sh
	. "$(cd "$(dirname "$0")/../lib" && pwd)/report.sh"
}
