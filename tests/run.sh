#!/bin/sh
# Runs the unit tests and the integration suites and prints "N passed, M failed".
# Usage: tests/run.sh --build BUILD_DIR --bin BINARY_UNDER_TEST
set -u

build=build
bin=build/attest_tpm2_primary
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	*) echo "usage: $0 --build DIR --bin BINARY" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# shellcheck source=SCRIPTDIR/lib/report.sh
. "$here/lib/report.sh"
count() {
	report_count "$log"
}

for t in "$build"/unit/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	rc=$?
	# cmocka: "[       OK ] name" / "[  FAILED  ] name"
	sed -n 's/^\[       OK \] \(.*\)/PASS unit \1/p; s/^\[  FAILED  \] \([a-z_].*\)/FAIL unit \1/p' "$log" > "$log.cases"
	cat "$log.cases"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$log.cases"; then
		echo "FAIL unit $(basename "$t") exited $rc"
		cat "$log"
		echo "FAIL unit $(basename "$t")" >> "$log.cases"
	fi
	mv "$log.cases" "$log"
	count
done

for t in "$here"/integration/test_*.sh; do
	echo "== $(basename "$t")"
	BIN=$bin sh "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL $(basename "$t") exited $rc" | tee -a "$log"
	fi
	count
done

# Fuzz targets: every corpus entry replayed, plus a short bounded run.
if [ -f "$here/fuzz/run.sh" ] && [ "${SKIP_FUZZ:-0}" != 1 ]; then
	echo "== fuzz"
	sh "$here/fuzz/run.sh" --seconds "${FUZZ_CHECK_SECONDS:-10}" >"$log" 2>&1
	rc=$?
	cat "$log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL fuzz exited $rc" | tee -a "$log"
	fi
	count
fi

report_end && [ "$REPORT_PASSED" -gt 0 ]
