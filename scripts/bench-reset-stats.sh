#!/bin/bash
# What a write to blkio.reset_stats costs with 1,024 blkgs, on the mainline
# kernel just before "blk-cgroup: don't clear the io.stat counters in
# blkcg_reset_stats()" and on the patched kernel (the patches after it are
# tests, so its kernel is the one with the cleanup).  Builds the "before"
# kernel once, incrementally, in a copy of the patched object dir; boots
# each kernel once with selftests/cgroup/blkio_reset_bench (its defaults: 2,000 rounds, enough even when the clock moves by ticks)
# and tsc=reliable (keeps a calibrated TSC as the clocksource; when
# calibration fails, as it sometimes does under TCG, the clock moves in
# 4 ms ticks, which the 2,000 rounds allow for);
# prints both result lines and the ratios.  A benchmark, not a check:
# 'make check' does not run it.  Needs the patched kernel and the
# selftests built ('make demo').
# Usage: bench-reset-stats.sh
. "$(dirname "$0")/lib.sh"
base=mainline
need qemu-system-x86_64 make gcc ccache
ptree=$(tree_dir "$base" patched)
head=$(git -C "$ptree" rev-parse HEAD)
cleanup=$(git -C "$ptree" log --format='%H %s' "$(base_tag "$base")..HEAD" |
	awk '/ blk-cgroup: don.t clear the io.stat counters in blkcg_reset_stats\(\)$/ { print $1 }')
[ -n "$cleanup" ] || die "no iostat cleanup patch in $ptree"
use_vm_objdir "$base"
after=$obj
[ "$(cut -d' ' -f1 "$after/.build.stamp" 2>/dev/null)" = "$head" ] ||
	die "the patched $base kernel is not built from $ptree's HEAD: run 'make demo' first"
before=$(build_dir "$base" before-iostat-cleanup)/kernel
want="$(git -C "$ptree" rev-parse "$cleanup^") $(cut -d' ' -f2- "$after/.build.stamp")"
if [ "$(cat "$before/.build.stamp" 2>/dev/null)" != "$want" ] || [ ! -f "$before/arch/x86/boot/bzImage" ]; then
	log "building the mainline kernel before the iostat cleanup (from the patched object dir)"
	rm -rf "$before"; mkdir -p "$(dirname "$before")"
	cp -a "$after" "$before" || die "cannot copy $after"
	rm -f "$before/.build.stamp"
	trap 'checkout_build "$head"' EXIT
	checkout_build "$cleanup^"
	"${K[@]/#O=*/O=$before}" bzImage >"$before/build.log" 2>&1 ||
		{ tail -20 "$before/build.log" >&2; die "build failed (log: $before/build.log)"; }
	checkout_build "$head"
	trap - EXIT
	! cmp -s "$before/arch/x86/boot/bzImage" "$after/arch/x86/boot/bzImage" ||
		die "the kernel before the cleanup is identical to the patched one"
	echo "$want" >"$before/.build.stamp"
fi
initrd=$(build_dir "$base" selftests)/initramfs.cpio
inst=$(build_dir "$base" selftests)/kselftest/kselftest_install
[ -x "$inst/cgroup/blkio_reset_bench" ] && [ -f "$initrd" ] ||
	die "no blkio_reset_bench in $inst: build the selftests first ('make demo')"
out=$RESULTS/bench-reset-stats
rm -rf "$out"; mkdir -p "$out"
for k in before after; do
	kern=$([ $k = before ] && echo "$before" || echo "$after")/arch/x86/boot/bzImage
	KSERIES_APPEND=tsc=reliable "$TOP/scripts/run-vm.sh" "$kern" "$initrd" "$out/$k" 900 \
		bench:cgroup/blkio_reset_bench || die "the $k guest did not finish: $(cat "$out/$k/vm-error" 2>/dev/null)"
	"$TOP/scripts/scan-log.sh" "$out/$k/console.log" >"$out/$k/splats" ||
		{ cat "$out/$k/splats" >&2; die "the $k kernel printed a splat"; }
	grep -q 'smp: Brought up .* 2 CPUs' "$out/$k/console.log" || die "the $k guest did not bring up 2 CPUs"
	grep -q 'kseries: end bench:cgroup/blkio_reset_bench rc=0$' "$out/$k/console.log" ||
		{ cat "$out/$k/tap.log" >&2; die "the benchmark failed on the $k kernel"; }
	echo "$k: accel=$(cat "$out/$k/accel") $(grep -m1 '^blkio_reset_bench:' "$out/$k/tap.log")"
done >"$out/result"
[ "$(grep -c ' accel=tcg ' "$out/result")" = 2 ] || [ "$(grep -c ' accel=kvm ' "$out/result")" = 2 ] ||
	die "the two runs used different accelerators: $out/result"
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } }
	END {
		b = "before:"; a = "after:"
		if (!((b, "mean_ns_per_round") in v) || !((a, "mean_ns_per_round") in v) || !v[a, "mean_ns_per_round"]) exit 1
		printf "ratio before/after, mean round: %.3f\n", v[b, "mean_ns_per_round"] / v[a, "mean_ns_per_round"]
		printf "net ns per blkg (round minus the empty-cgroup baseline): before %d, after %d\n", v[b, "net_ns_per_blkg"], v[a, "net_ns_per_blkg"]
	}' "$out/result" >>"$out/result" || die "no result lines: $out/result"
cat "$out/result"
