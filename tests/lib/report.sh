# shellcheck shell=sh
# The one way every suite reports: a "PASS name", "FAIL name: why" or
# "SKIP name: why" line a case, and one closing "N passed, M failed" line.
# Sourced (POSIX sh); the counts are REPORT_PASSED and REPORT_FAILED, so a
# case judged in a subshell (a pipeline's loop) is not counted: judge in
# the suite's own shell.

REPORT_PASSED=0
REPORT_FAILED=0

# pass NAME...
pass() {
	REPORT_PASSED=$((REPORT_PASSED + 1))
	echo "PASS $*"
}

# fail NAME [WHY]: with WHY, "FAIL NAME: WHY"; else NAME holds both.
fail() {
	REPORT_FAILED=$((REPORT_FAILED + 1))
	if [ $# -gt 1 ]; then
		echo "FAIL $1: $2"
	else
		echo "FAIL $1"
	fi
}

# skip NAME WHY: a case that cannot run here, said rather than hidden.
skip() {
	echo "SKIP $1: $2"
}

# report_same NAME WANT GOT: pass when GOT is WANT, else fail saying both.
report_same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# report_count FILE: add the PASS and FAIL lines of FILE (a suite that ran
# in a process of its own) to the counts.
report_count() {
	REPORT_PASSED=$((REPORT_PASSED + $(grep -c '^PASS ' "$1")))
	REPORT_FAILED=$((REPORT_FAILED + $(grep -c '^FAIL ' "$1")))
}

# report_end: the closing line, with REPORT_NOTE in brackets when set;
# status 1 when a case failed.
report_end() {
	echo "$REPORT_PASSED passed, $REPORT_FAILED failed${REPORT_NOTE:+ ($REPORT_NOTE)}"
	[ "$REPORT_FAILED" -eq 0 ]
}
