#!/bin/bash
# The mainline base carries Debian's patches. Fail if the mainline series
# touches a file that Debian's patch stack modifies (scripts/
# debian-patched-paths.txt), since that file may differ from real mainline.
# Files under tools/testing/selftests/ that the series adds are new, not
# Debian's, and are exempt, as are the files of debian-delta-exempt.txt,
# each with its reason.
. "$(dirname "$0")/lib.sh"
list=$TOP/scripts/debian-patched-paths.txt
exempt=$TOP/scripts/debian-delta-exempt.txt
mapfile -t touched < <(grep -h '^diff --git a/' "$TOP"/patches/mainline/*.patch | awk '{ sub("^a/", "", $3); print $3 }' | sort -u)
bad=0
for f in "${touched[@]}"; do
	case $f in tools/testing/selftests/*/*) continue ;; esac
	why=$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$exempt")
	if [ -n "$why" ]; then
		echo "exempt: $f ($why)"
		continue
	fi
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		case $f in "$p"|"$p"*) [ "${p%/}" != "$p" ] || [ "$f" = "$p" ] || continue
			echo "error: the series touches $f, which Debian's patches modify ($p)" >&2; bad=1 ;;
		esac
	done <"$list"
done
[ $bad = 0 ] || die "the mainline series touches Debian-patched files"
echo "Debian delta: none of the ${#touched[@]} files the mainline series touches is Debian-patched, but for the exempt ones above"
