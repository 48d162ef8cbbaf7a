# shellcheck shell=sh
# shellcheck disable=SC2154 # name_file, info_file, bin, json, prog: set by attest-tpm2-enroll
# attest-tpm2-status.sh: "attest-tpm2-enroll --status", sourced by
# attest-tpm2-enroll after it has read the configuration and the boot policy
# library. Shows where this machine stands: the enrollment and how it was
# attested, whether the TPM present now matches it (it runs the check), which
# initramfs images carry the check and with which name, this boot's verdict,
# and the crypttab volumes' TPM unlocks and pins. Human-readable, or JSON
# with --json. Exit status: 0 when enrolled and the TPM matches, 1 when it
# does not, 2 when not enrolled, 3 when the TPM cannot be reached.

st_work=$(mktemp -d "${TMPDIR:-/tmp}/attest-tpm2-status.XXXXXX") || die "cannot create a temporary folder" 2
# shellcheck disable=SC2034 # attest-tpm2-enroll's cleanup removes $work
work=$st_work

# json_str VALUE: VALUE as a JSON string.
json_str() {
	printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' | tr -d '\000-\010\013-\037' |
		awk 'BEGIN { printf "\"" } NR > 1 { printf "\\n" } { printf "%s", $0 } END { printf "\"" }'
}

# The enrollment.
st_enrolled=no
st_name=
if [ -s "$name_file" ]; then
	st_enrolled=yes
	st_name=$(head -n 1 "$name_file")
fi
st_level=$(info_value level)
st_how=$(info_value how)
st_date=$(info_value date)
attest_tpm2_ek_handle "$name_file"
st_handle=$ATTEST_TPM2_EK_HANDLE
[ "$st_enrolled" = yes ] || { st_level=; st_how=; st_date=; st_handle=; }

# The TPM now: the boot's own check, writing nothing but this run's pin.
st_tpm=not-checked
st_tpm_why=
if [ "$st_enrolled" = yes ]; then
	set +e
	if [ -n "$st_handle" ]; then
		set -- "$@" --signing-ek "$st_handle"
	fi
	"$bin" "$@" --boot --name "$name_file" --public "$st_work/srk" --timeout 30 > /dev/null 2> "$st_work/err"
	st_rc=$?
	set -e
	st_tpm_why=$(sed -n 's/^attest_tpm2_primary: //p' "$st_work/err" | tail -n 1)
	case $st_rc in
	0) st_tpm=matches ;;
	1) st_tpm=does-not-match ;;
	3) st_tpm=unreachable ;;
	*) st_tpm=error ;;
	esac
fi

# The images: which carry the check, and which name.
: > "$st_work/images"
for st_img in $(installed_images); do
	rm -rf "$st_work/x"
	mkdir -p "$st_work/x"
	st_check=unknown
	st_iname=
	if command -v unmkinitramfs > /dev/null 2>&1 && unmkinitramfs "$st_img" "$st_work/x" > /dev/null 2>&1; then
		if [ -n "$(find "$st_work/x" -path '*/usr/bin/attest_tpm2_primary' 2> /dev/null | head -n 1)" ]; then
			st_check=yes
		else
			st_check=no
		fi
		st_f=$(find "$st_work/x" -path "*$name_file" 2> /dev/null | head -n 1)
		[ -z "$st_f" ] || st_iname=$(head -n 1 "$st_f")
	elif command -v lsinitrd > /dev/null 2>&1 && lsinitrd "$st_img" > "$st_work/list" 2> /dev/null; then
		if grep -q 'usr/bin/attest_tpm2_primary$' "$st_work/list"; then st_check=yes; else st_check=no; fi
		st_iname=$(lsinitrd -f "${name_file#/}" "$st_img" 2> /dev/null | head -n 1)
	fi
	printf '%s\t%s\t%s\n' "$st_img" "$st_check" "$st_iname" >> "$st_work/images"
done

# This boot's verdict.
st_gate=
[ ! -r "$ATTEST_TPM2_RUN/gate" ] || read -r st_gate < "$ATTEST_TPM2_RUN/gate" || :
case $st_gate in
verified) st_gate_means="the TPM was verified in this boot's initramfs" ;;
warn) st_gate_means="the check failed, and policy warn let the boot go on" ;;
off) st_gate_means="the check was switched off (policy off)" ;;
capped) st_gate_means="the boot was refused: PCRs capped, only passphrases unlock" ;;
notpm) st_gate_means="no TPM was found: TPM drivers blocked, only passphrases unlock" ;;
'')
	st_gate=none
	if [ -e "$ATTEST_TPM2_RUN/refused" ]; then
		st_gate_means="the boot was refused, and the PCRs were not capped"
	else
		st_gate_means="no check ran in this boot's initramfs (not enrolled then, or an image built before enrollment)"
	fi
	;;
*) st_gate_means="unknown verdict" ;;
esac
st_klog=$(dmesg 2> /dev/null | sed -n 's/^.*\] \(attest-tpm2: .*\)/\1/p; s/^\(attest_tpm2_primary: .*\)/\1/p' | tail -n 5)

