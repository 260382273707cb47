#!/bin/bash
# Make the source tree of one (base, variant): "unpatched" is the base tag,
# "patched" is the base plus patches/<base>/ applied with git am. Both are
# worktrees of the base repository. The patched tree is also where patches
# are authored: it is never reset while it holds work that was not exported.
# A failed apply names the patch and leaves the tree at the base tag.
# Usage: prepare-tree.sh BASE unpatched|patched
. "$(dirname "$0")/lib.sh"
base=$1 variant=$2
check_base "$base"
need git
repo=$(base_repo "$base")
tag=$(base_tag "$base")
git -C "$repo" rev-parse -q --verify "refs/tags/$tag" >/dev/null ||
	"$TOP/scripts/fetch-bases.sh" "$base"
tree=$(tree_dir "$base" "$variant")
stampf=$tree.stamp

case $variant in
unpatched) want=$tag ;;
patched) want="$tag+$(hash_paths "$(series_dir "$base")")" ;;
*) die "unknown variant '$variant' (unpatched|patched)" ;;
esac

if [ -d "$tree" ]; then
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes: commit and 'make export', or discard them"
	read -r swant shead 2>/dev/null <"$stampf" || true
	head=$(git -C "$tree" rev-parse HEAD)
	[ "${swant:-}" = "$want" ] && [ "${shead:-}" = "$head" ] && exit 0
	[ -z "${shead:-}" ] || [ "$shead" = "$head" ] ||
		die "$tree has commits that are not in patches/$base: 'make export BASE=$base' them, or 'make reset-tree BASE=$base'"
fi

rm -f "$stampf"
if [ ! -d "$tree" ]; then
	mkdir -p "$(dirname "$tree")"
	git -C "$repo" worktree prune
	git -C "$repo" worktree add -q --detach "$tree" "$tag" || die "cannot create worktree $tree"
fi
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q --detach "$tag"
git -C "$tree" reset -q --hard "$tag"

if [ "$variant" = patched ]; then
	sd=$(series_dir "$base")
	[ -f "$sd/series" ] || die "no series file $sd/series"
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		[ -f "$sd/$p" ] || { git -C "$tree" reset -q --hard "$tag"; die "series lists $p, which is not in $sd"; }
		if ! git -C "$tree" -c user.name=kseries -c user.email=kseries@invalid \
			am -q "$sd/$p" >&2; then
			git -C "$tree" am --abort >/dev/null 2>&1 || true
			git -C "$tree" reset -q --hard "$tag"
			die "patch $base/$p does not apply to $tag; tree reset to $tag"
		fi
	done <"$sd/series"
fi
echo "$want $(git -C "$tree" rev-parse HEAD)" >"$stampf"
