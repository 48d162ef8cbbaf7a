#!/bin/sh
# --cap-pcrs: after a refused boot, the PCRs that sealed keys bind to are
# extended with the refusal event (TPM2_PCR_Event) in every allocated bank,
# every PCR of the list even when one fails, so a secret
# sealed to them no longer unseals. Values are recomputed here with openssl
# and read back with tpm2-tools; the unseal is tpm2-tools' own.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
EVENT="attest-tpm2: boot refused"

one_swtpm nocert
proxy_init

# pcr BANK N: the PCR's value in hex, read by tpm2-tools.
pcr() {
	tpm2_pcrread -Q "$1:$2" -o "$WORK/pcr.bin" && od -An -v -tx1 "$WORK/pcr.bin" | tr -d ' \n'
}
# extended BANK OLD: H(OLD || H(EVENT)) in hex.
extended() {
	_e=$(printf '%s' "$EVENT" | openssl dgst "-$1" -binary | od -An -v -tx1 | tr -d ' \n')
	printf '%s%s' "$2" "$_e" | python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' | openssl dgst "-$1" -binary | od -An -v -tx1 | tr -d ' \n'
}

# A secret sealed to PCR 7 as it is now: a stand-in for a TPM-sealed disk key.
if ! { tpm2_createprimary -Q -C o -G ecc -c "$WORK/prim.ctx" &&
	tpm2_pcrread -Q sha256:7 -o "$WORK/pcr7.bin" &&
	tpm2_createpolicy -Q --policy-pcr -l sha256:7 -f "$WORK/pcr7.bin" -L "$WORK/pol.bin" &&
	echo disk-key | tpm2_create -Q -C "$WORK/prim.ctx" -L "$WORK/pol.bin" -i - \
		-u "$WORK/seal.pub" -r "$WORK/seal.priv" -a 'fixedtpm|fixedparent' &&
	tpm2_flushcontext -t; }; then
	fail setup "cannot seal to PCR 7"
	exit 1
fi
unseal() {
	tpm2_load -Q -C "$WORK/prim.ctx" -u "$WORK/seal.pub" -r "$WORK/seal.priv" -c "$WORK/seal.ctx" &&
		tpm2_unseal -c "$WORK/seal.ctx" -p pcr:sha256:7 2>/dev/null
	_rc=$?
	tpm2_flushcontext -t
	return $_rc
}
if [ "$(unseal)" = disk-key ]; then pass "the sealed secret unseals before the cap"
else fail "the sealed secret unseals before the cap" "it does not"; fi

old7=$(pcr sha256 7)
old14=$(pcr sha256 14)
old8=$(pcr sha256 8)
run "$BIN" --cap-pcrs 7,14
expect "--cap-pcrs 7,14" 0
case $OUT in *"PCRs 7,14 capped"*sha256*) pass "it says what it capped" ;; *) fail "it says what it capped" "$OUT" ;; esac
same "PCR 7 (sha256) is extended with the refusal event" "$(pcr sha256 7)" "$(extended sha256 "$old7")"
same "PCR 14 (sha256) is extended with the refusal event" "$(pcr sha256 14)" "$(extended sha256 "$old14")"
same "PCR 8 is left alone" "$(pcr sha256 8)" "$old8"
if [ -z "$(unseal)" ]; then pass "the sealed secret no longer unseals"
else fail "the sealed secret no longer unseals" "it did"; fi

# 17-22 belong to the dynamic root of trust: locality 0 cannot extend them.
for bad in 08 24 "" "7," ",7" -1 +7 "7,7" "7 8" 4294967303 x 17 22 "7,17"; do
	run "$BIN" --cap-pcrs "$bad"
	expect "--cap-pcrs '$bad' is a usage error" 2
done
run "$BIN" --cap-pcrs 7 --name "$WORK/x"
expect "--cap-pcrs takes no --name" 2

# A PCR the TPM refuses to extend in the middle of the list (an interposer
# answers the second PCR_Event with TPM_RC_LOCALITY): the run fails, says
# which, and still caps every PCR after it.
old23=$(pcr sha256 23)
old7=$(pcr sha256 7)
old14=$(pcr sha256 14)
proxy_start tpm-error --target-cc PCR_Event --nth 2 --rc 0x907 || exit 1
run "$BIN" -T "$PROXIED" --cap-pcrs 7,14,23
proxy_stop
expect "--cap-pcrs 7,14,23 fails on PCR 14" 3
case $ERR in *"PCR 14 not capped (capped: 7,23)"*) pass "the failure names what was and was not capped" ;;
*) fail "the failure names what was and was not capped" "$ERR" ;; esac
same "PCR 7 before the failure is capped" "$(pcr sha256 7)" "$(extended sha256 "$old7")"
same "PCR 23 after the failure is capped too" "$(pcr sha256 23)" "$(extended sha256 "$old23")"
# The interposer answered for the TPM: PCR 14 was extended all the same.
same "three PCR_Event on the bus, one each" "$(grep -c '^cmd PCR_Event' "$WORK/log")" 3

# Every allocated bank: with SHA-1, SHA-384 and SHA-512 allocated too (after
# a TPM reset), one command caps all four banks of the PCR, the TPM doing
# the hashing.
tpm2_pcrallocate -Q sha1:all+sha256:all+sha384:all+sha512:all ||
	{ fail setup "tpm2_pcrallocate"; exit 1; }
swtpm_stop "$WORK/tpm"
swtpm_start "$WORK/tpm"
export TPM2TOOLS_TCTI="$TCTI"
old_sha1=$(pcr sha1 7) old_sha256=$(pcr sha256 7)
old_sha384=$(pcr sha384 7) old_sha512=$(pcr sha512 7)
run "$BIN" --cap-pcrs 7
expect "--cap-pcrs 7 with four banks" 0
case $OUT in *"banks sha1,sha256,sha384,sha512"*) pass "all four banks named" ;;
*) fail "all four banks named" "$OUT" ;; esac
same "PCR 7 (sha1) is extended with the refusal event" "$(pcr sha1 7)" "$(extended sha1 "$old_sha1")"
same "PCR 7 (sha256) is extended with the refusal event" "$(pcr sha256 7)" "$(extended sha256 "$old_sha256")"
same "PCR 7 (sha384) is extended with the refusal event" "$(pcr sha384 7)" "$(extended sha384 "$old_sha384")"
same "PCR 7 (sha512) is extended with the refusal event" "$(pcr sha512 7)" "$(extended sha512 "$old_sha512")"
# A bank whose hash this program does not compute (SM3) is hashed by the
# TPM all the same; swtpm 0.7 cannot allocate one, which is said, not hidden.
if tpm2_pcrallocate -Q sha256:all+sm3_256:all 2>/dev/null; then
	swtpm_stop "$WORK/tpm"
	swtpm_start "$WORK/tpm"
	export TPM2TOOLS_TCTI="$TCTI"
	run "$BIN" --cap-pcrs 7
	expect "--cap-pcrs 7 with an SM3 bank" 0
	case $OUT in *sm3_256*) pass "the SM3 bank is capped" ;; *) fail "the SM3 bank is capped" "$OUT" ;; esac
else
	echo "SKIP SM3 bank: this swtpm refuses to allocate sm3_256"
fi

finish
