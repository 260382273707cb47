#!/bin/bash
# The edit loop for one selftest: rebuild the target from the patched tree
# as it is (uncommitted edits included), repack the initramfs, and run it on
# the already built patched kernel. Results go to results/<base>/retest/,
# with a summary of their own: never over the matrix's patched/summary.tsv.
# Usage: retest.sh BASE TARGET
. "$(dirname "$0")/lib.sh"
base=$1 t=$2
check_base "$base"
inst=$(RETEST=1 "$TOP/scripts/build-selftests.sh" "$base" "$t")
initrd=$(build_dir "$base" selftests)/initramfs.cpio
"$TOP/scripts/mk-initramfs.sh" "$inst" "$initrd"
# The series' programs of that target: installed, and with a row.
tests=$(grep "^$t:" "$inst/kselftest-list.txt" |
	grep -xF -f <("$TOP/scripts/check-expectations.sh" | awk -F'\t' -v b="$base" '$3 == b { print $2 }')) ||
	die "no test of target $t with a row for $base in $inst/kselftest-list.txt"
"$TOP/scripts/run-tests.sh" -o "$RESULTS/$base/retest" "$base" patched $tests
log "results in ${RESULTS#"$TOP"/}/$base/retest/ (the matrix's patched results are untouched)"
