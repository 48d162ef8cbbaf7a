# Assertions for the integration tests (POSIX sh). Each prints one
# "PASS name" or "FAIL name: why" line; tests/run.sh counts them.

# shellcheck source=SCRIPTDIR/report.sh
. "$(dirname "$0")/../lib/report.sh"

# require LABEL TOOL...: every TOOL is installed (make's deps targets
# install them), or one FAIL line names the first missing one and the suite stops.
require() {
	_label=$1
	shift
	for _tool in "$@"; do
		command -v "$_tool" > /dev/null 2>&1 ||
			{ fail "$_label prerequisites" "$_tool not found (make deps installs it)"; exit 1; }
	done
}

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR and status in $RC.
run() {
	OUT=$("$@" 2>"$WORK/stderr")
	RC=$?
	ERR=$(cat "$WORK/stderr")
}

# expect NAME STATUS [TEXT]: the last run exited STATUS; a failure must say
# why in one line starting "$EXPECT_PROGRAM: " (attest_tpm2_primary unless
# set) and print nothing on stdout; stderr must hold TEXT when given.
expect() {
	_prog=${EXPECT_PROGRAM:-attest_tpm2_primary}
	if [ "$RC" -ne "$2" ]; then
		fail "$1" "exit $RC, wanted $2 (stderr: $ERR)"
		return 1
	fi
	if [ "$2" -ne 0 ]; then
		if [ -n "$OUT" ]; then
			fail "$1" "printed on stdout despite failing: $OUT"
			return 1
		fi
		if [ "$(printf '%s\n' "$ERR" | grep -c "^$_prog: ")" -ne 1 ]; then
			fail "$1" "not one '$_prog:' message on stderr: $ERR"
			return 1
		fi
		# One line; a usage error may add the "Try ... --help" pointer.
		if [ "$(printf '%s\n' "$ERR" | grep -vc "^Try '.* --help' for more information\.$")" -ne 1 ]; then
			fail "$1" "more than one line on stderr: $ERR"
			return 1
		fi
	fi
	case $ERR in
	*"${3:-}"*) pass "$1" ;;
	*) fail "$1" "stderr does not say '${3:-}': $ERR" ;;
	esac
}

# same NAME A B: two strings are equal (and not empty).
same() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "'$2' != '$3'"
	fi
}

# no_file NAME PATH: a failed run must not have written PATH.
no_file() {
	if [ -e "$2" ]; then
		fail "$1" "$2 exists"
	else
		pass "$1"
	fi
}

# finish: the suite's status (tests/run.sh counts its lines and closes).
finish() {
	[ "$REPORT_FAILED" -eq 0 ]
}
