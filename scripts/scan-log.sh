#!/bin/bash
# Find kernel splats in a guest console log and attribute each to the test
# whose "kseries: begin/end" markers bracket it ("boot" outside any test).
# Prints "TEST<TAB>LINE" per splat; exits 1 if there is any.
# Usage: scan-log.sh CONSOLE_LOG
. "$(dirname "$0")/lib.sh"
awk '
/kseries: begin / { cur = $NF; next }
/kseries: end /   { cur = ""; next }
/WARNING:|BUG:|Oops|general protection fault|Kernel panic|possible recursive locking|circular locking|inconsistent lock state|lock held when returning|KASAN|UBSAN|list_add corruption|list_del corruption|list corruption|INFO: task .* blocked|rcu_sched self-detected stall|RCU stall/ {
	printf "%s\t%s\n", (cur == "" ? "boot" : cur), $0; bad = 1
}
END { exit bad }
' "$1"
