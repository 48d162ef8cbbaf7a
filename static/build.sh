#!/bin/sh
# Build the static musl dependencies of attest_tpm2_primary, or find them
# already built, and print the folder that holds them.
#
#   sh static/build.sh --deps        print the dependencies' folder (PREFIX):
#                                    PREFIX/include, PREFIX/lib, PREFIX/uapi
#   sh static/build.sh --drop-cache  delete the cached sources and dependencies
#
# The Makefile compiles and links the program against that folder
# ("make static"); only the folder's name goes to standard output, and the
# progress to standard error.
#
# OpenSSL (bookworm), tpm2-tss (trixie) and json-c (bookworm, the LUKS2
# header's JSON parser, as in cryptsetup) are fetched as Debian source
# packages from the archive this machine's apt already uses, with a private
# apt configuration: apt checks the archive's signature (InRelease, Debian
# archive keyring) and the file hashes of the signed Sources index, and
# dpkg-source checks the .dsc checksums again when unpacking. No SHA-256 is
# pinned here: that chain already authenticates the files, and a pin would
# break the build at every Debian security update of OpenSSL.
#
# All three are built with musl-gcc into a cache outside the clone:
#   ${ATTEST_TPM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-tpm2}
#     deps-KEY/         libcrypto + tss2 + json-c static libraries, headers, UAPI headers
#     static-sources/   the downloaded .dsc and tarballs (no network once there)
#     static-logs/      logs of the last fetch and dependency build
# Other tools may keep entries of their own in that folder: this script
# touches only deps-KEY, static-* and static.lock.
# KEY hashes the .dsc checksums, the compiler and musl versions, the Linux
# UAPI headers, this script and the *.options files, so a change to any of
# them rebuilds; otherwise this takes seconds. Dependencies are built in a
# temporary folder and renamed when complete. Checkouts of another static/
# may share the cache, so a deps-KEY folder is removed only after 30 days
# without use.
#
# OpenSSL is built without assembly (no-asm), with constant-time C code for
# AES and P-256/P-521: see static/openssl.options for why.
set -eu

me=static/build.sh
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
top=$(dirname -- "$here")
cache=${ATTEST_TPM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attest-tpm2}
packages="musl-tools gcc make cmake perl dpkg-dev pkg-config autoconf automake libtool autoconf-archive libltdl-dev xz-utils file binutils libc-bin linux-libc-dev debian-archive-keyring apt"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# Debian source packages: NAME/SUITE.
openssl_pkg=openssl/bookworm
tss_pkg=tpm2-tss/trixie
jsonc_pkg=json-c/bookworm

die() {
    printf '%s: error: %s\n' "$me" "$*" >&2
    exit 1
}

say() {
    printf '%s: %s\n' "$me" "$*" >&2
}

# Run a command with its output appended to a log; on failure show the
# end of the log and stop.
run() {
    log=$1 what=$2
    shift 2
    printf '>>> %s\n' "$*" >>"$log"
    if ! "$@" >>"$log" 2>&1; then
        tail -n 25 "$log" >&2
        die "$what failed (full log: $log)"
    fi
}

# Remove temporary folders on any exit.
tmp_dirs=
cleanup() {
    for d in $tmp_dirs; do
        rm -rf "$d"
    done
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# new_tmp NAME: a new temporary folder in the cache, in $tmp.
new_tmp() {
    tmp=$(mktemp -d "$cache/static-tmp.$1.XXXXXX")
    chmod 755 "$tmp"
    tmp_dirs="$tmp_dirs $tmp"
}

need() {
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            die "'$t' not found; the static build needs: $packages"
    done
}

# The options files: one option a line, '#' comments.
options() {
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"
}

# Is $1 a deps-KEY folder of ours?
is_deps() {
    case ${1##*/} in
        deps-*[!0-9a-f]*) return 1 ;;
        deps-????????????????) [ -d "$1" ] ;;
        *) return 1 ;;
    esac
}

# --- drop the cache ------------------------------------------------------

