#!/bin/bash
# Compile checks of one base's series, incrementally in the patched VM
# kernel's object dir (same config, so nothing is compiled twice):
#  - bisectability: after each patch, the objects of the files it touches
#    build (a touched header means every object whose .cmd lists it, unless
#    more than KSERIES_HDR_MAX objects do: then only the objects of the
#    files that patch touches; such a header must be pinned in
#    scripts/vm/neutral-headers.txt, whose users the VM builds compile at
#    the base and, at the series' head, only where they name its token);
#  - files that the VM kernel does not build (cifs, btrfs, xfs) compile in
#    a second object dir, configured with scripts/vm/compile-only.config on
#    top of the VM's fragments, where only their own objects are built;
#  - W=1 and sparse (C=1): the final state adds no warning to those objects
#    that the unpatched base does not have (line numbers ignored).  The VM
#    kernels are W=1 builds (lib.sh), so W=1's compiler warnings come back
#    from ccache with each object; W=1's kernel-doc check reads only the .c
#    file being compiled, so it is run here on the .c files the series
#    touches, not on every object that includes a touched header.
# Leaves the build worktree at the series' head; the next kernel build
# recompiles the W=1 objects (ccache) and relinks.
# Usage: check-build.sh BASE
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
need sparse make gcc ccache
"$TOP/scripts/prepare-tree.sh" "$base" patched
tag=$(base_tag "$base")
ptree=$(tree_dir "$base" patched)
use_vm_objdir "$base"
log_dir=$RESULTS/$base/compile
mkdir -p "$log_dir"
hdr_max=${KSERIES_HDR_MAX:-300}
xobj=$(build_dir "$base" patched)/compile-only
mapfile -t xfrags < <(vm_fragments "$base"; echo "$TOP/scripts/vm/compile-only.config")
KX=(make -s -C "$src" O="$xobj" CC="$KCC" HOSTCC="ccache gcc" -j"${JOBS:-3}" "${KBUILD_FLAGS[@]}")

