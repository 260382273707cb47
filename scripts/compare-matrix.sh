#!/bin/bash
# Compare results/<base>/{unpatched,patched}/summary.tsv with the checked-in
# selftests/expectations.tsv, print the before/after table, and exit 1 on
# any mismatch or on a test that has no expectation.
# Usage: compare-matrix.sh BASE...
. "$(dirname "$0")/lib.sh"
exp=$TOP/selftests/expectations.tsv
bad=0
printf '\n%-8s %-42s %-22s %-22s %s\n' base test "unpatched (want)" "patched (want)" verdict
for base in "$@"; do
	declare -A got=()
	for v in unpatched patched; do
		f=$RESULTS/$base/$v/summary.tsv
		[ -f "$f" ] || die "no results for $base/$v ($f)"
		while IFS=$'\t' read -r t r _; do got[$t/$v]=$r; done <"$f"
	done
	declare -A seen=()
	while IFS=$'\t' read -r t b wu wp _; do
		case $t in ''|'#'*) continue ;; esac
		[ "$b" = "$base" ] || continue
		seen[$t]=1
		gu=${got[$t/unpatched]:-n/a} gp=${got[$t/patched]:-n/a}
		verdict=ok
		[ "$gu" = "$wu" ] && [ "$gp" = "$wp" ] || { verdict=MISMATCH; bad=1; }
		printf '%-8s %-42s %-22s %-22s %s\n' "$base" "$t" "$gu ($wu)" "$gp ($wp)" "$verdict"
	done <"$exp"
	for k in "${!got[@]}"; do
		t=${k%/*}
		[ -n "${seen[$t]:-}" ] && continue
		seen[$t]=1
		printf '%-8s %-42s %-22s %-22s %s\n' "$base" "$t" "${got[$t/unpatched]:-n/a}" "${got[$t/patched]:-n/a}" "NO EXPECTATION"
		bad=1
	done
	unset got seen
done
echo
[ $bad = 0 ] || die "the before/after matrix does not match selftests/expectations.tsv"
echo "matrix matches selftests/expectations.tsv"
