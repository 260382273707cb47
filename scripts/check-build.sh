#!/bin/bash
# Compile checks of one base's series, in a compile-only object dir:
#  - bisectability: after each patch, the objects of the files it touches
#    build (a touched header means every object whose .cmd lists it);
#  - W=1 and sparse (C=1): the final state adds no warning to those objects
#    that the unpatched base does not have (line numbers ignored).
# Usage: check-build.sh BASE
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
need sparse make gcc ccache
"$TOP/scripts/prepare-tree.sh" "$base" patched
tag=$(base_tag "$base")
ptree=$(tree_dir "$base" patched)
vmobj=$(build_dir "$base" patched)/kernel
use_build_dir "$base" compile
[ -f "$vmobj/.config" ] || die "no patched $base kernel build to find header users in: build it first"
log_dir=$RESULTS/$base/compile
mkdir -p "$log_dir"

# build_objs LOGFILE OBJ...: compile with W=1 C=1, warnings to LOGFILE.
build_objs() {
	local logf=$1; shift
	[ $# -gt 0 ] || { : >"$logf"; return 0; }
	touch $(for o in "$@"; do echo "$src/${o%.o}.c"; done) 2>/dev/null || true
	"${K[@]}" W=1 C=1 "$@" >"$logf" 2>&1
}

commits=$(git -C "$ptree" rev-list --reverse "$tag..HEAD")
all_objs=()
n=0
for c in $commits; do
	n=$((n + 1))
	subj=$(git -C "$ptree" log -1 --format=%s "$c")
	mapfile -t objs < <(kbuild_objects "$vmobj" $(git -C "$ptree" diff-tree --no-commit-id --name-only -r "$c"))
	all_objs+=("${objs[@]}")
	[ ${#objs[@]} -gt 0 ] || { echo "patch $n ($subj): no compiled files"; continue; }
	checkout_build "$c"
	configure_build
	build_objs "$log_dir/patch-$n.log" "${objs[@]}" ||
		{ cat "$log_dir/patch-$n.log" >&2; die "$base patch $n ($subj) does not build: ${objs[*]}"; }
	echo "patch $n ($subj): builds (${objs[*]})"
done
mapfile -t all_objs < <(printf '%s\n' "${all_objs[@]}" | sort -u | grep . || true)
[ ${#all_objs[@]} -gt 0 ] || exit 0

norm() { grep -E 'warning:|error:' "$1" | sed -E 's|^.*/trees/[^/]+/build/||; s|:[0-9]+:[0-9]+:|:|; s|:[0-9]+:|:|' | sort -u; }
build_objs "$log_dir/final.log" "${all_objs[@]}" || die "final $base state does not build"
checkout_build "$tag"
build_objs "$log_dir/base.log" "${all_objs[@]}" || true
new=$(comm -13 <(norm "$log_dir/base.log") <(norm "$log_dir/final.log"))
checkout_build "$(git -C "$ptree" rev-parse HEAD)"
if [ -n "$new" ]; then
	echo "$new" >&2
	die "the $base series adds W=1/sparse warnings (see above)"
fi
if grep -q 'C=1 specified, but' "$log_dir/final.log"; then
	# bookworm's sparse 0.6.4 lacks __typeof_unqual__, which v7.3 needs.
	echo "W=1: no new warnings in ${all_objs[*]} ($base); sparse NOT run: $(sparse --version) is too old for this tree"
else
	echo "W=1 + sparse: no new warnings in ${all_objs[*]} ($base)"
fi
