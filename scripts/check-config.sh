#!/bin/bash
# Assert a final .config: every symbol in scripts/vm/required.txt, and every =y
# request of the given fragments, survived (tinyconfig drops them silently).
# Usage: check-config.sh .config FRAGMENT...
. "$(dirname "$0")/lib.sh"
cfg=$1; shift
bad=0
while read -r sym; do
	case $sym in ''|'#'*) continue ;; esac
	grep -qx "$sym=y" "$cfg" || { echo "error: $sym is not =y in $cfg" >&2; bad=1; }
done <"$TOP/scripts/vm/required.txt"
for f in "$@"; do
	while IFS= read -r line; do
		case $line in CONFIG_*=y|CONFIG_*=[0-9]*) ;; *) continue ;; esac
		grep -qx "$line" "$cfg" || { echo "error: $line (from $(basename "$(dirname "$f")")/$(basename "$f")) did not survive in $cfg" >&2; bad=1; }
	done <"$f"
done
[ $bad = 0 ] || die "kernel config assertion failed"
