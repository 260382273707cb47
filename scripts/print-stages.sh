#!/bin/bash
# Print the per-stage wall times of the last run, and their total.
. "$(dirname "$0")/lib.sh"
f=${STAGE_LOG:-$RESULTS/stages.log}
[ -f "$f" ] || exit 0
echo "stage times:"
sed 's/^/  /' "$f"
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+s$/) { sub(/s$/, "", $i); t += $i } }
     END { printf "  %-40s %7.1fs\n", "total", t }' "$f"
