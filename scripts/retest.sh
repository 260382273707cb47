#!/bin/bash
# The edit loop for one selftest: rebuild the target from the patched tree
# as it is (uncommitted edits included), repack the initramfs, and run it on
# the already built patched kernel.
# Usage: retest.sh BASE TARGET
. "$(dirname "$0")/lib.sh"
base=$1 t=$2
check_base "$base"
inst=$(RETEST=1 "$TOP/scripts/build-selftests.sh" "$base" "$t")
initrd=$(build_dir "$base" selftests)/initramfs.cpio
"$TOP/scripts/mk-initramfs.sh" "$inst" "$initrd"
"$TOP/scripts/run-tests.sh" "$base" patched $(grep "^$t:" "$inst/kselftest-list.txt")
