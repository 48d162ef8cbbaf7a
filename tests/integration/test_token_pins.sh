#!/bin/sh
# The boot policy's SRK hand-over checks (policy/attest-tpm2-lib.sh.in and the
# binary's --volumes), on real LUKS2 headers made by cryptsetup: after a
# verified check, a crypttab
# volume whose systemd-tpm2 token pins another SRK, or a systemd SRK file
# that is not the certified key, refuses; a token pinned to the certified SRK
# passes; a token that pins nothing passes with a warning. The pins are the
# binary's --token-pin output for two real TPMs (their format is checked
# against tpm2_readpublic -t in test_persistent_srk.sh).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
. "$here/lib/policy_lib.sh"

require "token pins" cryptsetup

suite_work

# The certified SRK of TPM A (the enrolled one) and of TPM B (a foreign one).
for t in a b; do
	certified_srk "$WORK/$t"
done
read -r pin_a < "$WORK/a.pin"
read -r pin_b < "$WORK/b.pin"
if [ "$pin_a" != "$pin_b" ]; then pass "two TPMs give two pins"
else fail "two TPMs give two pins" "same pin"; fi

# One LUKS2 header per case (no device-mapper needed: the header is only read).
# newvol NAME [TOKEN-JSON-SRK-FIELD]: a volume with one systemd-tpm2 token.
printf 'test-key' > "$WORK/key"
: > "$WORK/crypttab"
newvol() {
	truncate -s 20M "$WORK/$1.img"
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$WORK/key" "$WORK/$1.img" > /dev/null 2>&1 ||
		{ fail "newvol $1" "luksFormat failed"; return 1; }
	# systemd-cryptenroll's token fields (systemd 257), with a dummy blob.
	printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AAAA","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"%s"%s}\n' \
		"$(printf '%064d' 0)" "${2:+,\"tpm2_srk\":\"$2\"}" > "$WORK/$1.json"
	cryptsetup token import --json-file "$WORK/$1.json" "$WORK/$1.img" > /dev/null 2>&1 ||
		{ fail "newvol $1" "token import failed"; return 1; }
	printf '%s %s none luks\n' "$1" "$WORK/$1.img" >> "$WORK/crypttab"
}
newvol good "$pin_a"
newvol foreign "$pin_b"
newvol unpinned
# JSON may escape "/" as "\/": a pin with slashes must read back as stored.
newvol slashes 'AAAA/BB+/CC=='

# The library's TPM device: /dev/null stands for one that is there, and the
# binary reaches TPM A through the TCTI: a refusal caps it for real (a cap
# that fails would power off rather than open the shell).
export DEVICES=/dev/null
swtpm_start "$WORK/a"
export TPM2TOOLS_TCTI="$TCTI"
reset_state() {
	rm -rf "$WORK/run" "$WORK/systemd-srk"
	mkdir -p "$WORK/run"
	echo verified > "$WORK/run/gate"
	cp "$WORK/a.tpm2b_public" "$WORK/run/srk.tpm2b_public"
	cp "$WORK/a.pin" "$WORK/run/srk.pin"
	printf 'ATTEST_TPM2_%s\n' ON_FAILURE=shell "NAME_FILE=$WORK/a.name" CAP_PCRS=7 > "$WORK/attest-tpm2.conf"
	: > "$WORK/cmdline"
}

reset_state
# pin VOLUME: the pin column of the binary's decision, against TPM A's SRK.
pin() {
	"$BIN" --volumes "$WORK/crypttab" --srk "$WORK/a.tpm2b_public" "$1" 2> /dev/null |
		awk -v v="$1" '$1 == v { print $4 }'
}
same "a token pinned to TPM A's SRK reads as pinned" "$(pin good)" pinned
same "a token pinned to TPM B's SRK reads as foreign" "$(pin foreign)" foreign
same "a token without tpm2_srk reads as unpinned" "$(pin unpinned)" unpinned
same "a pin that is no serialized SRK ($(cryptsetup token export --token-id 0 "$WORK/slashes.img" |
	grep -o '"tpm2_srk":"[^"]*"')) reads as foreign" "$(pin slashes)" foreign

