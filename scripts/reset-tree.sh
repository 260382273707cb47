#!/bin/bash
# Throw away the patched worktree of a base (and any unexported work in it)
# and re-apply patches/<base>.
# Usage: reset-tree.sh BASE
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
tree=$(tree_dir "$base" patched)
if [ -d "$tree" ]; then
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -f --detach "$(base_tag "$base")"
	rm -f "$tree.stamp"
fi
"$TOP/scripts/prepare-tree.sh" "$base" patched
