#!/bin/sh
# The binary's volume decision (--volumes) against real LUKS2 headers made
# by cryptsetup, and against the same headers tampered with on disk
# (tests/lib/luks2_tamper.py): what it reads must be what cryptsetup reads,
# and whatever it cannot read for certain counts as a TPM unlock that is
# refused. Cross-checked with cryptsetup's own view of each header.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
tamper="$PYTHON $here/lib/luks2_tamper.py"

require "luks volumes" cryptsetup "$PYTHON"

suite_work

# The certified SRK of a real TPM, and a token pin for it.
certified_srk "$WORK/a"
cp "$WORK/a.tpm2b_public" "$WORK/srk"
read -r pin < "$WORK/a.pin"

printf 'test-key' > "$WORK/key"
: > "$WORK/crypttab"
# vol NAME [TOKEN-JSON...]: a LUKS2 header with these tokens, in crypttab.
vol() {
	_n=$1
	shift
	truncate -s 20M "$WORK/$_n.img"
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$WORK/key" "$WORK/$_n.img" > /dev/null 2>&1 || fail "vol $_n" "luksFormat failed"
	for _t in "$@"; do
		printf '%s\n' "$_t" | cryptsetup token import "$WORK/$_n.img" > /dev/null 2>&1 ||
			fail "vol $_n" "token import failed: $_t"
	done
	printf '%s %s none luks\n' "$_n" "$WORK/$_n.img" >> "$WORK/crypttab"
}
sd() {
	printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AA==","tpm2-pcrs":[%s],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00","tpm2-pin":false%s}' "$1" "${2:-}"
}
fido2='{"type":"systemd-fido2","keyslots":["0"],"fido2-credential":"AA==","fido2-salt":"AA==","fido2-rp":"io.systemd.cryptsetup","fido2-clientPin-required":false}'

# decide VOLUME [ARG...]: the binary's row for VOLUME; sets KIND, PCRS, PIN,
# RC and ERR.
decide() {
	_v=$1
	shift
	"$BIN" --volumes "$WORK/crypttab" "$@" "$_v" > "$WORK/out" 2> "$WORK/err"
	RC=$?
	_row=$(awk -v v="$_v" '$1 == v' "$WORK/out")
	ERR=$(cat "$WORK/err")
	# shellcheck disable=SC2086 # the row is words
	set -- $_row
	KIND=${2:-} PCRS=${3:-} PIN=${4:-}
}
# row NAME VOLUME KIND PCRS PIN RC [ARG...]
row() {
	_name=$1 _v=$2 _k=$3 _p=$4 _pin=$5 _rc=$6
	shift 6
	decide "$_v" "$@"
	if [ "$KIND $PCRS $PIN $RC" = "$_k $_p $_pin $_rc" ]; then
		pass "$_name"
	else
		fail "$_name" "got '$KIND $PCRS $PIN' exit $RC, wanted '$_k $_p $_pin' exit $_rc: $ERR"
	fi
}
all=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23

# --- token kinds, as cryptsetup 2.6 writes them --------------------------
vol passphrase
vol fido "$fido2"
vol pinned "$(sd 7 ",\"tpm2_srk\":\"$pin\"")"
vol unpinned "$(sd 7,8)"
vol signed "$(sd '' ',"tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"AA=="')"
vol pcrlock "$(sd '' ',"tpm2_pcrlock":true')"
vol nopcr "$(sd '')"
vol nested "$(sd 7 ',"x":{"y":{}}')"
vol newer "$(sd 7 ',"tpm2_future":1')"
vol unknown '{"type":"vendor-secret","keyslots":["0"]}'
vol fidotpm "$fido2" "$(sd 4)"

row "passphrase only: no TPM unlock" passphrase none - - 0
row "FIDO2 only: no TPM unlock" fido none - - 0
row "systemd-tpm2 pinned to the certified SRK" pinned tpm 7 pinned 0 --srk "$WORK/srk"
row "systemd-tpm2 without a pin: let through (a warning's matter)" unpinned tpm 7,8 unpinned 0 --srk "$WORK/srk"
row "systemd-tpm2 without a pin, ATTEST_TPM2_REQUIRE_PINNED: refused" unpinned tpm 7,8 unpinned 1 --srk "$WORK/srk" --require-pinned
row "signed PCR policy: tpm2-pcrs empty, tpm2_pubkey_pcrs [11]" signed tpm 11 unpinned 0 --srk "$WORK/srk"
row "pcrlock: every PCR locality 0 can extend" pcrlock tpm "$all" unpinned 0 --srk "$WORK/srk"
row "systemd-tpm2 bound to no PCR: unbound" nopcr unbound - unpinned 0 --srk "$WORK/srk"
row "a nested object does not hide the token (an unknown member: every PCR)" nested tpm "$all" unpinned 0 --srk "$WORK/srk"
row "a member this reading does not know: every PCR" newer tpm "$all" unpinned 0 --srk "$WORK/srk"
row "an unknown token type: every PCR" unknown tpm "$all" unpinned 0 --srk "$WORK/srk"
row "FIDO2 then systemd-tpm2: the second counts" fidotpm tpm 4 unpinned 0 --srk "$WORK/srk"
row "unverified TPM: a TPM volume is refused" pinned tpm 7 pinned 1
case $ERR in *"volume pinned has a TPM unlock, and the TPM is not verified"*) pass "the refusal says why in one line" ;;
*) fail "the refusal says why in one line" "$ERR" ;; esac
row "unverified TPM: a passphrase volume opens" passphrase none - - 0
case $(cryptsetup token export --token-id 0 "$WORK/nested.img") in
*'"x":{"y":{}}'*) pass "cryptsetup keeps the nested token as the binary read it" ;;
*) fail "cryptsetup keeps the nested token as the binary read it" "$(cryptsetup token export --token-id 0 "$WORK/nested.img")" ;;
esac

