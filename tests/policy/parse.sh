#!/bin/sh
# Table test for the boot policy's parsing (policy/attest-tpm2-lib.sh.in): every
# number and word that comes from the config file or the kernel command line
# goes through each initramfs shell (dash, klibc sh, busybox ash) and must
# give the expected setting, with the check function running to its end:
# no shell error ("08" in $((...)) is fatal in all three) may kill it.
#
# Usage: sh tests/policy/parse.sh   (no root, no TPM; about 10 s)
# Prints PASS/FAIL lines and "N passed, M failed"; exit 1 on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/gen.sh
. "$here/../lib/gen.sh"
policy_suite_start policy
skipped=0

shells=
for s in dash /usr/lib/klibc/bin/sh "busybox ash"; do
	# shellcheck disable=SC2086 # "busybox ash" is two words
	if command -v "${s%% *}" > /dev/null 2>&1 && $s -c ':' 2> /dev/null; then
		shells="$shells${shells:+:}$s"
	else
		echo "SKIP $s: not installed"
		skipped=$((skipped + 1))
	fi
done

# A stand-in for attest_tpm2_primary: --boot exits with $STUB_RC,
# --cap-pcrs with $STUB_CAP_RC, --volumes answers as for no volume at all
# (its table's closing line; a refusal unless the TPM was verified), and
# each run is logged.
stub=$work/stub
cat > "$stub" <<'STUB'
#!/bin/sh
echo "$*" >> "$STUB_LOG"
case "$1" in
--cap-pcrs) exit "$STUB_CAP_RC" ;;
--volumes)
	echo "cap 7"
	case " $* " in *" --srk "*) exit 0 ;; esac
	exit 1
	;;
esac
exit "$STUB_RC"
STUB
chmod 0755 "$stub"

# run SHELL CONFIG CMDLINE SCRIPT: source the library in SHELL with CONFIG
# (";" separates lines) as the config file and CMDLINE as /proc/cmdline, then
# run SCRIPT, which may call test_gate. Console messages go to $work/say,
# power-off is recorded instead of done. Prints SCRIPT's output, then "END"
# if the shell got there.
run() {
	sh_=$1 conf=$2 cmdline=$3 script=$4
	rm -rf "$work/run" "$work/say" "$work/stub.log"
	printf '%s\n' "$conf" | tr ';' '\n' > "$work/conf"
	printf '%s\n' "$cmdline" > "$work/cmdline"
	# dracut's /etc/cmdline.d: CMDD, when set, is one file in it.
	rm -rf "$work/cmdline.d"
	mkdir -p "$work/cmdline.d"
	[ -z "${CMDD:-}" ] || printf '%s\n' "$CMDD" > "$work/cmdline.d/50-test.conf"
	# shellcheck disable=SC2086,SC2016 # "busybox ash" is two words; expanded inside
	STUB_LOG=$work/stub.log STUB_RC=${STUB_RC:-0} STUB_CAP_RC=${STUB_CAP_RC:-0} \
		$sh_ -c '
		. "$1"
		ATTEST_TPM2_CONF=$2/conf
		ATTEST_TPM2_CMDLINE=$2/cmdline
		ATTEST_TPM2_CMDLINE_D=$2/cmdline.d
		ATTEST_TPM2_RUN=$2/run
		ATTEST_TPM2_BIN=$2/stub
		ATTEST_TPM2_DEVICES=/dev/null
		# Nothing here may reach the real /etc or /sys.
		ATTEST_TPM2_MODPROBE_D=$2/modprobe.d
		ATTEST_TPM2_SYS=$2/sys
		attest_tpm2_say() { printf "%s\n" "$*" >> "$2/say"; }
		attest_tpm2_halt() { echo HALT; return 0; }
		# What the gate file says, empty when there is none.
		test_gate() {
			[ -r "$ATTEST_TPM2_RUN/gate" ] || return 0
			read -r g < "$ATTEST_TPM2_RUN/gate"
			printf "%s\n" "$g"
		}
		eval "$3"
		echo END
	' sh "$lib" "$work" "$script" 2> "$work/stderr"
}

