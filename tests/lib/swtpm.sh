# Shell helpers for tests: start and stop real swtpm instances on loopback.
# Sourced by the test scripts (POSIX sh).

# A free TCP port pair (server, server+1 for control) on 127.0.0.1.
free_port_pair() {
	python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
PY
}

# swtpm_provision DIR [nocert]: a TPM state with EK certificates (RSA at
# 0x01c00002, P-384 at 0x01c00016) signed by a local CA that lives in DIR/ca
# (never the system's /var/lib/swtpm-localca); "nocert" leaves them out.
swtpm_provision() {
	_dir=$1
	_certs="--create-ek-cert --create-platform-cert"
	[ "${2:-}" = nocert ] && _certs=""
	mkdir -p "$_dir/state" "$_dir/ca"
	cat > "$_dir/ca/swtpm-localca.conf" <<CONF
statedir = $_dir/ca
signingkey = $_dir/ca/signkey.pem
issuercert = $_dir/ca/issuercert.pem
certserial = $_dir/ca/certserial
CONF
	cat > "$_dir/ca/swtpm-localca.options" <<CONF
--platform-manufacturer Test
--platform-version 2.1
--platform-model QEMU
CONF
	cat > "$_dir/swtpm_setup.conf" <<CONF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $_dir/ca/swtpm-localca.conf
create_certs_tool_options = $_dir/ca/swtpm-localca.options
CONF
	# shellcheck disable=SC2086
	swtpm_setup --tpm2 --tpmstate "$_dir/state" --createek $_certs \
		--lock-nvram --config "$_dir/swtpm_setup.conf" \
		--overwrite --display >"$_dir/setup.log" 2>&1
}

# swtpm_start DIR: run swtpm on DIR/state; sets TPM_PORT and TCTI.
swtpm_start() {
	_dir=$1
	TPM_PORT=$(free_port_pair)
	swtpm socket --tpm2 --tpmstate dir="$_dir/state" \
		--server type=tcp,port="$TPM_PORT",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear \
		--pid file="$_dir/swtpm.pid" --log file="$_dir/swtpm.log" -d
	wait_port $((TPM_PORT + 1))
	TCTI="swtpm:host=127.0.0.1,port=$TPM_PORT"
	export TPM_PORT TCTI
}

swtpm_stop() {
	_dir=$1
	[ -s "$_dir/swtpm.pid" ] || return 0
	_pid=$(cat "$_dir/swtpm.pid")
	kill "$_pid" 2>/dev/null || true
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	rm -f "$_dir/swtpm.pid"
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (at most 10 s).
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# suite_work: how a suite starts: WORK, removed on exit together with every
# swtpm started in a folder of WORK (WORK/tpm, WORK/a...), an interposer of
# proxy.sh's and whatever the suite's own suite_cleanup stops.
suite_work() {
	WORK=$(mktemp -d)
	trap suite_work_cleanup EXIT
	trap 'exit 1' INT TERM
}

suite_work_cleanup() {
	if command -v suite_cleanup > /dev/null 2>&1; then suite_cleanup; fi
	if command -v proxy_stop > /dev/null 2>&1; then proxy_stop; fi
	for _d in "$WORK"/*/; do swtpm_stop "$_d"; done
	rm -rf "$WORK"
}

# certified_srk DIR: a swtpm provisioned in DIR (no EK certificate), its
# owner SRK certified by the binary ($BIN): DIR.name (the signing EK's
# name), DIR.tpm2b_public and DIR.pin (the SRK, as a token pins it). The
# swtpm is left stopped. Needs check.sh; a failure ends the suite.
certified_srk() {
	swtpm_provision "$1" nocert || { fail "provision $1" "swtpm_setup failed"; exit 1; }
	swtpm_start "$1"
	if ! "$BIN" -T "$TCTI" --eksign > "$1.name" ||
		! "$BIN" -T "$TCTI" --certify owner -n "$1.name" --public "$1.tpm2b_public" \
			--token-pin "$1.pin" > /dev/null; then
		fail "certify $1" "the binary failed"
		exit 1
	fi
	swtpm_stop "$1"
}

# one_swtpm [nocert]: suite_work, then the swtpm in WORK/tpm provisioned
# and running, and TPM2TOOLS_TCTI pointing at it. Needs check.sh for fail.
one_swtpm() {
	suite_work
	swtpm_provision "$WORK/tpm" "${1:-}" || { fail provision "swtpm_setup failed"; exit 1; }
	swtpm_start "$WORK/tpm"
	export TPM2TOOLS_TCTI="$TCTI"
}
