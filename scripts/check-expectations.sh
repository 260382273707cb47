#!/bin/bash
# Read selftests/expectations.tsv (or $KSERIES_EXPECTATIONS), refuse a
# malformed row with an error naming its line, and print the rows as
# "LINE<TAB>TEST<TAB>BASE<TAB>UNPATCHED<TAB>PATCHED<TAB>USIG<TAB>PSIG<TAB>WHY".
# The format is described at the top of the table itself.
# Usage: check-expectations.sh
. "$(dirname "$0")/lib.sh"
exp=${KSERIES_EXPECTATIONS:-$TOP/selftests/expectations.tsv}
[ -f "$exp" ] || die "no expectations table $exp"
name=${exp#"$TOP"/}
bad=0
err() { echo "error: $name:$n: $*" >&2; bad=1; }

# check_sig CELL VERDICT SIG: a fail needs a signature, nothing else has one.
check_sig() {
	local cell=$1 v=$2 sig=$3 item re rc
	if [ "$v" != fail ]; then
		[ "$sig" = - ] || err "$cell is $v, so its signature must be '-', not '$sig'"
		return
	fi
	case $sig in
	''|-) err "$cell is fail but names no signature (cases=... and/or log=..., or TODO)"; return ;;
	TODO) return ;;
	esac
	local IFS=';' alts alt
	# " OR " separates alternative signatures: any one of them must match.
	alts=${sig// OR /$'\x1e'}
	IFS=$'\x1e'
	for alt in $alts; do
	[ -n "$alt" ] || { err "$cell: an empty alternative in '$sig'"; continue; }
	IFS=';'
	for item in $alt; do
		case $item in
		cases=?*) [[ ${item#cases=} =~ ^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$ ]] ||
				err "$cell: 'cases=' wants comma-separated case names, got '${item#cases=}'" ;;
		log=?*) re=${item#log=} rc=0
			grep -Eq -- "$re" </dev/null 2>/dev/null || rc=$?
			[ $rc != 2 ] || err "$cell: '$re' is not a valid extended regular expression" ;;
		case-log=?*:?*) re=${item#case-log=*:} rc=0
			[[ ${item#case-log=} =~ ^[A-Za-z0-9_.-]+: ]] || err "$cell: 'case-log=' wants CASE:ERE, got '${item#case-log=}'"
			grep -Eq -- "$re" </dev/null 2>/dev/null || rc=$?
			[ $rc != 2 ] || err "$cell: '$re' is not a valid extended regular expression" ;;
		*) err "$cell: signature item '$item' is neither cases=NAME,..., log=ERE nor case-log=CASE:ERE" ;;
		esac
	done
	done
}

declare -A first=()
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case $line in ''|'#'*) continue ;; esac
	# \x1f as IFS keeps empty fields (bash merges runs of tabs)
	IFS=$'\x1f' read -r -a f <<<"${line//$'\t'/$'\x1f'}"
	[ ${#f[@]} = 7 ] || { err "${#f[@]} tab-separated fields, expected 7 (test, base, unpatched, patched, unpatched signature, patched signature, why)"; continue; }
	t=${f[0]} b=${f[1]} wu=${f[2]} wp=${f[3]} su=${f[4]} sp=${f[5]} why=${f[6]}
	[[ $t =~ ^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$ ]] || err "test '$t' is not TARGET:PROGRAM"
	case $b in mainline|5.10) ;; *) err "unknown base '$b' (expected: $BASES)" ;; esac
	for v in "$wu" "$wp"; do
		case $v in
		pass|fail|skip) ;;
		error) err "'error' is never an expectation: it means the run proved nothing" ;;
		*) err "unknown verdict '$v' (expected pass, fail or skip)" ;;
		esac
	done
	check_sig unpatched "$wu" "$su"
	check_sig patched "$wp" "$sp"
	[ -n "$why" ] || err "the 'why' column is empty"
	if [ -n "${first[$t/$b]:-}" ]; then
		err "duplicate row for $t on $b (first at line ${first[$t/$b]})"
	else
		first[$t/$b]=$n
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$t" "$b" "$wu" "$wp" "$su" "$sp" "$why"
done <"$exp"
[ $bad = 0 ] || die "$name is malformed (see above)"
