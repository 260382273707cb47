#!/bin/bash
# The recipients of a posting: get_maintainer.pl --nogit --nogit-fallback
# of the base (v7.3's for mainline, 5.10's for 5.10), run in the base
# repository on the posting's patches, with MAINTAINERS as the whole
# series of that base leaves it (so the F: lines the series adds for its
# selftest directories route them).  Maintainers go to To:, reviewers and
# lists to Cc:.  Two runs, not one with --rolestats: get_maintainer.pl
# keeps one address per name, so a selftest maintainer who also reviews
# another touched area would lose the maintainer address.
# Prints "to<TAB>ADDRESS" and "cc<TAB>ADDRESS" lines.
# Usage: send-recipients.sh BASE PATCH...
. "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || die "usage: send-recipients.sh BASE PATCH..."
b=$1; shift
check_base "$b"
repo=$(base_repo "$b")
[ -x "$repo/scripts/get_maintainer.pl" ] || "$TOP/scripts/fetch-bases.sh" "$b" >&2
scratch=$(mktemp -d /tmp/kseries-recipients.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp "$repo/MAINTAINERS" "$scratch/MAINTAINERS"
while read -r f; do
	grep -q '^+++ b/MAINTAINERS$' "$f" || continue
	(cd "$scratch" && git apply --include=MAINTAINERS "$f") ||
		die "the MAINTAINERS hunk of ${f#$TOP/} does not apply to $b's MAINTAINERS"
done < <(series_files "$b")
# --nofixes: the base repository is one snapshot commit, so the authors
# of the commits a Fixes: tag names cannot be looked up here (git only
# complains); the overview's "Before sending" list asks the sender to
# run get_maintainer.pl in their own clone for them.
gm() {
	(cd "$repo" && ./scripts/get_maintainer.pl --nogit --nogit-fallback --norolestats --nofixes \
		--mpath "$scratch/MAINTAINERS" "$@") || die "get_maintainer.pl failed on $b"
}
abs=(); for f in "$@"; do abs+=("$(realpath "$f")"); done
to=$(gm --m --nor --nol "${abs[@]}")
cc=$(gm --nom --r --l "${abs[@]}")
printf '%s\n' "$to" | awk 'NF { print "to\t" $0 }'
printf '%s\n' "$cc" | awk 'NF { print "cc\t" $0 }'
