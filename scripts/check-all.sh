#!/bin/bash
# 'make check': every static check, the tooling's bad-input cases, the
# before/after matrix on both bases and the compile checks, each a timed
# stage. Goes on after a failed stage so that one run shows everything,
# then prints the stage times and one closing count line.
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
export STAGE_LOG=${STAGE_LOG:-$RESULTS/stages.log}
# The last complete run's stage times, kept in the cache: per machine.
export STAGE_LAST=$CACHE/stages-check${KASAN:+-kasan}.last
mkdir -p "$RESULTS" "$CACHE"; rm -f "$STAGE_LOG"
pass=0 fail=0
run() {
	if stage "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $1" >&2; fi
}
run "deps" "$S/deps.sh"
run "fetch bases" "$S/fetch-bases.sh" $BASES
run "checkpatch" "$S/checkpatch.sh"
for b in $BASES; do run "round trip $b" "$S/check-roundtrip.sh" "$b"; done
run "selftests mirror" "$S/check-selftests-mirror.sh" $BASES
run "Debian delta" "$S/check-debian-delta.sh"
run "README matrix" "$S/check-readme-matrix.sh"
run "make send (mails, recipients)" "$S/check-send.sh"
# matrix.sh times its own stages.
if "$S/matrix.sh" $BASES; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: matrix" >&2; fi
run "cover letter overview" "$S/cover-overview.sh" --check
for b in $BASES; do run "compile checks $b" "$S/memo.sh" check-build.sh "$b"; done
for b in $BASES; do run "same object code $b" "$S/memo.sh" check-same-code.sh "$b"; done
run "tooling bad input" "$S/test-tooling.sh"
"$S/print-stages.sh"
# Only a complete run is a baseline for the next one's projections.
[ $fail != 0 ] || cp "$STAGE_LOG" "$STAGE_LAST"
echo "check: $pass passed, $fail failed"
[ $fail = 0 ]
