#!/bin/bash
# Print the patched worktree of a base (where the series is applied).
# Usage: tree-path.sh BASE
. "$(dirname "$0")/lib.sh"
check_base "$1"
tree_dir "$1" patched