# --- the cap set: the union over the volumes --------------------------------
cap=$("$BIN" --volumes "$WORK/crypttab" 2> /dev/null | sed -n 's/^cap //p')
same "the cap set is the union over every volume" "$cap" "$all"
grep -E '^(pinned|unpinned|signed|fidotpm) ' "$WORK/crypttab" > "$WORK/crypttab.some"
same "the cap set of four volumes" "$("$BIN" --volumes "$WORK/crypttab.some" 2> /dev/null | sed -n 's/^cap //p')" 4,7,8,11

# --- tampering: what an attacker can write to the disk --------------------
# json VOLUME COPY: the copy's JSON, as the attacker starts from it.
json() {
	$tamper "$WORK/$1.img" "$2" show | sed -n 2p
}
# A duplicate key, checksums made to match: json-c keeps the last "type"
# silently, so a FIDO2 token would be a TPM one to cryptsetup.
vol dup "$fido2"
json dup 0 | sed 's/"type":"systemd-fido2",/"type":"systemd-fido2","type":"systemd-tpm2",/' > "$WORK/dup.json"
$tamper "$WORK/dup.img" 0 json "$WORK/dup.json" && $tamper "$WORK/dup.img" 1 json "$WORK/dup.json"
row "a duplicate key is refused, even after a verified check" dup unresolved "$all" - 1 --srk "$WORK/srk"
case $ERR in *"a key appears twice"*) pass "the duplicate key is named" ;; *) fail "the duplicate key is named" "$ERR" ;; esac
case $(cryptsetup token export --token-id 0 "$WORK/dup.img" 2>&1) in
*systemd-tpm2*) pass "cryptsetup reads that token as systemd-tpm2 (why it must be refused)" ;;
*) fail "cryptsetup reads that token as systemd-tpm2 (why it must be refused)" "$(cryptsetup token export --token-id 0 "$WORK/dup.img" 2>&1)" ;;
esac
# Data after the JSON object, checksums made to match.
vol trailing
{ json trailing 0 | tr -d '\n'; printf ' {"tokens":{}}'; } > "$WORK/trailing.json"
$tamper "$WORK/trailing.img" 0 json "$WORK/trailing.json" && $tamper "$WORK/trailing.img" 1 json "$WORK/trailing.json"
row "data after the JSON object is refused" trailing unresolved "$all" - 1 --srk "$WORK/srk"
# Two copies that disagree: the one with the higher seqid holds a TPM token.
vol newer1
json newer1 0 | sed 's/"tokens":{}/"tokens":{"0":'"$(sd 9 | sed 's/[&/\]/\\&/g')"'}/' > "$WORK/newer1.json"
seq=$($tamper "$WORK/newer1.img" 0 show | sed -n 1p)
$tamper "$WORK/newer1.img" 0 json "$WORK/newer1.json" --seqid $((seq + 1))
row "copies disagree, the primary is newer: its TPM token counts" newer1 tpm 9 unpinned 1
vol newer2
json newer2 1 | sed 's/"tokens":{}/"tokens":{"0":'"$(sd 10 | sed 's/[&/\]/\\&/g')"'}/' > "$WORK/newer2.json"
$tamper "$WORK/newer2.img" 1 json "$WORK/newer2.json" --seqid $((seq + 1))
row "copies disagree, the secondary is newer: its TPM token counts" newer2 tpm 10 unpinned 1
for v in newer1 newer2; do
	case $(cryptsetup token export --token-id 0 "$WORK/$v.img" 2>&1) in
	*systemd-tpm2*) pass "cryptsetup sees the same token in $v" ;;
	*) fail "cryptsetup sees the same token in $v" "$(cryptsetup token export --token-id 0 "$WORK/$v.img" 2>&1)" ;;
	esac
