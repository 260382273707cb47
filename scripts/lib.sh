# Shared shell helpers; sourced by the other scripts.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Heavy artefacts live outside the clone so fresh clones (CI) reuse them.
CACHE=${KSERIES_CACHE:-$HOME/.cache/kseries}
OUT=${KSERIES_OUT:-$CACHE/out}
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
series_dir() { echo "$TOP/patches/$1"; }

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

# The kselftest targets the series adds: one directory each under selftests/.
targets() {
	local d
	for d in "$TOP"/selftests/*/; do basename "$d"; done
}

tree_dir() { echo "$CACHE/trees/$1/$2"; }   # base variant
build_dir() { echo "$OUT/$1/$2"; }         # base variant

# A hash of every file under the given paths (content and name).
hash_paths() {
	(cd "$TOP" && find "$@" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
