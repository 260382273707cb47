#!/bin/bash
# The verdict of one test program from what its boot left in DIR:
# console.log (guest kernel log), tap.log (kselftest TAP) and vm-error
# (run-vm.sh's reason when the guest hung or died). Needs no VM, so
# 'make tooling' feeds it canned logs. Writes into DIR:
#   cases.tsv   every case of the program's own TAP: name, result, detail
#   splats.tsv  the kernel splats of this boot (scan-log.sh), before this
#               test, during it or after it
#   result      pass | fail | skip | error
#   signature   for a fail: what failed, as compare-matrix.sh prints it
#   note        the reason, one line
# and prints "RESULT<TAB>SIGNATURE<TAB>NOTE".
#
# error: the run proves nothing: no guest or fewer than 2 CPUs, a setup
#   step failed, or the TAP is incomplete (kselftest's, the harness's or
#   the VM's timeout, a test program that crashed, a hung or dead guest,
#   no plan, zero cases, fewer
#   results than planned, "Bail out!") and the kernel printed no splat.
# skip: the program skipped (whatever else the log holds; a splat is named
#   in the note), or a case skipped and none failed.
# fail: a case failed, the program failed, or the kernel printed a splat
#   (also when the splat left the TAP incomplete: the splat is the proof).
# pass: every planned case passed and the kernel printed no splat.
# Usage: verdict.sh DIR TARGET:NAME
. "$(dirname "$0")/lib.sh"
d=$1 t=$2
S=$TOP/scripts
con=$d/console.log
: >"$d/cases.tsv"
{ "$S/scan-log.sh" "$con" 2>/dev/null || true; } |
	awk -F'\t' -v t="$t" '$1 == "boot" || $1 == t || $1 == "after " t' >"$d/splats.tsv"
facts=$("$S/parse-tap.sh" "$d/tap.log" "$t")
awk -F'\t' -v OFS='\t' '$1 == "case" { print $2, $3, $4 }' <<<"$facts" >"$d/cases.tsv"
fact() { awk -F'\t' -v k="$1" -v f="$2" '$1 == k { print $f; exit }' <<<"$facts"; }
count() { awk -F'\t' -v r="$1" '$1 == "case" && (r == "" || $3 == r) { n++ } END { print n + 0 }' <<<"$facts"; }
names() { awk -F'\t' -v r="$1" '$1 == "case" && $3 ~ "^(" r ")$" { printf "%s%s", s, $2; s = "," }' <<<"$facts"; }
strip() { sed 's/^\[[^]]*\] //'; }
vmerr=$(cat "$d/vm-error" 2>/dev/null || true)
splat=$(head -1 "$d/splats.tsv" | cut -f3- | strip)
nsplat=$(wc -l <"$d/splats.tsv")
outer=$(fact outer 2) odir=$(fact outer 3)
plan=$(fact plan 2) planskip=$(fact plan 3)
ncase=$(count "")

verdict() {
	printf '%s\n' "$1" >"$d/result"
	printf '%s\n' "$2" >"$d/signature"
	printf '%s\n' "$3" >"$d/note"
	printf '%s\t%s\t%s\n' "$1" "$2" "$3"
	exit 0
}
splat_note() { [ "$nsplat" = 0 ] || echo "kernel splat ($nsplat lines, first: $splat)"; }
join() { local IFS=';'; echo "$*"; }

# 1. No run at all.
[ -s "$con" ] || verdict error "" "no guest console output: QEMU or boot failure${vmerr:+ ($vmerr)}"
cpus=$(sed -n 's/.*smp: Brought up .* \([0-9]*\) CPUs\{0,1\}$/\1/p' "$con" | head -1)
[ "${cpus:-0}" -ge 2 ] || verdict error "" "guest brought up ${cpus:-no} CPUs, the tests need 2${vmerr:+ ($vmerr)}"
setup=$(grep -m1 'kseries: setup failed' "$con" | sed 's/.*kseries: //' || true)
[ -z "$setup" ] || verdict error "" "guest $setup"
grep -q "kseries: begin $t\$" "$con" || verdict error "" "the test never started${vmerr:+ ($vmerr)}$( [ "$nsplat" = 0 ] || echo "; $(splat_note)")"

# 2. A skipped program is a skip, whatever else happened.
if [ "$outer" = ok ] && [[ $odir == SKIP* ]]; then
	note="skipped${planskip:+: $planskip}"
	[ "$nsplat" = 0 ] || note+="; $(splat_note)"
	[ -z "$vmerr" ] || note+="; $vmerr"
	verdict skip "" "$note"
fi

# 3. An incomplete run: a splat makes it a fail, else it proves nothing.
inc=()
[ -z "$vmerr" ] || inc+=("$vmerr")
if [ -z "$outer" ]; then inc+=("no TAP result line for $t")
elif [[ $odir == TIMEOUT* ]]; then inc+=("kselftest $odir")
fi
while IFS= read -r c; do [ -z "$c" ] || inc+=("harness timeout in $c"); done < <(awk -F'\t' '$1 == "timeout" { print $2 }' <<<"$facts")
while IFS= read -r c; do [ -z "$c" ] || inc+=("the test program crashed in $c"); done < <(awk -F'\t' '$1 == "crash" { print $2 }' <<<"$facts")
bail=$(fact bail 2)
[ -z "$bail" ] || inc+=("Bail out! $bail")
if [ -z "$plan" ]; then [ ${#inc[@]} -gt 0 ] || inc+=("no TAP plan")
elif [ "$plan" = 0 ]; then inc+=("zero cases run")
elif [ "$ncase" -lt "$plan" ]; then inc+=("$ncase of $plan planned results")
elif [ "$ncase" -gt "$plan" ]; then inc+=("$ncase results, $plan planned")
fi

sig=()
failed=$(names 'fail|xpass')
[ -z "$failed" ] || sig+=("cases=$failed")
[ "$nsplat" = 0 ] || sig+=("log=$splat")
if [ ${#inc[@]} -gt 0 ]; then
	why=$(IFS=';'; echo "${inc[*]}"); why=${why//;/; }
	[ "$nsplat" != 0 ] || verdict error "" "$why"
	verdict fail "$(join "${sig[@]}")" "incomplete after a splat: $why; $(splat_note)"
fi

# 4. Complete: any failure or splat fails the program.
if [ -n "$failed" ] || [ "$outer" = "not ok" ] || [ "$nsplat" != 0 ]; then
	[ -n "$failed" ] || [ "$nsplat" != 0 ] || sig+=("${odir:-exit=?}")
	if [ -n "$failed" ]; then note="$(( $(count fail) + $(count xpass) )) of $ncase cases failed"
	else note="$(count pass) of $ncase cases passed"; fi
	[ "$outer" = ok ] || note+=", program: not ok${odir:+ # $odir}"
	[ "$nsplat" = 0 ] || note+="; $(splat_note)"
	verdict fail "$(join "${sig[@]}")" "$note"
fi
skipped=$(names skip)
[ -z "$skipped" ] || verdict skip "" "cases skipped: $skipped"
verdict pass "" "$ncase of $plan cases passed"