# check NAME EXPECTED GOT: compared with lines joined by single spaces.
check() {
	set -- "$1" "$(printf '%s' "$2" | tr '\n' ' ' | tr -s ' ')" "$(printf '%s' "$3" | tr '\n' ' ' | tr -s ' ')"
	if [ -s "$work/stderr" ]; then
		# A shell error (or any stray output) is a failure in itself.
		set -- "$1" "$2" "$3 [stderr: $(head -c 200 "$work/stderr" | tr '\n' ' ')]"
	fi
	report_same "$@"
}

# ---------------------------------------------------------------- the table
# num VALUE MAX -> ok|bad      (attest_tpm2_uint)
# pcrs VALUE -> ok|bad         (attest_tpm2_pcr_list)
# conf 'CONFIG' 'CMDLINE' VAR -> value after attest_tpm2_load
# cmdd 'CONFIG' 'CMDLINE.D' VAR -> the same, the arguments in /etc/cmdline.d
# check 'CONFIG' 'CMDLINE' BOOT_RC CAP_RC -> "return gate" of attest_tpm2_check
# gate 'CONFIG' 'GATE' -> "return gate" of attest_tpm2_gate with that flag
# host 'CONFIG' 'STATE' -> return of attest_tpm2_guard host (after
#   switch-root): STATE lists the files in /run/attest-tpm2 (refused, or the
#   gate's word). /etc/passwd stands for a name file that exists (an
#   enrolled host), /nonexistent/eksign.name for a host not enrolled.
# ekh 'INFO' -> attest_tpm2_ek_handle of a name file whose .info holds INFO
#   (";" separates lines; "-" for no .info at all), "none" for nothing
# sticky 'CONFIG' 'NEW CONFIG' -> the returns of a refused check, then of a
#   second one after the config was rewritten (and rd.attest_tpm2=off added)
table=$(
	cat <<'TABLE'
ekh|name=000b;level=chain;handle=0x81010100|0x81010100
ekh|handle=0x810100ff|0x810100ff
ekh|name=000b;level=tofu|none
ekh|-|none
ekh|handle=0x8101010|none
ekh|handle=0x810101000|none
ekh|handle=0x01c00002|none
ekh|handle=0x81010100 ;x|none
ekh|handle=0X81010100|none
ekh|handle=$(reboot)|none
ekh|handle=;handle=0x81010100|none
ekh|handle=0x81000001;handle=0x81010100|0x81000001
cmdd||rd.attest_tpm2=warn|ATTEST_TPM2_POLICY|warn
cmdd|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=off|ATTEST_TPM2_POLICY|enforce
cmdd|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=off|ATTEST_TPM2_IGNORED|rd.attest_tpm2=off
cmdd||rd.attest_tpm2.require_null_name=1|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
cmdd||rd.attest_tpm2=bogus|ATTEST_TPM2_POLICY|enforce
num|0|600|ok
num|1|600|ok
num|10|600|ok
num|600|600|ok
num|601|600|bad
num|08|600|bad
num|09|600|bad
num|010|600|bad
num|00|600|bad
num|-1|600|bad
num|+1|600|bad
num|-0|600|bad
num||600|bad
num| 1|600|bad
num|1 |600|bad
num|1a|600|bad
num|0x10|600|bad
num|1e3|600|bad
num|1.5|600|bad
num|999999|999999|ok
num|1000000|9999999|bad
num|99999999999999999999|600|bad
num|18446744073709551617|600|bad
num|$((1))|600|bad
num|*|600|bad
pcrs|7|ok
pcrs|7,8|ok
pcrs|0,23|ok
pcrs|24|bad
pcrs|07|bad
pcrs|7,|bad
pcrs|,7|bad
pcrs|7,,8|bad
pcrs||bad
pcrs|7 8|bad
pcrs|-7|bad
conf|ATTEST_TPM2_TIMEOUT=08||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=09||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=0||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=-5||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=99999999999999999999||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT="45"||ATTEST_TPM2_TIMEOUT|45
conf|ATTEST_TPM2_TIMEOUT=45 ||ATTEST_TPM2_TIMEOUT|30
conf|ATTEST_TPM2_TIMEOUT=12||ATTEST_TPM2_TIMEOUT|12
conf|ATTEST_TPM2_DEVICE_WAIT=08||ATTEST_TPM2_DEVICE_WAIT|10
conf|ATTEST_TPM2_DEVICE_WAIT=0||ATTEST_TPM2_DEVICE_WAIT|0
conf|ATTEST_TPM2_DEVICE_WAIT=+3||ATTEST_TPM2_DEVICE_WAIT|10
conf|ATTEST_TPM2_DEVICE_WAIT=3;ATTEST_TPM2_DEVICE_WAIT=x||ATTEST_TPM2_DEVICE_WAIT|10
conf|ATTEST_TPM2_POLICY=Enforce||ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_POLICY=||ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_POLICY=warn||ATTEST_TPM2_POLICY|warn
conf|ATTEST_TPM2_POLICY=off ||ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_POLICY=$(reboot)||ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_REQUIRE_NULL_NAME=||ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf|ATTEST_TPM2_REQUIRE_NULL_NAME=nope||ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf|ATTEST_TPM2_REQUIRE_NULL_NAME=0||ATTEST_TPM2_REQUIRE_NULL_NAME|no
conf|||ATTEST_TPM2_REQUIRE_NULL_NAME|no
conf|ATTEST_TPM2_ON_FAILURE=||ATTEST_TPM2_ON_FAILURE|passphrase
conf|ATTEST_TPM2_ON_FAILURE=Shell||ATTEST_TPM2_ON_FAILURE|passphrase
conf|ATTEST_TPM2_ON_FAILURE=halt||ATTEST_TPM2_ON_FAILURE|halt
conf|ATTEST_TPM2_LOCK=||ATTEST_TPM2_LOCK|yes
conf|ATTEST_TPM2_LOCK=maybe||ATTEST_TPM2_LOCK|yes
conf|||ATTEST_TPM2_LOCK|no
conf|||ATTEST_TPM2_CAP_PCRS|7
conf|ATTEST_TPM2_CAP_PCRS=7,8,14||ATTEST_TPM2_CAP_PCRS|7,8,14
conf|ATTEST_TPM2_CAP_PCRS=07||ATTEST_TPM2_CAP_PCRS|0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,23
conf|ATTEST_TPM2_CAP_PCRS=7;8||ATTEST_TPM2_CAP_PCRS|7
conf|ATTEST_TPM2_NAME_FILE=/etc/x y||ATTEST_TPM2_NAME_FILE|/etc/eksign.name
conf|ATTEST_TPM2_NAME_FILE=etc/x||ATTEST_TPM2_NAME_FILE|/etc/eksign.name
conf|ATTEST_TPM2_NAME_FILE=/etc/../x||ATTEST_TPM2_NAME_FILE|/etc/eksign.name
conf|ATTEST_TPM2_SRK_PEM=/run/a;b||ATTEST_TPM2_SRK_PEM|/run/a
conf|ATTEST_TPM2_SRK_PEM=/run/$(x)||ATTEST_TPM2_SRK_PEM|/run/attest-tpm2/srk.pem
conf||rd.attest_tpm2=off|ATTEST_TPM2_POLICY|off
conf||rd.attest_tpm2=08|ATTEST_TPM2_POLICY|enforce
conf||rd.attest_tpm2=|ATTEST_TPM2_POLICY|enforce
conf||rd.attest_tpm2=OFF|ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_POLICY=warn|rd.attest_tpm2=enforce|ATTEST_TPM2_POLICY|enforce
conf||rd.attest_tpm2.require_null_name|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf||rd.attest_tpm2.require_null_name=1|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf||rd.attest_tpm2.require_null_name=01|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf||rd.attest_tpm2.require_null_name=|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf|ATTEST_TPM2_REQUIRE_NULL_NAME=yes|rd.attest_tpm2.require_null_name=0|ATTEST_TPM2_REQUIRE_NULL_NAME|no
conf|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=off|ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=warn|ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=off rd.attest_tpm2=warn|ATTEST_TPM2_IGNORED|rd.attest_tpm2=off rd.attest_tpm2=warn
conf|ATTEST_TPM2_LOCK=yes;ATTEST_TPM2_POLICY=warn|rd.attest_tpm2=off|ATTEST_TPM2_POLICY|warn
conf|ATTEST_TPM2_LOCK=yes;ATTEST_TPM2_POLICY=warn|rd.attest_tpm2=enforce|ATTEST_TPM2_POLICY|enforce
conf|ATTEST_TPM2_LOCK=yes;ATTEST_TPM2_POLICY=off|rd.attest_tpm2=warn|ATTEST_TPM2_POLICY|warn
conf|ATTEST_TPM2_LOCK=yes;ATTEST_TPM2_REQUIRE_NULL_NAME=yes|rd.attest_tpm2.require_null_name=0|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2.require_null_name=1|ATTEST_TPM2_REQUIRE_NULL_NAME|yes
conf|ATTEST_TPM2_LOCK=yes;ATTEST_TPM2_LOCK=no|rd.attest_tpm2=off|ATTEST_TPM2_POLICY|off
conf||rd.attest_tpm2=* rd.attest_tpm2=off|ATTEST_TPM2_POLICY|off
check|||0|0|0 verified
check|ATTEST_TPM2_TIMEOUT=08||0|0|0 verified
check|ATTEST_TPM2_TIMEOUT=08;ATTEST_TPM2_DEVICE_WAIT=09||1|0|0 capped
check|ATTEST_TPM2_TIMEOUT=08||1|3|HALT 1 
check|ATTEST_TPM2_ON_FAILURE=shell||1|0|1 
# shell, but the cap failed on a TPM that is there: no shell with live PCRs.
check|ATTEST_TPM2_ON_FAILURE=shell||1|3|HALT 1 
check|ATTEST_TPM2_ON_FAILURE=halt||1|0|HALT 1 
check|ATTEST_TPM2_ON_FAILURE=08||1|0|0 capped
check||rd.attest_tpm2=warn|1|0|0 warn
check||rd.attest_tpm2=off|1|0|0 off
check|ATTEST_TPM2_LOCK=yes|rd.attest_tpm2=off|1|0|0 capped
check|ATTEST_TPM2_LOCK=08|rd.attest_tpm2=warn|1|0|0 capped
check|ATTEST_TPM2_POLICY=warn|rd.attest_tpm2=08|2|0|0 capped
check|ATTEST_TPM2_POLICY=off;ATTEST_TPM2_POLICY=0ff||1|0|0 capped
check|ATTEST_TPM2_CAP_PCRS=99||3|0|0 capped
check|ATTEST_TPM2_TIMEOUT=1;ATTEST_TPM2_DEVICE_WAIT=0||137|0|0 capped
sticky|ATTEST_TPM2_ON_FAILURE=shell|ATTEST_TPM2_POLICY=off;ATTEST_TPM2_ON_FAILURE=passphrase|1 1 
sticky|ATTEST_TPM2_ON_FAILURE=shell;ATTEST_TPM2_TIMEOUT=7|ATTEST_TPM2_POLICY=warn|1 1 
sticky|ATTEST_TPM2_ON_FAILURE=halt|ATTEST_TPM2_POLICY=off;ATTEST_TPM2_ON_FAILURE=shell|HALT HALT 1 1 
gate|||HALT 1 
gate||verified|0 verified
gate||capped|0 capped
gate||warn|0 warn
gate||Verified|HALT 1 
gate||verified x|HALT 1 
gate||off|0 off
gate||notpm|HALT 1 
host|ATTEST_TPM2_NAME_FILE=/etc/passwd||1
host|ATTEST_TPM2_NAME_FILE=/nonexistent/eksign.name||0
host|ATTEST_TPM2_POLICY=warn||0
host|ATTEST_TPM2_POLICY=off||0
host|ATTEST_TPM2_POLICY=0ff;ATTEST_TPM2_NAME_FILE=/etc/passwd||1
host||notpm|0
host|ATTEST_TPM2_POLICY=off|refused|1
host||verified|0
host||capped|0
host||refused verified|0
TABLE
)

