#!/bin/sh
# Enrollment: EK certificates read from NV (swtpm's RSA L-1 and P-384 H-3, and
# a P-256 L-2 one stored with a vendor header and padding), chain
# verification to a root, and the attest-tpm2-enroll script, which with a CA
# refuses a TPM that reports no certificate (even through an interposer that
# hides it) unless --allow-tofu.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
. "$here/lib/install.sh"

WORK=$(mktemp -d)
proxy_pid=
cleanup() {
	if [ -n "$proxy_pid" ]; then
		kill "$proxy_pid" 2>/dev/null
		wait "$proxy_pid" 2>/dev/null
	fi
	swtpm_stop "$WORK/a"
	swtpm_stop "$WORK/b"
	swtpm_stop "$WORK/c"
	rm -rf "$WORK"
}
trap cleanup EXIT
# The tools as installed: attest-tpm2-enroll reads the boot library.
enroll=$(install_prefix "$WORK/inst") || exit 1

swtpm_provision "$WORK/a" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_provision "$WORK/b" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_provision "$WORK/c" nocert || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/c"
TCTI_C=$TCTI
swtpm_start "$WORK/b"
TCTI_B=$TCTI
swtpm_start "$WORK/a"
TCTI_A=$TCTI
PORT_A=$TPM_PORT
export TPM2TOOLS_TCTI="$TCTI_A"
"$BIN" --eksign > "$WORK/ek.name"

# Certificates straight from NV.
run "$BIN" --attest nv: --name "$WORK/ek.name"
expect "attest nv: picks a certificate" 0
case $OUT in *"NV 0x01c00016, template H-3 (ECC P-384)"*) pass "attest nv: prefers the P-384 certificate over RSA" ;;
*) fail "attest nv: prefers the P-384 certificate over RSA" "$OUT" ;; esac
run "$BIN" --attest nv:0x01c00002 --name "$WORK/ek.name"
expect "attest nv:0x01c00002 (RSA L-1)" 0
case $OUT in *"template L-1 (RSA 2048)"*) pass "attest names the L-1 template" ;; *) fail "attest names the L-1 template" "$OUT" ;; esac
run "$BIN" --attest nv:0x01c00018
expect "attest from an absent index" 4
run "$BIN" --attest nv:0x01c00099
expect "attest from a non-EK index is a usage error" 2
run "$BIN" --attest nv: --name "$WORK/ek.name" -T "$TCTI_C"
expect "attest nv: on a TPM without certificates" 4

# The chain: swtpm's local CA is root + intermediate.
ca=$WORK/a/ca
run "$BIN" --attest nv: --ca "$ca"
expect "chain verifies to swtpm's root (CA folder)" 0
case $OUT in *"Chain verified to /CN=swtpm-localca-rootca"*) pass "attest names the root" ;; *) fail "attest names the root" "$OUT" ;; esac
cat "$ca/issuercert.pem" "$ca/swtpm-localca-rootca-cert.pem" > "$WORK/bundle.pem"
run "$BIN" --attest nv:0x01c00002 --ca "$WORK/bundle.pem"
expect "chain verifies with a PEM bundle" 0
run "$BIN" --attest nv: --ca "$WORK/b/ca"
expect "another CA's root is refused" 1
case $ERR in *"chain does not verify"*) pass "chain failure names the problem" ;; *) fail "chain failure names the problem" "$ERR" ;; esac
run "$BIN" --attest nv: --ca "$ca/swtpm-localca-rootca-cert.pem"
expect "a missing intermediate is refused" 1
inter=$(openssl x509 -noout -subject -nameopt compat -in "$ca/issuercert.pem" | sed 's/^subject=//')
case $ERR in *"missing issuer: $inter"*) pass "the chain failure names the missing issuer ($inter)" ;;
*) fail "the chain failure names the missing issuer ($inter)" "$ERR" ;; esac
run "$BIN" --attest nv: --ca "$WORK/nonexistent"
expect "a missing CA path is an input error" 2

