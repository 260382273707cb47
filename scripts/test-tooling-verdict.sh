# shellcheck shell=bash
# The verdict code's cases for scripts/test-tooling.sh, which sources this
# file (and runs only these with 'test-tooling.sh verdict'). Canned logs and
# TAP from scripts/tooling-data/; no kernel, no VM. Uses $tmp, $S and the
# expect_error, expect_ok and check helpers of test-tooling.sh.
data=$TOP/scripts/tooling-data

# 11. Each splat pattern catches a real-format line of each base, named
# right; every pattern has such a line; a clean boot log has no splat.
scan_one() { # LINE: the pattern name scan-log.sh gives the line inside a test
	printf '[    1.0] kseries: begin x:y\n%s\n[    2.0] kseries: end x:y rc=0\n' "$1" >"$tmp/one.log"
	"$S/scan-log.sh" "$tmp/one.log" | cut -f1,2
}
while IFS=$'\t' read -r pat base src line; do
	case $pat in ''|'#'*) continue ;; esac
	got=$(scan_one "$line" || true)
	check "splat $pat ($base, $src): ${line#*] }" [ "$got" = "x:y"$'\t'"$pat" ]
done <"$data/splats.tsv"
for pat in $("$S/scan-log.sh" --patterns | cut -f1); do
	check "splat pattern $pat has a canned line" grep -q "^$pat"$'\t' "$data/splats.tsv"
done
for f in "$data"/verdict/real-*-nvme-ctrl/console.log; do
	check "a real clean boot has no splat (${f#"$data"/})" "$S/scan-log.sh" "$f"
done
printf '%s\n' "[ 1.0] kseries: begin a:b" "[ 2.0] WARNING: CPU: 0 PID: 9 at x.c:1 f+0x1/0x2" "[ 3.0] kseries: end a:b rc=0" \
	"[ 4.0] kseries: begin c:d" "[ 5.0] kseries: end c:d rc=0" >"$tmp/two.log"
check "a splat is attributed to the test that printed it" \
	[ "$("$S/scan-log.sh" "$tmp/two.log" | cut -f1)" = a:b ]

# 12. Verdicts: each dir of tooling-data/verdict holds a boot's console.log,
# tap.log (and vm-error), and "want": the verdict, a piece of its note and,
# for a fail, the signature.
for c in "$data"/verdict/*/; do
	c=${c%/} n=${c##*/}
	rm -rf "$tmp/v"; cp -r "$c" "$tmp/v"
	t=$(sed -n 's/.*kseries: begin //p' "$c/console.log" | head -1)
	"$S/verdict.sh" "$tmp/v" "${t:-nfs:nfs_open_lock}" >/dev/null 2>&1 || true
	{ read -r wr; read -r wn; read -r ws || true; } <"$c/want"
	gr=$(cat "$tmp/v/result" 2>/dev/null) gn=$(cat "$tmp/v/note" 2>/dev/null) gs=$(cat "$tmp/v/signature" 2>/dev/null)
	if [ "$gr" = "$wr" ] && [[ $gn == *"$wn"* ]] && [ "$gs" = "${ws:-}" ]; then
		echo "ok - verdict $n: $gr ($gn)"; pass=$((pass + 1))
	else
		echo "not ok - verdict $n: got '$gr' ($gn) [$gs], want '$wr' (...$wn...) [${ws:-}]"; fail=$((fail + 1))
	fi
done