oldifs=$IFS
IFS=:
for sh_ in $shells; do
	IFS=$oldifs
	tag=$(basename "${sh_% *}")
	[ "$sh_" = "busybox ash" ] && tag=busybox-ash
	[ "$tag" = sh ] && tag=klibc-sh
	n=0
	echo "$table" | while IFS='|' read -r kind a b c d e; do
		n=$((n + 1))
		IFS=$oldifs
		case "$kind" in
		num)
			got=$(run "$sh_" '' '' "if attest_tpm2_uint \"\$(printf %s '$a')\" '$b'; then echo ok; else echo bad; fi")
			check "$tag num '$a' max $b" "$c
END" "$got"
			;;
		ekh)
			rm -f "$work/n.name.info"
			[ "$a" = - ] || printf '%s\n' "$a" | tr ';' '\n' > "$work/n.name.info"
			got=$(run "$sh_" '' '' "attest_tpm2_ek_handle \"\$2/n.name\"; echo \"\${ATTEST_TPM2_EK_HANDLE:-none}\"")
			check "$tag ek handle from '$a'" "$b
END" "$got"
			;;
		pcrs)
			got=$(run "$sh_" '' '' "if attest_tpm2_pcr_list '$a'; then echo ok; else echo bad; fi")
			check "$tag pcrs '$a'" "$b
