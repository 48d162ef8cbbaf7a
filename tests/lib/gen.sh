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
