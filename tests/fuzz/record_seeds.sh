#!/bin/sh
# Regenerates the recorded seed corpora from a fresh swtpm: EK certificates,
# the TPM's real answers to each mode's command sequence, and a real Certify
# result with the fixture (tests/fuzz/fixture_attest.h) the attest_check
# target verifies it against. Run from anywhere; needs swtpm and tpm2-tools.
# Usage: tests/fuzz/record_seeds.sh [--build DIR]
set -eu

build=build/fuzz
[ "${1:-}" = --build ] && build=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
# shellcheck source=/dev/null
. "$root/tests/lib/swtpm.sh"

sh "$here/run.sh" --seconds 0 --build "$build" --target fuzz_tpm_responses >/dev/null || true
rec="$build/fuzz_tpm_responses"
[ -x "$rec" ] || { echo "record_seeds: $rec did not build" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'swtpm_stop "$tmp/tpm"; rm -rf "$tmp"' EXIT
swtpm_provision "$tmp/tpm"
swtpm_start "$tmp/tpm"
export TPM2TOOLS_TCTI="$TCTI"

# Names of the three primaries the tool derives, with the tool's templates.
storage='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt'
tpm2_createprimary -Q -C e -G ecc256:ecdsa-sha256:null -c "$tmp/ek.ctx" \
	-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign'
tpm2_readpublic -Q -c "$tmp/ek.ctx" -n "$tmp/ek.name"
tpm2_flushcontext -t
for h in n o; do
	tpm2_createprimary -Q -C $h -G ecc256:null:aes128cfb -a "$storage" -c "$tmp/$h.ctx"
	tpm2_readpublic -Q -c "$tmp/$h.ctx" -n "$tmp/$h.name"
	tpm2_flushcontext -t
done

# EK certificates: DER, PEM and truncated.
c="$here/corpus/fuzz_ek_cert"
mkdir -p "$c"
tpm2_nvread -Q 0x01c00002 -o "$c/rsa_2048.der" 2>/dev/null
tpm2_nvread -Q 0x01c00016 -o "$c/ecc_p384.der" 2>/dev/null
openssl x509 -inform der -in "$c/rsa_2048.der" -out "$c/rsa_2048.pem"
head -c 600 "$c/rsa_2048.der" > "$c/rsa_trunc600.der"
head -c 700 "$c/rsa_2048.pem" > "$c/rsa_trunc.pem"
head -c 40 "$c/ecc_p384.der" > "$c/ecc_trunc40.der"

# Mode runs: header (flags, enrolled name, expected name, RAND_bytes data),
# then the recorded answers. See fuzz_tpm_responses.c for the flags.
r="$here/corpus/fuzz_tpm_responses"
mkdir -p "$r"
record() { # record FILE FLAGS EXPECTED_NAME_FILE
	python3 - "$tmp/hdr" "$2" "$tmp/ek.name" "$3" <<'PY'
import sys
out, flags, ek, exp = sys.argv[1:]
hdr = bytes([int(flags, 0)]) + open(ek, 'rb').read() + open(exp, 'rb').read() + bytes(range(64))
assert len(hdr) == 133
open(out, 'wb').write(hdr)
PY
	FUZZ_RECORD_TCTI="host=127.0.0.1,port=$TPM_PORT" FUZZ_RECORD_OUT="$r/$1" \
		"$rec" "$tmp/hdr" 2>&1 | grep '^recorded'
}
record eksign 0x00 "$tmp/n.name"
record eksign_name_file 0x21 "$tmp/n.name"
record certify_null_check 0x0a "$tmp/n.name"
record certify_owner_check_outname_file 0x3e "$tmp/o.name"
record boot_null_file 0x2b "$tmp/n.name"
record boot_no_null 0x03 "$tmp/n.name"
# The signing EK persisted where --persist puts it: --boot --signing-ek.
tpm2_createprimary -Q -C e -G ecc256:ecdsa-sha256:null -c "$tmp/ek.ctx" \
	-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign'
tpm2_evictcontrol -Q -C o -c "$tmp/ek.ctx" 0x81010100 >/dev/null
tpm2_flushcontext -t
record boot_persistent_ek_null_file 0x2f "$tmp/n.name"
record boot_persistent_ek_no_null 0x07 "$tmp/n.name"

# Variants: unpatched sizes, a TRY_AGAIN first, a truncated answer, a wrong EK name.
python3 - "$r" <<'PY'
import sys
d = sys.argv[1]
c = open(d + '/certify_null_check', 'rb').read()
open(d + '/certify_null_check_raw', 'wb').write(bytes([c[0] | 0x40]) + c[1:])
open(d + '/certify_null_try_again', 'wb').write(c[:133] + b'\xff\xff' + c[133:])
open(d + '/certify_null_truncated', 'wb').write(c[:len(c) * 2 // 3])
b = bytearray(open(d + '/boot_no_null', 'rb').read())
b[34] ^= 1
open(d + '/boot_wrong_ek', 'wb').write(bytes(b))
PY

# attest_check: the real Certify answer of certify_null_check and the public
# areas it is checked against, plus a fixed P-256 key that re-signs in mode 1.
a="$here/corpus/fuzz_attest_check"
mkdir -p "$a"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/fixed.pem"
python3 - "$r/certify_null_check" "$a" "$here/fixture_attest.h" "$tmp/fixed.pem" <<'PY'
import struct, sys
src, adir, fixture, keyfile = sys.argv[1:]
data = open(src, 'rb').read()
off, resps = 133, []
while off + 2 <= len(data):
    n = struct.unpack('>H', data[off:off + 2])[0]
    resps.append(data[off + 2:off + 2 + n])
    off += 2 + n
def out_public(resp):  # CreatePrimary: header, handle, parameterSize, TPM2B_PUBLIC
    n = struct.unpack('>H', resp[18:20])[0]
    return resp[18:20 + n]
ek_pub, obj_pub, cert = out_public(resps[0]), out_public(resps[1]), resps[2]
params = cert[14:]
alen = struct.unpack('>H', params[:2])[0]
attest = params[2:2 + alen]
sig_off = 2 + alen
alg, hsh, rlen = struct.unpack('>HHH', params[sig_off:sig_off + 6])
slen = struct.unpack('>H', params[sig_off + 6 + rlen:sig_off + 8 + rlen])[0]
sig = params[sig_off:sig_off + 8 + rlen + slen]
r = sig[6:6 + rlen]
s = sig[8 + rlen:8 + rlen + slen]
def seed(name, mode, att, sigbytes):
    open(adir + '/' + name, 'wb').write(bytes([mode]) + struct.pack('>H', len(att)) + att + sigbytes)
seed('real_certify', 0, attest, sig)
seed('real_certify_raw_rs', 0, attest, r + s)
seed('real_certify_no_qname', 2, attest, sig)
seed('resign_real', 1, attest, b'')
seed('resign_trailing', 1, attest + b'\0', b'')
seed('resign_truncated', 1, attest[:len(attest) // 2], b'')
bad = bytearray(attest); bad[-1] ^= 1
seed('real_certify_flipped', 0, bytes(bad), sig)
def arr(name, b):
    body = ',\n\t'.join(', '.join('0x%02x' % x for x in b[i:i + 12]) for i in range(0, len(b), 12))
    return 'static const uint8_t %s[] = {\n\t%s,\n};\n' % (name, body)
pem = open(keyfile).read().strip().split('\n')
with open(fixture, 'w') as f:
    f.write('/* Generated by record_seeds.sh from a swtpm run: do not edit. */\n')
    f.write('/* TPM2B_PUBLIC of the signing EK and of the certified NULL primary. */\n')
    f.write(arr('fixture_ek_pub', ek_pub))
    f.write(arr('fixture_obj_pub', obj_pub))
    f.write('/* A P-256 key generated once, used to re-sign attestations. */\n')
    f.write('static const char fixture_sign_key[] =\n')
    f.write('\n'.join('\t"%s\\n"' % l for l in pem) + ';\n')
PY
echo "record_seeds: corpora and fixture_attest.h regenerated"
