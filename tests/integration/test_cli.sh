#!/bin/sh
# The command line against real swtpm instances, cross-checked with
# tpm2-tools and openssl. Needs BIN (the binary under test).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

suite_work

swtpm_provision "$WORK/a" || { fail provision-a "swtpm_setup failed"; exit 1; }
swtpm_provision "$WORK/b" || { fail provision-b "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/b"
TCTI_B=$TCTI
swtpm_start "$WORK/a"
TCTI_A=$TCTI
export TPM2TOOLS_TCTI="$TCTI_A"

hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }
pemder() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | od -An -tx1 -v | tr -d ' \n'; }

# No transient object or session may outlive a run, pass or fail.
clean_tpm() {
	t=$(TPM2TOOLS_TCTI=$1 tpm2_getcap handles-transient)
	s=$(TPM2TOOLS_TCTI=$1 tpm2_getcap handles-loaded-session)
	if [ -z "$t" ] && [ -z "$s" ]; then
		pass "$2 leaves nothing loaded"
	else
		fail "$2 leaves nothing loaded" "transient: $t sessions: $s"
	fi
}

# Reference values from tpm2-tools, for the same templates.
SIGN_ATTRS='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign'
STORE_ATTRS='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt'
ref_primary() { # HIERARCHY ALG ATTRS OUT_PREFIX
	tpm2_createprimary -Q -C "$1" -g sha256 -G "$2" -a "$3" -c "$4.ctx" &&
	tpm2_readpublic -Q -c "$4.ctx" -n "$4.name" -f pem -o "$4.pem" &&
	tpm2_flushcontext -t
}
ref_primary e ecc256:ecdsa-sha256:null "$SIGN_ATTRS" "$WORK/ref-ek"
for h in n o e p; do
	ref_primary $h ecc256:null:aes128cfb "$STORE_ATTRS" "$WORK/ref-$h"
done
REF_EK=$(hexof "$WORK/ref-ek.name")
tpm2_nvread -Q 0x01c00002 -o "$WORK/ek-rsa.der"
tpm2_nvread -Q 0x01c00016 -o "$WORK/ek-p384.der"
openssl x509 -inform DER -in "$WORK/ek-p384.der" -out "$WORK/ek-p384.pem"
TPM2TOOLS_TCTI=$TCTI_B tpm2_nvread -Q 0x01c00002 -o "$WORK/b-ek-rsa.der"
TPM2TOOLS_TCTI=$TCTI_B tpm2_nvread -Q 0x01c00016 -o "$WORK/b-ek-p384.der"

# --eksign
run "$BIN" --eksign
expect "eksign prints a name" 0
same "eksign name equals tpm2-tools' name" "$OUT" "$REF_EK"
echo "$OUT" > "$WORK/ek.name"
clean_tpm "$TCTI_A" "eksign"
run "$BIN" --ek
same "--ek abbreviation works" "$OUT" "$REF_EK"
# The reference's other abbreviations stay unambiguous beside our options.
run "$BIN" --ek --o
expect "--o is still --outname, not ambiguous" 0
run "$BIN" -E -n "$WORK/ek.name"
expect "eksign --name matching passes silently" 0
same "eksign --name prints nothing" "${OUT:-empty}" "empty"
run "$BIN" -E -n "$WORK/ek.name" -f "$WORK/ek.pem"
expect "eksign --file writes the PEM" 0
same "eksign PEM equals tpm2_readpublic's" "$(pemder "$WORK/ek.pem")" "$(pemder "$WORK/ref-ek.pem")"
TPM2TOOLS_TCTI=$TCTI_B "$BIN" --eksign > "$WORK/ek-b.name"
run "$BIN" -E -n "$WORK/ek-b.name" -f "$WORK/ek-wrong.pem"
expect "eksign against another TPM's name fails" 1
no_file "failed eksign writes no file" "$WORK/ek-wrong.pem"
clean_tpm "$TCTI_A" "failed eksign"
run "$BIN" -E -f "$WORK/x.pem"
expect "eksign --file without --name is a usage error" 2

# --certify
for h in null owner endorsement platform; do
	case $h in null) s=n ;; owner) s=o ;; endorsement) s=e ;; platform) s=p ;; esac
	run "$BIN" --certify $h --name "$WORK/ek.name" -o -f "$WORK/$h.pem"
	expect "certify $h" 0
	same "certify $h name equals tpm2-tools'" "$OUT" "$(hexof "$WORK/ref-$s.name")"
	same "certify $h PEM equals tpm2_readpublic's" "$(pemder "$WORK/$h.pem")" "$(pemder "$WORK/ref-$s.pem")"
