#!/bin/bash
# Run the series' selftests on one built kernel, one boot per test, and
# write results/<base>/<variant>/: per test its console.log, tap.log and
# result, and summary.tsv ("test<TAB>pass|fail|skip<TAB>note").
# A kernel splat attributed to a test, or a hung or dead guest, fails it.
# Usage: run-tests.sh BASE VARIANT [TEST...]   (TEST is target:name)
. "$(dirname "$0")/lib.sh"
base=$1 variant=$2; shift 2
kernel=$(build_dir "$base" "$variant")/kernel/arch/x86/boot/bzImage
inst=$(build_dir "$base" selftests)/kselftest/kselftest_install
initrd=$(build_dir "$base" selftests)/initramfs.cpio
[ -f "$initrd" ] || die "no initramfs for $base: run build-selftests.sh and mk-initramfs.sh"
[ $# -gt 0 ] || set -- $(cat "$inst/kselftest-list.txt")
res=$RESULTS/$base/$variant
mkdir -p "$res"
: >"$res/summary.tsv.part"
for t in "$@"; do
	target=${t%%:*} name=${t#*:}
	d=$res/$target/$name
	rm -rf "$d"; mkdir -p "$d"
	tmo=$(sed -n "s/^timeout=//p" "$inst/$target/settings" 2>/dev/null || true)
	tmo=$(( ${tmo:-45} + 60 ))
	note=
	t0=$(date +%s)
	if ! "$TOP/scripts/run-vm.sh" "$kernel" "$initrd" "$d" "$tmo" "$t" 2>/dev/null; then
		result=fail note=$(cat "$d/vm-error")
	else
		line=$(grep -E "^(not )?ok [0-9]+ selftests: $target: $name( |\$)" "$d/tap.log" | tail -1 || true)
		case $line in
		"") result=fail note="no TAP result line" ;;
		*"# SKIP"*) result=skip ;;
		"not ok"*) result=fail note=${line#*# } ;;
		ok*) result=pass ;;
		esac
	fi
	if splats=$("$TOP/scripts/scan-log.sh" "$d/console.log"); then :; else
		[ "$result" = skip ] || true
		result=fail note="kernel splat: $(echo "$splats" | head -1 | cut -f2 | sed 's/^\[[^]]*\] //')${note:+; $note}"
	fi
	echo "$result" >"$d/result"
	printf '%s\t%s\t%s\n' "$t" "$result" "$note" >>"$res/summary.tsv.part"
	printf '  %-8s %-10s %-45s %4ss %s\n' "$base" "$variant" "$t" "$(( $(date +%s) - t0 ))" "$result${note:+ ($note)}" >&2
done
mv "$res/summary.tsv.part" "$res/summary.tsv"
