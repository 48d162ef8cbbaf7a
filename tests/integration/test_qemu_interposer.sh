#!/bin/sh
# Self-test of tests/lib/qemu_tpm_interposer.py, the interposer on a QEMU
# guest's TPM bus: QEMU's tpm-emulator backend talks to it as if it were
# swtpm, it is the control client of a real swtpm and hands swtpm a socket
# pair of its own for the data channel.  QEMU boots without a kernel: SeaBIOS
# alone starts the TPM (TPM2_Startup) and measures into PCRs 0-7 through
# tpm-tis, which is enough to prove that
#   - the control channel is relayed (CMD_INIT, CMD_SET_DATAFD, ...) and
#     every TPM command SeaBIOS sends is relayed, answered and logged;
#   - the relay is faithful: PCRs 0-7, read afterwards straight from swtpm,
#     equal the replay of the PCR_Extend frames the log shows;
#   - a tpm-error rule reaches the guest (SeaBIOS gives up measuring and
#     locks the hierarchies) while the TPM itself did execute the command;
#   - a stall rule withholds the Nth command: nothing reaches the TPM after
#     it, the guest times out (QEMU sends CMD_CANCEL_TPM_CMD) and QEMU hangs
#     on the answer instead of failing;
#   - pubkey-null --nth 1 replaces the NULL key only in the first
#     CreatePrimary under TPM_RH_NULL (a client acting as QEMU sends two);
#   - SIGTERM ends the proxy and removes its socket.
# Fails (does not skip) when qemu-system-x86_64 or swtpm is missing.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC2034 # read by tests/lib/qemu.sh
repo=$(cd "$here/.." && pwd)
. "$here/lib/check.sh"
# shellcheck source=SCRIPTDIR/../lib/qemu.sh
. "$here/lib/qemu.sh"
PYTHON=/usr/bin/python3

