#!/bin/bash
# Build and install the series' kselftest targets from the patched tree with
# the kernel's own 'make kselftest-install'. The same binaries then run on
# the unpatched and the patched kernel.
# Usage: build-selftests.sh BASE [TARGET...]
. "$(dirname "$0")/lib.sh"
base=$1; shift
[ $# -gt 0 ] || set -- $(targets)
# RETEST=1: take the patched tree as it is, uncommitted edits included.
[ -n "${RETEST:-}" ] || "$TOP/scripts/prepare-tree.sh" "$base" patched
ptree=$(tree_dir "$base" patched)
# Build in a worktree of its own, reset every time: 5.10's kselftest Makefile
# runs headers_install inside the source tree even with O=, which would
# leave it unfit for O= builds.
src=$(tree_dir "$base" ksft)
commit=$(git -C "$ptree" rev-parse HEAD)
if [ ! -d "$src" ]; then
	git -C "$(base_repo "$base")" worktree prune
	git -C "$(base_repo "$base")" worktree add -q --detach "$src" "$commit" || die "cannot create $src"
fi
obj=$(build_dir "$base" selftests)
inst=$obj/kselftest/kselftest_install
stampf=$obj/ksft.stamp
want="$(git -C "$ptree" rev-parse "HEAD^{tree}") $* $(cat "$(build_dir "$base" patched)/kernel/.config.stamp" 2>/dev/null)"
if [ -z "${RETEST:-}" ] && [ -x "$inst/run_kselftest.sh" ] && [ "$(cat "$stampf" 2>/dev/null)" = "$want" ]; then
	echo "$inst"; exit 0
fi
rm -f "$stampf"
git -C "$src" checkout -q -f --detach "$commit" && git -C "$src" clean -q -fdx || die "cannot reset $src"
if [ -n "${RETEST:-}" ]; then
	for t in "$@"; do
		rsync -a --delete "$ptree/tools/testing/selftests/$t/" "$src/tools/testing/selftests/$t/"
	done
	rsync -a "$ptree/tools/testing/selftests/Makefile" "$src/tools/testing/selftests/Makefile"
fi
kcfg=$(build_dir "$base" patched)/kernel/.config
[ -f "$kcfg" ] || die "no patched kernel config for $base: build the kernel first"
mkdir -p "$obj"
cmp -s "$kcfg" "$obj/.config" || cp "$kcfg" "$obj/.config"
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
make -s -C "$src" O="$obj" CC="ccache gcc" olddefconfig >/dev/null || die "olddefconfig failed in $obj"
rm -rf "$obj/kselftest/kselftest_install"
make -s -C "$src" O="$obj" CC="ccache gcc" TARGETS="$*" kselftest-install >"$obj/ksft.log" 2>&1 ||
	{ tail -30 "$obj/ksft.log" >&2; die "selftest build failed for $base ($*); log: $obj/ksft.log"; }
[ -x "$inst/run_kselftest.sh" ] || die "kselftest-install produced no run_kselftest.sh in $inst"
[ -n "${RETEST:-}" ] || echo "$want" >"$stampf"
echo "$inst"
