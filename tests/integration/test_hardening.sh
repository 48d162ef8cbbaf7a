#!/bin/sh
# Hardening regressions: the endorsement password never crosses the bus,
# output files appear only as the last step of a successful run, the
# password prompt is not timed and always restores the terminal, and no
# check is silently skipped.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
PTY="$here/lib/pty_prompt.py"
PW=Endorse-Secret-4711

one_swtpm
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name" ||
	{ fail enroll "certify null failed"; exit 1; }
tpm2_readpublic -c 0x01c00002 >/dev/null 2>&1 || true
tpm2_nvread 0x01c00002 -o "$WORK/ek-rsa.der" 2>/dev/null ||
	{ fail enroll "cannot read the RSA EK certificate"; exit 1; }
tpm2_changeauth -c e "$PW" || { fail setup "tpm2_changeauth failed"; exit 1; }
proxy_init

# --- 1. The endorsement password never crosses the bus -------------------
PW_HEX=$(printf '%s' "$PW" | od -An -tx1 | tr -d ' \n')
# not_on_bus LABEL CMD...: the command succeeds through a logging proxy, and
# the log holds neither the password nor its hex, yet shows that an HMAC
# session did the authorizing.
not_on_bus() {
	_label=$1
	shift
	proxy_start pass --hexdump || return
	run "$@"
	proxy_stop
	expect "$_label through the proxy" 0 || return
	if grep -q '^cmd StartAuthSession' "$WORK/log" &&
		grep -q '^> ' "$WORK/log"; then
		pass "$_label: the proxy saw the session"
	else
		fail "$_label: the proxy saw the session" "no StartAuthSession logged"
	fi
	if grep -qi -e "$PW" -e "$PW_HEX" "$WORK/log"; then
		fail "$_label: password not on the bus" "found in the proxy log"
	else
		pass "$_label: password not on the bus"
	fi
	# Salted from the first use of the password: first the NULL primary
	# (no password), then a session salted to it (tpmKey a transient
	# handle) and unbound (bind TPM_RH_NULL), before anything else.
	_first=$(sed -n 's/^cmd //p' "$WORK/log" | head -n 2 | tr '\n' ' ')
	case $_first in
	"CreatePrimary hierarchy=0x40000007 StartAuthSession handles=0x80"??????",0x40000007 ")
		pass "$_label: salted to the NULL primary from the first use" ;;
	*) fail "$_label: salted to the NULL primary from the first use" "$_first" ;;
	esac
}
not_on_bus "eksign -a" "$BIN" -T "$PROXIED" --eksign -a -k "$PW"
not_on_bus "certify owner -a" "$BIN" -T "$PROXIED" --certify owner -n "$WORK/ek.name" -a -k "$PW"
not_on_bus "certify endorsement -a" "$BIN" -T "$PROXIED" --certify endorsement -n "$WORK/ek.name" -a -k "$PW"
not_on_bus "boot -a" "$BIN" -T "$PROXIED" --boot -n "$WORK/ek.name" -a -k "$PW" "$WORK/null_name"
not_on_bus "attest FILE -a" "$BIN" -T "$PROXIED" --attest "$WORK/ek-rsa.der" -n "$WORK/ek.name" -a -k "$PW"
not_on_bus "attest nv: -a" "$BIN" -T "$PROXIED" --attest nv: -n "$WORK/ek.name" -a -k "hex:$PW_HEX"
# An interposer that answers the NULL CreatePrimary with its own key would
# learn the salt: the session then fails, or the certification catches it.
for args in "--eksign -n $WORK/ek.name" "--boot -n $WORK/ek.name" \
	"--certify owner -n $WORK/ek.name" "--attest $WORK/ek-rsa.der -n $WORK/ek.name"; do
	proxy_start pubkey-null || break
	# shellcheck disable=SC2086 # words without blanks
	run "$BIN" -T "$PROXIED" $args -a -k "$PW"
	proxy_stop
	if [ "$RC" -ne 0 ] && grep -q '^tamper replace-pubkey' "$WORK/log"; then
		pass "${args%% *} -a with a substituted salt key fails (exit $RC)"
	else
		fail "${args%% *} -a with a substituted salt key fails" "exit $RC: $ERR"
	fi
done
run "$BIN" --eksign -a -k wrong-password
expect "a wrong password through the salted session fails" 3
case $ERR in *authoriz*) pass "a wrong password says authorization" ;;
*) fail "a wrong password says authorization" "$ERR" ;; esac
tpm2_changeauth -c e -p "$PW" || { fail setup "tpm2_changeauth back failed"; exit 1; }

