#!/bin/bash
# Prove that the patches named in scripts/same-code-patches.txt change no
# object code on BASE.  In the patched VM kernel's object dir (its config
# includes scripts/vm/checks[.BASE].config for this), take every object
# whose .cmd dependency list names a file the patch touches; build those
# objects at the patch's parent, then again at the patch; and compare,
# object by object, the disassembly with relocations and the contents,
# relocations and symbols of every section but debug info.  Also check that
# the patch moves no line, so that __LINE__ (WARN, BUG) cannot change
# anywhere.
# Usage: check-same-code.sh BASE
. "$(dirname "$0")/lib.sh"
base=$1
check_base "$base"
need make gcc ccache objdump objcopy
"$TOP/scripts/prepare-tree.sh" "$base" patched
tag=$(base_tag "$base")
ptree=$(tree_dir "$base" patched)
use_vm_objdir "$base"
logs=$RESULTS/$base/same-code
rm -rf "$logs"
mkdir -p "$logs"

# dump OBJECT: what must not change, debug info aside.
dump() {
	local tmp
	tmp=$(mktemp)
	objcopy --strip-debug "$obj/$1" "$tmp" || { rm -f "$tmp"; die "objcopy failed on $1"; }
	objdump -d -r -w "$tmp" | tail -n +3
	objdump -s -r -t -w "$tmp" | tail -n +3
	rm -f "$tmp"
}

# The line-by-line check: with -U0, every hunk must replace n lines at
# line a by n lines at line a.
lines_stay() {
	local moved
	moved=$(git -C "$ptree" show -U0 --format= "$1" | grep '^@@' |
		awk '{ split(substr($2, 2), o, ","); split(substr($3, 2), n, ",");
		       if (o[1] != n[1] || (o[2] == "" ? 1 : o[2]) != (n[2] == "" ? 1 : n[2])) print }')
	[ -z "$moved" ] || { echo "$moved" >&2; return 1; }
}

# However it ends, leave the build worktree at the series' head.
trap 'checkout_build "$(git -C "$ptree" rev-parse HEAD)"' EXIT
list=${KSERIES_SAME_CODE:-$TOP/scripts/same-code-patches.txt}
status=0
min=$(awk -v b="$base" '$1 == "min" && $2 == b { print $3 }' "$list")
while IFS= read -r subj; do
	case $subj in ''|'#'*|'min '*) continue ;; esac
	c=$(git -C "$ptree" log --format='%H %s' "$tag..HEAD" | awk -v s="$subj" 'substr($0, 42) == s { print $1 }')
	[ "$(echo "$c" | grep -c .)" = 1 ] || die "$base: no single patch with subject \"$subj\" (listed in $list)"
	lines_stay "$c" || { echo "error: $base: \"$subj\" moves lines (hunks above)" >&2; status=1; }
	mapfile -t files < <(git -C "$ptree" diff-tree --no-commit-id --name-only -r "$c")

	mapfile -t objs < <(kbuild_objects "$obj" "${files[@]}")
	[ ${#objs[@]} -gt 0 ] || die "$base: no object depends on ${files[*]}"
	[ ${#objs[@]} -ge "${min:-1}" ] || { echo "error: $base: only ${#objs[@]} objects depend on ${files[*]}, fewer than the $min in $list" >&2; status=1; }
	# Touching the patch's files makes every dependent really compile,
	# whatever state the incremental object dir was left in.
	checkout_build "$c^"
	(cd "$src" && touch -c -- "${files[@]}")
	log "$base: building ${#objs[@]} objects before \"$subj\""
	touch "$logs/mark"
	"${K[@]}" "${objs[@]}" >"$logs/build-before.log" 2>&1 ||
		{ tail -20 "$logs/build-before.log" >&2; die "$base: the tree before \"$subj\" does not build"; }
	for o in "${objs[@]}"; do
		[ "$obj/$o" -nt "$logs/mark" ] || die "$base: $o was not rebuilt before \"$subj\""
		mkdir -p "$logs/before/$(dirname "$o")"
		dump "$o" >"$logs/before/$o.dump"
	done

	checkout_build "$c"
	(cd "$src" && touch -c -- "${files[@]}")
	touch "$logs/mark"
	"${K[@]}" "${objs[@]}" >"$logs/build-after.log" 2>&1 ||
		{ tail -20 "$logs/build-after.log" >&2; die "$base: \"$subj\" does not build"; }
	differ=()
	for o in "${objs[@]}"; do
		[ "$obj/$o" -nt "$logs/mark" ] || die "$base: $o was not rebuilt from \"$subj\""
		mkdir -p "$logs/after/$(dirname "$o")"
		dump "$o" >"$logs/after/$o.dump"
		cmp -s "$logs/before/$o.dump" "$logs/after/$o.dump" || differ+=("$o")
	done
	dirs=$(printf '%s\n' "${objs[@]}" | sed 's|/[^/]*$||' | sort | uniq -c | awk '{ printf "%s%s (%d)", sep, $2, $1; sep = ", " }')
	if [ ${#differ[@]} -gt 0 ]; then
		echo "error: $base: \"$subj\" changes the code of: ${differ[*]} (diff $logs/before $logs/after)" >&2
		status=1
	else
		echo "$base: \"$subj\": ${#objs[@]} objects that depend on ${files[*]} are identical in code and data: $dirs"
		rm -rf "$logs/before" "$logs/after"
	fi
done <"$list"
checkout_build "$(git -C "$ptree" rev-parse HEAD)"
exit $status
