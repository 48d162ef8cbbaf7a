#!/bin/sh
# attest-tpm2-enroll --luks: LUKS2 systemd-tpm2 tokens
# sealed offline to the SRK that the enrolled signing EK certified, run with
# Debian 13's systemd 257 and cryptsetup in a trixie root (cached tarball from
# this machine's own archive) against swtpm on the host, on LUKS2 images in
# plain files. Checks the token's tpm2_srk against tpm2-tools' ReadPublic of
# 0x81000001, that the token unseals (systemd's own unseal path, through an
# SRK-salted session), and the refusals: another TPM's name, no persistent
# SRK, a pin that does not match (token removed again), and Debian 12's
# systemd 252, which cannot seal to a given SRK.
# Needs root (chroot), mmdebstrap, swtpm, tpm2-tools and the host's systemd.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/lib/suite.sh"
. "$here/lib/debian_root.sh"
. "$here/lib/debian_root_cache.sh"
. "$here/lib/install.sh"
# The trixie root: systemd-cryptenroll, systemd-analyze and systemd-tpm2-setup
# (systemd 257), cryptsetup 2.7, the tpm2-tss libraries systemd loads (with
# the swtpm TCTI), tpm2-tools for reading PCRs, and clevis for the tokens
# the volume decision reads.
ROOT_PKGS=systemd,systemd-cryptsetup,cryptsetup-bin,tpm2-tools,libtss2-esys-3.0.2-0t64,libtss2-rc0t64,libtss2-mu-4.0.1-0t64,libtss2-tcti-swtpm0t64,clevis,clevis-luks,clevis-tpm2

WORK=$(mktemp -d)
root=$WORK/root
cleanup() {
	swtpm_stop "$WORK/a"
	swtpm_stop "$WORK/b"
	debian_root_remove "$root"
	rm -rf "$WORK"
}
trap cleanup EXIT
# The tools as installed: attest-tpm2-enroll reads the boot library.
enroll=$(install_prefix "$WORK/inst") || exit 1
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	fail "luks enrollment" "needs root (chroot, mmdebstrap)"
	exit 1
fi

# expect_enroll NAME STATUS [TEXT]: expect (tests/lib/check.sh), for
# attest-tpm2-enroll's messages.
expect_enroll() {
	EXPECT_PROGRAM=attest-tpm2-enroll expect "$@"
}

# in_root CMD...: CMD inside the trixie root.
in_root() {
	chroot "$root" "$@"
}

# tokens IMAGE: the LUKS2 token numbers on /t/IMAGE, space-separated, or "none".
tokens() {
	_t=$(in_root cryptsetup luksDump "/t/$1" |
		sed -n '/^Tokens:/,/^[A-Z][a-z]*:/s/^  \([0-9][0-9]*\): .*/\1/p' | tr '\n' ' ' | sed 's/ $//')
	echo "${_t:-none}"
}

# token_srk_hex IMAGE TOKEN: the token's tpm2_srk, decoded, as hex.
token_srk_hex() {
	in_root cryptsetup token export --token-id "$2" "/t/$1" |
		sed -n 's/.*"tpm2_srk":[ ]*"\([^"]*\)".*/\1/p' | sed 's#\\/#/#g' |
		base64 -d | od -An -v -tx1 | tr -d ' \n'
}

hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# new_image NAME: an empty LUKS2 volume in a plain file, passphrase in /t/pw.
new_image() {
	truncate -s 20M "$root/t/$1" &&
		in_root cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 --key-file /t/pw "/t/$1" >/dev/null
}

swtpm_provision "$WORK/a" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_provision "$WORK/b" || { fail provision "swtpm_setup failed"; exit 1; }
swtpm_start "$WORK/b"
TCTI_B=$TCTI
swtpm_start "$WORK/a"
TCTI_A=$TCTI
export TPM2TOOLS_TCTI="$TCTI_A"

# Debian 12's systemd-cryptenroll (252) has no --tpm2-device-key: refused
# before the TPM is touched or anything is written, never a token whose SRK
# pin is trusted on first use.
host_cryptenroll=$(command -v systemd-cryptenroll || true)
"$BIN" --eksign > "$WORK/a.name"
if [ -z "$host_cryptenroll" ]; then
	fail "systemd 252 refused" "the host has no systemd-cryptenroll (install systemd)"
