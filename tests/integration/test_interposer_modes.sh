#!/bin/sh
# Self-test of tests/lib/interposer.py: before other tests rely on the
# interposer to attack attest_tpm2_primary, prove with plain tpm2-tools and
# openssl, against a real swtpm, that every mode really does its tampering.
# Prints PASS/FAIL lines; fails (does not skip) when a tool is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
interposer="$here/../lib/interposer.py"
PYTHON=${PYTHON:-/usr/bin/python3}

require "interposer modes" swtpm tpm2_createprimary tpm2_certify tpm2_flushcontext \
	tpm2_getcap openssl timeout "$PYTHON"

work=$(mktemp -d)
swtpm_pid=
proxy_pid=

stop_proxy() {
	if [ -n "$proxy_pid" ]; then
		kill "$proxy_pid" 2>/dev/null
		wait "$proxy_pid" 2>/dev/null
		proxy_pid=
	fi
}

cleanup() {
	stop_proxy
	if [ -n "$swtpm_pid" ]; then
		kill "$swtpm_pid" 2>/dev/null
		wait "$swtpm_pid" 2>/dev/null
	fi
	if [ -n "${SELFTEST_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# result STATUS NAME: record a check; STATUS 0 means it held.
result() {
	if [ "$1" -eq 0 ]; then
		pass "$2"
	else
		fail "$2"
	fi
}

# logged PATTERN: the interposer's log for this run has a matching line.
logged() {
	grep -q -- "$1" "$work/log"
}

# Four free consecutive loopback ports: swtpm server+ctrl, proxy server+ctrl.
base=$("$PYTHON" - <<'EOF'
import socket
for _ in range(200):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    base = s.getsockname()[1]
    s.close()
    socks = []
    try:
        for p in range(base, base + 4):
            t = socket.socket()
            socks.append(t)
            t.bind(('127.0.0.1', p))
    except OSError:
        continue
    finally:
        for t in socks:
            t.close()
    print(base)
    break
EOF
)
[ -n "$base" ] || { echo "FAIL no free ports"; exit 1; }
tpm_port=$base
proxy_port=$((base + 2))
direct="swtpm:host=127.0.0.1,port=$tpm_port"
proxied="swtpm:host=127.0.0.1,port=$proxy_port"

mkdir "$work/state"
swtpm socket --tpm2 --tpmstate dir="$work/state" \
	--server type=tcp,port="$tpm_port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port="$((tpm_port + 1))",bindaddr=127.0.0.1 \
	--flags not-need-init,startup-clear >"$work/swtpm.log" 2>&1 &
swtpm_pid=$!
i=0
until TPM2TOOLS_TCTI=$direct tpm2_getcap properties-fixed >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 50 ]; then
		echo "FAIL swtpm did not start"
		exit 1
	fi
	sleep 0.1
done

# start_proxy MODE [OPTION...]: run the interposer with a fresh log.
start_proxy() {
	stop_proxy
	: >"$work/log"
	: >"$work/ready"
	"$PYTHON" "$interposer" --listen "$proxy_port" \
		--upstream "127.0.0.1:$tpm_port" --log "$work/log" --mode "$@" \
		>"$work/ready" 2>"$work/proxy.err" &
	proxy_pid=$!
	i=0
	until grep -q ready "$work/ready"; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
			echo "FAIL interposer did not start: $*"
			cat "$work/proxy.err"
			exit 1
		fi
		sleep 0.1
	done
}

# Free the 3 transient slots and any session a failed client left behind.
flush() {
	for what in -t -l -s; do
		TPM2TOOLS_TCTI=$direct tpm2_flushcontext "$what" >/dev/null 2>&1
	done
}

# primary TCTI HIERARCHY OUT: create the test primary of HIERARCHY (n, o:
# the storage template; e: the signing EK template); PEM to OUT.pem,
# context to OUT.ctx.
primary() {
	if [ "$2" = e ]; then
		set -- "$1" "$2" "$3" -G ecc256:ecdsa-sha256:null \
			-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|sign'
	else
		set -- "$1" "$2" "$3" -g sha256 -G ecc256:null:aes128cfb \
			-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda'
	fi
	tcti=$1 hier=$2 out=$3
	shift 3
	rm -f "$out.pem" "$out.ctx"
	TPM2TOOLS_TCTI=$tcti timeout 10 tpm2_createprimary -C "$hier" "$@" \
		-c "$out.ctx" -f pem -o "$out.pem" >/dev/null 2>"$out.err"
	rc=$?
	flush
	return "$rc"
}

# certify OUT: certify the NULL primary with the signing EK through the
# proxy; attestation to OUT.attest, DER signature to OUT.sig.
certify() {
	rm -f "$1.attest" "$1.sig"
	TPM2TOOLS_TCTI=$proxied timeout 10 tpm2_certify -c "$work/null.ctx" \
		-C "$work/ek.ctx" -g sha256 -o "$1.attest" -s "$1.sig" -f plain \
		>/dev/null 2>"$1.err"
	rc=$?
	flush
	return "$rc"
}

# verified OUT: OUT.sig is a valid EK signature over OUT.attest.
verified() {
	[ -s "$1.attest" ] && [ -s "$1.sig" ] &&
		openssl dgst -sha256 -verify "$work/ek.pem" -signature "$1.sig" \
			"$1.attest" >/dev/null 2>&1
}

# Genuine keys, straight from swtpm.
primary "$direct" n "$work/null" || { echo "FAIL direct createprimary"; exit 1; }
primary "$direct" o "$work/owner" || { echo "FAIL direct createprimary"; exit 1; }
primary "$direct" e "$work/ek" || { echo "FAIL direct createprimary"; exit 1; }

# --- pass ------------------------------------------------------------------
start_proxy pass
primary "$proxied" n "$work/p"
result $? "pass: createprimary through the proxy succeeds"
cmp -s "$work/p.pem" "$work/null.pem"
result $? "pass: same NULL key as direct"
logged '^cmd CreatePrimary hierarchy=0x40000007$'
result $? "pass: log names CreatePrimary and its hierarchy"
! logged '^tamper'
result $? "pass: log shows no tamper"
certify "$work/p" && verified "$work/p"
result $? "pass: certify output verifies against the EK PEM"
if command -v swtpm_ioctl >/dev/null 2>&1; then
	swtpm_ioctl --tcp "127.0.0.1:$((proxy_port + 1))" -e 2>&1 |
		grep -q 'tpmEstablished is'
	result $? "pass: control channel is forwarded (swtpm_ioctl -e)"
fi

# --- pubkey-* --------------------------------------------------------------
for spec in null:n:0x40000007:o owner:o:0x40000001:n ek:e:0x4000000b:n; do
	mode=${spec%%:*} rest=${spec#*:}
	hier=${rest%%:*} rest=${rest#*:}
	handle=${rest%%:*} other=${rest#*:}
	case $hier in n) genuine=null ;; o) genuine=owner ;; e) genuine=ek ;; esac
	case $other in n) ogenuine=null ;; o) ogenuine=owner ;; esac
	start_proxy "pubkey-$mode"
	primary "$proxied" "$hier" "$work/t"
	result $? "pubkey-$mode: createprimary -C $hier accepts the forged answer"
	! cmp -s "$work/t.pem" "$work/$genuine.pem"
	result $? "pubkey-$mode: -C $hier returns a different public key"
	openssl pkey -pubin -in "$work/t.pem" -pubcheck -noout >/dev/null 2>&1
	result $? "pubkey-$mode: the substitute is a valid P-256 point"
	logged "^tamper replace-pubkey CreatePrimary hierarchy=$handle$" &&
		logged '^tamper forge-hmac CreatePrimary session='
	result $? "pubkey-$mode: log names the tamper and the forged HMAC"
	primary "$proxied" "$other" "$work/u"
	cmp -s "$work/u.pem" "$work/$ogenuine.pem"
	result $? "pubkey-$mode: -C $other is left alone"