# 13. compare-matrix.sh and the expectations table.
# A results tree from the canned verdict dirs: mkres BASE VARIANT TEST CASE.
R=$tmp/results
mkres() {
	local d=$R/$1/$2/${3%%:*}/${3#*:}
	mkdir -p "$d"; cp "$data/verdict/$4"/*.log "$d/"; [ ! -f "$data/verdict/$4/vm-error" ] || cp "$data/verdict/$4/vm-error" "$d/"
	# (verdict.sh attributes by the test's markers: rename the canned test)
	sed -i "s/kseries: \(begin\|end\|settled\) [^ ]*/kseries: \1 $3/" "$d/console.log"
	"$S/verdict.sh" "$d" "$3" >/dev/null 2>&1 || true
	[ -f "$R/$1/$2/summary.tsv" ] || echo "# base=$1 variant=$2 (canned)" >"$R/$1/$2/summary.tsv"
	printf '%s\t%s\ttcg\t%s\t%s\n' "$3" "$(cat "$d/result")" "$(cat "$d/signature")" "$(cat "$d/note")" >>"$R/$1/$2/summary.tsv"
}
exp_head() { grep '^#' "$TOP/selftests/expectations.tsv"; }
row() { local IFS=$'\t'; echo "$*"; }
compare() { env KSERIES_RESULTS="$R" KSERIES_EXPECTATIONS="$tmp/exp.tsv" "$S/compare-matrix.sh" 5.10; }
rm -rf "$R"
# the tap.log of fail-oops names nvme:nvme_delete_race, so the tests keep the names of their TAP
mkres 5.10 unpatched dm-snapshot:dm_snapshot_invalidate fail-cases
mkres 5.10 patched dm-snapshot:dm_snapshot_invalidate pass-5.10
mkres 5.10 unpatched nvme:nvme_delete_race fail-oops
mkres 5.10 patched nvme:nvme_delete_race pass-mainline
DMT=dm-snapshot:dm_snapshot_invalidate NVT=nvme:nvme_delete_race
{ exp_head
  row $DMT 5.10 fail pass "cases=dm_snap.cow_full_persistent,dm_snap.io_error" - "canned"
  row $NVT 5.10 fail pass "cases=nvme_del.delete_during_setup;log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete" - "canned"
} >"$tmp/exp.tsv"
expect_ok "compare-matrix: matching signatures (cases; cases and log in order)" compare
sed -i 's/cow_full_persistent,dm_snap.io_error/cow_full_persistent/' "$tmp/exp.tsv"
expect_error "compare-matrix: a fail with the wrong signature prints both" \
	"want: cases=dm_snap.cow_full_persistent" compare
compare >"$tmp/out" 2>&1 || true
check "compare-matrix: ... and the signature seen" grep -q "got:  cases=dm_snap.cow_full_persistent,dm_snap.io_error" "$tmp/out"
check "compare-matrix: ... and the difference" grep -q "case dm_snap.io_error: fail, expected pass" "$tmp/out"
{ exp_head
  row $DMT 5.10 fail pass "cases=dm_snap.cow_full_persistent,dm_snap.io_error" - "canned"
  row $NVT 5.10 fail pass "cases=nvme_del.delete_during_setup;log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete;log=device_del" - "canned"
} >"$tmp/exp.tsv"
expect_error "compare-matrix: log patterns must match in order" "no console line matching /device_del/" compare
sed -i 's/;log=^BUG.*device_del//' "$tmp/exp.tsv"
expect_error "compare-matrix: an unexpected splat fails the signature" \
	"kernel splat, and the signature has no log=: BUG: kernel NULL pointer dereference" compare
sed -i "s/cases=nvme_del.delete_during_setup/log=^WARNING:/" "$tmp/exp.tsv"
expect_error "compare-matrix: the first splat must be the expected one" \
	"first kernel splat 'BUG: kernel NULL pointer dereference, address: 0000000000000000' does not match /^WARNING:/" compare
sed -i "s/log=^WARNING:/TODO/" "$tmp/exp.tsv"
expect_error "compare-matrix: a TODO signature matches nothing" "the expected signature is TODO" compare
{ exp_head
  row $DMT 5.10 pass pass - - "canned"
  row $NVT 5.10 fail pass "log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete" - "canned"
} >"$tmp/exp.tsv"
expect_error "compare-matrix: a verdict mismatch" "unpatched: fail, want pass" compare
{ exp_head
  row $NVT 5.10 fail pass "log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete" - "canned"
} >"$tmp/exp.tsv"
expect_error "compare-matrix: a test with no row (missing row)" "$DMT .*NO EXPECTATION" compare
{ exp_head
  row $DMT 5.10 fail pass "cases=dm_snap.cow_full_persistent,dm_snap.io_error" - "canned"
  row $NVT 5.10 fail pass "log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete" - "canned"
  row nvme:nvme_delete_ctrl 5.10 pass pass - - "canned"
} >"$tmp/exp.tsv"
expect_error "compare-matrix: a row whose test did not run (extra row)" "unpatched: not run" compare
rm -rf "$R"
mkres 5.10 unpatched $NVT timeout
mkres 5.10 patched $NVT pass-mainline
{ exp_head; row $NVT 5.10 fail pass "log=^BUG: kernel NULL pointer dereference" - "canned"; } >"$tmp/exp.tsv"
expect_error "compare-matrix: error (a timeout) never matches fail" "unpatched: error, want fail" compare
rm -rf "$R"
mkres 5.10 unpatched nfs:nfs_open_lock skip-splat
mkres 5.10 patched nfs:nfs_open_lock pass-ksft-h
{ exp_head; row nfs:nfs_open_lock 5.10 pass pass - - "canned"; } >"$tmp/exp.tsv"
expect_error "compare-matrix: a skip (with a splat) is no pass" "unpatched: skip, want pass: skipped: no knfsd" compare

# Malformed expectations rows: a clear error naming the line.
bad_row() { # NAME PATTERN ROW...: a table of the header and these rows must be refused
	local name=$1 pat=$2
	shift 2
	{ exp_head; printf '%s\n' "$@"; } >"$tmp/exp.tsv"
	expect_error "expectations: $name" "$pat" env KSERIES_EXPECTATIONS="$tmp/exp.tsv" "$S/check-expectations.sh"
}
L=$(( $(exp_head | wc -l) + 1 ))
bad_row "unknown verdict" "exp.tsv:$L: unknown verdict 'flaky'" "$(row $NVT 5.10 flaky pass - - why)"
bad_row "error is no expectation" "exp.tsv:$L: 'error' is never an expectation" "$(row $NVT 5.10 error pass - - why)"
bad_row "unknown base" "exp.tsv:$L: unknown base '5.15'" "$(row $NVT 5.15 pass pass - - why)"
bad_row "fail cell without signature" "exp.tsv:$L: unpatched is fail but names no signature" "$(row $NVT 5.10 fail pass - - why)"
bad_row "empty signature" "exp.tsv:$L: unpatched is fail but names no signature" "$(row $NVT 5.10 fail pass "" - why)"
bad_row "signature on a pass cell" "exp.tsv:$L: patched is pass, so its signature must be '-'" "$(row $NVT 5.10 pass pass - cases=a why)"
bad_row "bad signature item" "exp.tsv:$L: unpatched: signature item 'oops' is neither" "$(row $NVT 5.10 fail pass oops - why)"
bad_row "bad log regex" "exp.tsv:$L: unpatched: '(unclosed' is not a valid extended regular expression" "$(row $NVT 5.10 fail pass "log=(unclosed" - why)"
bad_row "wrong field count" "exp.tsv:$L: 5 tab-separated fields, expected 7" "$(row $NVT 5.10 pass pass why)"
bad_row "duplicate row" "exp.tsv:$((L + 1)): duplicate row for $NVT on 5.10 (first at line $L)" \
	"$(row $NVT 5.10 pass pass - - why)" "$(row $NVT 5.10 pass pass - - again)"
expect_ok "expectations: the checked-in table is well-formed" "$S/check-expectations.sh"
# compare-matrix and the README check refuse a malformed table too.
expect_error "compare-matrix refuses a malformed table" "exp.tsv:$((L + 1)): duplicate row" \
	env KSERIES_EXPECTATIONS="$tmp/exp.tsv" KSERIES_RESULTS="$R" "$S/compare-matrix.sh" 5.10
{ exp_head; row $NVT 5.10 pass pass - - "canned"; } >"$tmp/exp.tsv"
expect_error "README matrix: differs from the table" "README.md's matrix differs" \
	env KSERIES_EXPECTATIONS="$tmp/exp.tsv" "$S/check-readme-matrix.sh"

# 14. The mirror check: a target the series adds must have a selftests/
# mirror, a TARGETS line and rows. A fake patched tree (tag, then one
# commit adding a target that has none of them, and a TARGETS line for a
# target with no directory); the check reads it as it is (--no-prepare).
ft=$tmp/trees/5.10/patched
mkdir -p "$ft/tools/testing/selftests"
g() { git -C "$ft" -c user.name=t -c user.email=t@t "$@" >/dev/null; }
g init -q
printf 'TARGETS += breakpoints\nTARGETS += cgroup\n' >"$ft/tools/testing/selftests/Makefile"
mkdir -p "$ft/tools/testing/selftests/cgroup"
printf 'TEST_GEN_PROGS = test_old\ninclude ../lib.mk\n' >"$ft/tools/testing/selftests/cgroup/Makefile"
g add -A; g commit -q -m base; g tag "$(base_tag 5.10)"
# A program added to an upstream target.
printf 'TEST_GEN_PROGS += test_new\n' >>"$ft/tools/testing/selftests/cgroup/Makefile"
echo "int main(void) { return 0; }" >"$ft/tools/testing/selftests/cgroup/test_new.c"
mkdir -p "$ft/tools/testing/selftests/frobnicate"
printf 'TEST_GEN_PROGS := frob_one \\\n\tfrob_two\ninclude ../lib.mk\n' >"$ft/tools/testing/selftests/frobnicate/Makefile"
echo "int main(void) { return 0; }" >"$ft/tools/testing/selftests/frobnicate/frob_one.c"
echo "TARGETS += ghost" >>"$ft/tools/testing/selftests/Makefile"
g add -A; g commit -q -m series
env KSERIES_TREES="$tmp/trees" "$S/check-selftests-mirror.sh" --no-prepare 5.10 >"$tmp/mirror.out" 2>&1 && rc=0 || rc=$?
check "mirror: the check fails on a series target it does not cover" [ $rc != 0 ]
for m in "the series adds selftest target frobnicate, which has no selftests/frobnicate/ mirror" \
	 "target frobnicate, which tools/testing/selftests/Makefile does not build" \
	 "selftest frobnicate:frob_one, which has no row for 5.10" \
	 "selftest frobnicate:frob_two, which has no row for 5.10" \
	 "target ghost, which has no selftests/ghost/ mirror" \
	 "target ghost, or files to it, but its Makefile gains no TEST_GEN_PROGS"; do
	check "mirror: $m" grep -qF "$m" "$tmp/mirror.out"
done
check "mirror: a program added to an upstream target needs a row" grep -qF "selftest cgroup:test_new, which has no row for 5.10" "$tmp/mirror.out"
check "mirror: an upstream target's own programs need none" bash -c "! grep -q 'cgroup:test_old' '$tmp/mirror.out'"
# The real selftests/cgroup/ mirrors the real series; against this fake
# series it must miss test_new.c (added) and nothing of the base's.
check "mirror: an upstream target's mirror is what the series adds or changes" \
	grep -qE "files of selftests/cgroup and of the series differ: .*> test_new\.c" "$tmp/mirror.out"
check "mirror: an upstream target's unchanged files stay out of its mirror" bash -c "! grep -q 'differ: .*test_old' '$tmp/mirror.out'"

# 15. apt-local.sh takes the mirror from the system's apt sources (one-line
# and deb822), KSERIES_MIRROR overrides it, and no Debian entry is an error.
a=$tmp/apt-etc
mkdir -p "$a/sources.list.d"
printf 'deb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian/ bookworm main # comment\ndeb http://sec.invalid/debian-security bookworm-security main\n' >"$a/sources.list"
printf 'Types: deb\nURIs: https://packages.invalid/apt\nSuites: nodistro\nComponents: main\n' >"$a/sources.list.d/other.sources"
check "apt-local: one-line sources" [ "$(KSERIES_APT_ETC=$a "$S/apt-local.sh" --mirrors | tr '\n' ' ')" = "http://mirror.invalid/debian http://sec.invalid/debian-security " ]
rm "$a/sources.list"
printf 'Types: deb\nURIs: http://proxy.invalid:3142/debian\nSuites: trixie trixie-updates\nComponents: main\n' >"$a/sources.list.d/debian.sources"
check "apt-local: deb822 sources, debian-security next to the archive" [ "$(KSERIES_APT_ETC=$a "$S/apt-local.sh" --mirrors | tr '\n' ' ')" = "http://proxy.invalid:3142/debian http://proxy.invalid:3142/debian-security " ]
check "apt-local: KSERIES_MIRROR overrides" [ "$(KSERIES_APT_ETC=$a KSERIES_MIRROR=http://127.0.0.1:9 "$S/apt-local.sh" --mirrors | head -1)" = http://127.0.0.1:9/debian ]
rm "$a/sources.list.d/debian.sources"
expect_error "apt-local: no Debian archive in the sources" "no Debian archive in the system's apt sources" \
	env KSERIES_APT_ETC="$a" "$S/apt-local.sh" --mirrors

# 16. The checked-in nvme_delete_race signature of 5.10 matches the three
# real Oopses seen on unpatched 5.10 (12 runs): a NULL dereference in
# klist_put under nvme_uninit_ctrl, from the connect's error path (7 of
# 12) or from nvme_sysfs_delete (2), or in set_bit under
# nvme_do_delete_ctrl's quiesce (3); and (1 in 5 later runs) a NULL
# dereference in softirq that panicked the guest before the case reported,
# which only the signature's " OR " alternative accepts; and (once, in CI) a
# general protection fault on list poison when nvme_do_delete_ctrl tore the
# admin queue down a second time; and (1 in 16 runs here, once in CI) no
# Oops at all: the delete write hung in blk_mq_freeze_queue_wait under
# nvme_loop_destroy_admin_queue, reported by the hung-task detector. A
# signature naming nvme_sysfs_delete alone would flip.
nvsig=$("$S/check-expectations.sh" | awk -F'\t' '$2 == "nvme:nvme_delete_race" && $3 == "5.10" { print $6 }')
for v in hung-delete gpf-delete oops-delete oops-quiesce oops-connect oops-panic; do
	rm -rf "$tmp/v"; cp -r "$data/verdict/real-5.10-$v" "$tmp/v"
	"$S/verdict.sh" "$tmp/v" nvme:nvme_delete_race >/dev/null
	expect_ok "nvme 5.10 signature matches the real Oops via the $v path" "$S/match-signature.sh" "$tmp/v" "$nvsig"
	[ "$v" != gpf-delete ] || expect_error "a signature for NULL dereferences only misses the list-poison GPF" \
		"does not match /^BUG: kernel NULL pointer dereference/" "$S/match-signature.sh" "$tmp/v" \
		"cases=nvme_del.delete_during_setup;log=^BUG: kernel NULL pointer dereference;log=^Call Trace:;log=nvme_do_delete_ctrl\+0x"
	[ "$v" != hung-delete ] || expect_error "the hang's alternative wants its stack, not any hung task" \
		"no console line matching /nvme_loop_destroy_admin_queue" "$S/match-signature.sh" "$tmp/v" \
		"$(sed 's/nvme_loop_destroy_admin_queue/nvme_loop_destroy_admin_queueX/' <<<"$nvsig")"
done
expect_error "without its alternative, the signature misses the panic" "alternative 'cases=nvme_del.delete_during_setup;" \
	"$S/match-signature.sh" "$tmp/v" "${nvsig%% OR *} OR log=^Oops"
expect_error "a signature naming only nvme_sysfs_delete misses the connect path" "no console line matching /nvme_sysfs_delete/" \
	"$S/match-signature.sh" "$tmp/v" "log=^BUG: kernel NULL pointer dereference;log=nvme_sysfs_delete"
# The dm-snapshot signature holds each case to its reason (case-log=): a
# _messages case that fails for another reason is a mismatch.
dmsig=$("$S/check-expectations.sh" | awk -F'\t' '$2 == "dm-snapshot:dm_snapshot_invalidate" && $3 == "mainline" { print $6 }')
rm -rf "$tmp/v"; cp -r "$data/verdict/real-mainline-dm-unpatched" "$tmp/v"
"$S/verdict.sh" "$tmp/v" dm-snapshot:dm_snapshot_invalidate >/dev/null
expect_ok "dm-snapshot mainline signature matches the real unpatched run, case by case" "$S/match-signature.sh" "$tmp/v" "$dmsig"
sed -i '/cow_full_messages:no kernel log line/s/no kernel log line/status read failed:/' "$tmp/v/tap.log"
expect_error "a _messages case failing for another reason is not the bug" \
	"case dm_snap.cow_full_messages failed, but none of its lines matches" "$S/match-signature.sh" "$tmp/v" "$dmsig"
bad_row "case-log without a case" "exp.tsv:$L: unpatched: signature item 'case-log=:x' is neither" "$(row $NVT 5.10 fail pass "case-log=:x" - why)"
bad_row "case-log with a bad regex" "exp.tsv:$L: unpatched: '(x' is not a valid extended regular expression" "$(row $NVT 5.10 fail pass "case-log=a.b:(x" - why)"
