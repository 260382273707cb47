#!/bin/bash
# Bad input to the project's own scripts: each case must end in a clear
# error that names the cause, a non-zero exit, and no half-applied tree.
# Uses the real scripts against broken inputs; needs built kernels only for
# the guest cases (skipped, and said so, when there are none). Cases 11-16,
# the verdict code fed canned logs, are in test-tooling-verdict.sh;
# 'test-tooling.sh verdict' runs only those.
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect_error NAME PATTERN CMD...: CMD must fail and print PATTERN.
expect_error() {
	local name=$1 pat=$2 rc=0 out
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ $rc != 0 ] && grep -q -- "$pat" <<<"$out"; then
		echo "ok - $name: $(grep -m1 -- "$pat" <<<"$out")"; pass=$((pass + 1))
	else
		echo "not ok - $name (exit $rc, wanted /$pat/): $(tail -3 <<<"$out")"; fail=$((fail + 1))
	fi
}

# expect_ok NAME CMD...: CMD must succeed (the positive control of a case).
expect_ok() {
	local name=$1 rc=0 out
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		echo "ok - $name"; pass=$((pass + 1))
	else
		echo "not ok - $name (exit $rc): $(tail -3 <<<"$out")"; fail=$((fail + 1))
	fi
}
# check NAME CONDITION-CMD...: a plain assertion.
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok - $name"; pass=$((pass + 1))
	else echo "not ok - $name"; fail=$((fail + 1)); fi
}

# 'test-tooling.sh verdict': only the verdict code's cases (no network,
# no kernel trees).
if [ "${1:-}" = verdict ]; then
	. "$S/test-tooling-verdict.sh"
	echo "tooling (verdict cases): $pass passed, $fail failed"
	[ $fail = 0 ]; exit
fi

# 0. checkpatch's FILE_PATH_CHANGES is ignored only for added files in a
# directory MAINTAINERS lists (lib.sh maintained_ign).
printf 'diff --git a/%s b/%s\nnew file mode 100644\n' tools/testing/selftests/nfs/x.c tools/testing/selftests/nfs/x.c >"$tmp/maint.ok.patch"
printf 'diff --git a/%s b/%s\nnew file mode 100644\n' tools/testing/selftests/kseries-none/x.c tools/testing/selftests/kseries-none/x.c >"$tmp/maint.new.patch"
check "an added file in a maintained selftest dir: FILE_PATH_CHANGES ignored" \
	test "$(maintained_ign "$tmp/maint.ok.patch" mainline)" = ,FILE_PATH_CHANGES
check "an added file in a directory no F: line names: FILE_PATH_CHANGES kept" \
	test -z "$(maintained_ign "$tmp/maint.new.patch" mainline)"

# 1. A download that fails, through the project-local apt configuration.
expect_error "download failure" "apt-get update of the project-local lists failed" \
	env KSERIES_CACHE="$tmp/c1" KSERIES_MIRROR=http://127.0.0.1:9 "$S/fetch-bases.sh" 5.10

# 2. A cached download whose checksum does not match: refused and removed.
mkdir -p "$tmp/c2/downloads"
echo garbage >"$tmp/c2/downloads/linux_5.10.262.orig.tar.xz"
expect_error "checksum mismatch" "checksum mismatch for" \
	env KSERIES_CACHE="$tmp/c2" "$S/fetch-bases.sh" 5.10
if [ -e "$tmp/c2/downloads/linux_5.10.262.orig.tar.xz" ]; then
	echo "not ok - checksum mismatch: the bad file was kept"; fail=$((fail + 1))
fi

# 3. A patch that does not apply: named, and the tree is left at the tag.
mkdir -p "$tmp/p/5.10"
cp "$TOP"/patches/5.10/0001-*.patch "$tmp/p/5.10/"
# Corrupt the first context line of the second patch.
awk '!done && /^@@ / { hunk = 1; print; next }
     hunk && !done && /^ / { print " broken context"; done = 1; next } { print }' \
	"$TOP"/patches/5.10/0002-*.patch >"$tmp/p/5.10/0002-broken.patch"
(cd "$tmp/p/5.10" && ls *.patch) >"$tmp/p/5.10/series"
# (a scratch worktree kept between runs: creating one takes a while)
expect_error "patch does not apply" "patch 5.10/0002-broken.patch does not apply" \
	env KSERIES_PATCHES="$tmp/p" KSERIES_TREES="$CACHE/scratch-trees" "$S/prepare-tree.sh" 5.10 patched
t=$CACHE/scratch-trees/5.10/patched
if [ "$(git -C "$t" rev-parse HEAD)" = "$(git -C "$t" rev-parse "$(base_tag 5.10)^{commit}")" ] &&
   [ -z "$(git -C "$t" status --porcelain --untracked-files=no)" ]; then
	echo "ok - patch does not apply: tree left clean at $(base_tag 5.10)"; pass=$((pass + 1))
else
	echo "not ok - patch does not apply: tree left half-applied"; fail=$((fail + 1))
fi

# 4. A kernel config that lost a required symbol: a canned minimal .config
# (every symbol of scripts/vm/required.txt), which passes, and the same
# without PROVE_LOCKING, which must not. Needs no kernel build.
grep -v '^#' "$TOP/scripts/vm/required.txt" | grep . | sed 's/$/=y/' >"$tmp/config.ok"
expect_ok "config assertion, complete config" "$S/check-config.sh" "$tmp/config.ok"
grep -v '^CONFIG_PROVE_LOCKING=' "$tmp/config.ok" >"$tmp/config"
expect_error "config assertion" "CONFIG_PROVE_LOCKING is not =y" "$S/check-config.sh" "$tmp/config"

