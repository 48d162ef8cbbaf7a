#!/bin/sh
# The persistent owner SRK at 0x81000001, as systemd-tpm2-setup makes it, is
# the one certified when present: ReadPublic and Certify, no CreatePrimary.
# Cross-checked against tpm2_readpublic; objects of the wrong kind or place
# at that handle are refused.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

one_swtpm nocert
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" --certify owner -n "$WORK/ek.name" -o > "$WORK/twin.name" ||
	{ fail enroll "certify owner failed"; exit 1; }

proxy_init
proxy_start pass || exit 1

# count_boot LABEL WANT: --boot through the proxy; WANT CreatePrimary commands.
count_boot() {
	: > "$WORK/log"
	run "$BIN" -T "$PROXIED" --boot -n "$WORK/ek.name" -f "$WORK/boot.pem" \
		--public "$WORK/boot.tpm2b_public"
	expect "$1: boot" 0 || return
	_n=$(grep -c '^cmd CreatePrimary' "$WORK/log")
	if [ "$_n" -eq "$2" ]; then pass "$1: $2 CreatePrimary ($(grep -c '^cmd ' "$WORK/log") commands)"
	else fail "$1: $2 CreatePrimary" "$_n: $(grep '^cmd ' "$WORK/log" | tr '\n' ' ')"; fi
}

tpm2_getcap handles-persistent > "$WORK/persistent"
if grep -q 0x81000001 "$WORK/persistent"; then fail "no SRK persisted at the start" "$(cat "$WORK/persistent")"; fi
count_boot "without a persistent SRK" 2
case $OUT in *"persistent"*) fail "without a persistent SRK: says twin" "$OUT" ;; *) pass "without a persistent SRK: says twin" ;; esac

# An SRK with attributes of its own (no noDA, as some set-ups make it): a
# different name from our template's twin, so certifying the twin would not
# vouch for it.
setup() { "$@" || { fail setup "$*"; exit 1; }; }
setup tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' \
	-c "$WORK/srk.ctx"
setup tpm2_evictcontrol -Q -C o -c "$WORK/srk.ctx" 0x81000001
tpm2_flushcontext -t
tpm2_readpublic -Q -c 0x81000001 -n "$WORK/srk.namebin" -o "$WORK/srk-ref.pem" -f pem ||
	{ fail setup "tpm2_readpublic 0x81000001"; exit 1; }
setup tpm2_readpublic -Q -c 0x81000001 -o "$WORK/srk-ref.tpm2b_public"
REF=$(od -An -tx1 "$WORK/srk.namebin" | tr -d ' \n')
count_boot "with a persistent SRK" 1
if cmp -s "$WORK/boot.tpm2b_public" "$WORK/srk-ref.tpm2b_public"; then
	pass "boot --public writes the persistent SRK's TPM2B_PUBLIC (tpm2_readpublic)"
else
	fail "boot --public writes the persistent SRK's TPM2B_PUBLIC (tpm2_readpublic)" "differs"
fi
case $OUT in *"persistent owner SRK 0x81000001"*) pass "boot names the persistent SRK" ;;
*) fail "boot names the persistent SRK" "$OUT" ;; esac
same "boot writes the persistent SRK's key" "$(openssl pkey -pubin -in "$WORK/boot.pem" -outform DER | od -An -tx1)" \
	"$(openssl pkey -pubin -in "$WORK/srk-ref.pem" -outform DER | od -An -tx1)"
# An interposer that substitutes the persistent SRK in ReadPublic answers:
# tpm2_readpublic through it reads another key; the check refuses.
LPORT=$(free_port_pair)
"$PYTHON" "$here/lib/interposer.py" --listen "$LPORT" --upstream "127.0.0.1:$TPM_PORT" \
	--mode pubkey-srk --log "$WORK/lie.log" > /dev/null 2>&1 &