done
# A bad checksum on the primary: the secondary, with its TPM token, is read.
vol badsum
json badsum 0 | sed 's/"tokens":{}/"tokens":{"0":'"$(sd 5 | sed 's/[&/\]/\\&/g')"'}/' > "$WORK/badsum.json"
$tamper "$WORK/badsum.img" 1 json "$WORK/badsum.json"
json badsum 0 | sed 's/"tokens":{}/"tokens":{ }/' > "$WORK/badsum0.json"
$tamper "$WORK/badsum.img" 0 json "$WORK/badsum0.json" --stale-checksum
row "a primary with a bad checksum: the secondary's token counts" badsum tpm 5 unpinned 1
case $(cryptsetup token export --token-id 0 "$WORK/badsum.img" 2>&1) in
*systemd-tpm2*) pass "cryptsetup too falls back to the secondary" ;;
*) fail "cryptsetup too falls back to the secondary" "$(cryptsetup token export --token-id 0 "$WORK/badsum.img" 2>&1)" ;;
esac
# cryptsetup repaired the primary from the secondary just now: break both.
$tamper "$WORK/badsum.img" 0 json "$WORK/badsum0.json" --stale-checksum
$tamper "$WORK/badsum.img" 1 json "$WORK/badsum0.json" --stale-checksum
row "both copies with bad checksums: refused" badsum unresolved "$all" - 1 --srk "$WORK/srk"
case $ERR in *"first: bad checksum; second: bad checksum"*) pass "both bad checksums are named" ;;
*) fail "both bad checksums are named" "$ERR" ;; esac

# --- devices and headers ------------------------------------------------
truncate -s 4M "$WORK/data.img"
vol hdr "$(sd 3)"
cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-file "$WORK/key" \
	"$(truncate -s 4M "$WORK/l1.img"; echo "$WORK/l1.img")" > /dev/null 2>&1 || fail luks1 "luksFormat failed"
cat >> "$WORK/crypttab" << EOT
detached $WORK/data.img none luks,header=$WORK/hdr.img
luks1 $WORK/l1.img none luks
zeros $WORK/data.img none plain,cipher=aes-xts-plain64,size=256
swap $WORK/pinned.img /dev/urandom swap
optonly $WORK/passphrase.img none luks,tpm2-device=auto
script $WORK/passphrase.img none luks,keyscript=/lib/cryptsetup/scripts/tpm2-unseal
keyctl $WORK/passphrase.img none luks,keyscript=decrypt_keyctl
gone $WORK/no-such.img none luks
nouuid UUID=00000000-0000-4000-8000-00000000dead none luks
relative data.img none luks
EOT
row "a detached header holds the tokens" detached tpm 3 unpinned 0 --srk "$WORK/srk"
row "LUKS1: no token" luks1 none - - 0
row "plain dm-crypt: no header" zeros none - - 0
row "swap keyed from /dev/urandom" swap none - - 0
row "a tpm2- option with no token seen: TPM, every PCR" optonly tpm "$all" unpinned 1
row "a keyscript of its own may ask the TPM" script tpm "$all" unpinned 1
row "Debian's decrypt_keyctl asks a person" keyctl none - - 0
row "a device not there yet: refused without a verified TPM" gone absent "$all" - 1
row "a device not there yet: nothing to open after a verified one" gone absent "$all" - 0 --srk "$WORK/srk"
row "a UUID nothing carries" nouuid absent "$all" - 1
row "a relative path is not a device" relative unresolved "$all" - 1 --srk "$WORK/srk"
row "a name that nothing lists" no-such-volume unresolved "$all" - 1 --srk "$WORK/srk"

# --- bad input ------------------------------------------------------------
run "$BIN" --volumes "$WORK"
expect "a crypttab that is a folder is an input error" 2
head -c 300000 /dev/zero | tr '\0' 'x' > "$WORK/huge"
run "$BIN" --volumes "$WORK/huge"
expect "a crypttab over 256 KiB is an input error" 2
run "$BIN" --volumes "$WORK/crypttab" --name "$WORK/a.name"
expect "--volumes takes no TPM option" 2
run "$BIN" --certify owner --srk "$WORK/srk" -n "$WORK/a.name"
expect "--srk only applies to --volumes" 2
head -c 20 "$WORK/srk" > "$WORK/srk.short"
run "$BIN" --volumes "$WORK/crypttab" --srk "$WORK/srk.short"
expect "a truncated SRK file is an input error" 2
: > "$WORK/empty"
run "$BIN" --volumes "$WORK/empty"
if [ "$RC" = 1 ] && [ "$ERR" != "${ERR#*no volume in}" ]; then pass "no volume at all, no verified TPM: refused"
else fail "no volume at all, no verified TPM: refused" "exit $RC: $ERR"; fi

finish