done

# --- flip-* ----------------------------------------------------------------
for part in attest sig-r sig-s; do
	start_proxy "flip-$part" --seed 1
	certify "$work/f"
	result $? "flip-$part: tpm2_certify accepts the re-MACed answer"
	! verified "$work/f"
	result $? "flip-$part: signature no longer verifies"
	logged "^tamper flip-$part Certify offset=" &&
		logged '^tamper forge-hmac Certify session='
	result $? "flip-$part: log names the tamper and the forged HMAC"
done
for seed in 1 2 3 4 5; do
	start_proxy flip-any --seed "$seed"
	if certify "$work/f"; then ! verified "$work/f"; else true; fi
	result $? "flip-any seed $seed: certify fails or does not verify"
	logged '^tamper flip-any Certify offset='
	result $? "flip-any seed $seed: log names the tamper"
done

# --- record-certify / replay-certify ---------------------------------------
start_proxy record-certify --state "$work/replay.json"
certify "$work/r1" && verified "$work/r1"
result $? "record-certify: genuine certify recorded and verifies"
logged '^record Certify$'
result $? "record-certify: log names the recording"
start_proxy pass
certify "$work/r2" && ! cmp -s "$work/r1.attest" "$work/r2.attest"
result $? "replay baseline: a fresh certify differs (clock moved on)"
start_proxy replay-certify --state "$work/replay.json"
certify "$work/r3" && cmp -s "$work/r1.attest" "$work/r3.attest"
result $? "replay-certify: the client receives the recorded attestation"
logged '^tamper replay Certify$'
result $? "replay-certify: log names the tamper"

