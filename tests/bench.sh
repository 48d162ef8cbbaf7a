#!/bin/sh
# TPM commands issued and median wall time per mode, against swtpm.
# Commands are counted by a pass-through interposer; times are measured
# directly against swtpm. Usage: tests/bench.sh BINARY [RUNS]
#
# swtpm answers in microseconds; real TPMs do not. The boot check gets one
# table: every combination of a kernel null_name, a persistent SRK and a
# persistent signing EK, with the command counts, the swtpm median and an
# estimate per chip from published per-command medians: the TPMScan dataset
# (Svenda et al., "TPMScan: A wide-scale study of security-relevant
# properties of TPM 2.0 chips", IACR TCHES 2024 issue 2; crocs-muni/
# tpmscan-dataset, performance.yaml per chip), ECC P-256 key creation and
# ECDSA P-256 signing (our CreatePrimary and Certify): Infineon SLB9670
# 219/72 ms, Nuvoton NPCT75x 130/130, STMicro 168/- (no signing figure:
# no estimate), Intel PTT 16.8/13, AMD fTPM 9/6. The commands it does not
# time (ReadPublic, FlushContext) count 1 ms each, an assumption of ours.
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

# chips LABEL CP CERT OTHER: one table row of estimates per chip.
chips() {
	awk -v label="$1" -v cp="$2" -v sg="$3" -v other="$4" -v cmds="$5" -v med="$6" 'BEGIN {
		n = split("219:72 130:130 168:- 16.8:13 9:6", c, " ")
		row = sprintf("%-40s %4s %5s %7s ", label, cmds, cp "/" sg, med)
		for (i = 1; i <= n; i++) {
			split(c[i], k, ":")
			if (k[2] == "-" && sg > 0) { row = row sprintf(" %8s", "-"); continue }
			row = row sprintf(" %8.0f", cp * k[1] + sg * (k[2] == "-" ? 0 : k[2]) + other)
		}
		print row
	}'
}

# bench LABEL REF ARGS...: REF is the reference implementation's count for
# the same work (openssl_tpm2_engine's attest_tpm2_primary: CreatePrimary of
# the signing EK, of the primary, Certify and two FlushContext), "-" where
# it has no such mode.
bench() {
	label=$1 ref=$2
	shift 2
	: > "$work/proxy.log"
	"$bin" -T "$proxied" "$@" >/dev/null 2>&1 || { echo "bench: $label failed" >&2; exit 1; }
	cmds=$(grep -c '^cmd ' "$work/proxy.log")
	list=$(sed -n 's/^cmd \([A-Za-z]*\).*/\1/p' "$work/proxy.log" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
	printf '%-34s %3s TPM commands (reference %2s)  %8s ms median  (%s)\n' "$label" "$cmds" \
		"$ref" "$(median_ms "$bin" -T "$direct" "$@")" "$list"
}

echo "attest_tpm2_primary bench: $runs runs each against swtpm"
bench "--eksign" 2 --eksign
bench "--certify null (with null_name)" 5 --certify null --name "$work/ek.name" "$work/null_name"
bench "--certify owner" 5 --certify owner --name "$work/ek.name"
bench "--attest (P-384 EK certificate)" - --attest "$work/ek-p384.der"
bench "--attest (RSA EK certificate)" - --attest "$work/ek-rsa.der"

# --- The boot check: every combination --------------------------------------
# boot_row LABEL ARGS...: counted through the proxy, timed straight.
boot_row() {
	label=$1
	shift
	: > "$work/proxy.log"
	"$bin" -T "$proxied" --boot --name "$work/ek.name" "$@" >/dev/null 2>&1 ||
		{ echo "bench: $label failed" >&2; exit 1; }
	cp=$(grep -c '^cmd CreatePrimary' "$work/proxy.log")
	sg=$(grep -c '^cmd Certify' "$work/proxy.log")
	all=$(grep -c '^cmd ' "$work/proxy.log")
	chips "$label" "$cp" "$sg" $((all - cp - sg)) "$all" \
		"$(median_ms "$bin" -T "$direct" --boot --name "$work/ek.name" "$@")"
}
persist_srk() {
	if ! { tpm2_createprimary -Q -C o -g sha256 -G ecc256:aes128cfb \
		-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' \
		-c "$work/srk.ctx" && tpm2_evictcontrol -Q -C o -c "$work/srk.ctx" 0x81000001 >/dev/null &&
		tpm2_flushcontext -t; }; then
		echo "bench: cannot persist an SRK" >&2
		exit 1
	fi
}
echo
echo "--boot, est. ms per chip (TPMScan: ECC P-256 create / ECDSA sign; other commands 1 ms)"
printf '%-40s %4s %5s %7s  %8s %8s %8s %8s %8s\n' "null_name, SRK, signing EK" cmds "CP/Ce" "swtpm" \
	SLB9670 NPCT75x STMicro "Intel" "AMD"
ekh=0x81010100
for srk in derived persistent; do
	[ "$srk" = persistent ] && persist_srk
	for ek in derived persistent; do
		if [ "$ek" = persistent ]; then
			"$bin" -T "$direct" --eksign --persist >/dev/null || { echo "bench: --persist failed" >&2; exit 1; }
			set -- --signing-ek "$ekh"
		else
			set --
		fi
		boot_row "yes, $srk, $ek" "$@" "$work/null_name"
		boot_row "no,  $srk, $ek" "$@"
		[ "$ek" = persistent ] && tpm2_evictcontrol -Q -C o -c "$ekh" >/dev/null
	done
done
# The reference has no boot mode: --certify null and --certify owner, each
# deriving the signing EK (2 CreatePrimary, 1 Certify, 2 FlushContext).
chips "reference: certify null + certify owner" 4 2 4 10 -
chips "reference: certify owner (no null_name)" 2 1 2 5 -