# --- 4. A file exists only after a successful run ------------------------
run sh -c '"$0" --boot -n "$1" -f "$2" "$3" > /dev/full' "$BIN" "$WORK/ek.name" \
	"$WORK/full.pem" "$WORK/null_name"
expect "boot with stdout on a full disk fails" 2
no_file "boot with stdout on a full disk writes no file" "$WORK/full.pem"
if ls "$WORK"/full.pem.*.tmp >/dev/null 2>&1; then
	fail "boot with stdout on a full disk leaves no temporary" "$(ls "$WORK"/full.pem.*)"
else
	pass "boot with stdout on a full disk leaves no temporary"
fi
run sh -c '"$0" --certify owner -n "$1" -o -f "$2" > /dev/full' "$BIN" "$WORK/ek.name" "$WORK/full2.pem"
expect "certify -o -f with stdout on a full disk fails" 2
no_file "certify -o -f with stdout on a full disk writes no file" "$WORK/full2.pem"
: > "$WORK/srk.pem.0123456789abcdef.tmp"
: > "$WORK/srk.pem.keep.tmp"
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/srk.pem" "$WORK/null_name"
expect "boot -f after an earlier killed run" 0
no_file "a stale temporary from a killed run is swept" "$WORK/srk.pem.0123456789abcdef.tmp"
if [ -e "$WORK/srk.pem.keep.tmp" ]; then pass "files that are not our temporaries stay"
else fail "files that are not our temporaries stay" "srk.pem.keep.tmp removed"; fi
# A temporary that a live run holds locked is another run's, not a leftover.
: > "$WORK/srk.pem.fedcba9876543210.tmp"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$WORK/srk.pem.fedcba9876543210.tmp" "$WORK/locked" &
locker=$!
i=0
until [ -e "$WORK/locked" ] || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/srk.pem" "$WORK/null_name"
expect "boot -f beside a concurrent run's temporary" 0
if [ -e "$WORK/srk.pem.fedcba9876543210.tmp" ]; then pass "a concurrent run's locked temporary stays"
else fail "a concurrent run's locked temporary stays" "it was swept"; fi
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/srk.pem" "$WORK/null_name"
no_file "once its run is gone, the temporary is swept" "$WORK/srk.pem.fedcba9876543210.tmp"
# One file under two spellings is one file.
cd "$WORK" || exit 1
run "$BIN" --boot -n ek.name -f srk2.pem --public ./srk2.pem null_name
cd - >/dev/null || exit 1
expect "--file a and --public ./a is one file: a usage error" 2
ln -sf "$WORK/srk.pem" "$WORK/srk-link.pem"
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/srk.pem" --token-pin "$WORK/srk-link.pem" "$WORK/null_name"
expect "--token-pin naming --file's file through a link: a usage error" 2
# The watchdog needs its pipes: without them there is no commit point, so
# no run rather than a weaker one. (5 descriptors: the pipes cannot be made;
# with --timeout 0 the same limit is enough for the run itself.)
run sh -c 'ulimit -n 5; exec "$0" --boot -n "$1" --timeout 5 "$2"' "$BIN" "$WORK/ek.name" "$WORK/null_name"
expect "no descriptors for the watchdog's pipes: refused" 3
case $ERR in *"cannot start the --timeout watchdog"*) pass "it says the watchdog could not start" ;;
*) fail "it says the watchdog could not start" "$ERR" ;; esac
run sh -c 'ulimit -n 5; exec "$0" --boot -n "$1" --timeout 0 "$2"' "$BIN" "$WORK/ek.name" "$WORK/null_name"
expect "control: the same limit without a watchdog runs" 0
# Two files are one commit: when the second cannot be written, the first goes.
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/pair.pem" --public "$WORK/no-such-dir/pair.pub" \
	"$WORK/null_name"
if [ "$RC" -eq 2 ]; then pass "boot whose --public cannot be written fails (exit 2)"
else fail "boot whose --public cannot be written fails (exit 2)" "exit $RC: $ERR"; fi
no_file "boot whose --public cannot be written leaves no --file" "$WORK/pair.pem"
run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/pair.pem" --public "$WORK/pair.pub" "$WORK/null_name"
expect "boot with --file and --public" 0
# tpm2-tools reads the TPM2B_PUBLIC back: the same key as the PEM.
tpm2_loadexternal -Q -C n -u "$WORK/pair.pub" -c "$WORK/pair.ctx" &&
	tpm2_readpublic -Q -c "$WORK/pair.ctx" -f pem -o "$WORK/pair-tools.pem"
tpm2_flushcontext -t
same "--public holds the key --file holds (tpm2_loadexternal)" \
	"$(openssl pkey -pubin -in "$WORK/pair.pem" -outform DER 2>/dev/null | od -An -tx1)" \
	"$(openssl pkey -pubin -in "$WORK/pair-tools.pem" -outform DER 2>/dev/null | od -An -tx1)"
