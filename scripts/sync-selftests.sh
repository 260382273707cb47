#!/bin/bash
# Regenerate selftests/ from the patched trees (the series is the source):
# every file the mainline series adds under tools/testing/selftests/<t>/,
# plus a "<name>.5.10" copy of each file whose 5.10 version differs.
# selftests/<t>/guest-programs is the project's own and is kept.
. "$(dirname "$0")/lib.sh"
ml=$(tree_dir mainline patched) st=$(tree_dir 5.10 patched)
mlt=$(base_tag mainline) stt=$(base_tag 5.10)
added_targets() { # tree tag
	git -C "$1" diff --name-only --diff-filter=A "$2..HEAD" -- tools/testing/selftests/ |
		awk -F/ 'NF > 4 { print $4 }' | sort -u
}
# target_files TREE TAG TARGET: what the mirror holds of a target: all of a
# target the series creates; of a target that exists upstream (cgroup), only
# the files the series adds or changes.
target_files() {
	if git -C "$1" cat-file -e "$2:tools/testing/selftests/$3" 2>/dev/null; then
		git -C "$1" diff --name-only --diff-filter=AM "$2..HEAD" -- "tools/testing/selftests/$3/"
	else
		git -C "$1" ls-tree -r --name-only HEAD "tools/testing/selftests/$3/"
	fi
}
for t in $(added_targets "$ml" "$mlt"); do
	d=$TOP/selftests/$t
	mkdir -p "$d"
	find "$d" -maxdepth 1 -type f ! -name guest-programs -delete
	for f in $(target_files "$ml" "$mlt" "$t"); do
		git -C "$ml" show "HEAD:$f" >"$d/${f##*/}"
	done
	for f in $(target_files "$st" "$stt" "$t" 2>/dev/null); do
		n=${f##*/}
		git -C "$st" show "HEAD:$f" | cmp -s - "$d/$n" || git -C "$st" show "HEAD:$f" >"$d/$n.5.10"
	done
done
[ -z "$(added_targets "$st" "$stt" | grep -vxF -f <(added_targets "$ml" "$mlt") || true)" ] ||
	die "the 5.10 series adds selftest targets that the mainline series lacks"
echo "selftests/ regenerated from the patched trees"