# A P-256 L-2 certificate from our own CA, stored the way some vendors do:
# a header before the DER and padding after it.
mkdir -p "$WORK/pki"
cd "$WORK/pki" || exit 1
cat > ext.cnf <<'CNF'
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[ v3_ek ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyAgreement
subjectAltName = critical,dirName:tpm_dn
extendedKeyUsage = 2.23.133.8.1
[ tpm_dn ]
1.2.23.133.2.1 = id:54455354
1.2.23.133.2.2 = test
1.2.23.133.2.3 = id:00010000
CNF
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $WORK/pki
database = $WORK/pki/index.txt
new_certs_dir = $WORK/pki
serial = $WORK/pki/serial
default_md = sha256
policy = any
[ any ]
commonName = supplied
CNF
: > index.txt
echo 1000 > serial
q() { "$@" >/dev/null 2>&1 || fail "pki: $1 $2" "failed"; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
	-out root.pem -subj "/CN=Test TPM Root" -days 3650 -extensions v3_ca -config ext.cnf
q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key \
	-out int.csr -subj "/CN=Test TPM Intermediate"
q openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem \
	-days 3650 -extfile ext.cnf -extensions v3_ca
q openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in int.csr \
	-out int-expired.pem -startdate 20200101000000Z -enddate 20210101000000Z \
	-extfile ext.cnf -extensions v3_ca -notext
tpm2_createek -c ek.ctx -G ecc -u ekpub.pem -f pem >/dev/null && tpm2_flushcontext -t
q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dummy.key \
	-out dummy.csr -subj "/CN=placeholder"
q openssl x509 -req -in dummy.csr -force_pubkey ekpub.pem -CA int.pem -CAkey int.key \
	-CAcreateserial -out ek-l2.pem -days 365 -extfile ext.cnf -extensions v3_ek
q openssl x509 -req -in dummy.csr -force_pubkey ekpub.pem -CA int-expired.pem -CAkey int.key \
	-CAcreateserial -out ek-l2-old.pem -days 365 -extfile ext.cnf -extensions v3_ek
cd - >/dev/null || exit 1
{ printf 'VENDORHEADER0123'; openssl x509 -in "$WORK/pki/ek-l2.pem" -outform DER; head -c 40 /dev/zero; } > "$WORK/ek-l2.nv"
size=$(wc -c < "$WORK/ek-l2.nv")
if ! tpm2_nvdefine -Q 0x01c0000a -C o -s "$size" -a "ownerwrite|ownerread|authread|authwrite|no_da" ||
	! tpm2_nvwrite -Q 0x01c0000a -C o -i "$WORK/ek-l2.nv"; then
	fail "store L-2 certificate in NV" "tpm2_nvdefine/nvwrite failed"
fi
cat "$WORK/pki/root.pem" "$WORK/pki/int.pem" > "$WORK/test-ca.pem"
run "$BIN" --attest nv: --name "$WORK/ek.name" --ca "$WORK/test-ca.pem"
expect "L-2 certificate with vendor header and padding" 0
case $OUT in *"NV 0x01c0000a, template L-2 (ECC P-256)"*"Chain verified to /CN=Test TPM Root"*) pass "L-2 preferred and chain verified" ;;
*) fail "L-2 preferred and chain verified" "$OUT" ;; esac
run "$BIN" --attest "$WORK/pki/ek-l2.pem" --name "$WORK/ek.name"
expect "L-2 certificate from a file" 0
cat "$WORK/pki/root.pem" "$WORK/pki/int-expired.pem" > "$WORK/old-ca.pem"
run "$BIN" --attest "$WORK/pki/ek-l2-old.pem" --ca "$WORK/old-ca.pem"
expect "an expired intermediate is refused" 1
case $ERR in *expired*"Test TPM Intermediate"*) pass "the expired certificate is named" ;; *) fail "the expired certificate is named" "$ERR" ;; esac

