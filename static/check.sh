#!/bin/sh
# Strip the static build's binary and check it is what ships: statically
# linked, no program interpreter, no dlopen, at most 2 MiB (it goes into
# every initramfs). A binary that fails is removed, so that no later make
# takes it for built.
#
#   sh static/check.sh BINARY
set -eu

me=static/check.sh
max_size=2097152
[ $# -eq 1 ] || { printf 'usage: %s BINARY\n' "$0" >&2; exit 2; }
bin=$1

die() {
    rm -f "$bin"
    printf '%s: error: %s\n' "$me" "$*" >&2
    exit 1
}

export LC_ALL=C
[ -f "$bin" ] || die "$bin: no such file"
# The symbols are gone once stripped, so dlopen is looked for before; a
# stripped binary here passed that look, since only this script strips it.
case $(file -b "$bin") in
    *"not stripped"*)
        if nm "$bin" | grep -q '[[:space:]]dlopen$'; then
            die "$bin links dlopen"
        fi
        strip --strip-all "$bin"
        ;;
esac
file_out=$(file -b "$bin")
case $file_out in
    *"statically linked"*) ;;
    *) die "$bin is not statically linked: $file_out" ;;
esac
if readelf -l "$bin" | grep -q INTERP; then
    die "$bin names a program interpreter"
fi
ldd_out=$(ldd "$bin" 2>&1 || true)
case $ldd_out in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) die "ldd finds dynamic dependencies in $bin: $ldd_out" ;;
esac
size=$(wc -c <"$bin")
if [ "$size" -gt "$max_size" ]; then
    die "$bin is $size bytes, over the $max_size byte (2 MiB) budget"
fi
printf '%s: %s: %s bytes (%s%% of 2 MiB), static, stripped, no dlopen\n' \
    "$me" "$bin" "$size" "$((size * 100 / max_size))"
