#!/bin/bash
# One posting's part of cover-letter.txt.  A part starts with a banner (a
# line of "=", banner text, a line of "=") whose text contains the
# posting's "cover" value in scripts/submissions.txt, and runs to the next
# banner.  Prints the part's subject, without its "[PATCH ...]" prefix, on
# the first line, then its text from after the Subject: line.
#   --below   the text for below a single patch's "---": a leading
#             paragraph in parentheses is dropped, and if the part has a
#             line 'Below its "---" line:' only what follows it is kept.
# Exit status 3 when cover-letter.txt has no such part.
# Usage: send-cover.sh [--below] POSTING
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib-submissions.sh"
below=0
[ "${1:-}" != --below ] || { below=1; shift; }
[ $# = 1 ] || die "usage: send-cover.sh [--below] POSTING"
key=$(sub_field "$1" cover)
[ -n "$key" ] || die "posting $1 has no \"cover\" line in ${SUBMISSIONS#$TOP/}"
cl=${KSERIES_COVER_LETTER:-$TOP/cover-letter.txt}
part=$(awk -v key="$key" '
	/^=====+$/ { if (inb) { inb = 0; on = hit } else { inb = 1; hit = 0; if (on) exit; on = 0 } next }
	inb { if (index($0, key)) hit = 1; next }
	on { print }' "$cl")
[ -n "$part" ] || { echo "error: ${cl#$TOP/} has no part whose banner names \"$key\" (posting $1)" >&2; exit 3; }
subj=$(printf '%s\n' "$part" | sed -n 's/^Subject: *//p' | head -1 | sed -E 's/^\[[^]]*\] *//')
[ -n "$subj" ] || die "the part \"$key\" of ${cl#$TOP/} has no Subject: line"
body=$(printf '%s\n' "$part" | sed '1,/^Subject:/d')
if [ $below = 1 ]; then
	if printf '%s\n' "$body" | grep -qx 'Below its "---" line:'; then
		body=$(printf '%s\n' "$body" | sed '1,/^Below its "---" line:$/d')
	fi
	body=$(printf '%s\n' "$body" | awk 'BEGIN { lead = 1 }
		lead && /^[ \t]*$/ { if (!inpar) next; inpar = 0; lead = 0; next }
		lead && !inpar && /^\(/ { inpar = 1 } 
		inpar { next } { lead = 0; print }')
fi
# Notes for the sender belong in the overview, which is never mailed.
if note=$(printf '%s\n' "$body" | grep -inE 'before sending|synthetic|the sender' | head -1); then
	die "the part \"$key\" of ${cl#$TOP/} would mail a note for the sender (line $note): move it to the overview"
fi
echo "$subj"
# Trim blank lines at both ends.
printf '%s\n' "$body" | sed -e '/./,$!d' | tac | sed -e '/./,$!d' | tac
