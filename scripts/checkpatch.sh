#!/bin/bash
# checkpatch --strict on every stored patch, with v7.3's checkpatch for both
# series (5.10's knows an older Assisted-by: format). Clean means no error,
# warning or check. The only types ignored, and why:
#   MISSING_SIGN_OFF    by the kernel's AI policy the human sender adds the
#                       Signed-off-by at send time; stored patches carry none.
#   UNKNOWN_COMMIT_ID   the base repositories are one-commit snapshots with no
#                       history, so no upstream id can be found in them.
#   GIT_COMMIT_ID       only in a stable backport, for the mandated
#                       "commit <full sha> upstream." first line.
#   FILE_PATH_CHANGES   only in a patch whose every added file is in a
#                       directory MAINTAINERS already lists (lib.sh's
#                       maintained_ign): there is nothing to update.
# Usage: checkpatch.sh [PATCH...]   (default: every patch of both series)
. "$(dirname "$0")/lib.sh"
need perl
# checkpatch's SPDX check runs scripts/spdxcheck.py with "env python3": use
# Debian's, which has python3-ply and python3-git, not another one on PATH.
export PATH=/usr/bin:$PATH
repo=$(base_repo mainline)
[ -x "$repo/scripts/checkpatch.pl" ] || "$TOP/scripts/fetch-bases.sh" mainline
[ $# -gt 0 ] || set -- "$TOP"/patches/*/*.patch
# A patch found clean is remembered by its content, checkpatch's own files
# and the ignore list: a warm run checks only what changed.
tool=$(cat "$repo"/scripts/checkpatch.pl "$repo"/scripts/spelling.txt "$repo"/scripts/const_structs.checkpatch | sha256sum | cut -c1-16)
okdir=$CACHE/checkpatch-clean
mkdir -p "$okdir"
bad=0
for p in "$@"; do
	p=$(realpath "$p")
	ign=MISSING_SIGN_OFF,UNKNOWN_COMMIT_ID
	grep -qE '^commit [0-9a-f]{40} upstream\.$' "$p" && ign=$ign,GIT_COMMIT_ID
	ign=$ign$(maintained_ign "$p" "$(basename "$(dirname "$p")")")
	ok=$okdir/$( (cat "$p"; echo "$tool $ign") | sha256sum | cut -c1-32)
	[ ! -f "$ok" ] || continue
	if ! out=$(cd "$repo" && ./scripts/checkpatch.pl --strict --no-summary --quiet \
			--show-types --ignore "$ign" "$p" 2>&1); then
		echo "checkpatch: ${p#$TOP/}:"; echo "$out"; bad=1
	elif [ -n "$out" ]; then
		echo "checkpatch: ${p#$TOP/}:"; echo "$out"; bad=1
	else
		: >"$ok"
	fi
done
[ $bad = 0 ] || die "checkpatch --strict is not clean"
echo "checkpatch --strict: clean ($# patches)"