# Every high-range template the TPM supports: the EK made by tpm2-tools from
# the profile's definition (PolicyB computed here), certified by our test CA.
policy_b() { # HASH: PolicyOR(PolicyA, PolicyC) per the EK Credential Profile
	python3 - "$1" <<'PY'
import hashlib, struct, sys
h = sys.argv[1]; f = getattr(hashlib, h); n = f().digest_size
alg = {"sha256": 0x0B, "sha384": 0x0C, "sha512": 0x0D}[h]
idx = {"sha256": 0x01C07F01, "sha384": 0x01C07F02, "sha512": 0x01C07F03}[h]
a = f(f(b"\0" * n + struct.pack(">II", 0x151, 0x4000000B)).digest()).digest()
nv = struct.pack(">IHIH", idx, alg, 0x220F1008, n) + a + struct.pack(">H", n + 2)
c = f(b"\0" * n + struct.pack(">I", 0x192) + struct.pack(">H", alg) + f(nv).digest()).digest()
sys.stdout.buffer.write(f(b"\0" * n + struct.pack(">I", 0x171) + a + c).digest())
PY
}
HIGH_ATTRS='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|decrypt'
for t in "H-1 (RSA 2048)|rsa2048:aes128cfb|sha256" "H-2 (ECC P-256)|ecc256:aes128cfb|sha256" \
	"H-4 (ECC P-521)|ecc521:aes256cfb|sha512" "H-6 (RSA 3072)|rsa3072:aes256cfb|sha384" \
	"H-7 (RSA 4096)|rsa4096:aes256cfb|sha384"; do
	label=${t%%|*}; rest=${t#*|}; alg=${rest%%|*}; hash=${rest#*|}
	policy_b "$hash" > "$WORK/policy.bin"
	if ! tpm2_createprimary -Q -C e -g "$hash" -G "$alg" -a "$HIGH_ATTRS" -L "$WORK/policy.bin" \
		-c "$WORK/h.ctx" 2>/dev/null; then
		echo "NOTE template $label: this TPM cannot create it, not tested"
		continue
	fi
	tpm2_readpublic -Q -c "$WORK/h.ctx" -f pem -o "$WORK/h.pem"
	tpm2_flushcontext -t
	openssl x509 -req -in "$WORK/pki/dummy.csr" -force_pubkey "$WORK/h.pem" -CA "$WORK/pki/int.pem" \
		-CAkey "$WORK/pki/int.key" -CAcreateserial -out "$WORK/h-cert.pem" -days 365 \
		-extfile "$WORK/pki/ext.cnf" -extensions v3_ek >/dev/null 2>&1
	run "$BIN" --attest "$WORK/h-cert.pem" --name "$WORK/ek.name" --ca "$WORK/test-ca.pem"
	expect "attest with an $label EK certificate" 0
	case $OUT in *"EK template: $label"*) pass "ActivateCredential under template $label" ;;
	*) fail "ActivateCredential under template $label" "$OUT" ;; esac
done
clean=$(tpm2_getcap handles-transient)
if [ -z "$clean" ]; then pass "template runs leave nothing loaded"; else fail "template runs leave nothing loaded" "$clean"; fi

# The enrollment command.
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$WORK/etc/eksign.name" "$WORK/test-ca.pem" > "$WORK/attest-tpm2.conf"
mkdir -p "$WORK/etc"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/attest-tpm2.conf" -- -T "$TCTI_A"
expect "enroll with a certificate and a CA" 0
same "enroll writes the signing-EK name" "$(cat "$WORK/etc/eksign.name" 2>/dev/null)" "$(cat "$WORK/ek.name")"
case $OUT in *"attested against the EK certificate at NV 0x01c0000a"*"chain verified to /CN=Test TPM Root"*) pass "enroll says what it proved" ;;
*) fail "enroll says what it proved" "$OUT" ;; esac
# Persisted by default, once attested: recorded with the name, and there.
same "enroll records where it persisted the signing EK" \
	"$(sed -n 's/^handle=//p' "$WORK/etc/eksign.name.info" 2>/dev/null)" 0x81010100
tpm2_readpublic -Q -T "$TCTI_A" -c 0x81010100 -n "$WORK/persisted.name" 2>/dev/null
same "the object at 0x81010100 is the enrolled signing EK (tpm2_readpublic)" \
	"$(od -An -v -tx1 "$WORK/persisted.name" 2>/dev/null | tr -d ' \n')" "$(cat "$WORK/ek.name")"
case $OUT in *"Persistent at 0x81010100"*) pass "enroll says it persisted the key" ;;
*) fail "enroll says it persisted the key" "$OUT" ;; esac
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=none\n' "$WORK/etc/c.name" > "$WORK/c.conf"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --no-persist --config "$WORK/c.conf" -- -T "$TCTI_C"
expect "enroll a TPM without EK certificate" 0
if grep -q '^handle=' "$WORK/etc/c.name.info" 2>/dev/null ||
	tpm2_getcap -T "$TCTI_C" handles-persistent | grep -q 0x81010100; then
	fail "enroll --no-persist persists nothing" "$(cat "$WORK/etc/c.name.info")"
else
	pass "enroll --no-persist persists nothing"