# 5. A missing tool.
# A PATH with everything but QEMU.
mkdir -p "$tmp/bin"
for d in /usr/local/bin /usr/bin /bin; do
	for f in "$d"/*; do
		n=${f##*/}
		[ "$n" = qemu-system-x86_64 ] || [ -e "$tmp/bin/$n" ] || ln -s "$f" "$tmp/bin/$n"
	done
done
expect_error "missing tool" "required tool 'qemu-system-x86_64' is missing" \
	env PATH="$tmp/bin" "$S/run-vm.sh" /dev/null /dev/null "$tmp/vm0" 5 x:y

# 6. A guest package whose pinned checksum does not match: refused, removed.
printf 'netbase\t6.4\t%064d\n' 0 >"$tmp/guest-debs.txt"
expect_error "guest package checksum" "netbase 6.4: sha256 .*, expected 0000" \
	env KSERIES_CACHE="$tmp/c3" KSERIES_GUEST_DEBS="$tmp/guest-debs.txt" "$S/fetch-guest-debs.sh"
if ls "$tmp/c3/guest-debs/"*.deb >/dev/null 2>&1; then
	echo "not ok - guest package checksum: the bad .deb was kept"; fail=$((fail + 1))
fi

# 7. A same-code claim for a patch that is not in the series.
echo "no such patch" >"$tmp/same-code.txt"
expect_error "same-code patch missing" 'no single patch with subject "no such patch"' \
	env KSERIES_SAME_CODE="$tmp/same-code.txt" KSERIES_RESULTS="$tmp/results" "$S/check-same-code.sh" 5.10

# 8. A same-code claim for a patch that does change code (the first dm
# patch) must be refused: the check can fail.  (Its logs go to $tmp, not
# over those of the real check.)
git -C "$(tree_dir 5.10 patched)" log --format=%s "$(base_tag 5.10)..HEAD" | tail -1 >"$tmp/same-code-dm.txt"
expect_error "same-code claim refused" "changes the code of: .*drivers/md/dm-snap.o" \
	env KSERIES_SAME_CODE="$tmp/same-code-dm.txt" KSERIES_RESULTS="$tmp/results" "$S/check-same-code.sh" 5.10

# 8b. A same-code proof that shrank below its recorded minimum is refused.
(grep -v '^min ' "$TOP/scripts/same-code-patches.txt"; echo "min 5.10 100000") >"$tmp/same-code-min.txt"
expect_error "same-code proof below its minimum" "fewer than the 100000" \
	env KSERIES_SAME_CODE="$tmp/same-code-min.txt" KSERIES_RESULTS="$tmp/results" "$S/check-same-code.sh" 5.10

# 9. and 10. A guest that panics, and one that hangs (needs a built kernel).
k=$(build_dir mainline unpatched)/kernel/arch/x86/boot/bzImage
if [ -f "$k" ]; then
	echo "not an initramfs" >"$tmp/bad.cpio"
	expect_error "guest panics" "guest panicked" "$S/run-vm.sh" "$k" "$tmp/bad.cpio" "$tmp/vm1" 60 x:y
	expect_error "guest hangs" "guest hung" "$S/run-vm.sh" "$k" "$(build_dir mainline selftests)/initramfs.cpio" "$tmp/vm2" 1 x:y
else
	echo "# guest cases not run: no built mainline kernel yet"
fi

# The cover letter's generated overview: made from a run's results, and
# refused when the letter holds another run's matrix.
fr=$tmp/cover-results
for v in unpatched patched; do
	mkdir -p "$fr/mainline/$v" "$fr/5.10/$v"
	col=$([ $v = unpatched ] && echo 3 || echo 4)
	for b in mainline 5.10; do
		awk -F'\t' -v b="$b" -v c="$col" '!/^#/ && $2 == b { print $1 "\t" $c "\ttcg\t\tx" }' \
			"$TOP/selftests/expectations.tsv" >"$fr/$b/$v/summary.tsv"
	done
done
cp "$TOP/cover-letter.txt" "$tmp/cl.txt"
cov() { env KSERIES_RESULTS="$fr" KSERIES_COVER_LETTER="$tmp/cl.txt" "$S/cover-overview.sh" "$@"; }
expect_ok "cover overview: written from a run" cov --update
expect_ok "cover overview: the letter holds that run's" cov --check
sed -i '0,/\tfail\t/s/\tfail\t/\tpass\t/' "$fr/mainline/unpatched/summary.tsv"
expect_error "cover overview: another run's matrix" "is not the last run's" cov --check
: >"$fr/5.10/patched/summary.tsv"
expect_error "cover overview: a run without a test" "has no result for" cov
grep -v -- '----- ' "$TOP/cover-letter.txt" >"$tmp/cl.txt"
expect_error "cover overview: a letter without its place" "has no generated overview" cov --check

sed '/^Subject: \[PATCH v2 0\/3\] fs, NFS/a Before sending: rebase this.' "$TOP/cover-letter.txt" >"$tmp/cl.txt"
expect_error "cover letter: a note for the sender in a mailed part" "would mail a note for the sender" \
	env KSERIES_COVER_LETTER="$tmp/cl.txt" "$S/send-cover.sh" mountstats

# 11-16 need no kernel: the verdict code, fed canned logs.
. "$S/test-tooling-verdict.sh"

echo "tooling: $pass passed, $fail failed"
[ $fail = 0 ]