reset_state
lib 'attest_tpm2_srk_consistent good'
case_rc "a token pinned to the certified SRK passes" 0
lib 'attest_tpm2_srk_consistent foreign'
case_rc "a token pinned to another TPM's SRK is refused" 1 'WHY=volume foreign has a token not pinned to the certified SRK: token 0 \(systemd-tpm2\) is pinned to an SRK other than the certified one'
lib 'attest_tpm2_srk_consistent unpinned'
case_rc "a token that pins no SRK passes, with a warning" 0 'WARNING: the TPM unlock of unpinned \(.*unpinned.img, PCRs 7\) pins no SRK'
lib 'ATTEST_TPM2_REQUIRE_PINNED=yes; attest_tpm2_srk_consistent unpinned'
case_rc "ATTEST_TPM2_REQUIRE_PINNED=yes: a token that pins no SRK is refused" 1 'WHY=volume unpinned has a TPM unlock not pinned to the certified SRK'
lib 'ATTEST_TPM2_REQUIRE_PINNED=yes; attest_tpm2_srk_consistent good'
case_rc "ATTEST_TPM2_REQUIRE_PINNED=yes: a pinned token passes" 0
lib 'attest_tpm2_srk_consistent'
case_rc "every crypttab volume: one foreign pin refuses" 1 'WHY=volume foreign '
lib 'attest_tpm2_srk_consistent no-such-volume'
case_rc "a volume that neither crypttab nor the command line lists is refused" 1 'WHY=volume no-such-volume cannot be resolved: its device: neither the crypttab nor the kernel command line lists it'

cp "$WORK/a.tpm2b_public" "$WORK/systemd-srk"
lib 'attest_tpm2_srk_consistent good'
case_rc "systemd's SRK file equal to the certified SRK passes" 0
cp "$WORK/b.tpm2b_public" "$WORK/systemd-srk"
lib 'attest_tpm2_srk_consistent good'
case_rc "systemd's SRK file naming another key is refused" 1 'WHY=the SRK systemd read from the TPM .* is not the certified one'
head -c 10 "$WORK/a.tpm2b_public" > "$WORK/systemd-srk"
lib 'attest_tpm2_srk_consistent good'
case_rc "a truncated systemd SRK file is refused" 1 'is not the certified one'

# The gates that run before each volume opens.
reset_state
lib 'attest_tpm2_gate good'
case_rc "initrd gate: the well-pinned volume opens" 0
lib "attest_tpm2_gate ''"
case_rc "initrd gate without a volume: the flag alone" 0
lib "attest_tpm2_gate '*'"
case_rc "initrd gate for every volume: one foreign pin refuses" 1 'FATAL: volume foreign has a token not pinned to the certified SRK'
reset_state
lib 'attest_tpm2_gate foreign'
case_rc "initrd gate: the foreign-pinned volume is refused" 1 'FATAL: volume foreign has a token not pinned to the certified SRK'
if [ -s "$WORK/run/gate" ]; then fail "initrd gate: the refusal clears the flag" "$(cat "$WORK/run/gate")"
else pass "initrd gate: the refusal clears the flag"; fi
lib 'attest_tpm2_gate good'
case_rc "initrd gate: after that refusal, no volume opens" 1
reset_state
lib 'attest_tpm2_host_gate foreign'
case_rc "host gate: the foreign-pinned volume is refused" 1 'FATAL: volume foreign has a token not pinned.*refusing to unlock foreign'
lib 'attest_tpm2_host_gate good'
case_rc "host gate: the well-pinned volume opens" 0
echo warn > "$WORK/run/gate"
lib 'attest_tpm2_gate foreign'
case_rc "initrd gate under policy warn: pins are not compared" 0