done
clean_tpm "$TCTI_A" "certify"
run "$BIN" --certify null --name "$WORK/ek.name"
expect "certify without -o" 0
case $OUT in
"Good certification from TPM at "[0-9]*.[0-9][0-9][0-9][0-9]" reset count "[0-9]*) pass "certify prints the clock line" ;;
*) fail "certify prints the clock line" "$OUT" ;;
esac
run "$BIN" --certify --owner --name "$WORK/ek.name" --file "$WORK/srk.pem"
expect "man page form --certify --owner" 0
same "--certify --owner writes the SRK" "$(pemder "$WORK/srk.pem")" "$(pemder "$WORK/ref-o.pem")"
# The kernel's null_name format, with and without the newline.
hexof "$WORK/ref-n.name" > "$WORK/null_name"
echo >> "$WORK/null_name"
run "$BIN" --certify null --name "$WORK/ek.name" -o "$WORK/null_name"
expect "certify null against a null_name file" 0
printf '%s' "$(hexof "$WORK/ref-n.name")" > "$WORK/null_name_nonl"
run "$BIN" --certify null --name "$WORK/ek.name" "$WORK/null_name_nonl"
expect "null_name file without newline" 0
hexof "$WORK/ref-o.name" > "$WORK/wrong_null"
run "$BIN" --certify null --name "$WORK/ek.name" -o -f "$WORK/bad.pem" "$WORK/wrong_null"
expect "certify null against a wrong name fails" 1
no_file "failed certify writes no file" "$WORK/bad.pem"
clean_tpm "$TCTI_A" "failed certify"
run "$BIN" --certify owner --name "$WORK/ek-b.name" -o
expect "certify against another TPM's signing EK fails" 1
run env TPM2TOOLS_TCTI="$TCTI_B" "$BIN" --certify null --name "$WORK/ek.name" -o
expect "certify on another TPM fails" 1
run "$BIN" --certify owner
expect "certify without --name is a usage error" 2
run "$BIN" --certify sideways --name "$WORK/ek.name"
expect "unknown hierarchy is a usage error" 2

# --attest, against the certificates swtpm provisioned (RSA L-1 and P-384 H-3).
run "$BIN" --attest "$WORK/ek-rsa.der" --name "$WORK/ek.name"
expect "attest with the RSA EK certificate (DER)" 0
same "attest message" "$(printf "%s\n" "$OUT" | head -n 1)" "Attestation of signing EK successful"
run "$BIN" --attest "$WORK/ek-p384.pem" -f "$WORK/att.pem"
expect "attest with the P-384 EK certificate (PEM)" 0
same "attest --file writes the signing EK" "$(pemder "$WORK/att.pem")" "$(pemder "$WORK/ref-ek.pem")"
clean_tpm "$TCTI_A" "attest"
run "$BIN" --attest "$WORK/b-ek-rsa.der"
expect "attest with another TPM's RSA certificate fails" 1
run "$BIN" --attest "$WORK/b-ek-p384.der"
expect "attest with another TPM's P-384 certificate fails" 1
clean_tpm "$TCTI_A" "failed attest"
run "$BIN" --attest "$WORK/ek-rsa.der" --name "$WORK/ek-b.name"
expect "attest against another TPM's name fails" 1
head -c 300 "$WORK/ek-rsa.der" > "$WORK/short.der"
run "$BIN" --attest "$WORK/short.der"
expect "truncated certificate is an input error" 2
run "$BIN" --attest "$WORK/missing.der"
expect "missing certificate is an input error" 2

# Input files
run "$BIN" --certify null --name "$WORK/nonexistent"
expect "missing name file" 2
run "$BIN" --certify null --name "$WORK"
expect "name file that is a directory" 2
printf '000b1234\n' > "$WORK/short.name"
run "$BIN" --certify null --name "$WORK/short.name"
expect "name file shorter than a name" 2
printf 'zz%s\n' "$(cut -c3- "$WORK/ek.name")" > "$WORK/garbled.name"
run "$BIN" --certify null --name "$WORK/garbled.name"
expect "garbled name file" 2
: > "$WORK/empty.name"
run "$BIN" -E -n "$WORK/empty.name"
expect "empty name file" 2
mkfifo "$WORK/fifo.name"
run timeout 10 "$BIN" -E -n "$WORK/fifo.name"
expect "name file that is a FIFO" 2
head -c 100000 /dev/zero > "$WORK/huge.name"
run "$BIN" -E -n "$WORK/huge.name"
expect "huge name file" 2

# Usage
run "$BIN"
expect "no mode is a usage error" 2
run "$BIN" --eksign --certify null
expect "two modes is a usage error" 2
run "$BIN" --eksign --bogus
expect "unknown option is a usage error" 2
same "a usage error is its line and a pointer to --help, not the whole help" \
	"$(printf '%s\n' "$ERR" | wc -l) $(printf '%s\n' "$ERR" | tail -n 1)" \
	"2 Try 'attest_tpm2_primary --help' for more information."