if [ "${1:-}" = --drop-cache ]; then
    [ $# -eq 1 ] || die "usage: $0 --drop-cache"
    if [ -d "$cache" ]; then
        for d in "$cache"/deps-*; do
            if is_deps "$d"; then rm -rf "$d"; fi
        done
        rm -rf "$cache"/static-tmp.* "$cache/static-sources" \
            "$cache/static-logs" "$cache/static.lock"
        rmdir "$cache" 2>/dev/null || true
    fi
    say "dropped $cache"
    exit 0
fi

if [ $# -ne 1 ] || [ "$1" != --deps ]; then
    die "usage: $0 --deps | --drop-cache"
fi
# Standard output carries the folder's name alone: whatever else the steps
# below print goes to standard error.
exec 3>&1 1>&2

case $cache in
    /*) ;;
    *) die "the cache folder must be an absolute path: $cache" ;;
esac
case $cache in
    *[[:space:]]*) die "the cache folder path must not contain blanks: $cache" ;;
esac

export LC_ALL=C
need musl-gcc gcc nm sha256sum mktemp

case $(uname -m) in
    x86_64) ossl_target=linux-x86_64 ;;
    aarch64) ossl_target=linux-aarch64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
esac
multiarch=$(gcc -print-multiarch)
[ -d "/usr/include/$multiarch/asm" ] ||
    die "Linux UAPI headers missing (/usr/include/$multiarch/asm): install linux-libc-dev"
jobs=$(nproc 2>/dev/null || echo 2)

logs=$cache/static-logs
mkdir -p "$logs"
# One build at a time per cache.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache/static.lock"
    flock 9
fi

# --- fetch the sources -----------------------------------------------------

# The URI of the main Debian archive in the system's apt sources: the first
# entry with a suite that is not -security/-updates/-backports.
archive_uri() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (uri != "" && main && enabled) { print uri; found = 1; exit }
                uri = ""; main = 0; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
            tolower($1) == "suites:" {
                for (i = 2; i <= NF; i++) if ($i !~ /[-\/]/) main = 1
            }
            END { if (!found) flush() }
        ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '
            $1 != "deb" && $1 != "deb-src" { next }
            {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) !~ /[-\/]/) { print $i; exit }
            }
        ' "$f"
    done
}

srcs=$cache/static-sources
fetch_sources() {
    need apt-get
    [ -f "$keyring" ] || die "$keyring missing: install debian-archive-keyring"
    uri=$(archive_uri | head -n 1)
    uri=${uri%/}
    case $uri in
        http://?* | https://?* | file:/?*) ;;
        *) die "no Debian archive found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" ;;
    esac
    new_tmp sources
    t=$tmp
    log=$logs/fetch.log
    : >"$log"
    mkdir -p "$t/lists/partial" "$t/cache/archives/partial" "$t/dl"
    {
        printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$uri" "${openssl_pkg#*/}"
        for suite in $(printf '%s\n' "${tss_pkg#*/}" "${jsonc_pkg#*/}" | sort -u); do
            [ "$suite" = "${openssl_pkg#*/}" ] ||
                printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$suite"
        done
    } >"$t/sources.list"
    # Let apt's unprivileged downloader write there (no "unsandboxed" warning).
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$t/lists/partial" "$t/dl"
    fi
    set -- -q -o "Dir::Etc::sourcelist=$t/sources.list" \
        -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$t/lists" \
        -o "Dir::Cache=$t/cache" -o Acquire::Languages=none
    say "fetching $openssl_pkg, $tss_pkg and $jsonc_pkg sources from $uri"
    for step in update "$openssl_pkg" "$tss_pkg" "$jsonc_pkg"; do
        if [ "$step" = update ]; then
            ok=true
            apt-get "$@" update >>"$log" 2>&1 || ok=false
            # apt-get update exits 0 on some fetch errors; insist on the indices.
            ls "$t"/lists/*_Sources* >/dev/null 2>&1 || ok=false
            grep -q '^[EW]: .*\(NO_PUBKEY\|not signed\|BADSIG\|Hash Sum\|invalid\)' "$log" && ok=false
        else
            ok=true
            (cd "$t/dl" && apt-get "$@" source --download-only --only-source "$step") \
                >>"$log" 2>&1 || ok=false
        fi
        if ! $ok; then
            msg=$(grep -m 1 '^[EW]: ' "$log" || tail -n 1 "$log")
            what=${step%%/*}
            [ "$step" = update ] && what="the signed source indices"
            die "fetching $what from $uri failed: $msg (log: $log)"
        fi
    done
    # Re-check every file against the .dsc (apt already checked it against
    # the signed Sources index).
    for dsc in "$t"/dl/*.dsc; do
        sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\)$/\1  \2/p' "$dsc" \
            >"$t/sums"
        [ -s "$t/sums" ] || die "no SHA-256 checksums in $(basename "$dsc")"
        (cd "$t/dl" && sha256sum -c --quiet "$t/sums") >>"$log" 2>&1 ||
            die "checksum mismatch in the files of $(basename "$dsc") (log: $log)"
    done
    [ "$(id -u)" = 0 ] && chown -R 0:0 "$t/dl"
    rm -rf "$srcs"
    mv "$t/dl" "$srcs"
    printf '%s %s %s from %s\n' "$openssl_pkg" "$tss_pkg" "$jsonc_pkg" "$uri" >"$srcs/complete"
}

# The sources are fetched once; --drop-cache (make distclean) fetches anew.
want="$openssl_pkg $tss_pkg $jsonc_pkg"
if [ ! -f "$srcs/complete" ] || [ "$(cut -d' ' -f1-3 "$srcs/complete")" != "$want" ]; then
    fetch_sources
fi
dsc_of() {
    name=${1%%/*}
    set -- "$srcs/$name"_*.dsc
    if [ $# -ne 1 ] || [ ! -f "$1" ]; then
        die "expected one $name .dsc in $srcs; run: $0 --drop-cache"
    fi
    printf '%s\n' "$1"
}
openssl_dsc=$(dsc_of "$openssl_pkg")
tss_dsc=$(dsc_of "$tss_pkg")
jsonc_dsc=$(dsc_of "$jsonc_pkg")
dsc_version() {
    sed -n 's/^Version: //p' "$1"
}
openssl_version=$(dsc_version "$openssl_dsc")
tss_version=$(dsc_version "$tss_dsc")
jsonc_version=$(dsc_version "$jsonc_dsc")

# --- build the dependencies ------------------------------------------------

musl_libc=$(musl-gcc -print-file-name=libc.a)
key=$(
    {
        printf 'arch %s %s %s\n' "$(uname -m)" "$ossl_target" "$multiarch"
        for dsc in "$openssl_dsc" "$tss_dsc" "$jsonc_dsc"; do
            sed -n '/^Checksums-Sha256:/,/^[^ ]/p' "$dsc"
        done
        musl-gcc -dumpversion
        gcc --version | head -n 1
        sha256sum <"$musl_libc"
        cat /usr/include/linux/version.h
        for f in "$here"/build.sh "$here"/*.options; do
            printf '== %s\n' "${f##*/}" && cat "$f"
        done
    } | sha256sum | cut -c1-16
)
deps=$cache/deps-$key