# --- swap-response ---------------------------------------------------------
start_proxy swap-response
primary "$proxied" o "$work/s"
! certify "$work/s" && ! verified "$work/s"
result $? "swap-response: Certify answered with CreatePrimary's answer fails"
logged '^tamper swap-response Certify with=CreatePrimary$'
result $? "swap-response: log names the tamper"
start_proxy swap-response --target-cc CreatePrimary --nth 2
primary "$proxied" n "$work/s1"
primary "$proxied" o "$work/s2"
cmp -s "$work/s2.pem" "$work/null.pem"
result $? "swap-response --nth 2: 2nd CreatePrimary (owner) returns the NULL key"
logged '^tamper swap-response CreatePrimary with=CreatePrimary$'
result $? "swap-response --nth 2: log names the tamper"

# --- malformed frames ------------------------------------------------------
for mode in truncate truncate-raw oversize oversize-short; do
	start_proxy "$mode"
	certify "$work/m"
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	result $? "$mode: tpm2_certify fails promptly (rc $rc)"
	logged "^tamper $mode Certify"
	result $? "$mode: log names the tamper"
done

# --- tpm-error -------------------------------------------------------------
start_proxy tpm-error
! certify "$work/e" && grep -qi '0x98e' "$work/e.err"
result $? "tpm-error: tpm2_certify fails with TPM rc 0x98E"
start_proxy tpm-error --rc 0x101
! certify "$work/e" && grep -qi '0x101' "$work/e.err"
result $? "tpm-error --rc 0x101: the chosen rc reaches the client"
logged '^tamper tpm-error Certify rc=0x101$'
result $? "tpm-error: log names the tamper"

# --- stall -----------------------------------------------------------------
start_proxy stall
certify "$work/h"
[ $? -eq 124 ]
result $? "stall: tpm2_certify hangs until timeout 10 kills it"
logged '^tamper stall Certify$'
result $? "stall: log names the tamper"
start_proxy pass
certify "$work/h" && verified "$work/h"
result $? "stall: swtpm still serves clients afterwards"

stop_proxy
finish
