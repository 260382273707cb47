#!/bin/bash
# Compose the [PATCH 5.10] mail to stable for a stored backport, in the
# form of Documentation/process/stable-kernel-rules.rst, from the sender's
# own clone of mainline (the project stores no upstream text):
#   From: and Date: of the upstream commit's author, its subject;
#   "commit <sha> upstream.", the upstream changelog and tags;
#   the stored patch's bracketed "[ 5.10: ... ]" note and its Assisted-by:;
#   the sender's Signed-off-by ($SEND_SIGNOFF, a whole line);
#   below "---": the file BELOW (if given), then the stored diffstat, diff
#   and base-commit, unchanged.
# Prints the mail without To:/Cc: (send-prepare.sh adds them).
# Exit status 4, with what it needs, when UPSTREAM is unset or lacks the
# commit.
# Usage: UPSTREAM=/path/to/linux SEND_SIGNOFF='Signed-off-by: ...' send-stable.sh PATCH [BELOW]
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib-submissions.sh"
[ $# -ge 1 ] || die "usage: UPSTREAM=/path/to/linux send-stable.sh PATCH [BELOW]"
p=$1 below=${2:-}
[ -n "${SEND_SIGNOFF:-}" ] || die "SEND_SIGNOFF is not set (send-prepare.sh sets it after the sender's consent)"
sha=$(sed -nE 's/^commit ([0-9a-f]{40}) upstream\.$/\1/p' "$p" | head -1)
[ -n "$sha" ] || die "${p#$TOP/} has no \"commit <sha> upstream.\" line: not a stable backport"
stop() {
	echo "stop: ${p#$TOP/}: the [PATCH 5.10] mail to stable is composed from the upstream" >&2
	echo "  commit's own author, changelog and tags, which this project does not store." >&2
	echo "  $*" >&2
	echo "  Give a clone of mainline that has commit $sha, e.g.:" >&2
	echo "    git clone https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git ~/linux" >&2
	echo "    make send UPSTREAM=~/linux" >&2
	exit 4
}
[ -n "${UPSTREAM:-}" ] || stop "UPSTREAM is not set."
[ -d "$UPSTREAM" ] && git -C "$UPSTREAM" rev-parse --git-dir >/dev/null 2>&1 || stop "UPSTREAM=$UPSTREAM is not a git repository."
git -C "$UPSTREAM" cat-file -e "$sha^{commit}" 2>/dev/null ||
	git -C "$UPSTREAM" log -1 --format=%H "$sha" >/dev/null 2>&1 ||
	stop "UPSTREAM=$UPSTREAM has no commit $sha (git -C $UPSTREAM fetch?)."
up() { git -C "$UPSTREAM" log -1 --no-show-signature --format="$1" "$sha"; }
usubj=$(up %s)
ssubj=$(patch_subject "$p")
[ "$usubj" = "$ssubj" ] ||
	die "upstream $sha is \"$usubj\" but ${p#$TOP/} says \"$ssubj\": wrong commit in UPSTREAM or in the stored patch"
note=$(awk '/^\[ / { on = 1 } on { print } on && /\]$/ { exit }' "$p")
[ -n "$note" ] || die "${p#$TOP/} has no bracketed [ 5.10: ... ] note"
assisted=$(awk '/^---$/ { exit } /^Assisted-by: / { print }' "$p")
echo "From $sha Mon Sep 17 00:00:00 2001"
echo "From: $(up '%an <%ae>')"
echo "Date: $(up %aD)"
echo "Subject: [PATCH 5.10] $usubj"
echo
echo "commit $sha upstream."
echo
up %b | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
echo "$note"
[ -z "$assisted" ] || echo "$assisted"
echo "$SEND_SIGNOFF"
echo "---"
if [ -n "$below" ]; then cat "$below"; echo; fi
# The stored diffstat, diff and base-commit: everything after the first "---".
sed '1,/^---$/d' "$p"
