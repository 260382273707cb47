#!/bin/bash
# Print the QEMU accelerator to use: kvm if a guest really boots on it within
# a few seconds, else tcg. /dev/kvm exists on these machines but guests hang
# on it, so probe once per day and cache the answer.
# Usage: probe-accel.sh BZIMAGE INITRAMFS
. "$(dirname "$0")/lib.sh"
cachef=$CACHE/accel
if [ -n "$(find "$cachef" -mmin -1440 2>/dev/null)" ]; then cat "$cachef"; exit 0; fi
mkdir -p "$CACHE"
accel=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	d=$(mktemp -d)
	timeout -k 2 8 qemu-system-x86_64 -accel kvm -smp 1 -m 256 -display none \
		-monitor none -no-reboot -nodefaults -kernel "$1" -initrd "$2" \
		-append "console=ttyS0 panic=-1" -serial "file:$d/c" </dev/null >/dev/null 2>&1 || true
	grep -q 'kseries: done' "$d/c" 2>/dev/null && accel=kvm
	rm -rf "$d"
fi
echo "$accel" | tee "$cachef"