elif systemd-cryptenroll --help | grep -q -e --tpm2-device-key; then
	fail "systemd 252 refused" "the host's systemd-cryptenroll has --tpm2-device-key: not a systemd before 255"
else
	printf 'ATTEST_TPM2_NAME_FILE=%s\nATTEST_TPM2_CA=none\n' "$WORK/a.name" > "$WORK/host.conf"
	run env ATTEST_TPM2_PRIMARY="$BIN" sh "$enroll" --no-rebuild --config "$WORK/host.conf" \
		--keep-name --luks "$WORK/a.name" -- -T "$TCTI_A"
	expect_enroll "systemd $(systemd-cryptenroll --version | sed -n '1s/systemd \([0-9]*\).*/\1/p') without --tpm2-device-key is refused" 2 \
		"no --tpm2-device-key"
fi

# The trixie root: built once (about a minute), then unpacked from the cache.
start=$(date +%s)
if ! tarball=$(debian_root_tarball trixie "$ROOT_PKGS" 2>"$WORK/root.err"); then
	fail "trixie root" "cannot build it, so nothing of systemd 257 was tested: $(tail -n 3 "$WORK/root.err" | tr '\n' ' ')"
	exit 1
fi
if ! debian_root_unpack "$tarball" "$root" || ! debian_root_enter "$root"; then
	fail "trixie root" "cannot unpack or enter $tarball"
	exit 1
fi
if in_root systemd-cryptenroll --help | grep -q -e --tpm2-device-key; then
	pass "trixie root ready in $(($(date +%s) - start)) s: $(in_root systemd-cryptenroll --version | head -n 1 | cut -d' ' -f1-2)"
else
	fail "trixie root" "its systemd-cryptenroll has no --tpm2-device-key"
	exit 1
fi
mkdir -p "$root/t" "$root/t/fake"
cp "$BIN" "$root/usr/bin/attest_tpm2_primary"
# A sanitizer build is linked against this machine's ASan runtime, which the
# Debian 13 root does not have; the static binary runs anywhere. The
# sanitizer run has tested this binary's own code elsewhere already.
if ! in_root /usr/bin/attest_tpm2_primary --version > /dev/null 2>&1; then
	echo "SKIP enroll --luks in the Debian 13 root: $BIN does not run there (not the static build)"
	finish
	exit
fi
# Installed into the root as a package would: attest-tpm2-enroll and the
# library it reads, at their own paths.
if ! make -s -C "$repo" install DESTDIR="$root" INSTALL_BIN="$BIN" > "$WORK/root-install.log" 2>&1; then
	fail "make install into the Debian 13 root" "$(tail -n 3 "$WORK/root-install.log" | tr '\n' ' ')"
	exit 1
fi
printf 'ATTEST_TPM2_NAME_FILE=/t/eksign.name\nATTEST_TPM2_CA=none\n' > "$root/t/a.conf"
printf 'ATTEST_TPM2_NAME_FILE=/t/b.name\nATTEST_TPM2_CA=none\n' > "$root/t/b.conf"
printf 'secret' > "$root/t/pw"
for i in 1 2 3 4 5 6 7; do
	new_image img$i || { fail "luksFormat" "cannot make img$i"; exit 1; }
done

# A persistent SRK at 0x81000001 on TPM A, made as systemd makes it.
if ! tpm2_createprimary -C o -G ecc256:aes128cfb -a \
	'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
	-c "$WORK/srk.ctx" >/dev/null ||
	! tpm2_evictcontrol -C o -c "$WORK/srk.ctx" 0x81000001 >/dev/null ||
	! tpm2_flushcontext -t >/dev/null; then
	fail "persistent SRK" "tpm2-tools could not make one"
	exit 1
fi
tpm2_readpublic -c 0x81000001 -o "$WORK/rp.pub" -n "$WORK/rp.name" >/dev/null
# systemd's tpm2_srk: tpm2-tss's Esys_TR_Serialize of the SRK, that is the
# handle, the TPM2B_NAME, resource type 1 (a key) and the TPM2B_PUBLIC.
want_srk=810000010022$(hex "$WORK/rp.name")00000001$(hex "$WORK/rp.pub")
cp "$WORK/rp.pub" "$root/t/a-srk.tpm2b_public"

