#!/bin/sh
# CA folders and EK certificates as TPM vendors really ship them:
# roots and intermediates as DER .cer/.crt files mixed with PEM in any
# order, a vendor "root" cross-signed by another root, EK certificates with an
# empty subject and a critical subjectAltName, DER followed by 0xff padding
# (as NV holds it), and files in the folder that are not certificates. The
# fixtures are made here with openssl (tests/lib/quirky_pki.sh) for the real
# EK of a swtpm, so every case runs the whole --attest.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
. "$here/lib/quirky_pki.sh"
. "$here/lib/install.sh"

suite_work
# The tools as installed: attest-tpm2-enroll reads the boot library.
enroll=$(install_prefix "$WORK/inst") || exit 1

swtpm_provision "$WORK/tpm" nocert || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/tpm"
export TPM2TOOLS_TCTI="$TCTI"
"$BIN" --eksign > "$WORK/ek.name" || { fail eksign "cannot derive the signing EK"; exit 1; }
# The L-2 (ECC P-256) EK, which our certificates certify.
if ! tpm2_createek -c "$WORK/ek.ctx" -G ecc -u "$WORK/ekpub.pem" -f pem >/dev/null ||
	! tpm2_flushcontext -t; then
	fail "read the EK" "tpm2_createek failed"
	exit 1
fi
P=$WORK/pki
mkdir -p "$P"
quirky_pki "$P" "$WORK/ekpub.pem" || { fail "make the fixtures" "$(tail -3 "$P/openssl.log")"; exit 1; }

# The fixtures have the quirks they claim.
case $(openssl x509 -in "$P/ek.pem" -noout -subject) in
"subject="|"subject= ") pass "fixture: the EK certificate's subject is empty" ;;
*) fail "fixture: the EK certificate's subject is empty" "$(openssl x509 -in "$P/ek.pem" -noout -subject)" ;;
esac
case $(openssl x509 -in "$P/ek.pem" -noout -ext subjectAltName) in
*"Subject Alternative Name: critical"*"DirName:"*) pass "fixture: the EK certificate's SAN is critical and a directoryName" ;;
*) fail "fixture: the EK certificate's SAN is critical and a directoryName" "$(openssl x509 -in "$P/ek.pem" -noout -ext subjectAltName)" ;;
esac
if [ "$(openssl x509 -in "$P/vendor-cross.pem" -noout -issuer)" = "issuer=O = Test Trust Services, CN = Test Ultimate TPM Root" ]; then
	pass "fixture: the vendor root is cross-signed by the ultimate root"
else
	fail "fixture: the vendor root is cross-signed by the ultimate root" "$(openssl x509 -in "$P/vendor-cross.pem" -noout -issuer)"
fi

VENDOR="Chain verified to /O=Test Vendor/CN=Test Vendor EK Root"
ULTIMATE="Chain verified to /O=Test Trust Services/CN=Test Ultimate TPM Root"
# verified NAME ROOT_LINE: the last run exited 0 and named ROOT_LINE.
verified() {
	expect "$1" 0 || return
	case $OUT in *"$2"*) pass "$1: names its root" ;; *) fail "$1: names its root" "$OUT" ;; esac
}
# folder NAME SRC:DEST...: a fresh CA folder NAME, each SRC (a fixture)
# copied to DEST in the order given.
folder() {
	_f=$WORK/$1
	shift
	rm -rf "$_f"
	mkdir "$_f"
	for _c in "$@"; do
		cp "$P/${_c%%:*}" "$_f/${_c#*:}"
	done
}

