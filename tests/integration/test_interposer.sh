#!/bin/sh
# Every way a TPM bus interposer can lie must end in failure: the tool talks to
# a real swtpm through tests/lib/interposer.py, which substitutes primary keys,
# corrupts, replays, swaps, cuts, pads or withholds answers.  Each attack must
# exit 1 (verification) or 3 (TPM), print nothing on stdout, write no --file,
# and the proxy's log must show the tamper really happened in that run; the
# same commands through a pass-through proxy must succeed.  A TPM reset
# between reading null_name and certifying must fail too.
# Needs BIN (the binary under test).  INTERPOSER_TABLE=1 also prints a
# "mode x command -> status: message" table.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/suite.sh"

require interposer swtpm swtpm_setup tpm2_getcap tpm2_flushcontext "$PYTHON"

one_swtpm
DIRECT=$TCTI

# Enrollment, straight to the TPM.
"$BIN" -T "$DIRECT" --eksign > "$WORK/ek.name" || { fail enroll "eksign failed"; exit 1; }
"$BIN" -T "$DIRECT" --certify null --name "$WORK/ek.name" -o > "$WORK/null_name" ||
	{ fail enroll "certify null failed"; exit 1; }
"$BIN" -T "$DIRECT" --certify owner --name "$WORK/ek.name" -o > "$WORK/owner_name" ||
	{ fail enroll "certify owner failed"; exit 1; }

# One port pair for every interposer (each is stopped before the next starts).
proxy_init


# tool KIND TCTI [OPTION...]: run one of the four commands under test.
# Each writes a --file, which must not exist after a failure.
tool() {
	_kind=$1 _tcti=$2
	shift 2
	rm -f "$WORK/out.pem"
	case $_kind in
	eksign) run timeout 60 "$BIN" -T "$_tcti" "$@" --eksign --name "$WORK/ek.name" \
		-f "$WORK/out.pem" ;;
	certify-null) run timeout 60 "$BIN" -T "$_tcti" "$@" --certify null \
		--name "$WORK/ek.name" -o -f "$WORK/out.pem" "$WORK/null_name" ;;
	certify-owner) run timeout 60 "$BIN" -T "$_tcti" "$@" --certify owner \
		--name "$WORK/ek.name" -o -f "$WORK/out.pem" ;;
	boot) run timeout 60 "$BIN" -T "$_tcti" "$@" --boot --name "$WORK/ek.name" \
		-f "$WORK/out.pem" "$WORK/null_name" ;;
	esac
}

table() {
	printf '%-34s %-13s -> %s\n' "$1" "$2" "$3" >> "$WORK/table"
}

# clean_tpm NAME TOLERATE: no transient object or session may outlive a run.
# TOLERATE=lost: the interposer kept from the tool the answer that named a new
# object (an error or a mangled frame in its place), cut the connection, or
# desynchronised the byte stream (oversize), so the tool cannot flush what
# the TPM created.  That is reported, not failed.  Leftovers are flushed, so
# that later cases still have the TPM's 3 object slots.
clean_tpm() {
	_t=$(TPM2TOOLS_TCTI=$DIRECT tpm2_getcap handles-transient 2>&1)
	_s=$(TPM2TOOLS_TCTI=$DIRECT tpm2_getcap handles-loaded-session 2>&1)
	if [ -z "$_t" ] && [ -z "$_s" ]; then
		pass "$1 leaves nothing loaded"
		return
	fi
	TPM2TOOLS_TCTI=$DIRECT tpm2_flushcontext -t >/dev/null 2>&1
	TPM2TOOLS_TCTI=$DIRECT tpm2_flushcontext -s >/dev/null 2>&1
	_left=$(echo "$_t $_s" | tr -s ' \n-' ' ')
	if [ "$2" = lost ]; then
		pass "$1 leaves nothing loaded but what it never heard of (TPM kept$_left, flushed)"
		echo "  ^ the TPM kept$_left: the tool never saw it or lost the bus" >> "$WORK/table"
	else
		fail "$1 leaves nothing loaded" "transient: $_t sessions: $_s"
	fi
}

