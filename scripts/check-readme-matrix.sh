#!/bin/bash
# The generated parts of README.md must be what CI uses: the matrix, from
# selftests/expectations.tsv, and the list of splat patterns, from
# scripts/scan-log.sh. Regenerate both and compare (or, with --update,
# rewrite them).
. "$(dirname "$0")/lib.sh"
readme=$TOP/README.md

# A fail cell shows its signature: the cases that must fail, each case's
# reason (case-log), the kernel-log patterns that must match (in order), or
# TODO; alternatives joined by "or".
gen_matrix() {
	local rows
	rows=$("$TOP/scripts/check-expectations.sh")
	echo "| test | base | unpatched | patched | why |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '
	function one(sig,   n, it, i, out, c) {
		n = split(sig, it, ";"); out = ""
		for (i = 1; i <= n; i++) {
			if (it[i] ~ /^cases=/) { c = substr(it[i], 7); gsub(/,/, "`, `", c); out = out " cases `" c "`" }
			else if (it[i] ~ /^case-log=/) { c = substr(it[i], 10); out = out " `" substr(c, 1, index(c, ":") - 1) "` for `/" substr(c, index(c, ":") + 1) "/`" }
			else out = out " log `/" substr(it[i], 5) "/`"
			if (i < n) out = out (it[i + 1] ~ /^log=/ && it[i] ~ /^log=/ ? ", then" : ";")
		}
		return out
	}
	function cell(v, sig,   n, alt, i, out) {
		if (v != "fail") return v
		if (sig == "TODO") return "fail: **TODO**, signature not recorded yet"
		n = split(sig, alt, / OR /); out = "fail:"
		for (i = 1; i <= n; i++) out = out (i > 1 ? " *or*" : "") one(alt[i])
		gsub(/\|/, "\\|", out)
		return out
	}
	{ printf "| %s | %s | %s | %s | %s |\n", $2, $3, cell($4, $6), cell($5, $7), $8 }' <<<"$rows"
}
gen_splats() {
	"$TOP/scripts/scan-log.sh" --patterns |
		awk -F'\t' '{ printf "%s`%s` (%s)", (NR > 1 ? ", " : "  "), $2, $1 } END { print "." }'
}
# block NAME GENERATOR: check (or --update) <!-- NAME:begin/end -->.
block() {
	local cur new
	cur=$(sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$readme" | sed '1d;$d')
	new=$($2)
	if [ "$update" ]; then
		new=$new awk -v b="<!-- $1:begin -->" -v e="<!-- $1:end -->" '
			$0 == b { print; print ENVIRON["new"]; skip = 1; next } $0 == e { skip = 0 } !skip' \
			"$readme" >"$readme.tmp" && mv "$readme.tmp" "$readme"
	elif [ "$cur" != "$new" ]; then
		diff <(echo "$cur") <(echo "$new") >&2 || true
		die "README.md's $1 differs from what CI uses (scripts/check-readme-matrix.sh --update)"
	fi
}
update=
[ "${1:-}" != --update ] || update=1
block matrix gen_matrix
block splats gen_splats
[ "$update" ] || echo "README matrix and splat list match selftests/expectations.tsv and scan-log.sh"
