#!/bin/bash
# Compare results/<base>/{unpatched,patched}/summary.tsv with the checked-in
# selftests/expectations.tsv, print the before/after table, and exit 1 on
# any mismatch: a verdict that differs, a fail whose signature differs
# (both are printed), an 'error' (never expected), a row whose test did not
# run, or a test that has no row.
# Usage: compare-matrix.sh BASE...
. "$(dirname "$0")/lib.sh"
rows=$("$TOP/scripts/check-expectations.sh")
bad=0
printf '\n%-8s %-38s %-18s %-18s %s\n' base test "unpatched (want)" "patched (want)" verdict
for base in "$@"; do
	check_base "$base"
	declare -A got=() gsig=() gnote=() seen=()
	for v in unpatched patched; do
		f=$RESULTS/$base/$v/summary.tsv
		[ -f "$f" ] || die "no results for $base/$v ($f)"
		# (\x1f, not a tab, as IFS: bash merges runs of tabs, so an empty
		# signature would shift the note into its place)
		while IFS= read -r line; do
			case $line in ''|'#'*) continue ;; esac
			IFS=$'\x1f' read -r t r _ s note <<<"${line//$'\t'/$'\x1f'}"
			got[$t/$v]=$r gsig[$t/$v]=$s gnote[$t/$v]=$note
		done <"$f"
	done
	while IFS=$'\t' read -r n t b wu wp su sp _; do
		[ "$b" = "$base" ] || continue
		seen[$t]=1
		verdict=ok details=()
		for v in unpatched patched; do
			if [ $v = unpatched ]; then w=$wu ws=$su; else w=$wp ws=$sp; fi
			g=${got[$t/$v]:-n/a}
			if [ "$g" = n/a ]; then
				details+=("$v: not run (expectations.tsv:$n wants $w)")
			elif [ "$w" = fail ] && [ "$g" = fail ]; then
				diff=$("$TOP/scripts/match-signature.sh" "$RESULTS/$base/$v/${t%%:*}/${t#*:}" "$ws") && continue
				details+=("$v: fail with another signature" "  want: $ws" "  got:  ${gsig[$t/$v]}"
					  "$(sed 's/^/  - /' <<<"$diff")")
			elif [ "$g" != "$w" ]; then
				details+=("$v: $g, want $w$([ "$w" != fail ] || echo " ($ws)"): ${gnote[$t/$v]}")
				[ "$g" != fail ] || details+=("  got:  ${gsig[$t/$v]}")
			fi
		done
		[ ${#details[@]} = 0 ] || { verdict=MISMATCH; bad=1; }
		printf '%-8s %-38s %-18s %-18s %s\n' "$base" "$t" "${got[$t/unpatched]:-n/a} ($wu)" "${got[$t/patched]:-n/a} ($wp)" "$verdict"
		for l in "${details[@]}"; do printf '           %s\n' "$l"; done
	done <<<"$rows"
	for k in "${!got[@]}"; do
		t=${k%/*}
		[ -n "${seen[$t]:-}" ] && continue
		seen[$t]=1
		printf '%-8s %-38s %-18s %-18s %s\n' "$base" "$t" "${got[$t/unpatched]:-n/a}" "${got[$t/patched]:-n/a}" "NO EXPECTATION"
		bad=1
	done
	unset got gsig gnote seen
done
echo
[ $bad = 0 ] || die "the before/after matrix does not match selftests/expectations.tsv"
echo "matrix matches selftests/expectations.tsv"
