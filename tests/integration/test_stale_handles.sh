#!/bin/sh
# A worker the --timeout watchdog SIGKILLs cannot flush what it loaded, and a
# TPM without a resource manager (swtpm here, /dev/tpm0 at boot) keeps it:
# swtpm has 3 object slots, so the next run used to fail "out of object
# memory".  Each case stalls a run through tests/lib/interposer.py until the
# watchdog kills it, checks that the TPM really kept objects (and, for
# --attest, its policy session), then runs the same command straight to the
# TPM: it must succeed and leave nothing loaded.  The sweep happens only when
# the TPM says it is full, so a clean TPM costs no extra command at all.
# Needs BIN (the binary under test).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

require stale-handle swtpm swtpm_setup tpm2_getcap tpm2_flushcontext tpm2_nvread "$PYTHON"
one_swtpm
DIRECT=$TCTI
export TPM2TOOLS_TCTI="$DIRECT"
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name" ||
	{ fail enroll "certify null failed"; exit 1; }
tpm2_nvread -Q 0x01c00016 -o "$WORK/ek-p384.der" 2>/dev/null || { fail enroll "nvread failed"; exit 1; }
proxy_init

loaded() { # what the TPM holds: "T:<transients> S:<loaded sessions>"
	printf 'T:%s S:%s' "$(tpm2_getcap handles-transient | sed -n 's/^- //p' | paste -sd, -)" \
		"$(tpm2_getcap handles-loaded-session | sed -n 's/^- //p' | paste -sd, -)"
}

# mode_args KIND: the arguments of one of the commands under test.
mode_args() {
	case $1 in
	boot) echo "--boot --name $WORK/ek.name $WORK/null_name" ;;
	certify) echo "--certify owner --name $WORK/ek.name" ;;
	attest) echo "--attest $WORK/ek-p384.der --name $WORK/ek.name" ;;
	esac
}

# killed KIND CC SESSIONS: KIND stalled at command CC and killed by the
# watchdog; the TPM must then hold objects (and sessions if SESSIONS=yes),
# and the next run straight to the TPM must succeed and clear them all.
killed() {
	_kind=$1 _cc=$2 _sess=$3
	proxy_start stall --stall-at "$_cc" || return
	# shellcheck disable=SC2046 # the arguments are words without blanks
	run "$BIN" -T "$PROXIED" --timeout 2 $(mode_args "$_kind")
	case $RC:$ERR in
	3:*unresponsive*) pass "$_kind stalled at $_cc is killed by the watchdog" ;;
	*) fail "$_kind stalled at $_cc is killed by the watchdog" "exit $RC: $ERR" ;;
	esac
	proxy_stop
	_left=$(loaded)
	case $_sess:$_left in
	no:T:0x8*S:* | yes:T:0x8*S:0x*) pass "$_kind killed at $_cc left $_left in the TPM" ;;
	*) fail "$_kind killed at $_cc left objects in the TPM" "precondition: $_left" ;;
	esac
	# shellcheck disable=SC2046
	run "$BIN" $(mode_args "$_kind")
	expect "$_kind after a killed $_kind succeeds" 0
	_left=$(loaded)
	if [ "$_left" = "T: S:" ]; then
		pass "$_kind after a killed $_kind leaves nothing loaded"
	else
		fail "$_kind after a killed $_kind leaves nothing loaded" "$_left"
		tpm2_flushcontext -t >/dev/null 2>&1
		tpm2_flushcontext -s >/dev/null 2>&1
	fi
}

killed boot Certify no
killed certify Certify no
killed attest ActivateCredential yes

# Killed again and again: the TPM fills up, and each run sweeps what it did
# not load when a CreatePrimary is refused for lack of slots, so every one of
# them gets as far as the stall rather than failing out of object memory.
proxy_start stall --stall-at Certify && for n in 1 2 3; do
	# shellcheck disable=SC2046
	run "$BIN" -T "$PROXIED" --timeout 2 $(mode_args boot)
	case $RC:$ERR in
	3:*unresponsive*) pass "killed boot $n of 3 reached the stall" ;;
	*) fail "killed boot $n of 3 reached the stall" "exit $RC: $ERR" ;;
	esac
