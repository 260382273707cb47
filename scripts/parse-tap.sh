#!/bin/bash
# Read kselftest's TAP for one test program (run_kselftest.sh output) and
# print what it says, one fact a line:
#   outer<TAB>ok|not ok<TAB>DIRECTIVE   runner.sh's line for the program
#   plan<TAB>N<TAB>SKIP_REASON          the program's own plan ("1..N")
#   case<TAB>NAME<TAB>pass|fail|skip|xfail|xpass<TAB>DETAIL
#   timeout<TAB>NAME                    the harness killed a case (TEST_F_TIMEOUT)
#   bail<TAB>MESSAGE                    "Bail out!" (ksft_exit_fail_msg)
# runner.sh prefixes every line of the program with "# " and ends with
# "ok|not ok N selftests: TARGET: NAME[ # SKIP| # TIMEOUT N seconds| # exit=N]"
# (5.10 and 7.3 alike). Inner result lines differ between the libraries:
#   harness, 7.3:  "ok 3 dm_snap.case # SKIP reason", "not ok 2 dm_snap.case #  reason"
#   harness, 5.10: "ok 3 # SKIP reason" (no name: taken from the last "RUN" line)
#   kselftest.h:   "ok 1 name", "ok 4 # SKIP name-or-reason", "not ok 5 # error msg"
# Usage: parse-tap.sh TAP_LOG TARGET:NAME
. "$(dirname "$0")/lib.sh"
tap=$1 t=$2
[ -f "$tap" ] || exit 0
awk -v target="${t%%:*}" -v name="${t#*:}" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
BEGIN { hdr = "# selftests: " target ": " name; outer_re = "^(not )?ok [0-9]+ selftests: " target ": " name "( |$)" }
# Only this program: from its header line to its result line.
$0 == hdr { inside = 1; started = 1; next }
$0 ~ outer_re {
	st = ($0 ~ /^not /) ? "not ok" : "ok"; d = ""
	if (index($0, " # ")) { d = substr($0, index($0, " # ") + 3) }
	printf "outer\t%s\t%s\n", st, trim(d); inside = 0; next
}
!inside && started { next }
/^# / {
	s = substr($0, 3)
	if (s ~ /^1\.\.[0-9]+/ && !planned) {
		planned = 1; n = s; sub(/^1\.\./, "", n); sub(/[^0-9].*/, "", n); r = ""
		if (s ~ /# *SKIP/) { r = s; sub(/.*# *SKIP */, "", r) }
		printf "plan\t%d\t%s\n", n, trim(r); next
	}
	if (s ~ /^#  *RUN  *[^ ]+ \.\.\./) { run = s; sub(/^#  *RUN  */, "", run); sub(/ .*/, "", run); next }
	if (s ~ /: Test terminated by timeout$/) { c = s; sub(/^# */, "", c); sub(/: Test terminated by timeout$/, "", c); printf "timeout\t%s\n", c; next }
	# The test program itself died (a crash in the test, not the kernel).
	if (s ~ /: Test (terminated unexpectedly by signal [0-9]+|ended in some other way \[[0-9]+\])$/) {
		c = s; sub(/^# */, "", c); sub(/: Test (terminated unexpectedly|ended in some other way).*$/, "", c)
		printf "crash\t%s\n", c; next
	}
	if (s ~ /^Bail out!/) { m = s; sub(/^Bail out! */, "", m); printf "bail\t%s\n", m; next }
	if (s ~ /^(not )?ok [0-9]+( |$)/) {
		bad = (s ~ /^not /); rest = s; sub(/^(not )?ok [0-9]+ ?/, "", rest)
		num = s; sub(/^(not )?ok /, "", num); sub(/[^0-9].*/, "", num)
		d = ""; cname = rest
		if (rest ~ /^#/) { d = rest; cname = (run != "" ? run : "#" num) }
		else if (index(rest, " #")) { d = substr(rest, index(rest, " #") + 1); cname = substr(rest, 1, index(rest, " #") - 1) }
		sub(/^# */, "", d); d = trim(d)
		if (bad) res = "fail"
		else if (d ~ /^SKIP/) res = "skip"
		else if (d ~ /^XFAIL/) res = "xfail"
		else if (d ~ /^XPASS/) res = "xpass"
		else res = "pass"
		printf "case\t%s\t%s\t%s\n", trim(cname), res, d; run = ""
	}
}
' "$tap"
