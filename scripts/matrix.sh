#!/bin/bash
# The whole before/after run for the given bases: build the unpatched and
# the patched kernel, build the series' selftests, boot each kernel once per
# test, then compare with selftests/expectations.tsv.
# Usage: matrix.sh BASE...
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- $BASES
export STAGE_LOG=${STAGE_LOG:-$RESULTS/stages.log}
mkdir -p "$RESULTS"
for base in "$@"; do
	check_base "$base"
	for v in unpatched patched; do
		stage "build kernel $base/$v" "$TOP/scripts/build-kernel.sh" "$base" "$v"
	done
	stage "build selftests $base" "$TOP/scripts/build-selftests.sh" "$base" >/dev/null
	inst=$(build_dir "$base" selftests)/kselftest/kselftest_install
	stage "initramfs $base" "$TOP/scripts/mk-initramfs.sh" "$inst" "$(build_dir "$base" selftests)/initramfs.cpio"
	for v in unpatched patched; do
		stage "run selftests $base/$v" "$TOP/scripts/run-tests.sh" "$base" "$v"
	done
done
"$TOP/scripts/compare-matrix.sh" "$@"