# Vendors publish DER .cer/.crt files; bundles are PEM. Both DER files are
# needed, in whichever order the folder lists them.
folder mixed1 decoy.pem:decoy.pem vendor-self.der:vendor-root.cer int.der:vendor-int.crt
run "$BIN" --attest "$P/ek.pem" --name "$WORK/ek.name" --ca "$WORK/mixed1"
verified "CA folder: DER root .cer and DER intermediate .crt after a PEM root" "$VENDOR"
folder mixed2 int.der:vendor-int.crt vendor-self.der:vendor-root.cer decoy.pem:decoy.pem
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/mixed2"
verified "CA folder: DER intermediate and DER root before a PEM root" "$VENDOR"
folder mixed3 int.der:INT.DER vendor-self.pem:vendor-root.pem decoy.der:decoy.cer
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/mixed3"
verified "CA folder: PEM root, DER intermediate named in capitals, another DER root" "$VENDOR"
# The same root twice (DER and in a PEM bundle) is harmless.
folder dup vendor-self.der:root.cer decoy.der:decoy.crt
cat "$P/int.pem" "$P/vendor-self.pem" > "$WORK/dup/bundle.pem"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/dup"
verified "CA folder: a root both as DER and in a PEM bundle" "$VENDOR"
# OpenSSL's TRUSTED CERTIFICATE form counts as the certificate it holds.
folder trusted int.der:int.crt
openssl x509 -in "$P/vendor-self.pem" -trustout -addtrust anyExtendedKeyUsage -out "$WORK/trusted/root.pem"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/trusted"
verified "CA folder: a root as TRUSTED CERTIFICATE PEM" "$VENDOR"
# Not certificates, and not named like one: skipped.
folder skip vendor-self.der:root.cer int.der:int.crt vendor.key:signkey.pem
printf 'Vendor EK roots, downloaded 2026-11-30.\n' > "$WORK/skip/README"
echo 1000 > "$WORK/skip/certserial"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/skip"
verified "CA folder: a README, a serial file and a private key beside DER certificates are skipped" "$VENDOR"
# DER certificates padded with 0xff, as dumped from NV.
folder padded int.der:int.crt
{ cat "$P/vendor-self.der"; ff_pad 431; } > "$WORK/padded/root.cer"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/padded"
verified "CA folder: DER root followed by 0xff padding" "$VENDOR"

# A file named like a certificate that is not one is an input error naming
# it: skipped, it would surface later as "unable to get local issuer".
# ca_error NAME FILE: the last run failed with exit 2 naming FILE.
ca_error() {
	expect "$1" 2 || return
	case $ERR in *"$2"*) pass "$1: names the file" ;; *) fail "$1: names the file" "$ERR" ;; esac
}
folder broken vendor-self.der:root.cer int.der:int.crt
printf '<html><body>404 Not Found</body></html>\n' > "$WORK/broken/missing-root.crt"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/broken"
ca_error "CA folder: an HTML page saved as .crt is refused" missing-root.crt
folder truncated vendor-self.der:root.cer int.der:int.crt
head -c 200 "$P/ultimate.der" > "$WORK/truncated/old-root.cer"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/truncated"
ca_error "CA folder: a truncated DER .cer is refused" old-root.cer
folder junk vendor-self.der:root.cer
{ cat "$P/int.der"; printf 'trailing junk'; } > "$WORK/junk/int.der"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/junk"
ca_error "CA folder: DER followed by bytes that are not padding is refused" int.der
folder badpem vendor-self.der:root.cer
{ cat "$P/int.pem"; printf -- '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'; } > "$WORK/badpem/bundle"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/badpem"
ca_error "CA folder: a PEM CERTIFICATE block that is not X.509 is refused, whatever the file name" bundle
run "$BIN" --attest "$P/ek.pem" --ca "$P/vendor.key"
expect "a --ca file holding only a private key is refused" 2

# A cross-signed vendor root is an intermediate: trust needs the root above
# it (or the vendor's self-signed edition), never a partial chain.
folder cross ultimate.der:ultimate-root.cer vendor-cross.pem:vendor-root.pem int.der:vendor-int.crt
run "$BIN" --attest "$P/ek.pem" --name "$WORK/ek.name" --ca "$WORK/cross"
verified "cross-signed vendor root: verifies to the ultimate root (DER) above it" "$ULTIMATE"
folder crossonly vendor-cross.pem:vendor-root.pem int.pem:vendor-int.pem
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/crossonly"
if expect "cross-signed vendor root alone is not a trust anchor" 1; then
	case $ERR in *"issuer certificate"*"depth 2"*"Test Vendor EK Root"*) pass "the refusal names the cross-signed vendor root" ;;
	*) fail "the refusal names the cross-signed vendor root" "$ERR" ;; esac
