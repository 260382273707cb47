#!/bin/bash
# Run a deterministic check only when its inputs changed: CHECK is a script
# of scripts/ run with BASE; its inputs are the base's series, the kernel
# config fragments, gcc, sparse and the project's scripts.  After a success
# with the same inputs on this machine, print that run's output again,
# marked, instead of rebuilding.  KSERIES_RERUN=1 always runs.
# Usage: memo.sh CHECK BASE
. "$(dirname "$0")/lib.sh"
check=$1 base=$2
check_base "$base"
key=$({
	echo "$check $base $(base_tag "$base") ${KASAN:-0}"
	hash_paths "$(series_dir "$base")"
	vm_fragments "$base" | xargs cat
	gcc -dumpfullversion; sparse --version 2>/dev/null || true
	cat "$TOP"/scripts/*.sh "$TOP"/scripts/same-code-patches.txt
} | sha256sum | cut -c1-32)
m=$CACHE/memo/$check-$base
if [ -z "${KSERIES_RERUN:-}" ] && [ "$(cat "$m.key" 2>/dev/null)" = "$key" ]; then
	echo "($check $base: inputs unchanged since $(date -r "$m.key" '+%F %T'); its output then:)"
	cat "$m.out"
	exit 0
fi
mkdir -p "$CACHE/memo"
rm -f "$m.key"
set -o pipefail
"$TOP/scripts/$check" "$base" 2>&1 | tee "$m.out" || exit 1
echo "$key" >"$m.key"