fi
case $OUT in *"NOT attested"*"trusted on first use"*) pass "trust on first use is stated plainly" ;; *) fail "trust on first use is stated plainly" "$OUT" ;; esac
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$WORK/etc/b.name" "$WORK/a/ca" > "$WORK/b.conf"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/b.conf" -- -T "$TCTI_B"
RC_B=$RC
if [ "$RC_B" -ne 0 ] && [ ! -e "$WORK/etc/b.name" ]; then pass "enroll refuses a certificate from the wrong CA and writes nothing"; else fail "enroll refuses a certificate from the wrong CA and writes nothing" "exit $RC_B"; fi

# With a CA, "no EK certificate" is a refusal unless --allow-tofu: only the
# TPM's answer says there is none.
# refused NAME FILE: the last enroll exited 4, said why in one line of its
# own naming --allow-tofu, printed nothing on stdout and wrote no FILE.
refused() {
	if [ "$RC" -ne 4 ]; then
		fail "$1" "exit $RC, wanted 4 (stdout: $OUT; stderr: $ERR)"
	elif [ -n "$OUT" ]; then
		fail "$1" "printed on stdout: $OUT"
	elif [ "$(printf '%s\n' "$ERR" | grep -c '^attest-tpm2-enroll: .*--allow-tofu')" -ne 1 ]; then
		fail "$1" "not one attest-tpm2-enroll line naming --allow-tofu: $ERR"
	else
		pass "$1"
	fi
	no_file "$1: no name file" "$2"
}
printf 'ATTEST_TPM2_NAME_FILE=%s\n' "$WORK/etc/c2.name" > "$WORK/c2.conf"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/c2.conf" --ca "$WORK/test-ca.pem" -- -T "$TCTI_C"
refused "enroll with --ca refuses a TPM without EK certificate" "$WORK/etc/c2.name"
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$WORK/etc/c3.name" "$WORK/test-ca.pem" > "$WORK/c3.conf"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/c3.conf" -- -T "$TCTI_C"
refused "enroll with ATTEST_TPM2_CA refuses a TPM without EK certificate" "$WORK/etc/c3.name"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/c3.conf" --allow-tofu -- -T "$TCTI_C"
if [ "$RC" -eq 0 ]; then pass "enroll --allow-tofu with a CA enrolls a TPM without EK certificate"; else fail "enroll --allow-tofu with a CA enrolls a TPM without EK certificate" "exit $RC: $ERR"; fi
same "enroll --allow-tofu writes the signing-EK name" "$(cat "$WORK/etc/c3.name" 2>/dev/null)" "$("$BIN" -T "$TCTI_C" --eksign)"
case $OUT in *"NOT attested"*"trusted on first use"*"--allow-tofu"*) pass "--allow-tofu says it trusted on first use" ;; *) fail "--allow-tofu says it trusted on first use" "$OUT" ;; esac
# The config is read as the boot hooks read it: quotes around a value go.
printf 'ATTEST_TPM2_NAME_FILE="%s"\nATTEST_TPM2_CA='"'"'%s'"'"'\n' "$WORK/etc/q.name" "$WORK/test-ca.pem" > "$WORK/q.conf"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/q.conf" -- -T "$TCTI_A"
if [ "$RC" -eq 0 ]; then pass "enroll reads quoted config values"; else fail "enroll reads quoted config values" "exit $RC: $ERR"; fi
same "enroll writes the quoted ATTEST_TPM2_NAME_FILE" "$(cat "$WORK/etc/q.name" 2>/dev/null)" "$(cat "$WORK/ek.name")"
case $OUT in *"chain verified to /CN=Test TPM Root"*) pass "enroll uses the quoted ATTEST_TPM2_CA" ;; *) fail "enroll uses the quoted ATTEST_TPM2_CA" "$OUT" ;; esac
rm -f "$WORK/etc/q.name"
run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/q.conf" -- -T "$TCTI_C"
refused "enroll with a quoted ATTEST_TPM2_CA refuses a TPM without EK certificate" "$WORK/etc/q.name"

# An interposer that answers the NV listing with nothing hides TPM a's
# certificates: with a CA that is a refusal, not trust on first use.
PROXY_PORT=$(free_port_pair)
: > "$WORK/proxy.log"
/usr/bin/python3 "$here/lib/interposer.py" --listen "$PROXY_PORT" --upstream "127.0.0.1:$PORT_A" \
	--log "$WORK/proxy.log" --mode empty-nv-list > "$WORK/proxy.ready" 2> "$WORK/proxy.err" &