# A volume given on the kernel command line (rd.luks.uuid=) is not in
# crypttab: systemd names it luks-UUID, and the gate finds it by that UUID
# (on a loop device: blkid looks at block devices only).
loop=$(losetup -f --show "$WORK/foreign.img" 2> /dev/null)
if [ -n "$loop" ]; then
	reset_state
	lib "attest_tpm2_gate luks-$(cryptsetup luksUUID "$WORK/foreign.img")"
	case_rc "initrd gate: luks-UUID, not in crypttab, pinned elsewhere: refused" 1 "pinned to an SRK other"
	# A clone of the disk: two devices carry the UUID, which one opens is not known.
	cp "$WORK/foreign.img" "$WORK/clone.img"
	loop2=$(losetup -f --show "$WORK/clone.img" 2> /dev/null)
	reset_state
	lib "attest_tpm2_gate luks-$(cryptsetup luksUUID "$WORK/foreign.img")"
	case_rc "initrd gate: luks-UUID on two devices: refused" 1 "2 devices carry UUID="
	[ -z "$loop2" ] || losetup -d "$loop2"
	losetup -d "$loop"
else
	echo "SKIP initrd gate: luks-UUID, not in crypttab (no loop device on this machine)"
fi

# The check itself, with the binary against TPM A: it writes the certified
# SRK's pin, and a foreign-pinned volume in crypttab turns a verified TPM
# into a refusal, with PCR 7 capped.
reset_state
rm -f "$WORK/run/gate" "$WORK/run/srk.pin" "$WORK/run/srk.tpm2b_public"
cp "$WORK/crypttab" "$WORK/crypttab.all"
grep '^good ' "$WORK/crypttab.all" > "$WORK/crypttab"
lib attest_tpm2_check
case_rc "check: verified, and the volume's pin is the certified SRK's" 0
same "check: the gate says verified" "$(cat "$WORK/run/gate" 2> /dev/null)" verified
same "check: writes the certified SRK's pin" "$(cat "$WORK/run/srk.pin" 2> /dev/null)" "$pin_a"
if cmp -s "$WORK/run/srk.tpm2b_public" "$WORK/a.tpm2b_public"; then pass "check: writes the certified SRK's TPM2B_PUBLIC"
else fail "check: writes the certified SRK's TPM2B_PUBLIC" "differs or missing"; fi
pcr7_before=$(tpm2_pcrread -Q sha256:7 -o /dev/stdout | od -An -v -tx1 | tr -d ' \n')
cp "$WORK/crypttab.all" "$WORK/crypttab"
lib attest_tpm2_check
case_rc "check: a foreign-pinned volume refuses a verified TPM" 1 'FATAL: volume foreign has a token not pinned to the certified SRK'
case_rc "check: and caps PCR 7 first" 1 'PCRs 7 capped'
pcr7_after=$(tpm2_pcrread -Q sha256:7 -o /dev/stdout | od -An -v -tx1 | tr -d ' \n')
if [ -n "$pcr7_after" ] && [ "$pcr7_before" != "$pcr7_after" ]; then pass "check: PCR 7 moved (tpm2_pcrread)"
else fail "check: PCR 7 moved (tpm2_pcrread)" "$pcr7_before -> $pcr7_after"; fi
if [ -s "$WORK/run/gate" ]; then fail "check: no gate flag after the refusal" "$(cat "$WORK/run/gate")"
else pass "check: no gate flag after the refusal"; fi
cp "$WORK/b.tpm2b_public" "$WORK/systemd-srk"
grep '^good ' "$WORK/crypttab.all" > "$WORK/crypttab"
rm -f "$WORK/run/refused"
lib attest_tpm2_check
case_rc "check: systemd's SRK file naming another key refuses" 1 'FATAL: the SRK systemd read from the TPM'
swtpm_stop "$WORK/a"
finish
