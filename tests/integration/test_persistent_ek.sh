#!/bin/sh
# The persistent signing EK: --eksign --persist puts it at 0x81010100 (or a
# handle given), --boot and --certify --signing-ek use it without deriving it
# again when it has the enrolled name, and derive it when it is gone. Counted
# on the bus through a pass-through interposer; the persistent SRK is made
# by tpm2-tools, and tpm2-tools reads back what was persisted.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
H=0x81010100
OPW=Owner-Secret-0815

one_swtpm nocert
proxy_init
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name" ||
	{ fail enroll "certify null failed"; exit 1; }

persisted() { tpm2_getcap handles-persistent | grep -c "$1"; }
# counted LABEL ARGS...: run through the pass-through interposer; sets
# CMDS (the command names in order) and counts NCP (CreatePrimary),
# NCERT (Certify) and NALL.
counted() {
	_label=$1
	shift
	proxy_start pass || return 1
	run "$BIN" -T "$PROXIED" "$@"
	proxy_stop
	expect "$_label" 0 || return 1
	CMDS=$(sed -n 's/^cmd \([A-Za-z_]*\).*/\1/p' "$WORK/log" | tr '\n' ' ')
	NCP=$(grep -c '^cmd CreatePrimary' "$WORK/log")
	NCERT=$(grep -c '^cmd Certify' "$WORK/log")
	NALL=$(grep -c '^cmd ' "$WORK/log")
}

# --- Persisting ------------------------------------------------------------
counted "--eksign --persist" --eksign --persist
same "--eksign --persist prints the same name as --eksign" "$OUT" "$(cat "$WORK/ek.name")"
same "--eksign --persist: CreatePrimary, ReadPublic, EvictControl, FlushContext" \
	"$CMDS" "CreatePrimary ReadPublic EvictControl FlushContext "
same "it is persisted at $H (tpm2_getcap)" "$(persisted "$H")" 1
tpm2_readpublic -Q -c "$H" -n "$WORK/at.name" || fail "tpm2_readpublic $H" "cannot read it"
same "the object at $H has the enrolled name (tpm2_readpublic)" \
	"$(od -An -v -tx1 "$WORK/at.name" | tr -d ' \n')" "$(cat "$WORK/ek.name")"
run "$BIN" --eksign --persist
expect "--eksign --persist again: already there, nothing to do" 0
same "still one object at $H" "$(persisted "$H")" 1
run "$BIN" --eksign --persist --name "$WORK/ek.name" -f "$WORK/ek.pem"
expect "--eksign --persist --name checks before persisting, and writes --file" 0
run "$BIN" --eksign --persist=0x81010016
expect "--persist onto swtpm's own P-384 EK at 0x81010016" 2
case $ERR in *"0x81010016 already holds a storage key (name 000"*) pass "the refusal names the object there" ;;
*) fail "the refusal names the object there" "$ERR" ;; esac
for bad in 0x01c00002 0x80000000 81010100 0x8101010g ""; do
	run "$BIN" --eksign "--persist=$bad"
	expect "--persist='$bad' is a usage error" 2
done
run "$BIN" --boot -n "$WORK/ek.name" --persist
expect "--persist with --boot is a usage error" 2

# --- The boot with both keys persistent -----------------------------------
if ! { tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
	-c "$WORK/srk.ctx" && tpm2_evictcontrol -Q -C o -c "$WORK/srk.ctx" 0x81000001 >/dev/null &&
	tpm2_flushcontext -t; }; then
	fail setup "cannot persist an SRK"
	exit 1
fi
counted "--boot --signing-ek, no null_name" --boot -n "$WORK/ek.name" --signing-ek "$H" &&
	same "no null_name, both keys persistent: 0 CreatePrimary, 1 Certify, 3 commands ($CMDS)" \
		"$NCP $NCERT $NALL" "0 1 3"
case $OUT in *"signing EK, persistent at $H"*) pass "the verdict says the persistent signing EK was used" ;;
*) fail "the verdict says the persistent signing EK was used" "$OUT" ;; esac
counted "--boot --signing-ek with a null_name" --boot -n "$WORK/ek.name" --signing-ek "$H" "$WORK/null_name" &&
	same "with a null_name: 1 CreatePrimary (the NULL key), 2 Certify ($CMDS)" "$NCP $NCERT" "1 2"
if grep -q "^cmd FlushContext handles=0x8101\|^cmd FlushContext handles=0x81000001" "$WORK/log"; then
	fail "nothing persistent is flushed" "$(grep '^cmd FlushContext' "$WORK/log")"