proxy_pid=$!
_i=0
until grep -q ready "$WORK/proxy.ready" 2>/dev/null; do
	_i=$((_i + 1))
	if [ $_i -gt 300 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
		break
	fi
	sleep 0.05
done
if grep -q ready "$WORK/proxy.ready"; then
	PROXIED="swtpm:host=127.0.0.1,port=$PROXY_PORT"
	printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$WORK/etc/hidden.name" "$WORK/test-ca.pem" > "$WORK/hidden.conf"
	run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/hidden.conf" -- -T "$PROXIED"
	refused "enroll with a CA refuses a TPM whose certificates an interposer hides" "$WORK/etc/hidden.name"
	if grep -q '^tamper empty-nv-list GetCapability' "$WORK/proxy.log"; then
		pass "the interposer hid the NV indices"
	else
		fail "the interposer hid the NV indices" "$(cat "$WORK/proxy.log")"
	fi
	run "$BIN" --attest nv: -T "$PROXIED"
	expect "through the interposer the TPM seems to hold no certificate" 4
else
	fail "interposer starts (empty-nv-list)" "$(cat "$WORK/proxy.err")"
fi
run sh "$enroll" --no-rebuild --bogus
if [ "$RC" -eq 2 ] && [ "$ERR" = "attest-tpm2-enroll: unknown option --bogus (see --help)" ]; then
	pass "enroll errors are one plain line"
else
	fail "enroll errors are one plain line" "exit $RC: $ERR"
fi
# --- The enrollment's lifecycle ---------------------------------------------
# enrolled NAME WANT [REGEX]: the last enroll run exited WANT, and its output
# (stdout and stderr) matches REGEX.
enrolled() {
	if [ "$RC" -ne "$2" ]; then
		fail "$1" "exit $RC, wanted $2 (stdout: $OUT; stderr: $ERR)"
	elif [ -n "${3:-}" ] && ! printf '%s\n%s\n' "$OUT" "$ERR" | grep -Eq -e "$3"; then
		fail "$1" "no '$3' in: $OUT $ERR"
	else
		pass "$1"
	fi
}
life=$WORK/life
mkdir -p "$life"
e() { run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild "$@"; }
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$life/eksign.name" "$WORK/test-ca.pem" > "$life/a.conf"
e --config "$life/a.conf" -- -T "$TCTI_A"
enrolled "lifecycle: TPM A enrolled, chain verified" 0 'chain verified to /CN=Test TPM Root'
name_a=$(cat "$life/eksign.name")
e --config "$life/a.conf" -- -T "$TCTI_A"
enrolled "lifecycle: enrolling the same TPM again is fine" 0
e --config "$life/a.conf" --allow-tofu -- -T "$TCTI_C"
enrolled "lifecycle: another TPM does not replace the enrollment without --force" 5 '--force'
same "lifecycle: the refusal leaves the enrolled name" "$(cat "$life/eksign.name")" "$name_a"
case $ERR in
*"enrolled:    $name_a (attested against the EK certificate"*"chain verified"*"this TPM:    000b"*"NOT attested"*)
	pass "lifecycle: the refusal shows both names and how each was attested" ;;
*) fail "lifecycle: the refusal shows both names and how each was attested" "$ERR" ;;
esac
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=none\n' "$life/eksign.name" > "$life/noca.conf"
e --config "$life/noca.conf" -- -T "$TCTI_A"
enrolled "lifecycle: the same TPM with less proof is not a silent downgrade" 5 'not downgrading without --force'
e --config "$life/a.conf" --allow-tofu --force -- -T "$TCTI_C"
enrolled "lifecycle: --force replaces it, and says what it replaced" 0 "It replaces $name_a"
same "lifecycle: --force wrote the new name" "$(cat "$life/eksign.name")" "$("$BIN" -T "$TCTI_C" --eksign)"

