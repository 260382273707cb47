#!/bin/bash
# Run the series' selftests on one built kernel, one boot per test, and
# write results/<base>/<variant>/ (or OUTDIR): per test its console.log,
# tap.log, meta (what ran) and verdict.sh's files (result, cases.tsv,
# splats.tsv, signature, note), and summary.tsv: a "# key=value ..." header
# saying what ran, then "test<TAB>result<TAB>accel<TAB>signature<TAB>note".
# The verdict (pass, fail, skip, error) is scripts/verdict.sh's.
# Usage: run-tests.sh [-o OUTDIR] BASE VARIANT [TEST...]   (TEST is target:name)
# KSERIES_INITRD overrides the initramfs (e.g. one packed with a changed init).
# A boot is reused, not repeated, when the same test already ran on this
# machine with the same bzImage, initramfs, QEMU and VM scripts and its
# verdict was not error: the logs are copied from $CACHE/runs and judged
# again, and meta says reused_from.  KSERIES_RERUN=1 always boots (CI does).
. "$(dirname "$0")/lib.sh"
res=
[ "${1:-}" != -o ] || { res=$2; shift 2; }
[ $# -ge 2 ] || die "usage: run-tests.sh [-o OUTDIR] BASE VARIANT [TEST...]"
base=$1 variant=$2; shift 2
check_base "$base"
kernel=$(build_dir "$base" "$variant")/kernel/arch/x86/boot/bzImage
inst=$(build_dir "$base" selftests)/kselftest/kselftest_install
initrd=${KSERIES_INITRD:-$(build_dir "$base" selftests)/initramfs.cpio}
[ -f "$kernel" ] || die "no kernel $kernel: build it first (scripts/build-kernel.sh $base $variant)"
[ -f "$initrd" ] || die "no initramfs for $base: run build-selftests.sh and mk-initramfs.sh"
# By default the series' own programs: those with a row for this base (an
# upstream target such as cgroup installs programs the series does not own).
if [ $# = 0 ]; then
	set -- $("$TOP/scripts/check-expectations.sh" | awk -F'\t' -v b="$base" '$3 == b { print $2 }')
	for t in "$@"; do
		grep -qxF "$t" "$inst/kselftest-list.txt" || die "$t has a row for $base but was not installed (kselftest-list.txt)"
	done
fi
res=${res:-$RESULTS/$base/$variant}
mkdir -p "$res"
kernel_sha=$(sha256sum <"$kernel" | cut -c1-64)
initrd_sha=$(sha256sum <"$initrd" | cut -c1-64)
series=$(hash_paths "$(series_dir "$base")")
qemu=$(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p')
runner=$(cat "$TOP/scripts/run-vm.sh" "$TOP/scripts/probe-accel.sh" "$TOP/scripts/vm/init" "$TOP/scripts/vm/test-env" | sha256sum | cut -c1-16)
# Bound on init's settle after a test (scripts/vm/init waits at most 20 s).
settle=20
{
	echo "# base=$base tag=$(base_tag "$base") variant=$variant series=$series bzImage_sha256=$kernel_sha initramfs_sha256=$initrd_sha qemu=$qemu kasan=${KASAN:-0}"
	printf '# test\tresult\taccel\tsignature\tnote\n'
} >"$res/summary.tsv.part"
for t in "$@"; do
	target=${t%%:*} name=${t#*:}
	d=$res/$target/$name
	rm -rf "$d"; mkdir -p "$d"
	tmo=$(sed -n "s/^timeout=//p" "$inst/$target/settings" 2>/dev/null || true)
	tmo=$(( ${tmo:-45} + 60 + settle ))
	t0=$(date +%s)
	key=$(echo "$t $kernel_sha $initrd_sha $runner $qemu ${KASAN:-0} $tmo" | sha256sum | cut -c1-24)
	kept=$CACHE/runs/$key
	if [ -z "${KSERIES_RERUN:-}" ] && [ -f "$kept/meta" ] && [ "$(cat "$kept/result" 2>/dev/null)" != error ]; then
		cp "$kept"/* "$d"/
		echo "reused_from=$(sed -n 's/^started=//p' "$kept/meta")" >>"$d/meta"
		"$TOP/scripts/verdict.sh" "$d" "$t" >/dev/null
		result=$(cat "$d/result") sig=$(cat "$d/signature") note=$(cat "$d/note")
		printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$result" "$(cat "$d/accel")" "$sig" "$note" >>"$res/summary.tsv.part"
		printf '  %-8s %-10s %-38s %5s %s\n' "$base" "$variant" "$t" reused "$result${note:+ ($note)} [boot of $(sed -n 's/^reused_from=//p' "$d/meta")]" >&2
		continue
	fi
	"$TOP/scripts/run-vm.sh" "$kernel" "$initrd" "$d" "$tmo" "$t" 2>/dev/null || true
	accel=$(cat "$d/accel" 2>/dev/null || echo unknown)
	cat >"$d/meta" <<-EOF
		test=$t
		base=$base
		base_tag=$(base_tag "$base")
		variant=$variant
		series=$series
		bzImage=$kernel
		bzImage_sha256=$kernel_sha
		initramfs_sha256=$initrd_sha
		accel=$accel
		qemu=$qemu
		kasan=${KASAN:-0}
		vm_timeout_s=$tmo
		test_env=$(grep -E '^[A-Z_]+=' "$TOP/scripts/vm/test-env" | tr '\n' ' ')
		started=$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)
		seconds=$(( $(date +%s) - t0 ))
	EOF
	"$TOP/scripts/verdict.sh" "$d" "$t" >/dev/null
	result=$(cat "$d/result") sig=$(cat "$d/signature") note=$(cat "$d/note")
	rm -rf "$kept"
	[ "$result" = error ] || { mkdir -p "$kept" && cp "$d"/* "$kept"/; }
	printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$result" "$accel" "$sig" "$note" >>"$res/summary.tsv.part"
	printf '  %-8s %-10s %-38s %4ss %s\n' "$base" "$variant" "$t" "$(( $(date +%s) - t0 ))" "$result${note:+ ($note)}" >&2
done
mv "$res/summary.tsv.part" "$res/summary.tsv"
