#!/bin/sh
# The TPM vendors' EK CA certificates shipped in policy/tpm-ca (installed as
# /usr/share/attest-tpm2/tpm-ca, attest-tpm2-enroll's default CA): each file
# is one certificate; its SHA-256 fingerprint is the one its README row
# gives; every intermediate chains, under openssl's strict checks, to a root
# in the folder; and the binary loads the whole folder (the README beside
# the certificates included), then names the missing issuer when a
# certificate from another CA does not chain.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
ca=$(cd "$here/.." && pwd)/policy/tpm-ca

suite_work

n=0
bad=
: > "$WORK/roots.pem"
: > "$WORK/intermediates.pem"
inter=
for f in "$ca"/*.pem; do
	n=$((n + 1))
	b=${f##*/}
	if [ "$(grep -c 'BEGIN CERTIFICATE' "$f")" -ne 1 ] || ! openssl x509 -noout -in "$f" 2> /dev/null; then
		bad="$bad $b:not-one-certificate"
		continue
	fi
	fp=$(openssl x509 -noout -fingerprint -sha256 -in "$f" | sed 's/^.*=//')
	grep -F "\`$b\`" "$ca/README.md" | grep -qF "$fp" || bad="$bad $b:fingerprint-not-in-README"
	if [ "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$f")" = \
		"$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$f" | sed 's/^issuer/subject/')" ]; then
		cat "$f" >> "$WORK/roots.pem"
	else
		cat "$f" >> "$WORK/intermediates.pem"
		inter="$inter $f"
	fi
done
if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
	pass "$n vendor CA files: one certificate each, fingerprints as in the README"
else
	fail "vendor CA files" "${bad:-none found}"
fi
# shellcheck disable=SC2016 # backquotes of Markdown
rows=$(grep -c '^| `[^`]*\.pem` |' "$ca/README.md")
same "the README has a row for each file and no more" "$rows" "$n"

# Every intermediate chains to a root of the folder.
bad=
for f in $inter; do
	openssl verify -x509_strict -CAfile "$WORK/roots.pem" -untrusted "$WORK/intermediates.pem" "$f" \
		> /dev/null 2> "$WORK/verify.err" || bad="$bad ${f##*/}"
done
if [ -z "$bad" ]; then
	pass "every intermediate chains to a root in the folder ($(grep -c 'BEGIN' "$WORK/intermediates.pem") intermediates, $(grep -c 'BEGIN' "$WORK/roots.pem") roots)"
else
	fail "every intermediate chains to a root in the folder" "$bad"
fi

# The binary reads the folder as it ships (README.md included); a TPM whose
# EK certificate comes from another CA does not chain, and the message
# names the issuer to add.
swtpm_provision "$WORK/tpm" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/tpm"
run "$BIN" -T "$TCTI" --attest nv: --ca "$ca"
expect "a certificate from another CA does not chain to the vendor roots" 1
case $ERR in
*"does not verify"*"missing issuer: "*swtpm*) pass "the failure names the missing issuer" ;;
*) fail "the failure names the missing issuer" "$ERR" ;;
esac

finish
