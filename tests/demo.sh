#!/bin/sh
# A walk through the whole flow on software TPMs: enroll, attest, certify,
# then the same check against a different TPM, which must fail.
# Usage: tests/demo.sh BINARY
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/swtpm.sh"
suite_work

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }
die() { echo "demo: $*" >&2; exit 1; }

echo "Provisioning two software TPMs with EK certificates from a throw-away CA..."
swtpm_provision "$WORK/good" || die "swtpm_setup failed"
swtpm_provision "$WORK/other" || die "swtpm_setup failed"
swtpm_start "$WORK/other"
other=$TCTI
swtpm_start "$WORK/good"
export TPM2TOOLS_TCTI="$TCTI"

step "Enroll: derive the signing EK and record its name" \
	"attest_tpm2_primary --eksign > eksign.name"
"$bin" --eksign > "$WORK/eksign.name" || die "enrollment failed"
cat "$WORK/eksign.name"

step "Attest it against the TPM's EK certificate (read from NV 0x01c00002)" \
	"attest_tpm2_primary --attest ek.der --name eksign.name"
tpm2_nvread -Q 0x01c00002 -o "$WORK/ek.der" 2>/dev/null || die "no EK certificate"
openssl x509 -inform DER -in "$WORK/ek.der" -noout -issuer -subject
"$bin" --attest "$WORK/ek.der" --name "$WORK/eksign.name" || die "attestation failed"

step "Certify the NULL key (what the kernel salts its sessions to)" \
	"attest_tpm2_primary --certify null --name eksign.name -o"
"$bin" --certify null --name "$WORK/eksign.name" -o || die "certify null failed"

step "Certify the owner SRK and export its verified public key" \
	"attest_tpm2_primary --certify owner --name eksign.name --file srk.pem"
"$bin" --certify owner --name "$WORK/eksign.name" --file "$WORK/srk.pem" || die "certify owner failed"
cat "$WORK/srk.pem"

step "The boot check: NULL key and SRK in one run" \
	"attest_tpm2_primary --boot --name eksign.name null_name"
"$bin" --certify null --name "$WORK/eksign.name" -o > "$WORK/null_name"
"$bin" --boot --name "$WORK/eksign.name" "$WORK/null_name" || die "boot check failed"

step "Now a different TPM answers (an interposer's, or a swapped chip)" \
	"attest_tpm2_primary --certify owner --name eksign.name"
"$bin" -T "$other" --certify owner --name "$WORK/eksign.name"
rc=$?
[ $rc -eq 1 ] || die "the foreign TPM was not refused as a verification failure (exit $rc)"
echo "(exit status $rc: refused, as it must be)"
echo
echo "Demo complete: the enrolled TPM verified, the foreign TPM refused."
