#!/bin/sh
# EK templates and nonces a TPM stores in NV (0x01c00004/0x01c00003 for the
# RSA L-1 certificate, 0x01c0000c/0x01c0000b for ECC L-2) are the TPM's word:
# `--attest nv:` must check every field before using any of it.  Hostile ones
# (an AES key of 1024 or 0xfff8 bits, which once sized a stack buffer, and
# every other field out of range) must be refused with exit 1 and one line
# naming the index, with no crash, nothing on stdout, and before the template
# reaches the TPM.  The runs go through tests/lib/forge_ek_template.py, an
# interposer that makes the TPM appear to accept such a template, as an
# interposer on the bus can: a tool that used it unchecked is attacked in
# earnest.  Valid overrides, with a nonce, must still attest.
# Needs BIN (the binary under test).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

WORK=$(mktemp -d)
proxy_pid=
cleanup() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
	swtpm_stop "$WORK/tpm"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require template swtpm swtpm_setup tpm2_nvdefine tpm2_nvwrite tpm2_send openssl "$PYTHON"
swtpm_provision "$WORK/tpm" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/tpm"
export TPM2TOOLS_TCTI="$TCTI"
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }

PROXY_PORT=$(free_port_pair)
FORGED="swtpm:host=127.0.0.1,port=$PROXY_PORT"
"$PYTHON" "$here/lib/forge_ek_template.py" --listen "$PROXY_PORT" \
	--upstream "127.0.0.1:$TPM_PORT" --log "$WORK/log" > "$WORK/ready" 2>"$WORK/proxy.err" &
proxy_pid=$!
i=0
until grep -q ready "$WORK/ready" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
		fail "forging interposer starts" "$(cat "$WORK/proxy.err")"
		exit 1
	fi
	sleep 0.05
done

# template rsa|ecc [FIELD=VALUE...]: the profile's L-1 or L-2 template,
# marshalled as a TPMT_PUBLIC, with fields changed: sym, mode, alg, attrs,
# policy (its size), unique (its size), exp, curve, scheme, trail (bytes).
template() {
	"$PYTHON" - "$@" <<'PY'
import struct, sys
kind, kv = sys.argv[1], dict(a.split('=') for a in sys.argv[2:])
v = {k: int(x, 0) for k, x in kv.items()}
pol = bytes.fromhex('837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa')
pol = (pol * 3)[:v.get('policy', 32)]
rsa = kind == 'rsa'
out = struct.pack('>HHI', 0x0001 if rsa else 0x0023, v.get('alg', 0x000b),
                  v.get('attrs', 0x000300b2)) + struct.pack('>H', len(pol)) + pol
out += struct.pack('>HHH', 0x0006, v.get('sym', 128), v.get('mode', 0x0043))
scheme = v.get('scheme', 0x0010)
out += struct.pack('>H', scheme) + (struct.pack('>H', 0x000b) if scheme != 0x0010 else b'')
if rsa:
    n = v.get('unique', 256)
    out += struct.pack('>HI', 2048, v.get('exp', 0)) + struct.pack('>H', n) + bytes(n)
else:
    n = v.get('unique', 32)
    out += struct.pack('>HH', v.get('curve', 0x0003), 0x0010)
    out += struct.pack('>H', n) + bytes(n) + struct.pack('>H', 32) + bytes(32)
sys.stdout.buffer.write(out + b'\x5a' * v.get('trail', 0))
PY
}

# nv_put INDEX FILE: (re)define the index to the file's size and write it.
nv_put() {
	tpm2_nvundefine -Q "$1" -C o 2>/dev/null
	tpm2_nvdefine -Q "$1" -C o -s "$(wc -c < "$2")" -a "ownerwrite|ownerread|authread|authwrite|no_da" &&
		tpm2_nvwrite -Q "$1" -C o -i "$2"
}

# store INDEX rsa|ecc [FIELD=VALUE...]: a template (see template) into NV.
store() {
	_idx=$1
	shift
	if ! { template "$@" > "$WORK/t.bin" && nv_put "$_idx" "$WORK/t.bin"; }; then
		fail "store template $* at $_idx" "tpm2_nvdefine/nvwrite failed"
	fi
}

# refused NAME INDEX SPEC: --attest SPEC through the forging interposer must
# fail with status 1 and one line naming INDEX, and refuse the template
# before any CreatePrimary with it (the interposer never got to forge).
refused() {
	: > "$WORK/log"
	run timeout 60 "$BIN" -T "$FORGED" --attest "$3" --name "$WORK/ek.name"
	# The --timeout watchdog (on by default) reports a crashed worker as 3.
	if [ "$RC" -ge 124 ] || printf '%s' "$ERR" | grep -q 'killed by signal'; then
		fail "$1" "crashed or hung: exit $RC (stderr: $(printf '%s' "$ERR" | head -n 3))"
	elif expect "$1 is refused" 1; then
		case $ERR in
		*"NV $2"*) pass "$1: the message names NV $2" ;;
		*) fail "$1: the message names NV $2" "$ERR" ;;
		esac
		if grep -q '^tamper forge-template' "$WORK/log"; then
			fail "$1: refused before the TPM sees it" "it went to CreatePrimary"
		else
			pass "$1: refused before the TPM sees it"
		fi
	fi
	_t=$(tpm2_getcap handles-transient)
	_s=$(tpm2_getcap handles-loaded-session)
	if [ -z "$_t$_s" ]; then
		pass "$1: leaves nothing loaded"
	else
		fail "$1: leaves nothing loaded" "transient: $_t sessions: $_s"
		tpm2_flushcontext -t >/dev/null 2>&1
		tpm2_flushcontext -s >/dev/null 2>&1
	fi
}

