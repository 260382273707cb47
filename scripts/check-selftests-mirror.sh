#!/bin/bash
# One source of truth: selftests/<target>/ must be exactly what each series
# adds under tools/testing/selftests/<target>/. C sources, headers, config
# and settings are shared by both bases; a file may have a "<name>.5.10"
# variant for 5.10 (Makefiles, as 5.10's lib.mk lacks KHDR_INCLUDES, and
# config fragments, as some Kconfig symbols differ), never C sources.
# guest-programs is the project's, not the kernel's.
# Usage: check-selftests-mirror.sh BASE...
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- $BASES
bad=0
err() { echo "error: $*" >&2; bad=1; }
for t in $(targets); do
	for f in "$TOP/selftests/$t"/*.5.10; do
		[ -e "$f" ] || continue
		case $f in *.c.5.10|*.h.5.10) err "$t: C sources must not differ per base (${f##*/})" ;; esac
	done
done
for base in "$@"; do
	"$TOP/scripts/prepare-tree.sh" "$base" patched
	tree=$(tree_dir "$base" patched)
	for t in $(targets); do
		src=$TOP/selftests/$t
		want=$(cd "$src" && for f in * .gitignore; do
			[ -f "$f" ] || continue
			case $f in *.5.10|guest-programs) continue ;; esac
			echo "$f"
		done | sort)
		have=$(git -C "$tree" ls-tree -r --name-only HEAD "tools/testing/selftests/$t/" | sed "s|^tools/testing/selftests/$t/||" | sort)
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
