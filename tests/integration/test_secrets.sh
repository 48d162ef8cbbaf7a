#!/bin/sh
# The endorsement password stays out of logs and out of other processes'
# reach: TSS2_LOG cannot turn on the library's logging of it, a process
# holding it cannot be dumped or read by its user, and the --timeout
# watchdog (the parent) does not keep a copy while the worker runs.
# Each check is shown able to fail: the same search finds the password
# where it really is (tpm2-tools' own log, the worker's memory).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"
FIND="python3 $here/lib/find_secret.py"
PW=Endorse-Secret-4711-xyz

suite_cleanup() { [ -z "${run_pid:-}" ] || kill "$run_pid" 2> /dev/null; }
one_swtpm nocert
"$BIN" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name" ||
	{ fail enroll "certify null failed"; exit 1; }
tpm2_changeauth -c e "$PW" || { fail setup "tpm2_changeauth failed"; exit 1; }
proxy_init

# --- TSS2_LOG set by the caller ------------------------------------------
# The control: the same libtss2 logging under tpm2-tools does show it.
TSS2_LOG=all+trace tpm2_createprimary -Q -C e -P "$PW" -c "$WORK/p.ctx" 2> "$WORK/tools.log"
tpm2_flushcontext -t
if $FIND text "$PW" "$WORK/tools.log" >/dev/null; then
	pass "control: TSS2_LOG=all+trace under tpm2-tools logs the password, and the search sees it"
else
	fail "control: TSS2_LOG=all+trace under tpm2-tools logs the password" \
		"not found: the search, or the runs below, prove nothing"
fi
for level in all+debug all+trace esys+trace; do
	for mode in "--eksign" "--boot -n $WORK/ek.name $WORK/null_name" \
		"--certify endorsement -n $WORK/ek.name"; do
		# shellcheck disable=SC2086 # words without blanks
		TSS2_LOG=$level "$BIN" $mode -a -k "str:$PW" > /dev/null 2> "$WORK/run.log"
		rc=$?
		where=$($FIND text "$PW" "$WORK/run.log")
		if [ $rc -eq 0 ] && [ -z "$where" ] && [ ! -s "$WORK/run.log" ]; then
			pass "TSS2_LOG=$level ${mode%% *} -k: nothing on stderr"
		else
			fail "TSS2_LOG=$level ${mode%% *} -k: nothing on stderr" \
				"exit $rc, password ${where:-not found}: $(head -c 300 "$WORK/run.log")"
		fi
	done
done

# --- Not dumpable, no core, and the watchdog wipes its copy --------------
# Run as nobody so that "not dumpable" shows: /proc/PID then belongs to
# root. The worker stalls at its first Certify (after the password's use)
# and both processes are looked at while it waits.
chmod 755 "$WORK"
printf '%s\n' "$PW" > "$WORK/pw"
# A copy nobody can run wherever the tree is (a clone under /root is not).
cp "$BIN" "$WORK/bin"
chmod 755 "$WORK/bin"
chmod 644 "$WORK/pw" "$WORK/ek.name" "$WORK/null_name"
proxy_start stall --stall-at Certify || exit 1
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$WORK/bin" -T "$PROXIED" --timeout 30 --boot -n "$WORK/ek.name" -a -k "file:$WORK/pw" \
	"$WORK/null_name" > /dev/null 2>&1 &
run_pid=$!
i=0
until grep -q '^tamper stall' "$WORK/log" || [ $i -gt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
# The watchdog's child, from /proc (no procps needed).
worker=$(grep -l "^PPid:[[:space:]]*$run_pid\$" /proc/[0-9]*/status 2> /dev/null |
	sed -n '1s#^/proc/\([0-9]*\)/status$#\1#p')
if [ -z "$worker" ]; then
	fail "the run stalls in its worker" "no worker under $run_pid"
else
	same "the watchdog is not dumpable (its /proc belongs to root, not nobody)" \
		"$(stat -c %u "/proc/$run_pid/status")" 0
	same "the worker is not dumpable" "$(stat -c %u "/proc/$worker/status")" 0
	same "no core files" "$(awk '/^Max core file size/ { print $5 "/" $6 }' "/proc/$worker/limits")" 0/0
	# AddressSanitizer's heap is one sparse mapping of terabytes, which no
	# scan reads: the memory of a sanitizer build is not searched.
	if grep -q -a __asan_init "$BIN"; then
		echo "SKIP memory scan: $BIN is built with AddressSanitizer"
	else
		where=$($FIND mem "$PW" "$worker")
		if [ -n "$where" ]; then pass "control: the worker, still using it, holds the password ($where)"
		else fail "control: the worker, still using it, holds the password" "not found: ${where:-none}"; fi
		where=$($FIND mem "$PW" "$run_pid")
		if [ $? -eq 1 ]; then pass "the watchdog holds no copy of the password"
		else fail "the watchdog holds no copy of the password" "found: $where"; fi
	fi
fi
# A process of nobody's without a password, for contrast: its own.
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 5 &
sleeper=$!
sleep 0.2
same "control: an ordinary process of nobody's is nobody's" "$(stat -c %u "/proc/$sleeper/status")" 65534
kill "$sleeper" 2>/dev/null
kill "$run_pid" 2>/dev/null
wait "$run_pid" 2>/dev/null
run_pid=
proxy_stop
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -s >/dev/null 2>&1
tpm2_changeauth -c e -p "$PW" || fail setup "tpm2_changeauth back failed"

finish