lie_pid=$!
wait_port $((LPORT + 1))
tpm2_readpublic -Q -T "swtpm:host=127.0.0.1,port=$LPORT" -c 0x81000001 -o "$WORK/lie.tpm2b_public"
if [ -s "$WORK/lie.tpm2b_public" ] && ! cmp -s "$WORK/lie.tpm2b_public" "$WORK/srk-ref.tpm2b_public"; then
	pass "pubkey-srk: tpm2_readpublic through the interposer reads another SRK"
else
	fail "pubkey-srk: tpm2_readpublic through the interposer reads another SRK" "same key, or none"
fi
rm -f "$WORK/lie.pin"
run "$BIN" -T "swtpm:host=127.0.0.1,port=$LPORT" --boot -n "$WORK/ek.name" --token-pin "$WORK/lie.pin"
expect "a substituted persistent SRK is refused" 1
no_file "a substituted persistent SRK gives no pin" "$WORK/lie.pin"
kill "$lie_pid" 2>/dev/null
wait "$lie_pid" 2>/dev/null

# The pin systemd-cryptenroll stores in a systemd-tpm2 token (tpm2_srk) is
# Esys_TR_Serialize of the SRK at 0x81000001, which tpm2_readpublic -t writes.
setup tpm2_readpublic -Q -c 0x81000001 -t "$WORK/srk-ref.tr"
rm -f "$WORK/pin"
run "$BIN" --certify owner -n "$WORK/ek.name" --token-pin "$WORK/pin"
expect "certify owner --token-pin" 0
same "--token-pin is base64 of tpm2_readpublic -t's serialized ESYS_TR" \
	"$(base64 -d < "$WORK/pin" | od -An -v -tx1 | tr -d ' \n')" \
	"$(od -An -v -tx1 "$WORK/srk-ref.tr" | tr -d ' \n')"
same "--token-pin is one unwrapped base64 line, as in the token's JSON" \
	"$(wc -l < "$WORK/pin") $(tr -d 'A-Za-z0-9+/=\n' < "$WORK/pin" | wc -c)" "1 0"
rm -f "$WORK/pin"
run "$BIN" --certify null -n "$WORK/ek.name" --token-pin "$WORK/pin"
expect "--token-pin with --certify null" 2
no_file "--token-pin with --certify null writes nothing" "$WORK/pin"
run "$BIN" --certify owner -n "$WORK/ek.name" -f "$WORK/pin" --token-pin "$WORK/pin"
expect "--token-pin and --file naming one file" 2
run "$BIN" --certify owner -n "$WORK/ek.name" -o
expect "certify owner with a persistent SRK" 0
same "certify owner prints the persistent SRK's name (tpm2_readpublic)" "$OUT" "$REF"
if [ "$OUT" != "$(cat "$WORK/twin.name")" ]; then pass "the persistent SRK is not the twin"
else fail "the persistent SRK is not the twin" "same name"; fi
run "$BIN" --certify owner -n "$WORK/ek.name" "$WORK/twin.name"
expect "certify owner against the twin's name with a persistent SRK" 1
echo "$REF" > "$WORK/srk.name"
run "$BIN" --certify owner -n "$WORK/ek.name" -o "$WORK/srk.name"
expect "certify owner against the persistent SRK's name" 0
if [ "$(tpm2_getcap handles-transient | grep -c 0x)" -eq 0 ]; then pass "nothing left loaded"
else fail "nothing left loaded" "$(tpm2_getcap handles-transient)"; fi
if tpm2_getcap handles-persistent | grep -q 0x81000001; then pass "the persistent SRK stays"
else fail "the persistent SRK stays" "gone"; fi

# A child key persisted there is a storage key, but not a primary of the
# owner hierarchy: its qualified name gives it away.
setup tpm2_evictcontrol -Q -C o -c 0x81000001
# swtpm has three object slots and tpm2-tools over its TCTI no resource
# manager: flush after each step (saved contexts stay loadable).
setup tpm2_createprimary -Q -C o -G ecc256:aes128cfb -c "$WORK/p.ctx"
setup tpm2_flushcontext -t
setup tpm2_create -Q -C "$WORK/p.ctx" -G ecc256:aes128cfb \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
	-u "$WORK/c.pub" -r "$WORK/c.priv"