# attack KIND WANT [TOLERATE]: run KIND through the running interposer; it
# must exit with one of the statuses in WANT ("1", "3" or "1 3"), print
# nothing on stdout and exactly one line, the message, on stderr, write no --file, and the
# interposer must have tampered in this very run.
attack() {
	_kind=$1 _want=$2 _tol=${3:-strict}
	_name="interposer $PROXY_LABEL: $_kind"
	: > "$WORK/log"
	case " $PROXY_LABEL " in
	*" stall "*) tool "$_kind" "$PROXIED" --timeout 3 ;;
	*) tool "$_kind" "$PROXIED" ;;
	esac
	table "$PROXY_LABEL" "$_kind" "$RC: $(printf '%s\n' "$ERR" | head -n 1)"
	case " $_want " in
	*" $RC "*)
		if [ -n "$OUT" ]; then
			fail "$_name" "printed on stdout despite failing: $OUT"
		elif [ "$(printf '%s\n' "$ERR" | wc -l)" -ne 1 ] ||
			! printf '%s\n' "$ERR" | grep -q '^attest_tpm2_primary: '; then
			# (also catches sanitizer reports, whose exit status may be 1)
			fail "$_name" "wanted one 'attest_tpm2_primary:' line on stderr: $ERR"
		elif [ -e "$WORK/out.pem" ]; then
			fail "$_name" "wrote --file despite failing"
		elif ! grep -q '^tamper ' "$WORK/log"; then
			fail "$_name" "the interposer did not tamper: $(tr '\n' ';' < "$WORK/log")"
		else
			pass "$_name fails ($RC)"
		fi ;;
	*) fail "$_name" "exit $RC, wanted $_want (stderr: $ERR)" ;;
	esac
	clean_tpm "$_name" "$_tol"
}

# The proxy path itself works: everything passes through a silent interposer,
# and gives the same answers as the TPM gives directly.
proxy_start pass && for kind in eksign certify-null certify-owner boot; do
	: > "$WORK/log"
	tool "$kind" "$PROXIED"
	table pass "$kind" "$RC: $(printf '%s' "$OUT" | head -n 1)"
	expect "interposer pass: $kind" 0
	if [ -z "$ERR" ]; then pass "interposer pass: $kind is silent on stderr"; else fail "interposer pass: $kind is silent on stderr" "$ERR"; fi
	if grep -q '^cmd CreatePrimary' "$WORK/log" && ! grep -q '^tamper ' "$WORK/log"; then
		pass "interposer pass: $kind went through the interposer untouched"
	else
		fail "interposer pass: $kind went through the interposer untouched" "$(tr '\n' ';' < "$WORK/log")"
	fi
	if [ -s "$WORK/out.pem" ]; then pass "interposer pass: $kind writes --file"; else fail "interposer pass: $kind writes --file" "no file"; fi
	case $kind in
	certify-null) same "interposer pass: certify-null name" "$OUT" "$(cat "$WORK/null_name")" ;;
	certify-owner) same "interposer pass: certify-owner name" "$OUT" "$(cat "$WORK/owner_name")" ;;
	esac
	clean_tpm "interposer pass: $kind" strict
done

# Substituted primary keys, self-consistent (the name matches the fake key).
proxy_start pubkey-null && {
	attack certify-null 1
	attack boot 1
}
proxy_start pubkey-owner && {
	attack certify-owner 1
	attack boot 1
}
proxy_start pubkey-ek && for kind in eksign certify-null certify-owner boot; do
	attack "$kind" 1
done

# Corrupted Certify answers: the signature or the statement no longer verify.
for mode in flip-attest flip-sig-r flip-sig-s; do
	proxy_start "$mode" --seed 1 && for kind in certify-null certify-owner boot; do
		attack "$kind" 1
	done
done
# Bus noise anywhere after the header: a bad signature or a bad frame.
for seed in 1 2 3; do
	proxy_start flip-any --seed "$seed" && for kind in certify-null certify-owner boot; do
		attack "$kind" "1 3"
	done
done

