#!/bin/sh
# shell-scripts.sh sh|bash: the tracked shell scripts of the tree, one a
# line: the POSIX sh ones, or the bash ones. "make lint" checks them all.
# A script is found by what it is, never by a list: its first line
# (#!/bin/sh, #!/bin/bash, #!/usr/bin/env sh, ...), else a "# shellcheck
# shell=" line among its first three (the sourced libraries), else a name
# ending in .sh or .sh.in. Templates (NAME.in) are scripts like the others:
# their placeholders sit in quoted strings.
set -eu
want=${1:?usage: $0 sh|bash}
cd "$(dirname "$0")/../.."
# shellcheck disable=SC2016 # the program is awk's
git ls-files -z | xargs -0 awk -v want="$want" '
function decide() {
	if (file == "")
		return
	if (kind == "" && file ~ /\.sh(\.in)?$/)
		kind = "sh"
	if (kind == want)
		print file
	file = ""
}
FNR == 1 {
	decide()
	file = FILENAME
	kind = ""
	if ($0 ~ /^#![ ]*(\/usr)?\/bin\/(env[ ]+)?bash([ ]|$)/)
		kind = "bash"
	else if ($0 ~ /^#![ ]*(\/usr)?\/bin\/(env[ ]+)?(da)?sh([ ]|$)/)
		kind = "sh"
}
FNR <= 3 && kind == "" && /^# shellcheck shell=/ {
	kind = ($0 ~ /shell=bash/) ? "bash" : "sh"
}
FNR >= 3 {
	decide()
	nextfile
}
END { decide() }
'
