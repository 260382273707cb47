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
# series_files BASE: the patch files of a base, in series order.
series_files() {
	local p sd
	sd=$(series_dir "$1")
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		echo "$sd/$p"
	done <"$sd/series"
}

# maintained_ign PATCH BASE: ",FILE_PATH_CHANGES" when every file PATCH adds
# lies in a directory that a MAINTAINERS "F:" line names as such (not only
# an umbrella such as tools/testing/selftests/), in the base or added by a
# patch of its series; else nothing.  checkpatch asks
# "does MAINTAINERS need updating?" of any added file; for a new file in a
# maintained selftest directory the answer is no.
maintained_ign() {
	local added f d covered=1
	added=$(awk '/^diff --git /{ f = $4; sub(/^b\//, "", f) } /^new file mode/{ print f }' "$1")
	[ -n "$added" ] || return 0
	d=$( { grep -h '^F:' "$(base_repo "$2")/MAINTAINERS"; cat $(series_files "$2") | sed -n 's/^+F:/F:/p'; } |
		awk '{ print $2 }' | grep '/$' | sort -u)
	for f in $added; do
		grep -qxF "${f%/*}/" <<<"$d" || covered=0
	done
	[ $covered = 0 ] || echo ",FILE_PATH_CHANGES"
}

# Stage timing: appended to $STAGE_LOG when set.  With $STAGE_LAST (the
# stage log of the last such run on this machine), each stage first prints
# its time then and the projected time left: the last run's times of every
# stage this run has not finished yet.
stage() {
	local name=$1 t0 rc=0
	shift
	[ -z "${STAGE_LAST:-}" ] || stage_projection "$name" >&2
	t0=$(date +%s.%N)
	"$@" || rc=$?
	if [ -n "${STAGE_LOG:-}" ]; then
		mkdir -p "$(dirname "$STAGE_LOG")"
		printf '%-40s %7.1fs %s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" \
			"$([ $rc = 0 ] && echo ok || echo "FAILED($rc)")" >>"$STAGE_LOG"
	fi
	return $rc
}

# stage_projection NAME: one line, from $STAGE_LAST and $STAGE_LOG.
stage_projection() {
	if [ ! -s "$STAGE_LAST" ]; then
		echo "==> $1 (no earlier run on this machine to project from: see README for cold times)"
		return 0
	fi
	awk -v name="$1" '
		function key(line) { k = substr(line, 1, 40); sub(/ +$/, "", k); return k }
		function secs(line) { n = split(line, f, " "); for (i = n; i > 0; i--) if (f[i] ~ /^[0-9.]+s$/) return f[i] + 0; return 0 }
		FILENAME == ARGV[1] { done[key($0)] = 1; next }
		{ k = key($0); if (k == name) this = secs($0); if (!(k in done)) left += secs($0) }
		END { printf "==> %s (last run: %s; about %d min left by the last run on this machine)\n",
			name, this == "" ? "new stage" : sprintf("%.0fs", this), (left + 59) / 60 }
	' "$( [ -f "${STAGE_LOG:-}" ] && echo "$STAGE_LOG" || echo /dev/null)" "$STAGE_LAST" || true
}

# The config fragments of a VM kernel of BASE, in merge order; a target's
# "config.5.10" replaces its config on 5.10 (Kconfig symbols differ).  The
# checks' additions come last: one config per base serves the tests, the
# compile checks and the same-code check.
vm_fragments() {
	local t f
	echo "$TOP/scripts/vm/vm.config"
	[ -z "${KASAN:-}" ] || echo "$TOP/scripts/vm/kasan.config"
	for t in $(targets); do
		f=$TOP/selftests/$t/config
		[ "${1:-}" = 5.10 ] && [ -f "$f.5.10" ] && f=$f.5.10
		echo "$f"
	done
	echo "$TOP/scripts/vm/checks.config"
	[ ! -f "$TOP/scripts/vm/checks.${1:-}.config" ] || echo "$TOP/scripts/vm/checks.$1.config"
}

# The kselftest targets the series adds: one directory each under selftests/.
targets() {
	local d
	for d in "$TOP"/selftests/*/; do basename "$d"; done
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

# use_vm_objdir BASE: the checks work in the patched VM kernel's object dir,
# incrementally, checking out commits of the series in the shared build
# worktree: no second configuration, no second full build.  Needs that
# kernel built (its .cmd files say which objects use a header).  Sets src,
# obj and K (its make command).
use_vm_objdir() {
	src=$(tree_dir "$1" build)
	obj=$(build_dir "$1" patched)/kernel
	[ -d "$src" ] && [ -f "$obj/.config" ] ||
		die "no patched $1 kernel build in $obj: build it first (scripts/build-kernel.sh $1 patched)"
	# A stale config or a half-built dir would list fewer header users.
	[ "$(cat "$obj/.config.stamp" 2>/dev/null)" = "$(vm_fragments "$1" | xargs cat | sha256sum | cut -c1-16)" ] &&
		[ -f "$obj/arch/x86/boot/bzImage" ] ||
		die "the patched $1 kernel in $obj is stale or unfinished: rebuild it (scripts/build-kernel.sh $1 patched)"
	kbuild_env "$src"
	K=(make -s -C "$src" O="$obj" CC="$KCC" HOSTCC="ccache gcc" -j"${JOBS:-3}" "${KBUILD_FLAGS[@]}")
}

# Every build of the VM kernels is a W=1 build: W=1 only adds warning flags
# (and -DKBUILD_EXTRA_WARN1, read by FORTIFY_SOURCE alone, which is off), so
# the object code is the same, and the compile checks' W=1 pass over the
# series' objects is then a ccache hit instead of a second compile of each.
# kernel-doc, which W=1 also runs on every compiled .c file (0.6 s each on
# v7.3), is left to check-build.sh, on the files the series touches.
KBUILD_FLAGS=(W=1 cmd_checkdoc=)

# kbuild_env SRC: ccache settings shared by every build of a base.  ccache
# must not see the worktree path, or unpatched and patched miss each other.
kbuild_env() {
	export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache} CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_BASEDIR=$1 CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	# Depend mode: a miss compiles once instead of preprocessing twice
	# (30 fs/nfs objects cold, measured: 22.7 s without ccache, 31.5 s in
	# ccache's default mode, 24.1 s in depend mode).  What it gives up:
	# after a config change, objects make recompiles all miss, where the
	# preprocessor mode could still hit.  CI starts cold, so it wins there.
	# KSERIES_CCACHE_DEPEND=0 keeps the default mode.
	# The one exception is scripts/ccache-gcc's: sources with .incbin.
	if [ "${KSERIES_CCACHE_DEPEND:-1}" = 0 ]; then unset CCACHE_DEPEND; else export CCACHE_DEPEND=1; fi
	# The wrapper is run from the cache, so that its path (part of every
	# object's recorded command line) is the same in every clone.
	KCC=$CACHE/bin/ccache-gcc
	cmp -s "$TOP/scripts/ccache-gcc" "$KCC" ||
		{ mkdir -p "$CACHE/bin" && cp "$TOP/scripts/ccache-gcc" "$KCC.part" && mv "$KCC.part" "$KCC"; } ||
		die "cannot install $KCC"
}

# checkout_build COMMIT: check out a commit in use_vm_objdir's worktree.
checkout_build() { git -C "$src" checkout -q -f --detach "$1" || die "cannot check out $1 in $src"; }

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
