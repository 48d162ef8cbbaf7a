#!/bin/sh
# Build-time choice of the PCRs a refusal caps (attest_tpm2_build_cap_pcrs in
# policy/attest-tpm2-lib.sh.in, asking the binary's --volumes): from the LUKS2
# tokens of the crypttab volumes (systemd-tpm2 "tpm2-pcrs" and
# "tpm2_pubkey_pcrs", pcrlock, clevis tpm2 "pcr_ids" down sss trees, unknown
# kinds), ATTEST_TPM2_CAP_PCRS overriding, PCR 7 by default. Uses LUKS2
# headers on plain files: no root, no device-mapper, no TPM (the tokens are
# imported, never used).
#
# Usage: sh tests/policy/cap-pcrs.sh BINARY
# Prints PASS/FAIL lines and "N passed, M failed"; exit 1 on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: $0 BINARY}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
command -v cryptsetup > /dev/null 2>&1 || {
	echo "SKIP cap-pcrs: cryptsetup is not installed"
	exit 77
}
# shellcheck source=SCRIPTDIR/../lib/gen.sh
. "$here/../lib/gen.sh"
policy_suite_start cap

# luks NAME: an empty LUKS2 header in $work/NAME.img
luks() {
	truncate -s 20M "$work/$1.img"
	printf pw | cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file - "$work/$1.img" > /dev/null
}
systemd_token() {
	printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[%s],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false}' "$2" |
		cryptsetup token import "$work/$1.img"
}
b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}
# tpm2_pin PCRS: a clevis tpm2 pin's header member ("" for no pcr_ids at all).
tpm2_pin() {
	if [ -n "$1" ]; then
		printf '{"pin":"tpm2","tpm2":{"hash":"sha256","key":"ecc","pcr_bank":"sha256","pcr_ids":"%s"}}' "$1"
	else
		printf '{"pin":"tpm2","tpm2":{"hash":"sha256","key":"ecc"}}'
	fi
}
# clevis_header NAME CLEVIS-MEMBER: a clevis token whose JWE header says it.
clevis_header() {
	hdr=$(printf '{"alg":"ECDH-ES","clevis":%s}' "$2" | b64url)
	printf '{"type":"clevis","keyslots":["0"],"jwe":{"ciphertext":"","encrypted_key":"","iv":"","protected":"%s","tag":""}}' "$hdr" |
		cryptsetup token import "$work/$1.img"
}
clevis_token() {
	clevis_header "$1" "$(tpm2_pin "$2")"
}
# compact MEMBER: an sss share, a compact JWE whose header holds MEMBER.
compact() {
	printf '%s..iv.ct.tag' "$(printf '{"alg":"ECDH-ES","clevis":%s}' "$1" | b64url)"
}

# case NAME EXPECTED CONFIG CRYPTTAB-LINES...
case_() {
	n=$1 want=$2 conf=$3
	shift 3
	printf '%s\n' "$conf" > "$work/conf"
	printf '%s\n' "$@" > "$work/crypttab"
	printf 'ATTEST_TPM2_BINARY=%s\n' "$bin" >> "$work/conf"
	got=$(sh -c '. "$1"; ATTEST_TPM2_CONF=$2/conf; attest_tpm2_say() { :; }
		attest_tpm2_build_config; attest_tpm2_build_cap_pcrs "$2/crypttab"' sh "$lib" "$work" 2>&1)
	report_same "$n" "$want" "$got"
}

luks plain
luks sd
systemd_token sd 7,8
luks cl
clevis_token cl 1,14
luks both
systemd_token both 0,7
clevis_token both 7,11
luks nopcr
systemd_token nopcr ''
# systemd's signed policy: no PCR of its own, PCR 11 through the key.
luks signed
printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false,"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"AA=="}' |
	cryptsetup token import "$work/signed.img"
luks pcrlock
printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false,"tpm2_pcrlock":true}' |
	cryptsetup token import "$work/pcrlock.img"
luks sss
clevis_header sss "{\"pin\":\"sss\",\"sss\":{\"t\":1,\"jwe\":[\"$(compact "$(tpm2_pin 4)")\",\"$(compact '{"pin":"tang","tang":{}}')\",\"$(compact "{\"pin\":\"sss\",\"sss\":{\"t\":1,\"jwe\":[\"$(compact "$(tpm2_pin 9,12)")\"]}}")\"]}}"
luks clnopcr
clevis_token clnopcr ''
luks unknown
printf '{"type":"vendor-secret","keyslots":["0"]}' | cryptsetup token import "$work/unknown.img"

case_ no-crypttab-entries 7 '' '# nothing'
case_ no-token 7 '' "root $work/plain.img none luks"
case_ missing-device 7 '' "root $work/absent.img none luks" "x UUID=00000000-0000-0000-0000-000000000000 none"
case_ systemd-tpm2 7,8 '' "root $work/sd.img none luks"
case_ clevis-tpm2 1,14 '' "root $work/cl.img none luks"
case_ union-of-volumes 1,7,8,14 '' "root $work/sd.img none luks" "home $work/cl.img none luks"
case_ both-tokens-one-volume 0,7,11 '' "root $work/both.img none luks"
case_ token-without-pcrs 7 '' "root $work/nopcr.img none luks"
case_ signed-policy-pcr-11 11 '' "root $work/signed.img none luks"
case_ pcrlock-caps-all 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 '' "root $work/pcrlock.img none luks"
case_ clevis-sss-nested 4,9,12 '' "root $work/sss.img none luks"
case_ clevis-no-pcr-ids 7 '' "root $work/clnopcr.img none luks"
case_ unknown-token-caps-all 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 '' "root $work/unknown.img none luks"
case_ config-duplicate-caps-all 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 'ATTEST_TPM2_CAP_PCRS=7,7' "root $work/sd.img none luks"
case_ config-drtm-pcr-caps-all 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 'ATTEST_TPM2_CAP_PCRS=7,17' "root $work/sd.img none luks"
case_ config-overrides 3,9 'ATTEST_TPM2_CAP_PCRS=3,9' "root $work/sd.img none luks"
case_ config-garbage-caps-all 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23 'ATTEST_TPM2_CAP_PCRS=07' "root $work/sd.img none luks"
case_ config-empty-computes 7,8 'ATTEST_TPM2_CAP_PCRS=' "root $work/sd.img none luks"

report_end