# build_objs K|KX LOGFILE [W=1 C=1] -- OBJ...: compile with that make
# command, warnings to LOGFILE.  Touching the sources makes every listed
# object really compile.
build_objs() {
	local -n mk=$1
	local which=$1 logf=$2 flags=()
	shift 2
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	[ $# -gt 0 ] || { : >"$logf"; return 0; }
	if [ "$which" = KX ]; then
		mkdir -p "$xobj"
		configure_kernel "$src" "$xobj" "$base compile-only" "${xfrags[@]}"
	fi
	touch -c $(for o in "$@"; do echo "$src/${o%.o}.c"; done) 2>/dev/null || true
	"${mk[@]}" "${flags[@]}" "$@" >"$logf" 2>&1
}

# patch_objects COMMIT: sets objs (objects the VM kernel builds), xobjs
# (the others) and wide (headers too widely used to compile per patch).
patch_objects() {
	local f o fo=()
	objs=() xobjs=() wide=()
	for f in $(git -C "$ptree" diff-tree --no-commit-id --name-only -r "$1"); do
		mapfile -t fo < <(kbuild_objects "$obj" "$f")
		if [[ $f == *.h ]] && [ ${#fo[@]} -gt "$hdr_max" ]; then
			wide+=("$f (${#fo[@]} objects)")
			continue
		fi
		for o in "${fo[@]}"; do
			if [ -f "$obj/$o" ]; then objs+=("$o"); else xobjs+=("$o"); fi
		done
	done
	mapfile -t objs < <(printf '%s\n' "${objs[@]}" | sort -u | grep . || true)
	mapfile -t xobjs < <(printf '%s\n' "${xobjs[@]}" | sort -u | grep . || true)
}

# However it ends, leave the build worktree at the series' head.
trap 'checkout_build "$(git -C "$ptree" rev-parse HEAD)"' EXIT
commits=$(git -C "$ptree" rev-list --reverse "$tag..HEAD")
all_objs=() all_xobjs=()
n=0
for c in $commits; do
	n=$((n + 1))
	subj=$(git -C "$ptree" log -1 --format=%s "$c")
	patch_objects "$c"
	all_objs+=("${objs[@]}") all_xobjs+=("${xobjs[@]}")
	for w in "${wide[@]}"; do
		echo "patch $n: $w: only the objects below (its users that name the changed declaration are among them: scripts/vm/neutral-headers.txt)"
	done
	[ ${#objs[@]} -gt 0 ] || [ ${#xobjs[@]} -gt 0 ] || { echo "patch $n ($subj): no compiled files"; continue; }
	checkout_build "$c"
	build_objs K "$log_dir/patch-$n.log" -- "${objs[@]}" &&
		build_objs KX "$log_dir/patch-$n.compile-only.log" -- "${xobjs[@]}" ||
		{ cat "$log_dir/patch-$n.log" "$log_dir/patch-$n.compile-only.log" >&2 2>/dev/null
		  die "$base patch $n ($subj) does not build: ${objs[*]} ${xobjs[*]}"; }
	echo "patch $n ($subj): builds (${#objs[@]} objects: $(printf '%s\n' "${objs[@]}" | head -3 | tr '\n' ' ')...${xobjs:+; compile-only: ${xobjs[*]}})"
done
mapfile -t all_objs < <(printf '%s\n' "${all_objs[@]}" | sort -u | grep . || true)
mapfile -t all_xobjs < <(printf '%s\n' "${all_xobjs[@]}" | sort -u | grep . || true)
[ ${#all_objs[@]} -gt 0 ] || [ ${#all_xobjs[@]} -gt 0 ] || exit 0
printf '%s\n' "${all_objs[@]}" "${all_xobjs[@]}" | grep . >"$log_dir/objects.txt"

# v7.3's Python kernel-doc writes "Warning: FILE:LINE text", gcc, sparse
# and 5.10's kernel-doc "FILE:LINE[:COL]: warning: text".
norm() { grep -iE 'warning:|error:' "$1" | sed -E 's|^.*/trees/[^/]+/build/||; s|:[0-9]+:[0-9]+:|:|; s|:[0-9]+:|:|; s|:[0-9]+ | |' | sort -u; }
# The series' .c files, as W=1's kernel-doc check would see them.
mapfile -t cfiles < <(git -C "$ptree" diff --no-renames --name-only --diff-filter=AM "$tag..HEAD" -- '*.c' | grep -v '^tools/' || true)
kdoc=scripts/kernel-doc
[ -x "$src/tools/docs/kernel-doc" ] && kdoc=tools/docs/kernel-doc
# build_state LOGFILE: W=1 (from K) and sparse over the objects, then
# kernel-doc over the .c files that exist at the checked-out commit.
build_state() {
	local rc=0 f
	build_objs K "$1" C=1 -- "${all_objs[@]}" || rc=$?
	build_objs KX "$1.x" C=1 -- "${all_xobjs[@]}" || rc=$?
	cat "$1.x" >>"$1"; rm -f "$1.x"
	for f in "${cfiles[@]}"; do
		[ ! -f "$src/$f" ] || (cd "$src" && PYTHONDONTWRITEBYTECODE=1 "./$kdoc" -none "$f") >>"$1" 2>&1 || true
	done
	# A kernel-doc that crashed has checked nothing.
	! grep -q '^Traceback' "$1" || { grep -A5 '^Traceback' "$1" >&2; return 1; }
	return $rc
}
checkout_build "$(git -C "$ptree" rev-parse HEAD)"
build_state "$log_dir/final.log" || die "final $base state does not build"
# Only warnings of the final state can be new: with none, the base's W=1
# build (as long again, every object a ccache miss) cannot change the answer.
new=
if [ -n "$(norm "$log_dir/final.log")" ]; then
	checkout_build "$tag"
	build_state "$log_dir/base.log" || true
	new=$(comm -13 <(norm "$log_dir/base.log") <(norm "$log_dir/final.log"))
	checkout_build "$(git -C "$ptree" rev-parse HEAD)"
else
	echo "the final state has no W=1/sparse warning in these objects: base not compiled" >"$log_dir/base.log"
fi
if [ -n "$new" ]; then
	echo "$new" >&2
	die "the $base series adds W=1/sparse warnings (see above)"
fi
if grep -q 'C=1 specified, but' "$log_dir/final.log"; then
	# bookworm's sparse 0.6.4 lacks __typeof_unqual__, which v7.3 needs.
	echo "W=1: no new warnings in $((${#all_objs[@]} + ${#all_xobjs[@]})) objects and kernel-doc in ${#cfiles[@]} .c files ($base, listed in $log_dir/objects.txt); sparse NOT run: $(sparse --version) is too old for this tree"
else
	echo "W=1 + sparse: no new warnings in $((${#all_objs[@]} + ${#all_xobjs[@]})) objects and kernel-doc in ${#cfiles[@]} .c files ($base, listed in $log_dir/objects.txt)"
fi