# 1. Enrollment, then one token; PCR 7's value read from the TPM.
run in_root env PATH=/usr/sbin:/usr/bin attest-tpm2-enroll --no-rebuild --config /t/a.conf \
	--luks /t/img1 --luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "enroll --luks: enrolled, then a token" 0
case $OUT in
*"Enrolled signing EK"*"/t/img1: systemd-tpm2 token 0 (key slot 1) sealed to the attested SRK 0x81000001, PCRs 7:sha256="*)
	pass "enroll --luks says what it sealed to" ;;
*) fail "enroll --luks says what it sealed to" "$OUT" ;;
esac
same "the enrolled name is TPM A's" "$(cat "$WORK/a.name")" "$(cat "$root/t/eksign.name")"
same "img1 has one token" "0" "$(tokens img1)"
got=$(token_srk_hex img1 0)
same "token tpm2_srk = 0x81000001 as tpm2_readpublic reads it" "$want_srk" "$got"
same "token tpm2_srk ends with the TPM2B_PUBLIC of tpm2_readpublic -o" \
	"$(hex "$WORK/rp.pub")" "${got#810000010022????????????????????????????????????????????????????????????????????00000001}"
json=$(in_root cryptsetup token export --token-id 0 /t/img1)
case $json in
*'"type":"systemd-tpm2"'*'"tpm2-pcrs":[7]'*'"tpm2-pcr-bank":"sha256"'*) pass "token is systemd-tpm2, bound to sha256 PCR 7" ;;
*) fail "token is systemd-tpm2, bound to sha256 PCR 7" "$json" ;;
esac

# The boot's hand-over check (the library as installed above) on this real
# systemd 257 token: it pins the SRK that --token-pin names, and not TPM B's.
"$BIN" -T "$TCTI_A" --certify owner -n "$WORK/a.name" --public "$WORK/a.srk" \
	--token-pin "$WORK/a.pin" > /dev/null
"$BIN" --eksign -T "$TCTI_B" > "$WORK/b.name"
"$BIN" -T "$TCTI_B" --certify owner -n "$WORK/b.name" --public "$WORK/b.srk" \
	--token-pin "$WORK/b.pin" > /dev/null
printf 'img1 %s none luks\n' "$root/t/img1" > "$WORK/crypttab"
# boot_consistent TPM: attest_tpm2_srk_consistent img1 with TPM's SRK as the
# certified one.
boot_consistent() {
	mkdir -p "$WORK/run"
	cp "$WORK/$1.srk" "$WORK/run/srk.tpm2b_public"
	cp "$WORK/$1.pin" "$WORK/run/srk.pin"
	W=$WORK L=$root/usr/lib/attest-tpm2/attest-tpm2-lib.sh B=$BIN sh -c '. "$L"
		ATTEST_TPM2_RUN=$W/run ATTEST_TPM2_CRYPTTAB=$W/crypttab ATTEST_TPM2_BIN=$B
		ATTEST_TPM2_SYSTEMD_SRK=$W/no-systemd-srk
		attest_tpm2_srk_consistent img1' > /dev/null 2>&1
}
if boot_consistent a; then pass "boot hand-over: the systemd 257 token pins the certified SRK"
else fail "boot hand-over: the systemd 257 token pins the certified SRK" "refused"; fi
if boot_consistent b; then fail "boot hand-over: against TPM B's SRK the token is refused" "passed"
else pass "boot hand-over: against TPM B's SRK the token is refused"; fi
# The binary's own reading of that token (made by systemd 257, written by
# cryptsetup 2.7): a TPM unlock bound to PCR 7, pinned to TPM A's SRK.
same "the volume decision reads systemd 257's token: TPM, PCR 7, pinned" \
	"$("$BIN" --volumes "$WORK/crypttab" --srk "$WORK/a.srk" img1 2> /dev/null | awk '$1 == "img1" { print $2, $3, $4 }')" \
	"tpm 7 pinned"
same "against TPM B's SRK: foreign" \
	"$("$BIN" --volumes "$WORK/crypttab" --srk "$WORK/b.srk" img1 2> /dev/null | awk '$1 == "img1" { print $4 }')" \
	"foreign"

