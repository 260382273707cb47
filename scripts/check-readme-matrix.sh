#!/bin/bash
# The matrix in README.md must be the one CI checks: regenerate it from
# selftests/expectations.tsv and compare (or, with --update, rewrite it).
. "$(dirname "$0")/lib.sh"
readme=$TOP/README.md
gen() {
	echo "| test | base | unpatched | patched | why |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '!/^#/ && NF >= 4 { printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' \
		"$TOP/selftests/expectations.tsv"
}
cur=$(sed -n '/<!-- matrix:begin -->/,/<!-- matrix:end -->/p' "$readme" | sed '1d;$d')
if [ "${1:-}" = --update ]; then
	new=$(gen)
	awk -v new="$new" '/<!-- matrix:begin -->/ { print; print new; skip = 1; next }
		/<!-- matrix:end -->/ { skip = 0 } !skip' "$readme" >"$readme.tmp" && mv "$readme.tmp" "$readme"
	exit 0
fi
[ "$cur" = "$(gen)" ] || { diff <(echo "$cur") <(gen) >&2; die "README.md's matrix differs from selftests/expectations.tsv (scripts/check-readme-matrix.sh --update)"; }
echo "README matrix matches selftests/expectations.tsv"