# --- RSA L-1 (swtpm's own certificate at 0x01c00002) ---------------------
store 0x01c00004 rsa
run "$BIN" -T "$FORGED" --attest nv:0x01c00002 --name "$WORK/ek.name"
expect "a valid stored L-1 template attests" 0
case $OUT in *"template L-1 (RSA 2048) (with the TPM's stored template/nonce)"*) pass "the stored L-1 template is used" ;;
*) fail "the stored L-1 template is used" "$OUT" ;; esac

for bad in sym=1024 sym=0xfff8 sym=0 sym=192 mode=0x0044 alg=0x0004 alg=0x0012 \
	attrs=0x00040072 attrs=0x000300b0 attrs=0x000308b2 policy=0 policy=48 \
	unique=512 exp=3 scheme=0x0017 trail=7; do
	store 0x01c00004 rsa "$bad"
	refused "L-1 template with $bad" 0x01c00004 nv:0x01c00002
done
head -c 40 "$WORK/t.bin" > "$WORK/short.bin"
nv_put 0x01c00004 "$WORK/short.bin"
refused "L-1 template cut short" 0x01c00004 nv:0x01c00002
tpm2_nvundefine -Q 0x01c00004 -C o

# --- ECC L-2: a stored template and nonce, and a certificate made for them --
store 0x01c0000c ecc
printf 'vendor nonce 0123' > "$WORK/nonce.bin"
nv_put 0x01c0000b "$WORK/nonce.bin" || fail "store L-2 nonce" "tpm2_nvdefine/nvwrite failed"
# ek_public TEMPLATE NONCE: the EK the profile says this TPM derives from them
# (the nonce at the start of a zero x), as SubjectPublicKeyInfo DER.  Sent as
# a raw CreatePrimary: tpm2_createek -t (5.4) puts stack bytes in place of the
# nonce.
ek_public() {
	"$PYTHON" - "$1" "$2" > "$WORK/cp.cmd" <<'PY' &&
import struct, sys
t, n = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
t = t[:-68] + struct.pack('>H', 32) + n + bytes(32 - len(n)) + struct.pack('>H', 32) + bytes(32)
auth = struct.pack('>IHBH', 0x40000009, 0, 0, 0)
body = (struct.pack('>I', 0x4000000B) + struct.pack('>I', len(auth)) + auth +
        struct.pack('>HHH', 4, 0, 0) + struct.pack('>H', len(t)) + t +
        struct.pack('>HI', 0, 0))
sys.stdout.buffer.write(struct.pack('>HII', 0x8002, 10 + len(body), 0x131) + body)
PY
	tpm2_send < "$WORK/cp.cmd" > "$WORK/cp.rsp" &&
	tpm2_flushcontext -t >/dev/null 2>&1 &&
	"$PYTHON" - "$WORK/cp.rsp" <<'PY'
import struct, sys
r = open(sys.argv[1], 'rb').read()
assert struct.unpack_from('>I', r, 6)[0] == 0, 'CreatePrimary failed'
pub = r[18 + 2:]
off = 10 + struct.unpack_from('>H', pub, 8)[0] + 6 + 2 + 2 + 2
xs = struct.unpack_from('>H', pub, off)[0]
x = pub[off + 2:off + 2 + xs]
ys = struct.unpack_from('>H', pub, off + 2 + xs)[0]
y = pub[off + 4 + xs:off + 4 + xs + ys]
spki = bytes.fromhex('3059301306072a8648ce3d020106082a8648ce3d030107034200') + b'\x04' + x + y
sys.stdout.buffer.write(spki)
PY
}
cd "$WORK" || exit 1
if ek_public t.bin nonce.bin > ekpub.der &&
	openssl pkey -pubin -inform DER -in ekpub.der -out ekpub.pem 2>/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-out ca.pem -subj "/CN=Test EK CA" -days 30 >/dev/null 2>&1 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x.key \
		-out x.csr -subj "/CN=placeholder" >/dev/null 2>&1 &&
	openssl x509 -req -in x.csr -force_pubkey ekpub.pem -CA ca.pem -CAkey ca.key \
		-CAcreateserial -outform DER -out ek-l2.der -days 30 >/dev/null 2>&1 &&
	nv_put 0x01c0000a ek-l2.der; then
	pass "L-2 certificate for the EK with the stored template and nonce"
else
	fail "L-2 certificate for the EK with the stored template and nonce" "tools failed"
fi
cd - >/dev/null || exit 1
run "$BIN" -T "$FORGED" --attest nv: --name "$WORK/ek.name"
expect "a valid stored L-2 template and nonce attest with --attest nv:" 0
case $OUT in *"NV 0x01c0000a, template L-2 (ECC P-256) (with the TPM's stored template/nonce)"*) pass "the stored L-2 template and nonce are used" ;;
*) fail "the stored L-2 template and nonce are used" "$OUT" ;; esac

for bad in sym=1024 sym=0xfff8 curve=0x0004 unique=33 scheme=0x0018; do
	store 0x01c0000c ecc "$bad"
	refused "L-2 template with $bad" 0x01c0000c nv:
done
store 0x01c0000c ecc
head -c 33 /dev/zero | tr '\0' n > "$WORK/nonce.bin"
nv_put 0x01c0000b "$WORK/nonce.bin"
refused "L-2 nonce of 33 bytes" 0x01c0000b nv:

finish