WORK=$(mktemp -d)
LOG="$WORK/bus"
SOCK="$WORK/tpm.sock"
CTRL="$WORK/swtpm-ctrl.sock"
qemu_pid=
tpm_proxy_pid=
cleanup() {
	qemu_stop now
	tpm_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require "qemu interposer" qemu-system-x86_64 swtpm swtpm_ioctl timeout "$PYTHON"

# helper pcrs CTRLSOCK: PCRs 0-7 of the sha256 bank, read straight from swtpm
#   by passing it a data channel of our own; one hex digest a line.
# helper nullkeys SOCK: act as QEMU on SOCK (CMD_INIT, CMD_SET_DATAFD),
#   Startup, then two identical CreatePrimary under TPM_RH_NULL; print
#   "same"/"differ" for the two outPublic and "name-ok"/"name-bad" for the
#   first answer's name against its outPublic.
helper() {
	"$PYTHON" - "$@" <<'PY'
import hashlib, socket, struct, sys, time

def exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit('connection closed')
        b += c
    return b

def datafd(path, init=False):
    """A data channel to the TPM behind control socket path."""
    deadline = time.time() + 5
    while True:         # swtpm takes one control client, one data channel
        c = socket.socket(socket.AF_UNIX)
        try:
            c.connect(path)
            if init:
                c.sendall(struct.pack('>II', 2, 0))         # CMD_INIT
                if struct.unpack('>I', exact(c, 4))[0]:
                    sys.exit('CMD_INIT failed')
            mine, theirs = socket.socketpair()
            socket.send_fds(c, [struct.pack('>I', 16)], [theirs.fileno()])
            theirs.close()
            res = struct.unpack('>I', exact(c, 4))[0]
            if res == 0:
                return c, mine
            mine.close()
        except OSError:
            res = None
        c.close()
        if time.time() > deadline:
            sys.exit('CMD_SET_DATAFD: %r' % res)
        time.sleep(0.1)

def tpm(s, tag, cc, body):
    s.sendall(struct.pack('>HII', tag, 10 + len(body), cc) + body)
    head = exact(s, 10)
    rsp = head + exact(s, struct.unpack_from('>I', head, 2)[0] - 10)
    if struct.unpack_from('>I', rsp, 6)[0]:
        sys.exit('TPM command 0x%x: rc 0x%x' % (cc, struct.unpack_from('>I', rsp, 6)[0]))
    return rsp

def tpm2b(b, off):
    n = struct.unpack_from('>H', b, off)[0]
    return b[off + 2:off + 2 + n], off + 2 + n

what = sys.argv[1]
if what == 'pcrs':
    ctrl, s = datafd(sys.argv[2])
    rsp = tpm(s, 0x8001, 0x17E, struct.pack('>IHB3B', 1, 0x000B, 3, 0xFF, 0, 0))
    off = 10 + 4 + 4 + 2 + 1 + 3            # updateCounter, selection out
    count = struct.unpack_from('>I', rsp, off)[0]
    off += 4
    for _ in range(count):
        d, off = tpm2b(rsp, off)
        print(d.hex())
elif what == 'nullkeys':
    ctrl, s = datafd(sys.argv[2], init=True)
    tpm(s, 0x8001, 0x144, struct.pack('>H', 0))                 # Startup
    template = struct.pack('>HHIH HHH H H H HH', 0x23, 0xB, 0x00030072, 0,
                           6, 128, 0x43, 0x10, 3, 0x10, 0, 0)
    body = (struct.pack('>II', 0x40000007, 9) +
            struct.pack('>IHBH', 0x40000009, 0, 1, 0) +        # password
            struct.pack('>HHH', 4, 0, 0) +                     # inSensitive
            struct.pack('>H', len(template)) + template +
            struct.pack('>HI', 0, 0))                  # outsideInfo, no PCRs
    pubs = []
    for _ in range(2):
        rsp = tpm(s, 0x8002, 0x131, body)
        off = 10 + 4 + 4                    # handle, parameterSize
        pub, off = tpm2b(rsp, off)
        _, off = tpm2b(rsp, off)            # creationData
        _, off = tpm2b(rsp, off)            # creationHash
        _, off = tpm2b(rsp, off + 6)        # creationTicket: tag, hierarchy
        name, off = tpm2b(rsp, off)
        pubs.append((pub, name))
    print('same' if pubs[0][0] == pubs[1][0] else 'differ')
    pub, name = pubs[0]
    ok = name == b'\x00\x0b' + hashlib.sha256(pub).digest()
    print('name-ok' if ok else 'name-bad')
PY
}

# start MODE [OPTION...]: a fresh swtpm (data channel by descriptor only) on
# a fresh state, and the proxy in front of it (--hexdump); LOG is its log.
start() {
	qemu_stop now
	tpm_stop
	rm -rf "$WORK/state" "$LOG"
	mkdir -p "$WORK/state"
	tpm_start "$WORK" "$WORK/state" "$@" --hexdump ||
		{ fail "swtpm and the interposer start ($*)" "$(cat "$WORK/tpm.err")"; return 1; }
}

# boot PATTERN [QUIET]: start QEMU (no kernel, no disk: SeaBIOS only) on
# the proxy, wait until the log shows PATTERN and then stays unchanged for
# QUIET tenths of a second (default 10; at most 30 s in all), and leave QEMU
# running.
boot() {
	qemu_start "$WORK/qemu.err" "$SOCK" -serial none -m 128
	_i=0 _size=-1 _quiet=0
	while [ $_i -lt 300 ]; do
		_i=$((_i + 1))
		sleep 0.1
		kill -0 "$qemu_pid" 2>/dev/null || return 1
		grep -q "$1" "$LOG" 2>/dev/null || continue
		_now=$(wc -c < "$LOG")
		if [ "$_now" -eq "$_size" ]; then
			_quiet=$((_quiet + 1))
			[ $_quiet -ge "${2:-10}" ] && return 0
		else
			_size=$_now _quiet=0
		fi
	done
	return 1
}

# events: the log without its hex dump lines.
events() {
	grep -v '^[<>]' "$LOG"
}

# ends_proxy NAME: SIGTERM ends the proxy and removes its socket.
ends_proxy() {
	kill "$tpm_proxy_pid" 2>/dev/null
	_i=0
	while kill -0 "$tpm_proxy_pid" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$tpm_proxy_pid" 2>/dev/null; then
		fail "$1: SIGTERM ends the proxy" "still running"
	elif [ -e "$SOCK" ]; then
		fail "$1: SIGTERM ends the proxy" "$SOCK is left behind"
	else
		pass "$1: SIGTERM ends the proxy and removes its socket"
	fi
	wait "$tpm_proxy_pid" 2>/dev/null
	tpm_proxy_pid=
}

# pcrs_match NAME: with QEMU and the proxy gone, swtpm's own PCRs 0-7 (also
# left in $WORK/pcrs) are what the logged PCR_Extend frames make them.
pcrs_match() {
	_got=$(helper pcrs "$CTRL" 2>&1)
	printf '%s\n' "$_got" > "$WORK/pcrs"
	_want=$("$PYTHON" "$here/lib/bus_log.py" replay "$LOG" 2>&1)
	if [ "$(printf '%s\n' "$_got" | grep -c '^[0-9a-f]\{64\}$')" -ne 8 ]; then
		fail "$1: PCRs 0-7 read from swtpm" "$_got"
	elif [ "$_got" != "$_want" ]; then
		fail "$1: swtpm's PCRs 0-7 are the replay of the logged extends" \
			"read $(echo "$_got" | tr '\n' ' ') want $(echo "$_want" | tr '\n' ' ')"
	else
		pass "$1: swtpm's PCRs 0-7 are the replay of the logged extends"
	fi
}

zero=0000000000000000000000000000000000000000000000000000000000000000

# --- pass: SeaBIOS's commands go through, answered and logged --------------
if start pass; then
	if boot '^cmd PCR_Extend handles=0x00000007'; then
		pass "pass: SeaBIOS boots on the proxy and measures into PCR 7"
	else
		fail "pass: SeaBIOS boots on the proxy and measures into PCR 7" \
			"$(cat "$WORK/qemu.err"; events | tr '\n' ';')"
	fi
	ev=$(events)
	if printf '%s\n' "$ev" | grep -q '^ctrl INIT flags=0x0 res=0x0$' &&
		printf '%s\n' "$ev" | grep -q '^ctrl SET_DATAFD res=0x0$' &&
		printf '%s\n' "$ev" | grep -q '^ctrl SET_LOCALITY loc=0 res=0x0$'; then
		pass "pass: control channel relayed (INIT, SET_DATAFD, SET_LOCALITY)"
	else
		fail "pass: control channel relayed (INIT, SET_DATAFD, SET_LOCALITY)" \
			"$(printf '%s\n' "$ev" | grep '^ctrl' | tr '\n' ';')"
	fi
	# The first command after CMD_INIT is TPM2_Startup(SU_CLEAR), byte for byte.
	first=$(printf '%s\n' "$ev" | sed -n '/^ctrl INIT/,$p' | grep -m 2 '^\(cmd\|rsp\) ' | tr '\n' ';')
	startup=$(grep -A 1 '^cmd Startup$' "$LOG" | sed -n 's/^> //p')
	if [ "$first" = "cmd Startup;rsp Startup rc=0x0;" ] &&
		[ "$startup" = 80010000000c000001440000 ]; then
		pass "pass: TPM2_Startup (0x144, SU_CLEAR) is the first command, answered 0"
	else
		fail "pass: TPM2_Startup (0x144, SU_CLEAR) is the first command, answered 0" \
			"$first $startup"
	fi
	# Every command answered, all with success but QEMU's own probe
	# (ReadClock before CMD_INIT: TPM_RC_INITIALIZE), nothing altered.
	ncmd=$(printf '%s\n' "$ev" | grep -c '^cmd ')
	nrsp=$(printf '%s\n' "$ev" | grep -c '^rsp ')
	bad=$(printf '%s\n' "$ev" | grep '^rsp \|^tamper \|^error' |
		grep -v ' rc=0x0$' | grep -v '^rsp ReadClock rc=0x101$')
	if [ "$ncmd" -ge 12 ] && [ "$nrsp" -eq "$ncmd" ] && [ -z "$bad" ]; then
		pass "pass: all $ncmd commands answered with success, none altered"
	else
		fail "pass: all commands answered with success, none altered" \
			"$ncmd commands, $nrsp answers: $(printf '%s\n' "$ev" | tr '\n' ';')"
	fi
	missing=
	for cmd in GetCapability SelfTest; do
		printf '%s\n' "$ev" | grep -q "^rsp $cmd rc=0x0$" || missing="$missing $cmd"
	done
	for pcr in 0 1 2 3 4 5 6 7; do
		printf '%s\n' "$ev" | grep -q "^cmd PCR_Extend handles=0x0000000$pcr$" ||
			missing="$missing PCR_Extend($pcr)"
	done
	if [ -z "$missing" ]; then
		pass "pass: log shows GetCapability, SelfTest and PCR_Extend into PCRs 0-7"
	else
		fail "pass: log shows GetCapability, SelfTest and PCR_Extend into PCRs 0-7" "missing:$missing"
	fi
	pass_extends=$(printf '%s\n' "$ev" | grep -c '^cmd PCR_Extend')
	qemu_stop now
	ends_proxy pass
	pcrs_match pass
	if [ "$(grep -c "^$zero\$" "$WORK/pcrs")" -eq 0 ] &&
		[ "$(wc -l < "$WORK/pcrs")" -eq 8 ]; then
		pass "pass: SeaBIOS changed all of PCRs 0-7"
	else
		fail "pass: SeaBIOS changed all of PCRs 0-7" "$(tr '\n' ' ' < "$WORK/pcrs")"
	fi
	grep -v '^[<>]' "$LOG" > "$WORK/pass.log"
fi

# --- tpm-error on the first PCR_Extend: the guest sees the error ------------
if start tpm-error --target-cc PCR_Extend --nth 1; then
	boot '^tamper tpm-error' ||
		fail "tpm-error: boot" "$(cat "$WORK/qemu.err"; events | tr '\n' ';')"
	ev=$(events)
	after=$(printf '%s\n' "$ev" | sed -n '/^tamper /,$p')
	if [ "$(printf '%s\n' "$ev" | grep -c '^tamper ')" -eq 1 ] &&
		printf '%s\n' "$ev" | grep -q '^tamper tpm-error PCR_Extend rc=0x98e$' &&
		printf '%s\n' "$ev" | grep -B 1 '^tamper' | grep -q '^rsp PCR_Extend rc=0x0$'; then
		pass "tpm-error: the 1st PCR_Extend, answered 0 by the TPM, gets AUTH_FAIL"
	else
		fail "tpm-error: the 1st PCR_Extend, answered 0 by the TPM, gets AUTH_FAIL" \
			"$(printf '%s\n' "$ev" | tr '\n' ';')"
	fi
	n=$(printf '%s\n' "$ev" | grep -c '^cmd PCR_Extend')
	if [ "$n" -lt "${pass_extends:-9}" ] &&
		printf '%s\n' "$after" | grep -q '^cmd HierarchyControl'; then
		pass "tpm-error: SeaBIOS reacts: $n PCR_Extend instead of ${pass_extends:-?}, hierarchies disabled"
	else
		fail "tpm-error: SeaBIOS reacts to the forged error" \
			"$n PCR_Extend; after the tamper: $(printf '%s\n' "$after" | tr '\n' ';')"
	fi
	qemu_stop now
	ends_proxy tpm-error
	pcrs_match "tpm-error (the TPM did extend)"
fi

# --- stall at the 3rd PCR_Extend: nothing passes, the guest times out -------
if start stall --stall-at PCR_Extend --nth 3; then
	if boot '^ctrl CANCEL_TPM_CMD' 0; then
		pass "stall: the guest times out and QEMU cancels (CMD_CANCEL_TPM_CMD)"
	else
		fail "stall: the guest times out and QEMU cancels (CMD_CANCEL_TPM_CMD)" \
			"$(cat "$WORK/qemu.err"; events | tr '\n' ';')"
	fi
	ev=$(events)
	after=$(printf '%s\n' "$ev" | sed -n '/^tamper stall PCR_Extend$/,$p' | sed 1d)
	if [ "$(printf '%s\n' "$ev" | grep -c '^cmd PCR_Extend')" -eq 3 ] &&
		printf '%s\n' "$ev" | grep -q '^tamper stall PCR_Extend$' &&
		! printf '%s\n' "$after" | grep -q '^\(cmd\|rsp\) ' &&
		[ "$(printf '%s\n' "$ev" | grep -A 1 '^cmd PCR_Extend' | tail -n 1)" = "tamper stall PCR_Extend" ]; then
		pass "stall: the 3rd PCR_Extend is never answered and nothing follows it"
	else
		fail "stall: the 3rd PCR_Extend is never answered and nothing follows it" \
			"$(printf '%s\n' "$ev" | tr '\n' ';')"
	fi
	if kill -0 "$qemu_pid" 2>/dev/null; then
		pass "stall: QEMU waits for the answer (still running)"
	else
		fail "stall: QEMU waits for the answer (still running)" "$(cat "$WORK/qemu.err")"
	fi
	qemu_stop now
	ends_proxy stall
	pcrs_match "stall (the withheld extend never reached the TPM)"
fi

# --- pubkey-null --nth 1: only the first NULL-hierarchy CreatePrimary -------
if start pubkey-null --nth 1; then
	got=$(helper nullkeys "$SOCK" 2>&1 | tr '\n' ' ')
	ev=$(events)
	if [ "$got" = "differ name-ok " ]; then
		pass "pubkey-null --nth 1: 1st NULL key replaced (self-consistent name), 2nd genuine"
	else
		fail "pubkey-null --nth 1: 1st NULL key replaced (self-consistent name), 2nd genuine" \
			"$got; $(printf '%s\n' "$ev" | tr '\n' ';')"
	fi
	if [ "$(printf '%s\n' "$ev" | grep -c '^cmd CreatePrimary hierarchy=0x40000007$')" -eq 2 ] &&
		[ "$(printf '%s\n' "$ev" | grep -c '^tamper ')" -eq 1 ] &&
		printf '%s\n' "$ev" | grep -q '^tamper replace-pubkey CreatePrimary hierarchy=0x40000007$'; then
		pass "pubkey-null --nth 1: log shows two NULL CreatePrimary, one tamper"
	else
		fail "pubkey-null --nth 1: log shows two NULL CreatePrimary, one tamper" \
			"$(printf '%s\n' "$ev" | tr '\n' ';')"
	fi
	# The rest of the control protocol, as swtpm_ioctl speaks it: state
	# blobs out (several KB) and back in, through the proxy.
	: > "$LOG"
	if swtpm_ioctl --unix "$SOCK" --save permanent "$WORK/perm1" > "$WORK/ioctl.out" 2>&1 &&
		swtpm_ioctl --unix "$SOCK" --stop >> "$WORK/ioctl.out" 2>&1 &&
		swtpm_ioctl --unix "$SOCK" --load permanent "$WORK/perm1" >> "$WORK/ioctl.out" 2>&1 &&
		swtpm_ioctl --unix "$SOCK" -i >> "$WORK/ioctl.out" 2>&1 &&
		swtpm_ioctl --unix "$SOCK" --info 1 >> "$WORK/ioctl.out" 2>&1 &&
		grep -q TPMSpecification "$WORK/ioctl.out" &&
		[ "$(grep -c ' res=0x0$' "$LOG")" -eq 5 ] &&
		grep -q '^ctrl SET_STATEBLOB res=0x0$' "$LOG"; then
		pass "control: GET_STATEBLOB, STOP, SET_STATEBLOB, INIT, GET_INFO relayed"
	else
		fail "control: GET_STATEBLOB, STOP, SET_STATEBLOB, INIT, GET_INFO relayed" \
			"$(cat "$WORK/ioctl.out"; tr '\n' ';' < "$LOG")"
	fi
	ends_proxy "pubkey-null --nth 1"
	swtpm_ioctl --unix "$CTRL" --save permanent "$WORK/perm2" > /dev/null 2>&1
	if [ -s "$WORK/perm1" ] && cmp -s "$WORK/perm1" "$WORK/perm2"; then
		pass "control: the state blob read through the proxy is swtpm's, byte for byte"
	else
		fail "control: the state blob read through the proxy is swtpm's, byte for byte" \
			"$(wc -c "$WORK/perm1" "$WORK/perm2" 2>&1 | tr '\n' ' ')"
	fi
fi

finish