done
proxy_stop
case $(loaded) in
T:0x8*,0x8*S:*) pass "the killed boots left objects behind ($(loaded))" ;;
*) fail "the killed boots left objects behind" "precondition: $(loaded)" ;;
esac
proxy_start pass && {
	# shellcheck disable=SC2046
	run "$BIN" -T "$PROXIED" $(mode_args boot)
	expect "boot after three killed boots succeeds" 0
	if grep -q '^rsp CreatePrimary rc=0x902' "$WORK/log" &&
		grep -q '^cmd GetCapability' "$WORK/log"; then
		pass "it swept only after the TPM answered OBJECT_MEMORY"
	else
		fail "it swept only after the TPM answered OBJECT_MEMORY" \
			"$(grep -e '^rsp CreatePrimary' -e '^cmd GetCapability' "$WORK/log" | tr '\n' ' ')"
	fi
}
proxy_stop
if [ "$(loaded)" = "T: S:" ]; then pass "the recovered boot leaves nothing loaded"
else fail "the recovered boot leaves nothing loaded" "$(loaded)"; fi

# The price on a clean TPM without a resource manager: nothing. The
# reference's counts: 2 commands for --eksign, 5 for --certify null.
# counted LABEL N ARGS...: through a pass-through interposer, ARGS send N commands.
counted() {
	_label=$1 _n=$2
	shift 2
	proxy_start pass || return
	run "$BIN" -T "$PROXIED" "$@"
	proxy_stop
	expect "$_label through a pass-through interposer" 0 || return
	_cmds=$(sed -n 's/^cmd \([A-Za-z_]*\).*/\1/p' "$WORK/log" | tr '\n' ' ')
	if [ "$(grep -c '^cmd ' "$WORK/log")" -eq "$_n" ] && ! grep -q '^cmd GetCapability' "$WORK/log"; then
		pass "$_label on a clean TPM: $_n commands ($_cmds)"
	else
		fail "$_label on a clean TPM: $_n commands" "$_cmds"
	fi
}
counted "--eksign" 2 --eksign
counted "--certify null" 5 --certify null --name "$WORK/ek.name"
# shellcheck disable=SC2046
counted "--boot" 9 $(mode_args boot)

# -a starts its salted session after making the NULL primary it is salted
# to: a run killed at the next CreatePrimary (the signing EK's, the first
# use of the password) leaves that key and that session behind, and they
# must not pile up until the TPM runs out of slots.
tpm2_changeauth -c e stale-test-pw
# Three such runs fill swtpm's three object and three session slots.
for n in 1 2 3; do
	proxy_start stall --stall-at CreatePrimary --nth 2 || break
	run "$BIN" -T "$PROXIED" --timeout 2 --eksign -a -k stale-test-pw
	case $RC:$ERR in
	3:*unresponsive*) pass "killed eksign -a $n of 3 reached the stall" ;;
	*) fail "killed eksign -a $n of 3 reached the stall" "exit $RC: $ERR" ;;
	esac
done
proxy_stop
case $(loaded) in
T:0x8*,0x8*,0x8*S:0x*,0x*,0x*) pass "the killed eksign -a runs left keys and sessions ($(loaded))" ;;
*) fail "the killed eksign -a runs left keys and sessions" "precondition: $(loaded)" ;;
esac
run "$BIN" --eksign -a -k stale-test-pw
expect "eksign -a after three killed ones succeeds" 0
if [ "$(loaded)" = "T: S:" ]; then
	pass "eksign -a after killed ones leaves nothing loaded"
else
	fail "eksign -a after killed ones leaves nothing loaded" "$(loaded)"
fi
tpm2_changeauth -c e -p stale-test-pw

finish