END" "$got"
			;;
		cmdd)
			got=$(CMDD=$b run "$sh_" "$a" "" "attest_tpm2_load; echo \"\$$c\"")
			check "$tag conf '$a' cmdline.d '$b': $c" "$d
END" "$got"
			;;
		conf)
			got=$(run "$sh_" "$a" "$b" "attest_tpm2_load; echo \"\$$c\"")
			check "$tag conf '$a' cmdline '$b': $c" "$d
END" "$got"
			;;
		check)
			# shellcheck disable=SC2016 # expanded by the shell under test
			got=$(STUB_RC=$c STUB_CAP_RC=$d run "$sh_" "$a" "$b" '
				attest_tpm2_check; rc=$?
				echo "$rc $(test_gate)"')
			check "$tag check '$a' cmdline '$b' binary $c cap $d" "$e
END" "$got"
			;;
		sticky)
			# shellcheck disable=SC2016 # expanded by the shell under test
			got=$(STUB_RC=1 STUB_CAP_RC=0 run "$sh_" "$a" '' '
				attest_tpm2_check; r1=$?
				printf "%s\n" "'"$b"'" | tr ";" "\n" > "$ATTEST_TPM2_CONF"
				echo rd.attest_tpm2=off > "$ATTEST_TPM2_CMDLINE"
				attest_tpm2_check; r2=$?
				echo "$r1 $r2 $(test_gate)"')
			check "$tag sticky '$a' then '$b' and rd.attest_tpm2=off" "$c
END" "$got"
			;;
		host)
			got=$(run "$sh_" "$a" '' "
				mkdir -p \"\$ATTEST_TPM2_RUN\"
				for f in $b; do
					case \$f in
					refused) echo '# refused' > \"\$ATTEST_TPM2_RUN/refused\" ;;
					*) echo \$f > \"\$ATTEST_TPM2_RUN/gate\" ;;
					esac
				done
				attest_tpm2_guard host; echo \$?")
			check "$tag host guard, config '$a', state '$b'" "$c
END" "$got"
			;;
		gate)
			got=$(STUB_RC=0 STUB_CAP_RC=3 run "$sh_" "$a" '' "
				mkdir -p \"\$ATTEST_TPM2_RUN\"
				[ -z '$b' ] || printf '%s\n' '$b' > \"\$ATTEST_TPM2_RUN/gate\"
				attest_tpm2_gate; rc=\$?
				echo \"\$rc \$(test_gate)\"")
			check "$tag gate flag '$b' (cap fails, on_failure passphrase)" "$c
END" "$got"
			;;
		esac
		# The loop is a pipeline's: its counts go out through a file.
		echo "$REPORT_PASSED $REPORT_FAILED" > "$work/counts"
	done
	read -r REPORT_PASSED REPORT_FAILED < "$work/counts"
done
IFS=$oldifs

# shellcheck disable=SC2034 # read by report_end (tests/lib/report.sh)
REPORT_NOTE="$skipped shells skipped"
report_end
