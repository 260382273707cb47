#!/bin/bash
# Does a failed test's result dir (verdict.sh's cases.tsv and splats.tsv,
# and console.log) show the expected failure signature of
# selftests/expectations.tsv? Exits 0 if so; else prints each difference,
# one a line, and exits 1.
# Usage: match-signature.sh RESULT_DIR SIGNATURE
. "$(dirname "$0")/lib.sh"
d=$1 sig=$2
[ "$sig" != TODO ] || { echo "the expected signature is TODO: fill it in from the signature seen"; exit 1; }
# Alternatives, " OR "-separated: the first that matches wins; if none
# does, print each one's differences.
if [[ $sig == *" OR "* ]]; then
	out=()
	while IFS= read -r alt; do
		o=$("$0" "$d" "$alt") && exit 0
		out+=("alternative '$alt':" "$(sed 's/^/  /' <<<"$o")")
	done < <(sed 's/ OR /\n/g' <<<"$sig")
	printf '%s\n' "${out[@]}"
	exit 1
fi
strip() { sed 's/^\[[^]]*\] //'; }
why=()
want_cases='' logs=() caselogs=()
IFS=';' read -r -a items <<<"$sig"
for it in "${items[@]}"; do
	case $it in
	cases=*) want_cases=${it#cases=} ;;
	log=*) logs+=("${it#log=}") ;;
	case-log=*) caselogs+=("${it#case-log=}") ;;
	*) die "bad signature item '$it' (check-expectations.sh should have refused it)" ;;
	esac
done

# cases=: exactly these fail, every other case passes.
if [ -n "$want_cases" ]; then
	declare -A want=() seen=()
	for c in ${want_cases//,/ }; do want[$c]=1; done
	while IFS=$'\t' read -r c r _; do
		seen[$c]=1
		if [ -n "${want[$c]:-}" ]; then
			[ "$r" = fail ] || why+=("case $c: $r, expected fail")
		else
			[ "$r" = pass ] || why+=("case $c: $r, expected pass")
		fi
	done <"$d/cases.tsv"
	for c in "${!want[@]}"; do [ -n "${seen[$c]:-}" ] || why+=("case $c: no result"); done
fi

# case-log=CASE:ERE: the case failed and one of its own diagnostic lines
# (what the harness printed between its RUN and its result) matches ERE,
# so that it failed for the expected reason.
for cl in "${caselogs[@]}"; do
	c=${cl%%:*} re=${cl#*:}
	r=$(awk -F'\t' -v c="$c" '$1 == c { print $2 }' "$d/cases.tsv")
	[ "$r" = fail ] || { why+=("case $c: ${r:-no result}, expected fail with /$re/"); continue; }
	awk -v c="$c" '
		$0 ~ "^# #  *RUN  *" c " \\.\\.\\.$" { on = 1; next }
		on && $0 ~ "^# #  *(FAIL|OK|SKIP|XFAIL|XPASS)  *" c "$" { exit }
		on { sub(/^# (# )?/, ""); print }' "$d/tap.log" | grep -Eq -- "$re" ||
		why+=("case $c failed, but none of its lines matches /$re/")
done

# log=: the first splat is the expected one, the rest follow it in order.
first=$(head -1 "$d/splats.tsv" | cut -f3-)
if [ ${#logs[@]} = 0 ]; then
	[ -z "$first" ] || why+=("kernel splat, and the signature has no log=: $(strip <<<"$first")")
elif [ -z "$first" ]; then
	why+=("no kernel splat, expected one matching /${logs[0]}/")
elif ! strip <<<"$first" | grep -Eq -- "${logs[0]}"; then
	why+=("first kernel splat '$(strip <<<"$first")' does not match /${logs[0]}/")
else
	at=$(grep -nxF -m1 -- "$first" "$d/console.log" | cut -d: -f1)
	for re in "${logs[@]:1}"; do
		off=$(tail -n +"$((at + 1))" "$d/console.log" | strip | grep -nE -m1 -- "$re" | cut -d: -f1 || true)
		[ -n "$off" ] || { why+=("no console line matching /$re/ after line $at"); break; }
		at=$((at + off))
	done
fi
[ ${#why[@]} = 0 ] && exit 0
printf '%s\n' "${why[@]}"
exit 1