# 2. The token unseals, by systemd's own unlock code (the one systemd-cryptsetup
# uses: a session salted to the pinned SRK, the blob imported under 0x81000001,
# PolicyPCR, Unseal), with the key checked against the key slot. cryptsetup's
# token plugin cannot be pointed at swtpm (it only looks for /dev/tpmrm*), and
# systemd-cryptsetup attach would need device-mapper: systemd-cryptenroll
# --unlock-tpm2-device does the same unseal and adds a PCR-free token with it.
run in_root systemd-cryptenroll --unlock-tpm2-device="$TCTI_A" \
	--tpm2-device-key=/t/a-srk.tpm2b_public --tpm2-pcrs= /t/img1
case "$RC $OUT $ERR" in
"0 "*"TPM2 token unlocks volume"*) pass "token unseals through swtpm (systemd 257's unlock path)" ;;
*) fail "token unseals through swtpm (systemd 257's unlock path)" "exit $RC: $ERR" ;;
esac

# 3. Rerunning on an enrolled volume adds nothing and says so.
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img1 \
	--luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "rerun on img1: already enrolled" 0
case $OUT in *"already enrolled"*) pass "rerun says already enrolled" ;; *) fail "rerun says already enrolled" "$OUT" ;; esac
same "rerun added no token" "0 1" "$(tokens img1)"

# 4. --luks is repeatable; explicit PCR values mix with values read.
pcr7=$(tpm2_pcrread -o "$WORK/pcr7" sha256:7 >/dev/null && hex "$WORK/pcr7")
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img2 \
	--luks /t/img3 --luks-pcrs "0+7:sha256=$pcr7" --luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "a second run, two --luks" 0
same "img2 has one token" "0" "$(tokens img2)"
same "img3 has one token" "0" "$(tokens img3)"
same "img2 token pins the same SRK" "$want_srk" "$(token_srk_hex img2 0)"
same "img3 token pins the same SRK" "$want_srk" "$(token_srk_hex img3 0)"
case $(in_root cryptsetup token export --token-id 0 /t/img3) in
*'"tpm2-pcrs":[0,7]'*) pass "--luks-pcrs 0+7 bound both" ;;
*) fail "--luks-pcrs 0+7 bound both" "$(in_root cryptsetup token export --token-id 0 /t/img3)" ;;
esac

# 4b. --pin: the token needs a PIN too (systemd-cryptenroll --tpm2-with-pin,
# which takes it from $NEWPIN), and unseals with it only.
run in_root env NEWPIN=2468 attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name \
	--luks /t/img7 --pin --luks-pcrs "" --luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "--pin: a token with a PIN" 0
case $(in_root cryptsetup token export --token-id 0 /t/img7) in
*'"tpm2-pin":true'*) pass "--pin: the token asks for a PIN" ;;
*) fail "--pin: the token asks for a PIN" "$(in_root cryptsetup token export --token-id 0 /t/img7)" ;;
esac
same "--pin: the token pins the attested SRK" "$want_srk" "$(token_srk_hex img7 0)"
run in_root env PIN=2468 systemd-cryptenroll --unlock-tpm2-device="$TCTI_A" \
	--tpm2-device-key=/t/a-srk.tpm2b_public --tpm2-pcrs= /t/img7
case "$RC $OUT $ERR" in
"0 "*"TPM2 token unlocks volume"*) pass "--pin: the token unseals with the PIN" ;;
*) fail "--pin: the token unseals with the PIN" "exit $RC: $ERR" ;;
esac

# 5. Another TPM's enrolled name: the SRK is not certified, no token.
"$BIN" --eksign -T "$TCTI_B" > "$root/t/b.name"
run in_root attest-tpm2-enroll --no-rebuild --config /t/b.conf --keep-name --luks /t/img4 \
	--luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "another TPM's name is refused" 1 "did not certify this TPM's SRK"
same "no token after the refusal" none "$(tokens img4)"

# 6. No persistent SRK (TPM B): refused, since the unlock loads the token only
# under 0x81000001; systemd-tpm2-setup then makes it, and enrollment works.
run in_root attest-tpm2-enroll --no-rebuild --config /t/b.conf --keep-name --luks /t/img4 \
	--luks-key-file /t/pw -- -T "$TCTI_B"