# Replay of a genuine, correctly signed, earlier certification (old nonce).
for kind in certify-null certify-owner boot; do
	rm -f "$WORK/state"
	proxy_start record-certify --state "$WORK/state" || continue
	tool "$kind" "$PROXIED"
	if [ "$RC" -eq 0 ] && grep -q '^record ' "$WORK/log"; then
		pass "interposer record-certify: $kind records"
	else
		fail "interposer record-certify: $kind records" "exit $RC: $ERR"
	fi
	proxy_start replay-certify --state "$WORK/state" && {
		PROXY_LABEL="replay-certify (after record-certify)"
		attack "$kind" 1
	}
done

# Answers swapped with another command's: Certify gets this run's
# CreatePrimary answer; the 2nd CreatePrimary (a storage primary) gets the
# 1st's (the signing EK's), so the TPM's real storage primary is never named
# to the tool.
proxy_start swap-response && for kind in certify-null certify-owner boot; do
	attack "$kind" 3
done
for kind in certify-null certify-owner boot; do
	proxy_start swap-response --target-cc CreatePrimary --nth 2 && attack "$kind" 1 lost
done
# eksign has one CreatePrimary only: let a clean certify-owner run (CreatePrimary
# 1 and 2) through first, then eksign's CreatePrimary (the 3rd) gets the
# owner SRK's answer.
proxy_start swap-response --target-cc CreatePrimary --nth 3 && {
	tool certify-owner "$PROXIED"
	expect "interposer swap-response: certify-owner before eksign passes" 0
	PROXY_LABEL="swap-response --target-cc CreatePrimary --nth 3 (after certify-owner)"
	attack eksign 1 lost
}

# Malformed, erroneous and missing answers, to Certify and (for eksign, which
# certifies nothing) to CreatePrimary.
for kind in eksign certify-null certify-owner boot; do
	tgt=
	lost=strict
	if [ "$kind" = eksign ]; then
		tgt="--target-cc CreatePrimary"
		lost=lost
	fi
	# shellcheck disable=SC2086
	{
		proxy_start truncate $tgt && attack "$kind" 3 "$lost"
		proxy_start truncate-raw $tgt && attack "$kind" 3 lost
		proxy_start oversize $tgt && attack "$kind" 3 lost
		proxy_start tpm-error $tgt && attack "$kind" 3 "$lost"
		proxy_start tpm-error --rc 0x101 $tgt && attack "$kind" 3 "$lost"
		proxy_start stall $tgt && attack "$kind" 3 lost
	}
	case $ERR in
	*unresponsive*) pass "interposer stall: $kind says the TPM is unresponsive" ;;
	*) fail "interposer stall: $kind says the TPM is unresponsive" "$ERR" ;;
	esac
done
proxy_stop

# A TPM reset between reading null_name and certifying: the NULL seed is new,
# so the NULL key the TPM now has is not the one the kernel recorded.
swtpm_stop "$WORK/tpm"
swtpm_start "$WORK/tpm"
DIRECT=$TCTI
tool eksign "$DIRECT"
expect "after a TPM reset the signing EK is unchanged" 0
tool certify-null "$DIRECT"
table "TPM reset (stale null_name)" certify-null "$RC: $(printf '%s\n' "$ERR" | head -n 1)"
expect "certify null against a stale null_name after a TPM reset" 1
no_file "stale null_name: certify writes no file" "$WORK/out.pem"
tool boot "$DIRECT"
table "TPM reset (stale null_name)" boot "$RC: $(printf '%s\n' "$ERR" | head -n 1)"
expect "boot against a stale null_name after a TPM reset" 1
no_file "stale null_name: boot writes no file" "$WORK/out.pem"
new_null=$("$BIN" -T "$DIRECT" --certify null --name "$WORK/ek.name" -o)
if [ -n "$new_null" ] && [ "$new_null" != "$(cat "$WORK/null_name")" ]; then
	pass "a TPM reset changes the NULL key's name"
else
	fail "a TPM reset changes the NULL key's name" "'$new_null'"
fi
clean_tpm "TPM reset runs" strict

[ "${INTERPOSER_TABLE:-0}" = 1 ] && cat "$WORK/table"
finish