# The crypttab volumes, as the boot's gates see them (the binary decides:
# the TPM unlock, and the pins against the SRK certified just now).
: > "$st_work/volumes"
set --
[ ! -s "$st_work/srk" ] || set -- --srk "$st_work/srk"
"$bin" --volumes "$ATTEST_TPM2_CRYPTTAB" "$@" > "$st_work/decision" 2> /dev/null || :
# shellcheck disable=SC2034 # the PCRs and the device are not shown
while read -r st_v st_kind st_pcrs st_pins st_dev; do
	# The closing cap line has two words; a volume may be called "cap".
	[ "$st_v" != cap ] || [ -n "$st_pins" ] || continue
	case $st_kind in unbound) st_kind=tpm ;; esac
	case $st_pins in
	pinned) [ -s "$st_work/srk" ] && st_pins=pinned-to-the-certified-SRK ;;
	foreign) st_pins=pinned-to-another-SRK ;;
	-) st_pins= ;;
	esac
	printf '%s\t%s\t%s\n' "$st_v" "$st_kind" "$st_pins" >> "$st_work/volumes"
done < "$st_work/decision"

if [ "$json" = yes ]; then
	printf '{"enrollment":{"name_file":%s,"enrolled":%s,"name":%s,"attested":%s,"how":%s,"date":%s,"handle":%s},' \
		"$(json_str "$name_file")" "$([ "$st_enrolled" = yes ] && echo true || echo false)" \
		"$(json_str "$st_name")" "$(json_str "$st_level")" "$(json_str "$st_how")" "$(json_str "$st_date")" \
		"$(json_str "$st_handle")"
	printf '"tpm":{"state":%s,"message":%s},' "$(json_str "$st_tpm")" "$(json_str "$st_tpm_why")"
	printf '"images":['
	st_sep=
	while IFS="$(printf '\t')" read -r st_img st_check st_iname; do
		printf '%s{"image":%s,"check":%s,"name":%s,"name_matches":%s}' "$st_sep" "$(json_str "$st_img")" \
			"$(json_str "$st_check")" "$(json_str "$st_iname")" \
			"$([ -n "$st_iname" ] && [ "$st_iname" = "$st_name" ] && echo true || echo false)"
		st_sep=,
	done < "$st_work/images"
	printf '],"boot":{"gate":%s,"means":%s,"kernel_log":%s},' "$(json_str "$st_gate")" \
		"$(json_str "$st_gate_means")" "$(json_str "$st_klog")"
	printf '"volumes":['
	st_sep=
	while IFS="$(printf '\t')" read -r st_v st_kind st_pins; do
		printf '%s{"name":%s,"tpm_unlock":%s,"tokens":%s}' "$st_sep" "$(json_str "$st_v")" \
			"$([ "$st_kind" = tpm ] && echo true || echo false)" "$(json_str "$st_pins")"
		st_sep=,
	done < "$st_work/volumes"
	printf ']}\n'
else
	echo "Enrollment ($name_file):"
	if [ "$st_enrolled" = yes ]; then
		echo "  signing EK $st_name"
		echo "  ${st_how:-how it was attested is not recorded}${st_date:+ (enrolled $st_date)}"
		if [ -n "$st_handle" ]; then
			echo "  persistent at $st_handle (the boot uses it without deriving it)"
		else
			echo "  not persistent: the boot derives it"
		fi
	else
		echo "  not enrolled: no image checks the TPM; enroll with: $prog"
	fi
	case $st_tpm in
	matches) echo "This TPM: matches the enrollment (the boot check passes now)." ;;
	does-not-match) echo "This TPM: DOES NOT MATCH the enrollment: $st_tpm_why" ;;
	unreachable) echo "This TPM: cannot be reached: $st_tpm_why" ;;
	error) echo "This TPM: the check could not run: $st_tpm_why" ;;
	esac
	echo "Initramfs images:"
	[ -s "$st_work/images" ] || echo "  none found in /boot"
	while IFS="$(printf '\t')" read -r st_img st_check st_iname; do
		case $st_check in
		yes)
			if [ "$st_iname" = "$st_name" ] && [ -n "$st_name" ]; then
				echo "  $st_img: checks the TPM, with the enrolled name"
			else
				echo "  $st_img: checks the TPM, with ANOTHER name (${st_iname:-none}): rebuild it ($prog --rebuild)"
			fi
			;;
		no) echo "  $st_img: no check" ;;
		*) echo "  $st_img: cannot be read (unmkinitramfs or lsinitrd needed)" ;;
		esac
	done < "$st_work/images"
	echo "This boot: $st_gate: $st_gate_means."
	[ -z "$st_klog" ] || printf '%s\n' "$st_klog" | sed 's/^/  /'
	echo "Volumes ($ATTEST_TPM2_CRYPTTAB):"
	[ -s "$st_work/volumes" ] || echo "  none"
	while IFS="$(printf '\t')" read -r st_v st_kind st_pins; do
		if [ "$st_kind" = tpm ]; then
			echo "  $st_v: TPM unlock${st_pins:+; tokens: $st_pins}"
		else
			echo "  $st_v: no TPM unlock (never refused by the gates)"
		fi
	done < "$st_work/volumes"
fi

case $st_enrolled/$st_tpm in
yes/matches) exit 0 ;;
yes/does-not-match) exit 1 ;;
yes/unreachable) exit 3 ;;
no/*) exit 2 ;;
esac
exit 3
