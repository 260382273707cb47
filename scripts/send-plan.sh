#!/bin/bash
# Which stored patch goes to which posting of scripts/submissions.txt,
# matched by subject (first matching stanza of the patch's base wins).
# Prints one line per patch: POSTING<TAB>PATCH FILE<TAB>SUBJECT, in series
# order, and on stderr one line per posting with no patches yet (skipped).
# Fails if a stored patch matches no posting.
# Usage: send-plan.sh [BASE...]     (default: both bases)
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib-submissions.sh"
sub_check
[ $# -gt 0 ] || set -- $BASES
declare -A used=()
bad=0
for b in "$@"; do
	check_base "$b"
	mapfile -t mine < <(for p in $(sub_postings); do [ "$(sub_field "$p" base)" = "$b" ] && echo "$p"; done)
	while read -r f; do
		s=$(patch_subject "$f")
		hit=
		for p in "${mine[@]}"; do
			while IFS= read -r re; do
				if printf '%s\n' "$s" | grep -qiE -- "$re"; then hit=$p; break; fi
			done < <(sub_field "$p" match)
			[ -z "$hit" ] || break
		done
		if [ -z "$hit" ]; then
			echo "error: $b patch ${f#$TOP/} (\"$s\") matches no posting of $b in ${SUBMISSIONS#$TOP/}: add a match line" >&2
			bad=1; continue
		fi
		used[$hit]=1
		printf '%s\t%s\t%s\n' "$hit" "$f" "$s"
	done < <(series_files "$b")
	for p in "${mine[@]}"; do
		[ -n "${used[$p]:-}" ] || echo "skip: posting $p ($b): no patch matches it yet" >&2
	done
done
[ $bad = 0 ] || exit 1
