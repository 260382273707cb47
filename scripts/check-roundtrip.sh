#!/bin/bash
# Prove that the stored series is what users get, for one base:
#  - git am onto a fresh base, then re-export: byte-identical to patches/<base>;
#  - quilt push -a (QUILT_PATCHES/QUILT_SERIES as the README gives them) and
#    git quiltimport produce the same tree as git am;
#  - the top-level 'series' is the mainline stack, as quilt reads it.
# Usage: check-roundtrip.sh BASE
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
need git quilt
repo=$(base_repo "$base") tag=$(base_tag "$base") sd=$(series_dir "$base")
git -C "$repo" rev-parse -q --verify "refs/tags/$tag" >/dev/null || "$TOP/scripts/fetch-bases.sh" "$base"
scratch=$CACHE/roundtrip/$base
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$scratch"
# The scratch worktrees are sparse: they hold only the paths the series
# touches (every other path stays in the index, so trees compare whole).
# A full checkout of a kernel costs a minute and 1.5 GB each on a cold run.
sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|/\1\n/\2|p' $(series_files "$base") | sort -u >"$tmp/paths"
[ -s "$tmp/paths" ] || die "the $base series touches no files"
# The kernel's .gitattributes picks git's C diff driver for *.[ch]: without
# it a hunk after a label ("fail:") gets another header than in a real tree.
! git -C "$repo" cat-file -e "$tag:.gitattributes" 2>/dev/null || echo /.gitattributes >>"$tmp/paths"
for w in am quilt qi; do
	if [ -d "$scratch/$w" ] && [ "$(git -C "$scratch/$w" config --worktree core.sparseCheckout 2>/dev/null)" != true ]; then
		git -C "$repo" worktree remove --force "$scratch/$w" || die "cannot remove the full worktree $scratch/$w"
	fi
	if [ ! -d "$scratch/$w" ]; then
		git -C "$repo" worktree prune
		git -C "$repo" worktree add -q --no-checkout --detach "$scratch/$w" "$tag" || die "cannot create worktree $scratch/$w"
	fi
	git -C "$scratch/$w" am --abort >/dev/null 2>&1 || true
	git -C "$scratch/$w" sparse-checkout set --no-cone --stdin <"$tmp/paths" 2>/dev/null &&
		git -C "$scratch/$w" reset -q --hard "$tag" && git -C "$scratch/$w" clean -q -fdx ||
		die "cannot reset $scratch/$w to $tag"
done
id=(-c user.name=kseries -c user.email=kseries@invalid)

# 1. git am + export
for p in $(series_files "$base"); do
	git -C "$scratch/am" "${id[@]}" am -q "$p" || die "git am of $base/${p##*/} failed"
done
"$TOP/scripts/export-series.sh" "$base" "$scratch/am" "$tmp/export"
diff -r "$sd" "$tmp/export" >"$tmp/diff" || { cat "$tmp/diff"; die "re-export of $base differs from patches/$base"; }
echo "round trip $base: git am + format-patch reproduces patches/$base byte for byte"

# 2. quilt, exactly as the README tells users
if [ "$base" = mainline ]; then qs=$TOP/series; else qs=$sd/series; fi
qp=$TOP/patches
[ "$base" = mainline ] || qp=$sd
(cd "$scratch/quilt" && QUILT_PATCHES=$qp QUILT_SERIES=$qs QUILT_PC=$tmp/pc quilt push -a -q >"$tmp/quilt.log" 2>&1) ||
	{ cat "$tmp/quilt.log"; die "quilt push -a failed for $base"; }
git -C "$scratch/quilt" add -A -f . >/dev/null
tq=$(git -C "$scratch/quilt" write-tree)
ta=$(git -C "$scratch/am" rev-parse 'HEAD^{tree}')
[ "$tq" = "$ta" ] || die "quilt push -a gives another tree than git am for $base"
echo "round trip $base: quilt push -a gives the git am tree"

# 3. git quiltimport
git -C "$scratch/qi" "${id[@]}" quiltimport --patches "$sd" --series "$sd/series" >/dev/null ||
	die "git quiltimport failed for $base"
tqi=$(git -C "$scratch/qi" rev-parse 'HEAD^{tree}')
[ "$tqi" = "$ta" ] || die "git quiltimport gives another tree than git am for $base"
echo "round trip $base: git quiltimport gives the git am tree"
