#!/bin/sh
# The shipped binary: fully static, no dlopen, within its size and memory
# budgets. Only meaningful for the static build; other builds say so and stop.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

if ! file -L "$BIN" | grep -q 'statically linked'; then
	echo "NOTE $BIN is not the static build: static checks not run"
	exit 0
fi
suite_work

pass "file says statically linked"
case $(ldd "$BIN" 2>&1) in *"not a dynamic executable"*) pass "ldd rejects it" ;; *) fail "ldd rejects it" "$(ldd "$BIN" 2>&1)" ;; esac
size=$(wc -c < "$BIN")
if [ "$size" -le 2097152 ]; then pass "size $size bytes is within 2 MiB"; else fail "size within 2 MiB" "$size bytes"; fi
if grep -q dlopen "$BIN"; then fail "no dlopen in the binary" "found"; else pass "no dlopen in the binary"; fi
# tpm2-tss built with --with-maxloglevel=none: no log text at all, so no
# TSS2_LOG can make it print a session secret. Debian's library, for
# contrast, has that very message.
esys=
for f in /usr/lib/*/libtss2-esys.so.0; do [ -e "$f" ] && esys=$f; done
if [ -n "$esys" ] && grep -q "ESYS Session Secret" "$esys"; then
	pass "control: a tpm2-tss with logging holds the session-secret log message"
else
	fail "control: a tpm2-tss with logging holds the session-secret log message" "not in ${esys:-no libtss2-esys}"
fi
if grep -q -e "ESYS Session Secret" -e "Esys Finish ErrorCode" "$BIN"; then
	fail "no tpm2-tss log messages in the binary" "found"
else
	pass "no tpm2-tss log messages in the binary"
fi

swtpm_provision "$WORK/a" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/a"
"$BIN" -T "$TCTI" --eksign > "$WORK/ek.name"
"$BIN" -T "$TCTI" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name"
# Peak resident memory of a --certify null run (GNU time reads the kernel's accounting).
rss=$(/usr/bin/time -f '%M' "$BIN" -T "$TCTI" --certify null --name "$WORK/ek.name" \
	"$WORK/null_name" 2>&1 >/dev/null | tail -n 1)
if [ "$rss" -gt 0 ] && [ "$rss" -lt 4096 ]; then
	pass "certify null peaks at $rss KiB resident (< 4 MiB)"
else
	fail "certify null stays under 4 MiB resident" "$rss KiB"
fi
# No configuration file may change its behaviour.
run env OPENSSL_CONF=/nonexistent/openssl.cnf "$BIN" -T "$TCTI" --certify null --name "$WORK/ek.name" "$WORK/null_name"
expect "ignores OPENSSL_CONF" 0

finish
