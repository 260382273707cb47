#!/bin/bash
# Export the commits on top of a base tag as patches/<base>/ plus its series
# file, in a form that re-exports byte for byte (fixed abbrev, zero From
# line, no version signature, base-commit: trailer).
# Usage: export-series.sh BASE [TREE [OUTDIR]]
#   TREE defaults to the patched worktree; OUTDIR to patches/<base>.
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
tree=${2:-$(tree_dir "$base" patched)}
out=${3:-$(series_dir "$base")}
tag=$(base_tag "$base")
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "$tree has uncommitted changes; commit them first"
git -C "$tree" merge-base --is-ancestor "$tag" HEAD || die "$tree is not based on $tag"
mkdir -p "$out"
rm -f "$out"/*.patch
git -C "$tree" -c core.abbrev=12 -c diff.renames=true -c diff.noprefix=false \
	-c diff.mnemonicPrefix=false -c format.signOff=false \
	format-patch -q --zero-commit --no-signature --no-numbered --base="$tag" \
	-o "$out" "$tag..HEAD" || die "git format-patch failed"
(cd "$out" && ls *.patch 2>/dev/null) >"$out/series" || true
# The top-level series is the default (mainline) stack, named relative to
# patches/ as quilt's default QUILT_PATCHES=patches expects.
if [ "$base" = mainline ] && [ "$out" = "$(series_dir mainline)" ]; then
	sed 's|^|mainline/|' "$out/series" >"$TOP/series"
fi
# The patched tree now matches patches/: record that, as prepare-tree.sh does.
if [ "$tree" = "$(tree_dir "$base" patched)" ] && [ "$out" = "$(series_dir "$base")" ]; then
	echo "$tag+$(hash_paths "$(series_dir "$base")") $(git -C "$tree" rev-parse HEAD)" >"$tree.stamp"
fi