# Status: the TPM now against the enrollment, as text and as JSON.
e --config "$life/a.conf" --status -- -T "$TCTI_C"
enrolled "status: the enrolled TPM matches" 0 'This TPM: matches the enrollment'
case $OUT in *"NOT attested"*"trusted on first use"*) pass "status says how it was enrolled" ;;
*) fail "status says how it was enrolled" "$OUT" ;; esac
e --config "$life/a.conf" --status -- -T "$TCTI_A"
enrolled "status: another TPM does not match" 1 'This TPM: DOES NOT MATCH'
e --config "$life/a.conf" --status --json -- -T "$TCTI_C"
enrolled "status --json" 0
if printf '%s\n' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["enrollment"]["enrolled"] is True and d["tpm"]["state"] == "matches" and d["enrollment"]["attested"] == "tofu"' 2> "$WORK/json.err"; then
	pass "status --json is JSON, with the enrollment and the TPM's state"
else
	fail "status --json is JSON, with the enrollment and the TPM's state" "$(cat "$WORK/json.err"): $OUT"
fi
e --config "$life/a.conf" --unenroll
enrolled "unenroll" 0 'Removed the enrollment'
no_file "unenroll removes the name" "$life/eksign.name"
no_file "unenroll removes its record" "$life/eksign.name.info"
e --config "$life/a.conf" --status -- -T "$TCTI_C"
enrolled "status: not enrolled" 2 'not enrolled'

# Errors come before the TPM is touched: a TPM that is not there would be
# exit 3.
nowhere="swtpm:host=127.0.0.1,port=1"
e --config "$life/missing.conf" -- -T "$nowhere"
enrolled "a missing --config is an input error, found first" 2 'missing.conf: no such readable file'
e --config "$life/a.conf" --ca "$life/no-such-ca" -- -T "$nowhere"
enrolled "an unreadable --ca is an input error, found first" 2 'no-such-ca is not a readable file or folder'
run env ATTEST_TPM2_PRIMARY=/nonexistent/attest_tpm2_primary sh "$enroll" --no-rebuild --config "$life/a.conf"
enrolled "a missing program is exit 2 with its name, not 127" 2 '/nonexistent/attest_tpm2_primary is missing'
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_POLICY=enforcee\n' "$life/eksign.name" > "$life/bad.conf"
e --config "$life/bad.conf" -- -T "$nowhere"
enrolled "a config value the boot would replace is an error" 2 "unknown policy 'enforcee'"
printf 'ATTEST_TPM2_NAME_FILE=eksign.name\n' > "$life/rel.conf"
e --config "$life/rel.conf" -- -T "$nowhere"
enrolled "a relative name file is an error" 2 'not a plain absolute path'

# A new endorsement seed (tpm2_changeeps): the EK certificate in NV no longer
# matches, the boot's name changes; each step says what happened.
printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=%s\n' "$life/b.name" "$WORK/b/ca" > "$life/b.conf"
e --config "$life/b.conf" -- -T "$TCTI_B"
enrolled "changeeps: TPM B enrolled, chain verified" 0 'chain verified'
if TSS2_LOG=all+none tpm2_changeeps -T "$TCTI_B" > /dev/null 2>&1; then
	e --config "$life/b.conf" -- -T "$TCTI_B"
	enrolled "changeeps: the stale certificate is named as the cause" 4 'endorsement seed was changed \(tpm2_changeeps\)'
	e --config "$life/b.conf" --allow-tofu -- -T "$TCTI_B"
	enrolled "changeeps: the new signing EK needs --force" 5 'endorsement seed'
	e --config "$life/b.conf" --allow-tofu --force -- -T "$TCTI_B"
	enrolled "changeeps: re-enrolled on trust on first use with --allow-tofu --force" 0 'NOT attested: the EK certificate in NV does not match'
	same "changeeps: the name is the new seed's" "$(cat "$life/b.name")" "$("$BIN" -T "$TCTI_B" --eksign)"
else
	fail "changeeps" "tpm2_changeeps failed on swtpm"
fi
# A cleared TPM keeps its endorsement seed: the same name, nothing to force.
if TSS2_LOG=all+none tpm2_clear -T "$TCTI_B" -c p > /dev/null 2>&1; then
	e --config "$life/b.conf" --allow-tofu -- -T "$TCTI_B"
	enrolled "a cleared TPM enrolls again without --force" 0
else
	fail "tpm2_clear" "failed on swtpm"
fi

leftover=$(find "$WORK/etc" -name '.eksign*')
if [ -z "$leftover" ]; then pass "enroll leaves no temporary files"; else fail "enroll leaves no temporary files" "$leftover"; fi

finish
