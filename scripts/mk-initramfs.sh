#!/bin/bash
# Pack the guest's initramfs: busybox-static, scripts/vm/init, the kselftest
# install dir, the shared libraries its programs need, and every program or
# file a target lists in selftests/<target>/guest-programs, and those of
# scripts/vm/guest-programs (one guest path a line).  A listed path comes
# from the unpacked packages of scripts/vm/guest-debs.txt if one has it,
# else from the host.
# Usage: mk-initramfs.sh KSELFTEST_INSTALL_DIR OUTPUT.cpio
. "$(dirname "$0")/lib.sh"
inst=$1 outf=$2
need cpio ldd
busybox=/bin/busybox
[ -x $busybox ] && ! ldd $busybox >/dev/null 2>&1 ||
	die "$busybox is missing or not static: install busybox-static (run: make deps)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,var/lib,lib,lib64}
# mktemp -d makes "/" of the guest 0700: no unprivileged process could
# reach any path (nvme_sysfs_read's readers run as nobody).
chmod 755 "$stage"
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
install -m 755 "$TOP/scripts/vm/init" "$stage/init"
cp -a "$inst" "$stage/kselftest"
groot=$("$TOP/scripts/fetch-guest-debs.sh")
# _rpc: rpcbind drops root to it, and dies if it does not exist.
printf '%s\n' "root:x:0:0:root:/root:/bin/sh" "_rpc:x:100:65534::/run/rpcbind:/bin/false" >"$stage/etc/passwd"
printf '%s\n' "root:x:0:" "nogroup:x:65534:" >"$stage/etc/group"
echo "127.0.0.1 localhost" >"$stage/etc/hosts"

progs=()
for f in "$TOP/scripts/vm/guest-programs" $(for t in $(targets); do echo "$TOP/selftests/$t/guest-programs"; done); do
	[ -f "$f" ] || continue
	t=$(basename "$(dirname "$f")")
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		src=$p
		[ -e "$groot$p" ] && src=$groot$p
		[ -f "$src" ] || die "$t needs $p in the guest, which neither the host nor scripts/vm/guest-debs.txt has (run: make deps)"
		mkdir -p "$stage$(dirname "$p")"; cp -L "$src" "$stage$p"; progs+=("$p")
	done <"$f"
done
# Copy the libraries of every dynamic ELF, with the loader; those of the
# unpacked packages first.
export LD_LIBRARY_PATH=$groot/usr/lib/x86_64-linux-gnu:$groot/lib/x86_64-linux-gnu
while read -r elf; do
	deps=$(ldd "$elf" 2>/dev/null || true)
	missing=$(echo "$deps" | awk '/not found/ { print $1 }')
	[ -z "$missing" ] || die "${elf#$stage} needs $missing: add its package to scripts/vm/guest-debs.txt"
	{ echo "$deps" | grep -o '/[^ ]*' || true; } | while read -r lib; do
		dst=${lib#$groot}
		[ -e "$stage$dst" ] || { mkdir -p "$stage$(dirname "$dst")"; cp -L "$lib" "$stage$dst"; }
	done
done < <(find "$stage/kselftest" "$stage/usr" "$stage/sbin" -type f -perm -u+x 2>/dev/null)
unset LD_LIBRARY_PATH
# Byte-identical for identical contents (fixed mtimes, inode numbers), so
# that run-tests.sh can tell an unchanged initramfs by its sha256.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$outf.part" || die "cpio failed"
mv "$outf.part" "$outf"