# A deadline that fires mid-run leaves neither the file nor a temporary.
proxy_start stall --stall-at Certify
run "$BIN" -T "$PROXIED" --boot -n "$WORK/ek.name" -f "$WORK/stall.pem" --timeout 2 "$WORK/null_name"
proxy_stop
expect "boot killed by the deadline" 3
no_file "boot killed by the deadline writes no file" "$WORK/stall.pem"
if ls "$WORK"/stall.pem.* >/dev/null 2>&1; then
	fail "boot killed by the deadline leaves no temporary" "$(ls "$WORK"/stall.pem.*)"
else
	pass "boot killed by the deadline leaves no temporary"
fi
# What the killed run left loaded is another test's subject (test_transients).
tpm2_flushcontext -t 2>/dev/null

# The kernel log hears "verified" only once the run is complete, files and
# all: a run whose --file cannot be written logs its error, not a verdict.
# kmsg_since MARKER: the kernel log after the line MARKER.
kmsg_since() { dmesg 2> /dev/null | sed -n "/$1/,\$p"; }
if [ -w /dev/kmsg ] && dmesg > /dev/null 2>&1; then
	m="attest-tpm2-test-$$-a"
	echo "$m" > /dev/kmsg
	run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/no-such-dir/k.pem" "$WORK/null_name"
	# (Standard output was written before the files: that is the commit order.)
	same "boot whose --file cannot be written fails" "$RC" 2
	case $(kmsg_since "$m") in
	*"TPM verified"*) fail "no verdict in the kernel log before a failed commit" "$(kmsg_since "$m")" ;;
	*"cannot create"*) pass "no verdict in the kernel log before a failed commit, only the error" ;;
	*) fail "no verdict in the kernel log before a failed commit" "no error logged: $(kmsg_since "$m")" ;;
	esac
	m="attest-tpm2-test-$$-b"
	echo "$m" > /dev/kmsg
	run "$BIN" --boot -n "$WORK/ek.name" -f "$WORK/k.pem" "$WORK/null_name"
	expect "boot whose --file can be written" 0
	case $(kmsg_since "$m") in
	*"TPM verified"*) pass "control: a complete run logs its verdict" ;;
	*) fail "control: a complete run logs its verdict" "$(kmsg_since "$m")" ;;
	esac
else
	echo "SKIP kernel log: /dev/kmsg is not writable here"
fi

# --- 5. The prompt is not timed, and the terminal is always restored -----
tpm2_changeauth -c e "$PW" || { fail setup "tpm2_changeauth failed"; exit 1; }
OUT=$("$PYTHON" "$PTY" type 3 "$PW" -- "$BIN" --eksign -a --timeout 2 2>&1)
RC=$?
case "$RC:$OUT" in
0:*000b*) pass "a slow typist is not an unresponsive TPM" ;;
*) fail "a slow typist is not an unresponsive TPM" "exit $RC: $OUT" ;;
esac
for sig in 2 15 1; do
	OUT=$("$PYTHON" "$PTY" signal "$sig" -- "$BIN" --eksign -a --timeout 2 2>&1)
	case $OUT in
	*echo=on*) pass "signal $sig at the prompt restores echo" ;;
	*) fail "signal $sig at the prompt restores echo" "$OUT" ;;
	esac
done
tpm2_changeauth -c e -p "$PW" || { fail setup "tpm2_changeauth back failed"; exit 1; }

# --- 6. No silent downgrade ----------------------------------------------
run "$BIN" --boot -n "$WORK/ek.name" "$WORK/no-such-null_name"
expect "boot with an explicit null_name file that is missing" 2
case $ERR in *no-such-null_name*) pass "the missing null_name file is named" ;;
*) fail "the missing null_name file is named" "$ERR" ;; esac
run "$BIN" --attest nv: -n "$WORK/ek.name"
expect "attest nv: without --ca" 0
case $ERR in *"warning: without --ca"*) pass "attest nv: without --ca warns" ;;
*) fail "attest nv: without --ca warns" "stderr: $ERR" ;; esac
run "$BIN" --attest nv: -n "$WORK/ek.name" --ca "$WORK/tpm/ca"
expect "attest nv: with --ca" 0
if [ -z "$ERR" ]; then pass "attest nv: with --ca does not warn"
else fail "attest nv: with --ca does not warn" "$ERR"; fi
run "$BIN" --attest "$WORK/ek-rsa.der" -n "$WORK/ek.name"
if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then pass "attest FILE does not warn"
else fail "attest FILE does not warn" "exit $RC: $ERR"; fi

finish