setup tpm2_flushcontext -t
setup tpm2_load -Q -C "$WORK/p.ctx" -u "$WORK/c.pub" -r "$WORK/c.priv" -c "$WORK/c.ctx"
setup tpm2_flushcontext -t
setup tpm2_evictcontrol -Q -C o -c "$WORK/c.ctx" 0x81000001
tpm2_flushcontext -t
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/child.pem" --token-pin "$WORK/child.pin"
expect "a child key at 0x81000001 is refused" 1
no_file "a refused persistent SRK writes no file" "$WORK/child.pem"
no_file "a refused persistent SRK writes no pin" "$WORK/child.pin"

# A signing key there is not an SRK at all.
setup tpm2_evictcontrol -Q -C o -c 0x81000001
setup tpm2_createprimary -Q -C o -G ecc256:ecdsa -a 'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' \
	-c "$WORK/s.ctx"
setup tpm2_evictcontrol -Q -C o -c "$WORK/s.ctx" 0x81000001
tpm2_flushcontext -t
run "$BIN" --boot -n "$WORK/ek.name"
expect "a signing key at 0x81000001 is refused" 1
case $ERR in *"not a storage key"*) pass "the refusal says why" ;; *) fail "the refusal says why" "$ERR" ;; esac

# Storage keys of the SRK kind that are too weak to seal to: a SHA-1 name,
# RSA-1024. Each is refused with the reason, and no pin is written.
# weak LABEL ARGS...: tpm2_createprimary ARGS persisted at 0x81000001.
weak() {
	_label=$1
	shift
	tpm2_evictcontrol -Q -C o -c 0x81000001 2>/dev/null
	if ! { tpm2_createprimary -Q -C o "$@" \
		-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
		-c "$WORK/w.ctx" && tpm2_evictcontrol -Q -C o -c "$WORK/w.ctx" 0x81000001; }; then
		echo "SKIP weak SRK ($_label): swtpm cannot make it"
		tpm2_flushcontext -t
		return
	fi
	tpm2_flushcontext -t
	rm -f "$WORK/weak.pin"
	run "$BIN" --boot -n "$WORK/ek.name" --token-pin "$WORK/weak.pin"
	expect "a persistent SRK with $_label is refused" 1
	case $ERR in *"too weak"*) pass "the refusal of $_label says why" ;;
	*) fail "the refusal of $_label says why" "$ERR" ;; esac
	no_file "a weak persistent SRK ($_label) gives no pin" "$WORK/weak.pin"
}
weak "a SHA-1 name" -g sha1 -G ecc256:aes128cfb
weak "RSA-1024" -g sha256 -G rsa1024:aes128cfb
# The control: the same command with SHA-256 and P-256 passes.
tpm2_evictcontrol -Q -C o -c 0x81000001 2>/dev/null
setup tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' -c "$WORK/g.ctx"
setup tpm2_evictcontrol -Q -C o -c "$WORK/g.ctx" 0x81000001
tpm2_flushcontext -t
run "$BIN" --boot -n "$WORK/ek.name"
expect "control: a SHA-256 P-256 persistent SRK made the same way passes" 0

# A TPM busy with its self-tests answers TPM_RC_RETRY: the raw ReadPublic
# of the persistent SRK asks again instead of failing the boot.
proxy_start tpm-error --target-cc ReadPublic --nth 1 --rc 0x922 || exit 1
run "$BIN" -T "$PROXIED" --boot -n "$WORK/ek.name"
proxy_stop
expect "a ReadPublic answered TPM_RC_RETRY once is asked again" 0
same "two ReadPublic of 0x81000001 on the bus" "$(grep -c '^cmd ReadPublic' "$WORK/log")" 2

finish