expect_enroll "no persistent SRK is refused" 2 "systemd-tpm2-setup"
same "no token without a persistent SRK" none "$(tokens img4)"
run in_root env SYSTEMD_TPM2_DEVICE="$TCTI_B" /usr/lib/systemd/systemd-tpm2-setup
if [ "$RC" -eq 0 ]; then
	pass "systemd-tpm2-setup makes TPM B's SRK"
else
	fail "systemd-tpm2-setup makes TPM B's SRK" "$ERR"
fi
run in_root attest-tpm2-enroll --no-rebuild --config /t/b.conf --keep-name --luks /t/img4 \
	--luks-key-file /t/pw -- -T "$TCTI_B"
expect_enroll "then enrollment on TPM B works" 0
same "img4 token pins systemd's own SRK file" \
	"810000010022000b$(tail -c +3 "$root/var/lib/systemd/tpm2-srk-public-key.tpm2b_public" | sha256sum | cut -c1-64)00000001$(hex "$root/var/lib/systemd/tpm2-srk-public-key.tpm2b_public")" \
	"$(token_srk_hex img4 0)"
cp "$root/var/lib/systemd/tpm2-srk-public-key.tpm2b_public" "$root/t/b-srk.tpm2b_public"

# 7. A systemd-cryptenroll that seals to another SRK (here TPM B's) than the
# one attested: the token is found out, and removed with its key slot.
cat > "$root/t/fake/systemd-cryptenroll" <<'EOF'
#!/bin/sh
for a in "$@"; do
	shift
	case $a in --tpm2-device-key=*) a=--tpm2-device-key=/t/b-srk.tpm2b_public ;; esac
	set -- "$@" "$a"
done
exec /usr/bin/systemd-cryptenroll "$@"
EOF
chmod 0755 "$root/t/fake/systemd-cryptenroll"
run in_root env PATH=/t/fake:/usr/sbin:/usr/bin attest-tpm2-enroll --no-rebuild --config /t/a.conf \
	--keep-name --luks /t/img5 --luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "a token pinned to another SRK is refused" 1 "does not pin the attested SRK: removed it and key slot 1"
same "that token is gone" none "$(tokens img5)"
case $(in_root cryptsetup luksDump /t/img5) in
*"  1: luks2"*) fail "its key slot is gone" "key slot 1 is still there" ;;
*"  0: luks2"*) pass "its key slot is gone" ;;
*) fail "its key slot is gone" "no key slot 0 either" ;;
esac

# 7b. A volume that has a token pinned to another SRK already: the boot
# would refuse it, so nothing is added to it.
in_root systemd-cryptenroll --tpm2-device-key=/t/b-srk.tpm2b_public --tpm2-pcrs= \
	--unlock-key-file=/t/pw /t/img5 > /dev/null 2>&1
same "img5 has a token pinned to TPM B's SRK" 0 "$(tokens img5)"
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img5 \
	--luks-key-file /t/pw -- -T "$TCTI_A"
expect_enroll "a volume with a token pinned to another SRK is refused" 1 "the boot would refuse to unlock it"
same "nothing was added to it" 0 "$(tokens img5)"

# 8. Input errors, before anything is written.
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img6 \
	--luks-pcrs 7:sha1=00 -- -T "$TCTI_A"
expect_enroll "a SHA-1 PCR value is refused" 2 "only the SHA-256 bank"
# The one PCR-list grammar: a PCR a refusal cannot cap, or one named twice.
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img6 \
	--luks-pcrs 7+17 -- -T "$TCTI_A"
expect_enroll "a PCR a refusal cannot cap (17) is refused" 2 "not a list of PCRs a refusal can cap"
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/img6 \
	--luks-pcrs 7+7 -- -T "$TCTI_A"
expect_enroll "a PCR named twice is refused" 2 "not a list of PCRs a refusal can cap"
run in_root attest-tpm2-enroll --no-rebuild --config /t/a.conf --keep-name --luks /t/pw -- -T "$TCTI_A"
expect_enroll "a file that is not LUKS2 is refused" 2 "not a LUKS2 volume"
same "no token after input errors" none "$(tokens img6)"

