#!/bin/bash
# Find kernel splats in a guest console log and attribute each to the test
# whose "kseries: begin/end" markers bracket it ("boot" before the first
# test, "after <test>" between one test's end and the next one's begin).
# Prints "WHERE<TAB>PATTERN<TAB>LINE" per splat line; exits 1 if any.
# With --patterns, prints the pattern table ("NAME<TAB>ERE") and exits.
# Usage: scan-log.sh CONSOLE_LOG | scan-log.sh --patterns
#
# Each pattern was checked against the printk format of both bases
# (v5.10.262 and v7.3-rc7); the source lines are listed next to the canned
# real-format lines in scripts/tooling-data/splats.tsv, which 'make tooling'
# feeds through this scan. The first pattern that matches names a line, so
# the specific ones come before the generic WARNING:/BUG:/Oops, and the
# last, "Call Trace:", catches a stack dump that no other line announced
# (dump_stack() after a message of any wording).
. "$(dirname "$0")/lib.sh"
patterns() {
	cat <<-'EOF'
	kernel-bug	kernel BUG at
	invalid-opcode	invalid opcode:
	gpf	general protection fault
	null-deref	BUG: kernel NULL pointer dereference
	unable-to-handle	BUG: unable to handle
	kasan	BUG: KASAN:
	kfence	BUG: KFENCE:
	ubsan	UBSAN:
	rcu-stall	INFO: rcu_[a-z_]+ (self-)?detected stall
	soft-lockup	watchdog: BUG: soft lockup
	hard-lockup	Watchdog detected hard LOCKUP
	hung-task	INFO: task .+ blocked.* for more than [0-9]+ seconds
	lockdep-non-static-key	INFO: trying to register non-static key
	lockdep-circular	WARNING: possible circular locking dependency detected
	lockdep-inconsistent	WARNING: inconsistent lock state
	lockdep-recursive	WARNING: possible recursive locking detected
	list-corruption	list_(add|del) corruption
	refcount	refcount_t:
	page-alloc-failure	page allocation failure: order:
	leftover	kseries: leftover
	panic	Kernel panic - not syncing
	oops	(^|[^A-Za-z])Oops
	warning	WARNING:
	bug	(^|[^A-Za-z])BUG:
	call-trace	(^|\] )Call Trace:$
	EOF
}
if [ "${1:-}" = --patterns ]; then patterns; exit 0; fi
[ -f "${1:-}" ] || die "scan-log.sh: no console log '${1:-}'"
# Markers are matched at their own place only: "kseries: begin T" as the
# whole message, so a test's output cannot fake one.
awk -F'\t' -v pats="$(patterns)" '
BEGIN { n = split(pats, p, "\n"); for (i = 1; i <= n; i++) { split(p[i], f, "\t"); name[i] = f[1]; re[i] = f[2] } }
/kseries: begin [^ ]+$/ { cur = $0; sub(/.*kseries: begin /, "", cur); next }
/kseries: end [^ ]+( rc=[0-9]+)?$/ { t = $0; sub(/.*kseries: end /, "", t); sub(/ .*/, "", t); cur = "after " t; next }
{
	for (i = 1; i <= n; i++)
		if ($0 ~ re[i]) { printf "%s\t%s\t%s\n", (cur == "" ? "boot" : cur), name[i], $0; bad = 1; break }
}
END { exit bad }
' "$1"
