#!/bin/bash
# Boot one kernel under QEMU with the given initramfs, run one or more
# kselftests (target:test) inside, and leave in OUTDIR:
#   console.log  the guest's whole kernel log (serial 0)
#   tap.log      the kselftest TAP output (serial 1)
#   accel        the QEMU accelerator used (tcg or kvm)
#   vm-error     why, when the guest hung or died
# Exits 0 when the guest reached its end marker, 1 when it hung or died.
# Whether the run proves anything (2 CPUs, complete TAP, ...) is
# scripts/verdict.sh's call.
# Usage: run-vm.sh BZIMAGE INITRAMFS OUTDIR TIMEOUT_S TEST[,TEST...]
# KSERIES_APPEND: more kernel parameters (the benchmark's clocksource).
. "$(dirname "$0")/lib.sh"
kernel=$1 initrd=$2 outd=$3 tmo=$4 tests=$5
need qemu-system-x86_64 timeout
[ -f "$kernel" ] || die "no kernel image $kernel"
[ -f "$initrd" ] || die "no initramfs $initrd"
mkdir -p "$outd"
rm -f "$outd/console.log" "$outd/tap.log" "$outd/vm-error"
accel=$("$TOP/scripts/probe-accel.sh" "$kernel" "$initrd")
echo "$accel" >"$outd/accel"
env=$(grep -E '^[A-Z_]+=[A-Za-z0-9_.-]+$' "$TOP/scripts/vm/test-env" | tr '\n' ' ')
rc=0
timeout -k 5 "$tmo" qemu-system-x86_64 -accel "$accel" -smp cpus=2,sockets=2 -m 1536 \
	-display none -monitor none -no-reboot -nodefaults \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 ignore_loglevel panic=-1 panic_on_warn=0 kseries.tests=$tests $env${KSERIES_APPEND:+ $KSERIES_APPEND}" \
	-serial "file:$outd/console.log" -serial "file:$outd/tap.log" \
	</dev/null >"$outd/qemu.log" 2>&1 || rc=$?
# The serial ports turn \n into \r\n.
for f in console.log tap.log; do
	[ -f "$outd/$f" ] && sed -i 's/\r$//' "$outd/$f"
done
if ! grep -q 'kseries: done' "$outd/console.log" 2>/dev/null; then
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "guest hung: no end marker within ${tmo}s" >"$outd/vm-error"
	elif grep -q 'Kernel panic' "$outd/console.log" 2>/dev/null; then
		echo "guest panicked: $(grep -m1 'Kernel panic' "$outd/console.log")" >"$outd/vm-error"
	else
		echo "guest ended without its end marker (qemu exit $rc: $(tail -1 "$outd/qemu.log" 2>/dev/null))" >"$outd/vm-error"
	fi
	cat "$outd/vm-error" >&2
	exit 1
fi
# (Races need two CPUs; -smp 2 alone gives one under an MP-table-only
# guest: verdict.sh makes a boot with fewer an error.)