run "$BIN" --eksign extra
expect "extra argument is a usage error" 2
run "$BIN" --help
expect "--help" 0
run "$BIN" --version
expect "--version" 0

# TPM selection and unreachable TPMs
run env TPM2TOOLS_TCTI=device:/dev/nonexistent-tpm "$BIN" -T "$TCTI_A" --eksign
same "-T wins over TPM2TOOLS_TCTI" "$OUT" "$REF_EK"
run "$BIN" -T device:/dev/nonexistent-tpm --eksign
expect "missing TPM device" 3
run "$BIN" -T "swtpm:host=127.0.0.1,port=1" --eksign
expect "nothing listening at the TPM address" 3
run "$BIN" -T "tbs" --eksign
expect "unsupported TCTI" 2

# The endorsement password, for all three modes.
tpm2_changeauth -c e endorse-secret
run "$BIN" --eksign
expect "eksign without the endorsement password fails" 3
case $ERR in *authorization*) pass "auth failure says so" ;; *) fail "auth failure says so" "$ERR" ;; esac
run "$BIN" --eksign -a -k endorse-secret
same "eksign -a -k" "$OUT" "$REF_EK"
run "$BIN" --eksign -a -k str:wr0ng-pw-xyz
expect "wrong password fails" 3
case $ERR in *endorse-secret*|*wr0ng-pw-xyz*) fail "password never printed" "$ERR" ;; *) pass "password never printed" ;; esac
run "$BIN" --certify owner -n "$WORK/ek.name" -a -k endorse-secret
expect "certify with the endorsement password" 0
printf 'endorse-secret\n' > "$WORK/pw"
run "$BIN" --attest "$WORK/ek-rsa.der" -a -k "file:$WORK/pw"
expect "attest with the password from a file" 0
run env EPW=endorse-secret "$BIN" --attest "$WORK/ek-p384.der" -k env:EPW
expect "attest with the password from the environment" 0
run "$BIN" --boot -n "$WORK/ek.name" -k endorse-secret "$WORK/null_name"
expect "boot with the endorsement password" 0
clean_tpm "$TCTI_A" "password runs"
tpm2_changeauth -c e -p endorse-secret

# --boot: the NULL key and the SRK in one run.
run "$BIN" --boot --name "$WORK/ek.name" --file "$WORK/boot-srk.pem" "$WORK/null_name"
expect "boot with null_name" 0
case $OUT in *"NULL key and owner SRK"*) pass "boot says both were certified" ;; *) fail "boot says both were certified" "$OUT" ;; esac
same "boot writes the SRK PEM" "$(pemder "$WORK/boot-srk.pem")" "$(pemder "$WORK/ref-o.pem")"
# Only the kernel's own null_name may be absent (a kernel without TPM HMAC
# sessions); these cases need a host whose kernel exports none.
if [ -e /sys/class/tpm/tpm0/null_name ]; then
	echo "SKIP boot without null_name: this host's kernel exports one"
else
	run "$BIN" --boot --name "$WORK/ek.name"
	expect "boot without null_name passes" 0
	case $OUT in *unverified*) pass "boot says kernel sessions are unverified" ;; *) fail "boot says kernel sessions are unverified" "$OUT" ;; esac
	run "$BIN" --boot --require-null-name --name "$WORK/ek.name"
	expect "boot --require-null-name without null_name fails" 1
fi
run "$BIN" --boot --name "$WORK/ek.name" -f "$WORK/boot-bad.pem" "$WORK/wrong_null"
expect "boot with a wrong null_name fails" 1
no_file "failed boot writes no file" "$WORK/boot-bad.pem"
run "$BIN" --boot --name "$WORK/ek-b.name" "$WORK/null_name"
expect "boot on a foreign TPM fails" 1
clean_tpm "$TCTI_A" "boot"

# A TPM that accepts the connection and never answers.
STALL_PORT=$(free_port_pair)
python3 -c '
import socket, sys, time
p = int(sys.argv[1]); ss = []
for q in (p, p + 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", q)); s.listen(4); ss.append(s)
conns = []
end = time.time() + 30
while time.time() < end:
    for s in ss:
        s.settimeout(0.1)
        try: conns.append(s.accept())
        except OSError: pass
' "$STALL_PORT" &
stall_pid=$!
wait_port $((STALL_PORT + 1))
run "$BIN" -T "swtpm:host=127.0.0.1,port=$STALL_PORT" --timeout 2 --eksign
expect "unresponsive TPM hits the deadline" 3
case $ERR in *unresponsive*) pass "deadline message names the TPM unresponsive" ;; *) fail "deadline message" "$ERR" ;; esac
kill "$stall_pid" 2>/dev/null

finish
