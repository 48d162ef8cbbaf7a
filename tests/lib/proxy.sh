# Shell helpers for tests: tests/lib/interposer.py between the program under
# test and a real swtpm. Sourced after swtpm.sh and check.sh (POSIX sh); the
# caller sets WORK, and TPM_PORT comes from swtpm_start.
#
#   proxy_init                 pick the proxy's port pair: sets PROXY_PORT
#                              and PROXIED (the TCTI through the proxy)
#   proxy_start MODE [OPT...]  a fresh interposer (the previous one stopped),
#                              logging to $WORK/log, emptied first; prints
#                              a FAIL line and returns 1 if it does not start;
#                              PROXY_LABEL holds its arguments
#   proxy_stop                 stop it, if one runs

proxy_pid=
PROXY_PY=${PROXY_PY:-$(cd "$(dirname "$0")/.." && pwd)/lib/interposer.py}

proxy_init() {
	PROXY_PORT=$(free_port_pair)
	# shellcheck disable=SC2034 # used by the sourcing script
	PROXIED="swtpm:host=127.0.0.1,port=$PROXY_PORT"
}

proxy_stop() {
	[ -n "$proxy_pid" ] || return 0
	kill "$proxy_pid" 2>/dev/null
	wait "$proxy_pid" 2>/dev/null
	proxy_pid=
}

proxy_start() {
	proxy_stop
	# shellcheck disable=SC2034 # used by the sourcing script
	PROXY_LABEL="$*"
	: > "$WORK/log"
	: > "$WORK/ready"
	python3 "$PROXY_PY" --listen "$PROXY_PORT" --upstream "127.0.0.1:$TPM_PORT" \
		--log "$WORK/log" --mode "$@" > "$WORK/ready" 2> "$WORK/proxy.err" &
	proxy_pid=$!
	_pi=0
	until grep -q ready "$WORK/ready"; do
		_pi=$((_pi + 1))
		if [ $_pi -gt 300 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
			fail "interposer starts ($*)" "$(cat "$WORK/proxy.err")"
			proxy_stop
			return 1
		fi
		sleep 0.05
	done
}
