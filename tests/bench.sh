#!/bin/sh
# TPM commands issued and median wall time per mode, against swtpm.
# Commands are counted by a pass-through interposer; times are measured
# directly against swtpm. Usage: tests/bench.sh BINARY [RUNS]
#
# swtpm answers in microseconds; real TPMs do not. For the boot check, the
# counts are also turned into an estimate for a fast and a slow real TPM
# with published per-command medians: TPMScan (Svenda et al., "TPMScan: A
# wide-scale study of security-relevant properties of TPM 2.0 chips",
# IACR TCHES 2024, issue 2): ECC P-256 CreatePrimary 11 ms (AMD fTPM) to
# 187 ms (Infineon SLB9670), ECDSA sign (our Certify) 6 ms to 198 ms. The
# commands it does not time (FlushContext, ReadPublic, GetCapability) are
# counted at 1 ms and 5 ms, an assumption of ours.
set -u
bin=$1
runs=${2:-21}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/swtpm.sh"
work=$(mktemp -d)
proxy_pid=
cleanup() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
	swtpm_stop "$work/tpm"
	rm -rf "$work"
}
trap cleanup EXIT

swtpm_provision "$work/tpm" || { echo "bench: swtpm_setup failed" >&2; exit 1; }
swtpm_start "$work/tpm"
direct=$TCTI
export TPM2TOOLS_TCTI="$TCTI"
tpm2_nvread -Q 0x01c00016 -o "$work/ek-p384.der" 2>/dev/null
tpm2_nvread -Q 0x01c00002 -o "$work/ek-rsa.der" 2>/dev/null
"$bin" -T "$direct" --eksign > "$work/ek.name"
"$bin" -T "$direct" --certify null --name "$work/ek.name" -o > "$work/null_name"

pport=$(free_port_pair)
python3 "$here/lib/interposer.py" --listen "$pport" --upstream "127.0.0.1:$TPM_PORT" \
	--mode pass --log "$work/proxy.log" >/dev/null 2>&1 &
proxy_pid=$!
wait_port $((pport + 1))
proxied="swtpm:host=127.0.0.1,port=$pport"

median_ms() { # CMD... : median wall time in ms over $runs runs
	i=0
	: > "$work/times"
	while [ $i -lt "$runs" ]; do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >> "$work/times"
		i=$((i + 1))
	done
	sort -n "$work/times" | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

# estimate LABEL: real-TPM estimate for the commands in the proxy log.
estimate() {
	awk -v label="$1" '
		/^cmd CreatePrimary/ { cp++; next }
		/^cmd Certify/ { sg++; next }
		/^cmd / { other++ }
		END {
			printf "%-34s est. %4d ms fast TPM, %5d ms slow TPM  (%d CreatePrimary, %d Certify, %d other)\n",
				label, cp * 11 + sg * 6 + other * 1, cp * 187 + sg * 198 + other * 5, cp, sg, other
		}' "$work/proxy.log"
}

bench() { # LABEL ARGS...
	label=$1
	shift
	: > "$work/proxy.log"
	"$bin" -T "$proxied" "$@" >/dev/null 2>&1 || { echo "bench: $label failed" >&2; exit 1; }
	cmds=$(grep -c '^cmd ' "$work/proxy.log")
	list=$(sed -n 's/^cmd \([A-Za-z]*\).*/\1/p' "$work/proxy.log" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
	printf '%-34s %3s TPM commands  %8s ms median  (%s)\n' "$label" "$cmds" \
		"$(median_ms "$bin" -T "$direct" "$@")" "$list"
}

echo "attest_tpm2_primary bench: $runs runs each against swtpm"
bench "--eksign" --eksign
bench "--certify null (with null_name)" --certify null --name "$work/ek.name" "$work/null_name"
bench "--certify owner" --certify owner --name "$work/ek.name"
bench "--boot (NULL key and SRK)" --boot --name "$work/ek.name" "$work/null_name"
estimate "--boot (NULL key and SRK)"
bench "--boot (no null_name)" --boot --name "$work/ek.name"
bench "--attest (P-384 EK certificate)" --attest "$work/ek-p384.der"
bench "--attest (RSA EK certificate)" --attest "$work/ek-rsa.der"

# With a persistent SRK at 0x81000001 (as systemd-tpm2-setup makes it), that
# one is certified instead of a twin: one CreatePrimary less.
if ! { tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb \
	-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
	-c "$work/srk.ctx" && tpm2_evictcontrol -Q -C o -c "$work/srk.ctx" 0x81000001 >/dev/null &&
	tpm2_flushcontext -t; }; then
	echo "bench: cannot persist an SRK" >&2
	exit 1
fi
bench "--boot, persistent SRK" --boot --name "$work/ek.name" "$work/null_name"
estimate "--boot, persistent SRK"