# 9. The PCR binding is real: img2's token (PCRs 0 and 7, 7 given, 0 read)
# unseals now; once PCR 7 changes, img3's (the same policy) no longer does.
run in_root systemd-cryptenroll --unlock-tpm2-device="$TCTI_A" \
	--tpm2-device-key=/t/a-srk.tpm2b_public --tpm2-pcrs= /t/img2
if [ "$RC" -eq 0 ]; then
	pass "img2's token (PCRs 0+7) unseals"
else
	fail "img2's token (PCRs 0+7) unseals" "exit $RC: $ERR"
fi
tpm2_pcrextend "7:sha256=$(printf '%064d' 1)" >/dev/null
run in_root systemd-cryptenroll --unlock-tpm2-device="$TCTI_A" \
	--tpm2-device-key=/t/a-srk.tpm2b_public --tpm2-pcrs= /t/img3
case "$RC $ERR" in
"0 "*) fail "after PCR 7 changes the token does not unseal" "it did: $ERR" ;;
*"No TPM2 metadata matching the current system state"*) pass "after PCR 7 changes the token does not unseal" ;;
*) fail "after PCR 7 changes the token does not unseal" "not for the PCR policy: $ERR" ;;
esac
same "img3 still has one token" "0" "$(tokens img3)"

# 10. The volume decision (attest_tpm2_primary --volumes) on tokens made by
# the real tools of Debian 13: systemd 257's signed PCR policy (PCR 11
# through a key, no PCR of its own), clevis 21's sss of two tpm2 pins, and
# its tpm2 pin without pcr_ids, which seals to no PCR at all.
if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/pcrsign.key" 2>/dev/null ||
	! openssl pkey -in "$WORK/pcrsign.key" -pubout -out "$root/t/pcrsign.pem"; then
	fail "signed policy" "openssl cannot make the signing key"
fi
for i in signed sss nopcr; do new_image "$i" || fail "new_image $i" "luksFormat failed"; done
run in_root systemd-cryptenroll --unlock-key-file=/t/pw --tpm2-device-key=/t/a-srk.tpm2b_public \
	--tpm2-public-key=/t/pcrsign.pem --tpm2-public-key-pcrs=11 --tpm2-pcrs= /t/signed
[ "$RC" -eq 0 ] || fail "systemd-cryptenroll --tpm2-public-key" "exit $RC: $ERR"
run in_root env TPM2TOOLS_TCTI="$TCTI_A" clevis luks bind -y -k /t/pw -d /t/sss sss \
	'{"t":1,"pins":{"tpm2":[{"pcr_bank":"sha256","pcr_ids":"7"},{"pcr_bank":"sha256","pcr_ids":"4,14"}]}}'
[ "$RC" -eq 0 ] || fail "clevis luks bind sss" "exit $RC: $ERR"
run in_root env TPM2TOOLS_TCTI="$TCTI_A" clevis luks bind -y -k /t/pw -d /t/nopcr tpm2 '{"pcr_bank":"sha256"}'
[ "$RC" -eq 0 ] || fail "clevis luks bind tpm2 without pcr_ids" "exit $RC: $ERR"
printf '%s %s none luks\n' signed "$root/t/signed" sss "$root/t/sss" nopcr "$root/t/nopcr" > "$WORK/crypttab.real"
# decision VOLUME: kind, PCRs and pin, against TPM A's certified SRK.
decision() {
	"$BIN" --volumes "$WORK/crypttab.real" --srk "$WORK/a.srk" "$1" 2> /dev/null |
		awk -v v="$1" '$1 == v { print $2, $3, $4 }'
}
same "systemd 257 signed policy: TPM, PCR 11, pinned ($(in_root cryptsetup token export --token-id 0 /t/signed |
	grep -o '"tpm2[-_]p[a-z_]*pcrs":\[[0-9,]*\]' | tr '\n' ' '))" "$(decision signed)" "tpm 11 pinned"
same "clevis sss of two tpm2 pins: PCRs 4, 7 and 14, unpinned" "$(decision sss)" "tpm 4,7,14 unpinned"
same "clevis tpm2 without pcr_ids: unbound, unpinned" "$(decision nopcr)" "unbound - unpinned"
same "the cap set of the three" "$("$BIN" --volumes "$WORK/crypttab.real" 2> /dev/null | sed -n 's/^cap //p')" 4,7,11,14

finish
