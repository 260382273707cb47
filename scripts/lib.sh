# Shared shell helpers; sourced by the other scripts.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Heavy artefacts live outside the clone so fresh clones (CI) reuse them.
CACHE=${KSERIES_CACHE:-$HOME/.cache/kseries}
# KASAN=1 kernels get object dirs of their own, so the two never thrash.
OUT=${KSERIES_OUT:-$CACHE/out${KASAN:+-kasan}}
RESULTS=${KSERIES_RESULTS:-$TOP/results${KASAN:+-kasan}}
BASES="mainline 5.10"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "required tool '$t' is missing (run: make deps)"
	done
}

check_base() {
	case "$1" in mainline|5.10) ;; *) die "unknown base '$1' (expected: $BASES)";; esac
}

# base_repo BASE: the one-commit git repository of a base.
base_repo() { echo "$CACHE/bases/$1"; }
base_tag() {
	case "$1" in
	mainline) echo v7.3-rc7-debian ;;
	5.10) echo v5.10.262 ;;
	esac
}
series_dir() { echo "${KSERIES_PATCHES:-$TOP/patches}/$1"; }

# Stage timing: appended to $STAGE_LOG when set.
stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s.%N)
	"$@" || rc=$?
	if [ -n "${STAGE_LOG:-}" ]; then
		printf '%-40s %7.1fs %s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" \
			"$([ $rc = 0 ] && echo ok || echo "FAILED($rc)")" >>"$STAGE_LOG"
	fi
	return $rc
}

# The config fragments of a VM kernel of BASE, in merge order; a target's
# "config.5.10" replaces its config on 5.10 (Kconfig symbols differ).
vm_fragments() {
	local t f
	echo "$TOP/scripts/vm/vm.config"
	[ -z "${KASAN:-}" ] || echo "$TOP/scripts/vm/kasan.config"
	for t in $(targets); do
		f=$TOP/selftests/$t/config
		[ "${1:-}" = 5.10 ] && [ -f "$f.5.10" ] && f=$f.5.10
		echo "$f"
	done
}

# The kselftest targets the series adds: one directory each under selftests/.
targets() {
	local d
	for d in "$TOP"/selftests/*/; do basename "$d"; done
}

# vm_extra NAME BASE: scripts/vm/NAME.config, then the additions for BASE in
# scripts/vm/NAME.BASE.config if there are any.
vm_extra() {
	echo "$TOP/scripts/vm/$1.config"
	[ ! -f "$TOP/scripts/vm/$1.$2.config" ] || echo "$TOP/scripts/vm/$1.$2.config"
}

# configure_kernel SRC OBJDIR LABEL FRAGMENT...: tinyconfig + the fragments
# for an out-of-tree build of SRC in OBJDIR, with the result asserted; done
# again only when the fragments change.
configure_kernel() {
	local src=$1 obj=$2 label=$3 want
	shift 3
	local K=(make -s -C "$src" O="$obj")
	want=$(cat "$@" | sha256sum | cut -c1-16)
	[ -f "$obj/.config" ] && [ "$(cat "$obj/.config.stamp" 2>/dev/null)" = "$want" ] && return 0
	log "configuring $label"
	"${K[@]}" tinyconfig >/dev/null || die "make tinyconfig failed for $label"
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$@" >/dev/null) ||
		die "merge_config.sh failed for $label"
	"${K[@]}" olddefconfig >/dev/null || die "make olddefconfig failed for $label"
	"$TOP/scripts/check-config.sh" "$obj/.config" "$@"
	echo "$want" >"$obj/.config.stamp"
}

# use_build_dir BASE NAME: a compile-only object dir, out/BASE/NAME, built
# from BASE's shared build worktree with the VM config plus
# scripts/vm/NAME[.BASE].config.  Sets src, obj and K (its make command).
use_build_dir() {
	src=$(tree_dir "$1" build)
	obj=$(build_dir "$1" "$2")
	[ -d "$src" ] || die "no build tree $src: build a kernel of $1 first"
	export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache} CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=1
	K=(make -s -C "$src" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"${JOBS:-3}")
	mkdir -p "$obj"
	_build_base=$1 _build_name=$2
}

# The use_build_dir dir: check out a commit in its worktree; configure it.
checkout_build() { git -C "$src" checkout -q -f --detach "$1" || die "cannot check out $1 in $src"; }
configure_build() {
	local frags
	mapfile -t frags < <(vm_fragments "$_build_base"; vm_extra "$_build_name" "$_build_base")
	configure_kernel "$src" "$obj" "$_build_base/$_build_name" "${frags[@]}"
}

# kbuild_objects OBJDIR FILE...: the kbuild object targets that compile
# these source files: a .c file's own object and, for a header, every object
# whose .cmd dependency list in OBJDIR names it.
kbuild_objects() {
	local objdir=$1 f
	shift
	for f in "$@"; do
		case $f in
		tools/*|Documentation/*|scripts/*|MAINTAINERS) ;;
		*.c) echo "${f%.c}.o" ;;
		*.h) grep -rl --include='.*.o.cmd' -F "/$f" "$objdir" 2>/dev/null |
			sed -e "s|^$objdir/||" -e 's|/\.\([^/]*\)\.cmd$|/\1|' | grep -v '^\.' || true ;;
		esac
	done | sort -u
}

tree_dir() { echo "${KSERIES_TREES:-$CACHE/trees}/$1/$2"; }   # base variant
build_dir() { echo "$OUT/$1/$2"; }         # base variant

# A hash of every file under a directory (content and relative name).
hash_paths() {
	(cd "$1" && find . -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-16
}