fi
cat "$P/int.pem" "$P/vendor-cross.pem" > "$WORK/cross-bundle.pem"
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/cross-bundle.pem"
expect "cross-signed vendor root alone in a bundle is not a trust anchor" 1
folder both vendor-cross.der:vendor-root-cross.crt vendor-self.der:vendor-root.crt int.der:vendor-int.crt
run "$BIN" --attest "$P/ek.pem" --ca "$WORK/both"
verified "cross-signed and self-signed editions of the vendor root: the self-signed one anchors" "$VENDOR"

# The EK certificate with an empty subject is named by its issuer when its
# chain fails.
run "$BIN" --attest "$P/ek.pem" --ca "$P/vendor-self.pem"
if expect "EK certificate without its intermediate is refused" 1; then
	case $ERR in *"depth 0, issued by /O=Test Vendor/CN=Test Vendor EK Intermediate"*) pass "an EK certificate with an empty subject is named by its issuer" ;;
	*) fail "an EK certificate with an empty subject is named by its issuer" "$ERR" ;; esac
fi

# DER followed by 0xff padding, as read from NV: as a file, and in NV.
cat "$P/vendor-self.pem" "$P/int.pem" > "$WORK/vendor-bundle.pem"
{ cat "$P/ek.der"; ff_pad 431; } > "$WORK/ek-padded.der"
run "$BIN" --attest "$WORK/ek-padded.der" --name "$WORK/ek.name" --ca "$WORK/vendor-bundle.pem"
verified "EK certificate file: DER followed by 431 bytes of 0xff" "$VENDOR"
size=$(wc -c < "$WORK/ek-padded.der")
if tpm2_nvdefine -Q 0x01c0000a -C o -s "$size" -a "ownerwrite|ownerread|authread|authwrite|no_da" &&
	tpm2_nvwrite -Q 0x01c0000a -C o -i "$WORK/ek-padded.der"; then
	run "$BIN" --attest nv: --name "$WORK/ek.name" --ca "$WORK/vendor-bundle.pem"
	verified "EK certificate in NV: DER followed by 0xff padding" "$VENDOR"
	case $OUT in *"NV 0x01c0000a, template L-2 (ECC P-256)"*) pass "the padded NV certificate is the L-2 one" ;;
	*) fail "the padded NV certificate is the L-2 one" "$OUT" ;; esac

	# Enrollment end to end: the padded NV certificate, a vendor folder of
	# DER files beside a PEM one.
	mkdir -p "$WORK/etc"
	printf 'ATTEST_TPM2_NAME_FILE=%s\n' "$WORK/etc/eksign.name" > "$WORK/attest-tpm2.conf"
	run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/attest-tpm2.conf" --ca "$WORK/mixed1" -- -T "$TCTI"
	if [ "$RC" -eq 0 ]; then pass "enroll with a mixed DER/PEM CA folder"; else fail "enroll with a mixed DER/PEM CA folder" "exit $RC: $ERR"; fi
	same "enroll writes the signing-EK name" "$(cat "$WORK/etc/eksign.name" 2>/dev/null)" "$(cat "$WORK/ek.name")"
	case $OUT in *"at NV 0x01c0000a"*"chain verified to /O=Test Vendor/CN=Test Vendor EK Root"*) pass "enroll says the chain verified to the DER root" ;;
	*) fail "enroll says the chain verified to the DER root" "$OUT" ;; esac
else
	fail "store the padded certificate in NV" "tpm2_nvdefine/nvwrite failed"
fi

finish
