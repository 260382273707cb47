#!/bin/bash
# One source of truth: selftests/<target>/ must be exactly what each series
# adds under tools/testing/selftests/<target>/. C sources, headers, config
# and settings are shared by both bases; a file may have a "<name>.5.10"
# variant for 5.10 (Makefiles, as 5.10's lib.mk lacks KHDR_INCLUDES, and
# config fragments, as some Kconfig symbols differ), never C sources.
# guest-programs is the project's, not the kernel's.
# The other direction too: every target the series adds (a new directory
# under tools/testing/selftests/, or a "TARGETS += " line) has a mirror
# here, is built (listed in TARGETS), and each of its programs
# (TEST_GEN_PROGS, TEST_PROGS) has a row in selftests/expectations.tsv.
# --no-prepare: use the patched trees as they are (make tooling's fakes).
# Usage: check-selftests-mirror.sh [--no-prepare] BASE...
. "$(dirname "$0")/lib.sh"
prepare=1
[ "${1:-}" != --no-prepare ] || { prepare=; shift; }
[ $# -gt 0 ] || set -- $BASES
bad=0
err() { echo "error: $*" >&2; bad=1; }
rows=$("$TOP/scripts/check-expectations.sh" | cut -f2,3)

# series_targets TREE BASE: the targets the series creates or adds files to.
series_targets() {
	local tag
	tag=$(base_tag "$2")
	git -C "$1" diff --name-only "$tag" HEAD -- tools/testing/selftests/ | awk -F/ 'NF > 4 { print $4 }'
	git -C "$1" diff "$tag" HEAD -- tools/testing/selftests/Makefile | sed -n 's/^+TARGETS += *//p'
}
# upstream TREE BASE TARGET: true if the target exists at the base tag.
upstream() { git -C "$1" cat-file -e "$(base_tag "$2"):tools/testing/selftests/$3" 2>/dev/null; }
# programs TREE REV TARGET: what kselftest runs of a target (its Makefile's
# TEST_GEN_PROGS and TEST_PROGS, continuation lines joined).
programs() {
	git -C "$1" show "$2:tools/testing/selftests/$3/Makefile" 2>/dev/null |
		sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
		sed -n 's/^TEST\(_GEN\)\{0,1\}_PROGS *[:+]\{0,1\}= *//p' | tr -s ' \t' '\n' | grep -v '^$' | sort -u || true
}
# new_programs TREE BASE TARGET: the programs the series adds to a target.
new_programs() {
	if upstream "$1" "$2" "$3"; then
		comm -13 <(programs "$1" "$(base_tag "$2")" "$3") <(programs "$1" HEAD "$3")
	else
		programs "$1" HEAD "$3"
	fi
}
for t in $(targets); do
	for f in "$TOP/selftests/$t"/*.5.10; do
		[ -e "$f" ] || continue
		case $f in *.c.5.10|*.h.5.10) err "$t: C sources must not differ per base (${f##*/})" ;; esac
	done
done
for base in "$@"; do
	[ -z "$prepare" ] || "$TOP/scripts/prepare-tree.sh" "$base" patched
	tree=$(tree_dir "$base" patched)
	[ -d "$tree" ] || die "no patched tree $tree"
	for t in $(series_targets "$tree" "$base" | sort -u); do
		[ -d "$TOP/selftests/$t" ] || err "$base: the series adds selftest target $t, which has no selftests/$t/ mirror"
		git -C "$tree" show HEAD:tools/testing/selftests/Makefile | grep -qE "^TARGETS \+= $t\$" ||
			err "$base: the series adds selftest target $t, which tools/testing/selftests/Makefile does not build (no TARGETS += $t)"
		p=$(new_programs "$tree" "$base" "$t")
		[ -n "$p" ] || err "$base: the series adds selftest target $t, or files to it, but its Makefile gains no TEST_GEN_PROGS or TEST_PROGS"
		for p in $p; do
			grep -qxF "$t:$p"$'\t'"$base" <<<"$rows" ||
				err "$base: the series adds selftest $t:$p, which has no row for $base in selftests/expectations.tsv"
		done
	done
	for t in $(targets); do
		src=$TOP/selftests/$t
		want=$(cd "$src" && for f in * .gitignore; do
			[ -f "$f" ] || continue
			case $f in *.5.10|guest-programs) continue ;; esac
			echo "$f"
		done | sort)
		# Of an upstream target, the mirror holds what the series adds or changes.
		if upstream "$tree" "$base" "$t"; then
			have=$(git -C "$tree" diff --name-only --diff-filter=AM "$(base_tag "$base")" HEAD -- "tools/testing/selftests/$t/")
		else
			have=$(git -C "$tree" ls-tree -r --name-only HEAD "tools/testing/selftests/$t/")
		fi
		have=$(sed "s|^tools/testing/selftests/$t/||" <<<"$have" | grep . | sort || true)
		[ "$want" = "$have" ] || err "$base: files of selftests/$t and of the series differ: $(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"
		for f in $have; do
			m=$src/$f
			[ "$base" = 5.10 ] && [ -f "$src/$f.5.10" ] && m=$src/$f.5.10
			[ -f "$m" ] || continue
			git -C "$tree" show "HEAD:tools/testing/selftests/$t/$f" | cmp -s - "$m" ||
				err "$base: tools/testing/selftests/$t/$f in the series differs from ${m#$TOP/}"
		done
		git -C "$tree" show HEAD:tools/testing/selftests/Makefile | grep -qE "^TARGETS \+= $t\$" ||
			err "$base: tools/testing/selftests/Makefile does not list $t in TARGETS"
	done
done
[ $bad = 0 ] || die "selftests/ and the series disagree"
echo "selftests/ mirrors what each series adds ($*)"
