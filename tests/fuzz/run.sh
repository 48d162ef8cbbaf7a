#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c against every src/*.c but
# main.c), replays each target's checked-in seed corpus, then fuzzes each one
# for a bounded time on a scratch copy of that corpus.
# Prints "PASS fuzz ..." / "FAIL fuzz ...: why" lines; exits non-zero on any FAIL.
# Usage: tests/fuzz/run.sh [--seconds N] [--build DIR] [--target NAME]...
set -u

seconds=10
build=build/fuzz
only=""
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--target) only="$only $2"; shift 2 ;;
	*) echo "usage: $0 [--seconds N] [--build DIR] [--target NAME]..." >&2; exit 2 ;;
	esac
done
case $seconds in
'' | *[!0-9]*) echo "$0: --seconds wants a whole number" >&2; exit 2 ;;
esac

case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
mkdir -p "$build/obj" "$build/artifacts" || exit 2
build=$(cd "$build" && pwd)

# shellcheck source=SCRIPTDIR/../lib/report.sh
. "$here/../lib/report.sh"

CC=${FUZZ_CC:-clang}
# shellcheck disable=SC2089 # the quotes are for the compiler: VERSION is a string
CFLAGS="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_DEFAULT_SOURCE -DVERSION=\"fuzz\" -Isrc"

# libFuzzer ships in clang's runtime package (Debian 12: libclang-rt-14-dev).
can_link_fuzzer() {
	command -v "$CC" >/dev/null 2>&1 || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		> "$build/probe.c"
	"$CC" -fsanitize=fuzzer,address,undefined -o "$build/probe" "$build/probe.c" \
		>"$build/probe.log" 2>&1
}
# The probe is kept: once clang has linked a fuzzer here, it is not asked again.
if [ ! -x "$build/probe" ] && ! can_link_fuzzer; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: installing clang and libclang-rt-14-dev (libFuzzer)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			clang libclang-rt-14-dev >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends clang libclang-rt-14-dev >/dev/null 2>&1; }
	fi
	if ! can_link_fuzzer; then
		fail "fuzz build: $CC cannot link -fsanitize=fuzzer (install clang and libclang-rt-14-dev): $(tail -n 1 "$build/probe.log" 2>/dev/null)"
		exit 1
	fi
fi

if ! LIBS=$(pkg-config --libs tss2-esys tss2-sys tss2-mu tss2-rc tss2-tcti-device \
	tss2-tcti-swtpm tss2-tcti-mssim libcrypto json-c 2>&1); then
	fail "fuzz build: pkg-config: $LIBS"
	exit 1
fi

# Objects are compiled once, in parallel, and reused by every target; a change
# of compiler flags, a newer source or any newer header rebuilds them.
stamp="$build/obj/flags"
if [ "$(cat "$stamp" 2>/dev/null)" != "$CC $CFLAGS" ]; then
	rm -f "$build"/obj/*.o "$build"/fuzz_*
	printf '%s\n' "$CC $CFLAGS" > "$stamp"
fi
stale() { # stale OUTPUT INPUT...: OUTPUT is missing or older than an input or a header
	_out=$1
	shift
	[ -f "$_out" ] || return 0
	[ -n "$(find "$@" -newer "$_out" 2>/dev/null | head -n 1)" ] ||
		[ -n "$(find src "$here" -maxdepth 1 -name '*.h' -newer "$_out" | head -n 1)" ]
}
objs=""
pids=""
for c in src/*.c; do
	[ "$c" = src/main.c ] && continue
	o="$build/obj/$(basename "$c" .c).o"
	objs="$objs $o"
	if stale "$o" "$c"; then
		# shellcheck disable=SC2086,SC2090
		{ $CC $CFLAGS -c -o "$o.tmp" "$c" >"$o.log" 2>&1 && mv "$o.tmp" "$o"; } &
		pids="$pids $!"
	fi
done
for p in $pids; do
	wait "$p"
done
for o in $objs; do
	if [ ! -f "$o" ]; then
		fail "fuzz build: $(basename "$o" .o).c does not compile: $(head -n 3 "$o.log" | tr '\n' ' ')"
		exit 1
	fi
done

targets=""
for c in "$here"/fuzz_*.c; do
	t=$(basename "$c" .c)
	if [ -n "$only" ]; then
		case " $only " in
		*" $t "*) ;;
		*) continue ;;
		esac
	fi
	targets="$targets $t"
	bin="$build/$t"
	# shellcheck disable=SC2086
	if stale "$bin" "$c" $objs; then
		# shellcheck disable=SC2086,SC2090
		if ! $CC $CFLAGS -o "$bin.tmp" "$c" $objs $LIBS >"$build/$t.log" 2>&1; then
			fail "fuzz $t build: $(grep -m 3 -E 'error|undefined' "$build/$t.log" | tr '\n' ' ')"
			continue
		fi
		mv "$bin.tmp" "$bin"
	fi
done
if [ -z "$targets" ]; then
	fail "fuzz: no target matches:$only"
	exit 1
fi

# why LOG DEFAULT: the sanitizer's or libFuzzer's line that says why a run
# failed, else DEFAULT.
why() {
	_why=$(grep -m 1 -E '^SUMMARY|ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error' "$1")
	printf '%s\n' "${_why:-$2}"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in $targets; do
	bin="$build/$t"
	[ -x "$bin" ] || continue
	corpus="$here/corpus/$t"
	log="$build/$t.run.log"
	# 1. Every checked-in input, one execution each: a crash is a regression.
	n=$(find "$corpus" -type f 2>/dev/null | wc -l)
	if [ "$n" -eq 0 ]; then
		fail "fuzz $t corpus: no seed inputs in tests/fuzz/corpus/$t"
		continue
	fi
	# shellcheck disable=SC2046
	if "$bin" -timeout=20 $(find "$corpus" -type f | sort) >"$log" 2>&1; then
		pass "fuzz $t corpus ($n inputs)"
	else
		culprit=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
		fail "fuzz $t corpus: $(why "$log" 'exited non-zero') on $culprit (log $log)"
		continue
	fi
	[ "$seconds" -gt 0 ] || continue
	# 2. A bounded run on a scratch copy: the repository's corpus stays as it is.
	rm -rf "${scratch:?}/$t"
	mkdir -p "$scratch/$t"
	cp "$corpus"/* "$scratch/$t/"
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
		-artifact_prefix="$build/artifacts/$t-" "$scratch/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$execs" ]; then
		pass "fuzz $t $seconds s, $execs execs"
	else
		crash=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
		fail "fuzz $t $seconds s: $(why "$log" "exited $rc"); input ${crash:-not saved} (log $log)"
	fi
done
report_end
