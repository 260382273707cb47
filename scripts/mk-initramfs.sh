#!/bin/bash
# Pack the guest's initramfs: busybox-static, scripts/vm/init, the kselftest
# install dir, the shared libraries its programs need, and every program a
# target lists in selftests/<target>/guest-programs, and those of
# scripts/vm/guest-programs (one path a line).
# Usage: mk-initramfs.sh KSELFTEST_INSTALL_DIR OUTPUT.cpio
. "$(dirname "$0")/lib.sh"
inst=$1 outf=$2
need cpio ldd
busybox=/bin/busybox
[ -x $busybox ] && ! ldd $busybox >/dev/null 2>&1 ||
	die "$busybox is missing or not static: install busybox-static (run: make deps)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,var,lib,lib64}
cp "$busybox" "$stage/bin/busybox"
install -m 755 "$TOP/scripts/vm/init" "$stage/init"
cp -a "$inst" "$stage/kselftest"
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"

progs=()
for f in "$TOP/scripts/vm/guest-programs" $(for t in $(targets); do echo "$TOP/selftests/$t/guest-programs"; done); do
	[ -f "$f" ] || continue
	t=$(basename "$(dirname "$f")")
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		[ -x "$p" ] || die "$t needs $p in the guest, which is not installed (run: make deps)"
		mkdir -p "$stage$(dirname "$p")"; cp -L "$p" "$stage$p"; progs+=("$p")
	done <"$f"
done
# Copy the libraries of every dynamic ELF, with the loader.
while read -r elf; do
	{ ldd "$elf" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		[ -e "$stage$lib" ] || { mkdir -p "$stage$(dirname "$lib")"; cp -L "$lib" "$stage$lib"; }
	done
done < <(find "$stage/kselftest" "$stage/usr" -type f -perm -u+x 2>/dev/null)
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$outf.part" || die "cpio failed"
mv "$outf.part" "$outf"