build_deps() {
    need make cmake perl dpkg-source dpkg-parsechangelog autoreconf libtoolize \
        aclocal pkg-config objcopy xz
    # tpm2-tss's configure.ac uses macros of autoconf-archive and libltdl-dev.
    for m4 in ax_is_release.m4 ltdl.m4; do
        [ -f "/usr/share/aclocal/$m4" ] ||
            die "/usr/share/aclocal/$m4 missing; the static build needs: $packages"
    done
    log=$logs/deps.log
    : >"$log"
    new_tmp "deps-$key"
    t=$tmp
    prefix=$t/prefix
    b=$t/build
    mkdir -p "$prefix/lib/pkgconfig" "$prefix/include" "$prefix/uapi" "$b"
    start=$(date +%s)

    # Linux UAPI headers for musl-gcc, without the rest of glibc's /usr/include.
    cp -RL /usr/include/linux /usr/include/asm-generic "$prefix/uapi/"
    cp -RL "/usr/include/$multiarch/asm" "$prefix/uapi/asm"

    cflags="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fstack-protector-strong"

    say "building OpenSSL $openssl_version with musl (log: $log)"
    run "$log" "unpacking $openssl_pkg" dpkg-source --no-copy -x "$openssl_dsc" "$b/openssl"
    cd "$b/openssl"
    # OpenSSL_version() reports the compiler flags and build date, and
    # libcrypto holds its install paths: keep the cache's (temporary) paths
    # out of them. Its make runs every command from the top of the tree, so
    # the UAPI copy is reached by a relative -idirafter; the prefix is a
    # neutral /usr (nothing is loaded from there: no-module, no-engine, and
    # the files are installed by hand below).
    ln -s "$prefix/uapi" uapi
    epoch=$(dpkg-parsechangelog -STimestamp)
    # shellcheck disable=SC2046 # one option a word, by design
    run "$log" "configuring OpenSSL" env CC=musl-gcc \
        CFLAGS="$cflags -idirafter uapi" SOURCE_DATE_EPOCH="$epoch" \
        ./Configure "$ossl_target" --prefix=/usr --libdir=lib \
        --openssldir=/etc/ssl $(options "$here/openssl.options")
    run "$log" "building OpenSSL" env SOURCE_DATE_EPOCH="$epoch" \
        make -j"$jobs" build_generated
    run "$log" "building OpenSSL" env SOURCE_DATE_EPOCH="$epoch" \
        make -j"$jobs" libcrypto.a libcrypto.pc
    mkdir -p "$prefix/include/openssl"
    cp include/openssl/*.h "$prefix/include/openssl/"
    cp libcrypto.a "$prefix/lib/"
    sed "s|^prefix=.*|prefix=$prefix|" libcrypto.pc >"$prefix/lib/pkgconfig/libcrypto.pc"

    say "building tpm2-tss $tss_version with musl (log: $log)"
    run "$log" "unpacking $tss_pkg" dpkg-source --no-copy -x "$tss_dsc" "$b/tss"
    cd "$b/tss"
    # The orig tarball is a git snapshot without configure: generate it.
    run "$log" "bootstrapping tpm2-tss" ./bootstrap
    # pkg-config must see the musl OpenSSL only, never the system's libcrypto.
    # shellcheck disable=SC2046 # one option a word, by design
    run "$log" "configuring tpm2-tss" env PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
        PKG_CONFIG_PATH='' PKG_CONFIG_SYSROOT_DIR='' \
        ./configure CC=musl-gcc CFLAGS="$cflags -idirafter $prefix/uapi" \
        CPPFLAGS="-I$prefix/include" \
        LDFLAGS="-L$prefix/lib" --prefix="$prefix" \
        $(options "$here/tpm2-tss.options")
    run "$log" "building tpm2-tss" make -j"$jobs" install-libLTLIBRARIES install-tss2HEADERS install-pkgconfigDATA
    rm -f "$prefix"/lib/*.la

    say "building json-c $jsonc_version with musl (log: $log)"
    run "$log" "unpacking $jsonc_pkg" dpkg-source --no-copy -x "$jsonc_dsc" "$b/json-c"
    mkdir -p "$b/json-c/build"
    cd "$b/json-c/build"
    # shellcheck disable=SC2046 # one option a word, by design
    run "$log" "configuring json-c" env CC=musl-gcc \
        CFLAGS="$cflags -idirafter $prefix/uapi" \
        cmake .. -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
        -DCMAKE_BUILD_TYPE=None $(options "$here/json-c.options")
    run "$log" "building json-c" make -j"$jobs" install
    # Each TCTI defines Tss2_Tcti_Info; keep it local so several link together.
    for a in "$prefix"/lib/libtss2-tcti-*.a; do
        run "$log" "localizing Tss2_Tcti_Info in ${a##*/}" \
            objcopy --localize-symbol=Tss2_Tcti_Info "$a"
    done
    for lib in crypto json-c tss2-esys tss2-sys tss2-mu tss2-rc tss2-tctildr \
        tss2-tcti-device tss2-tcti-swtpm tss2-tcti-mssim; do
        [ -f "$prefix/lib/lib$lib.a" ] || die "lib$lib.a was not built (log: $log)"
    done
    if nm "$prefix"/lib/*.a 2>/dev/null | grep -q ' U dlopen$'; then
        die "a dependency references dlopen (log: $log)"
    fi

    # The .pc files name the final folder.
    for pc in "$prefix"/lib/pkgconfig/*.pc; do
        sed "s|$prefix|$deps|g" "$pc" >"$pc.new" && mv "$pc.new" "$pc"
    done
    printf 'openssl %s\ntpm2-tss %s\njson-c %s\nbuilt in %ss\n' "$openssl_version" \
        "$tss_version" "$jsonc_version" "$(($(date +%s) - start))" >"$prefix/complete"
    cd "$top"
    rm -rf "$deps"
    mv "$prefix" "$deps"
    for old in "$cache"/deps-*; do
        if is_deps "$old" && [ -n "$(find "$old/complete" -mtime +30 2>/dev/null)" ]; then
            rm -rf "$old"
        fi
    done
}

if [ -f "$deps/complete" ]; then
    # The mark of use that keeps it from being removed as unused.
    touch "$deps/complete"
    deps_note="cached in $deps"
else
    build_deps
    deps_note="$(sed -n 's/^built in //p' "$deps/complete") to build into $deps"
fi

musl_version=$(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null || echo '?')
say "OpenSSL $openssl_version (Debian ${openssl_pkg#*/}), tpm2-tss $tss_version (Debian ${tss_pkg#*/}), json-c $jsonc_version (Debian ${jsonc_pkg#*/}), musl $musl_version, gcc $(musl-gcc -dumpversion)"
say "dependencies: $deps_note"
printf '%s\n' "$deps" >&3