else
	pass "nothing persistent is flushed"
fi
counted "--certify owner --signing-ek" --certify owner -n "$WORK/ek.name" --signing-ek "$H" -o &&
	same "--certify owner with both keys persistent: 0 CreatePrimary ($CMDS)" "$NCP" 0
same "--certify owner --signing-ek certifies the persistent SRK" "$OUT" \
	"$(tpm2_readpublic -Q -c 0x81000001 -n "$WORK/srk.namebin" && od -An -v -tx1 "$WORK/srk.namebin" | tr -d ' \n')"
if [ "$(tpm2_getcap handles-transient | grep -c 0x)" -eq 0 ]; then pass "nothing left loaded"
else fail "nothing left loaded" "$(tpm2_getcap handles-transient)"; fi

# --- Tampering ---------------------------------------------------------------
# An interposer that answers ReadPublic of the signing EK's handle with a key
# of its own: another name there is refused, not passed over.
proxy_start pubkey-persistent --handle "$H" || exit 1
run "$BIN" -T "$PROXIED" --boot -n "$WORK/ek.name" --signing-ek "$H"
proxy_stop
expect "a substituted ReadPublic of the persistent signing EK is refused" 1
case $ERR in *"$H holds a restricted signing key that is not the enrolled signing EK"*)
	pass "the refusal says what was found at $H" ;;
*) fail "the refusal says what was found at $H" "$ERR" ;; esac
grep -q '^tamper replace-pubkey ReadPublic' "$WORK/log" ||
	fail "the interposer lied" "no tamper line in its log"
# Another signing key really persisted there (the owner put it): refused too.
setup() { "$@" >/dev/null 2>&1 || fail setup "$*"; }
setup tpm2_evictcontrol -Q -C o -c "$H"
setup tpm2_createprimary -Q -C e -G ecc256:ecdsa-sha256:null \
	-a 'restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -c "$WORK/other.ctx"
setup tpm2_evictcontrol -Q -C o -c "$WORK/other.ctx" "$H"
tpm2_flushcontext -t
run "$BIN" --boot -n "$WORK/ek.name" --signing-ek "$H" --file "$WORK/other.pem"
expect "another signing key persisted at $H is refused" 1
no_file "a refused boot writes no file" "$WORK/other.pem"
# Evicted (TPM2_Clear, or an owner's tpm2_evictcontrol): derived as before.
setup tpm2_evictcontrol -Q -C o -c "$H"
counted "--boot --signing-ek after the signing EK was evicted" --boot -n "$WORK/ek.name" --signing-ek "$H" &&
	same "an evicted signing EK is derived again: 1 CreatePrimary ($CMDS)" "$NCP" 1
case $OUT in *"persistent at"*) fail "the verdict does not claim a persistent signing EK" "$OUT" ;;
*) pass "the verdict does not claim a persistent signing EK" ;; esac

# --- An owner password on EvictControl --------------------------------------
tpm2_changeauth -c o "$OPW" || { fail setup "tpm2_changeauth -c o"; exit 1; }
run "$BIN" --eksign --persist
expect "--persist without the owner's password" 3
case $ERR in *"--persist-auth"*) pass "the failure points at --persist-auth" ;;
*) fail "the failure points at --persist-auth" "$ERR" ;; esac
same "nothing was persisted" "$(persisted "$H")" 0
proxy_start pass --hexdump || exit 1
run "$BIN" -T "$PROXIED" --eksign --persist --persist-auth "str:$OPW"
proxy_stop
expect "--persist --persist-auth with the owner's password" 0
same "now persisted at $H" "$(persisted "$H")" 1
OPW_HEX=$(printf '%s' "$OPW" | od -An -tx1 | tr -d ' \n')
if grep -qi -e "$OPW" -e "$OPW_HEX" "$WORK/log"; then
	fail "the owner password is not on the bus" "found in the proxy log"
else
	pass "the owner password is not on the bus"
fi
case $(sed -n 's/^cmd //p' "$WORK/log" | head -n 2 | tr '\n' ' ') in
"CreatePrimary hierarchy=0x40000007 StartAuthSession handles=0x80"*) pass "EvictControl goes through the salted session" ;;
*) fail "EvictControl goes through the salted session" "$(head -n 4 "$WORK/log")" ;;
esac
run "$BIN" --boot -n "$WORK/ek.name" --persist-auth "str:$OPW"
expect "--persist-auth without --persist is a usage error" 2
tpm2_changeauth -c o -p "$OPW" || fail setup "tpm2_changeauth back"

finish
